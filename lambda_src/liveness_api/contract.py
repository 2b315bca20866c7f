"""Names shared by the Lambda handler, the CDK stack and the local server: the routes and the resources' names.

The environment's names are in `environment.py`, the error format in `problems.py`, the closed sets in
`vocabulary.py`.

Pure constants with no imports, so that `infra/` and `liveness_local/` can import them without pulling
in the runtime's dependencies. Changing a name here changes it everywhere at once.
"""

from typing import Final, NamedTuple


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

    ALL: Final = (CREATE_SESSION, GET_RESULTS, ERASE_SESSION, CONSUME_VERDICT)


SERVICE_NAME: Final = "face-liveness-api"
# What Lambda imports and calls: the entry module initializes the handler with the garbage collector paused.
LAMBDA_HANDLER: Final = "liveness_api.entry.lambda_handler"
# The session ledger's key and TTL attribute: the table (infra) and the ledger adapter (handler) must agree.
LEDGER_PARTITION_KEY: Final = "pk"
LEDGER_TTL_ATTRIBUTE: Final = "ttl"
# Rekognition's documented session lifetime: results and images vanish from its API after this.
SESSION_LIFETIME_SECONDS: Final = 180
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
# Where a backend in plain IAM mode names the end user a request is for (an opaque id it chooses).
END_USER_HEADER: Final = "X-End-User"
# API Gateway's hard limit on a REST API payload is 10 MB; our bodies are tiny JSON documents.
MAX_BODY_BYTES: Final = 16 * 1024
