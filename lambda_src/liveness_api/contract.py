"""Names shared by the Lambda handler, the CDK stack and the local server: the routes and the resources' names.

The environment's names are in `environment.py`, the error format in `problems.py`, the closed sets in
`vocabulary.py`.

Pure constants with no imports, so that `infra/` and `liveness_local/` can import them without pulling
in the runtime's dependencies. Changing a name here changes it everywhere at once.
"""

from typing import Final, Literal, NamedTuple, get_args


class Route(NamedTuple):
    method: str
    path: str


class Routes:
    """Every route of the deployed API. The stack builds API Gateway resources from this list and the
    local gateway serves exactly these, so neither can offer a route the other lacks."""

    CREATE_SESSION: Final = Route("POST", "/sessions")
    GET_RESULTS: Final = Route("GET", "/sessions/{sessionId}/results")
    ERASE_SESSION: Final = Route("DELETE", "/sessions/{sessionId}")
    CONSUME_VERDICT: Final = Route("POST", "/sessions/{sessionId}/consume")
    # The caller's enrolled person (the caller's own, in every mode): enrol a LIVE session's face, or erase it.
    ENROL_PERSON: Final = Route("POST", "/enrolment")
    ERASE_ENROLMENT: Final = Route("DELETE", "/enrolment")

    ALL: Final = (CREATE_SESSION, GET_RESULTS, ERASE_SESSION, CONSUME_VERDICT, ENROL_PERSON, ERASE_ENROLMENT)


SERVICE_NAME: Final = "face-liveness-api"
# What Lambda imports and calls: the entry module initializes the handler with the garbage collector paused.
LAMBDA_HANDLER: Final = "liveness_api.entry.lambda_handler"
# The session ledger's key and TTL attribute: the table (infra) and the ledger adapter (handler) must agree.
LEDGER_PARTITION_KEY: Final = "pk"
LEDGER_TTL_ATTRIBUTE: Final = "ttl"
# Rekognition's documented session lifetime: results and images vanish from its API after this.
SESSION_LIFETIME_SECONDS: Final = 180
# Where a session's ID photo is uploaded: `{imageKeyPrefix}{sessionId}/{DOCUMENT_OBJECT_NAME}`, beside the images
# Rekognition writes under the same prefix, so that erasing the session erases it too. The reference image
# Rekognition writes is `{imageKeyPrefix}{sessionId}/{REFERENCE_OBJECT_NAME}`.
DOCUMENT_OBJECT_NAME: Final = "document"
REFERENCE_OBJECT_NAME: Final = "reference.jpg"
# The ID photo's media types: the image formats CompareFaces reads.
DocumentContentType = Literal["image/jpeg", "image/png"]
DOCUMENT_CONTENT_TYPES: Final = get_args(DocumentContentType)
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
# Where a backend in plain IAM mode names the end user a request is for (an opaque id it chooses).
END_USER_HEADER: Final = "X-End-User"
# API Gateway's hard limit on a REST API payload is 10 MB; our bodies are tiny JSON documents.
MAX_BODY_BYTES: Final = 16 * 1024
