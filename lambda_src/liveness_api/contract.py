"""Names shared by the Lambda handler, the CDK stack and the local server.

Pure constants with no imports, so that `infra/` and `liveness_local/` can import them without pulling
in the runtime's dependencies. Changing a name here changes it everywhere at once.
"""

from typing import Final, NamedTuple


class EnvVar:
    """Environment variables the stack sets on the function and the handler's Settings reads."""

    IMAGE_BUCKET: Final = "IMAGE_BUCKET_NAME"
    IMAGE_KEY_PREFIX: Final = "IMAGE_KEY_PREFIX"
    KMS_KEY_ARN: Final = "IMAGE_KMS_KEY_ARN"
    MAX_AUDIT_IMAGES: Final = "MAX_AUDIT_IMAGES_LIMIT"
    LEDGER_TABLE: Final = "SESSION_TABLE_NAME"
    LIVENESS_THRESHOLD: Final = "LIVENESS_THRESHOLD"
    RETENTION_DAYS: Final = "SESSION_RETENTION_DAYS"
    ABUSE_MAX_FAILURES: Final = "ABUSE_MAX_FAILURES"
    ABUSE_WINDOW_SECONDS: Final = "ABUSE_WINDOW_SECONDS"
    ABUSE_COOLDOWN_SECONDS: Final = "ABUSE_COOLDOWN_SECONDS"
    CORS_ORIGINS: Final = "CORS_ALLOWED_ORIGINS"
    REKOGNITION_CONNECT_TIMEOUT: Final = "REKOGNITION_CONNECT_TIMEOUT_SECONDS"
    REKOGNITION_READ_TIMEOUT: Final = "REKOGNITION_READ_TIMEOUT_SECONDS"
    REKOGNITION_MAX_ATTEMPTS: Final = "REKOGNITION_MAX_ATTEMPTS"
    # Read by Powertools itself.
    SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
    METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
    LOG_LEVEL: Final = "POWERTOOLS_LOG_LEVEL"
    # Read by Pydantic: the function uses no Pydantic plugins, so Pydantic need not search the installed
    # distributions' entry points for them on every cold start.
    PYDANTIC_PLUGINS: Final = "PYDANTIC_DISABLE_PLUGINS"


class Route(NamedTuple):
    method: str
    path: str


class Routes:
    """Every route of the deployed API. The stack builds API Gateway resources from this list and the
    local gateway serves exactly these, so neither can offer a route the other lacks."""

    CREATE_SESSION: Final = Route("POST", "/sessions")
    GET_RESULTS: Final = Route("GET", "/sessions/{sessionId}/results")
    ERASE_SESSION: Final = Route("DELETE", "/sessions/{sessionId}")

    ALL: Final = (CREATE_SESSION, GET_RESULTS, ERASE_SESSION)


class GatewayError(NamedTuple):
    """A problem answered without the handler: by API Gateway, or by the local gateway standing in for it."""

    status: int
    slug: str
    title: str


# API Gateway's own answers (its gateway responses), by aws_apigateway.ResponseType name. Every type is listed
# with its status, so the body's `status` always equals the HTTP status; DEFAULT_* only catch types added later.
GATEWAY_ERRORS: Final = {
    "ACCESS_DENIED": GatewayError(403, "access-denied", "Access denied"),
    # Also API Gateway's answer to a route that does not exist.
    "MISSING_AUTHENTICATION_TOKEN": GatewayError(403, "missing-authentication", "Missing authentication"),
    "INVALID_SIGNATURE": GatewayError(403, "invalid-signature", "Invalid request signature"),
    "EXPIRED_TOKEN": GatewayError(403, "expired-token", "Expired security token"),
    "INVALID_API_KEY": GatewayError(403, "invalid-api-key", "Invalid API key"),
    "WAF_FILTERED": GatewayError(403, "request-blocked", "Request blocked"),
    "UNAUTHORIZED": GatewayError(401, "unauthorized", "Unauthorized"),
    "RESOURCE_NOT_FOUND": GatewayError(404, "not-found", "Not found"),
    "THROTTLED": GatewayError(429, "throttled", "Too many requests"),
    "QUOTA_EXCEEDED": GatewayError(429, "quota-exceeded", "Quota exceeded"),
    "BAD_REQUEST_PARAMETERS": GatewayError(400, "invalid-request-parameters", "Invalid request parameters"),
    "BAD_REQUEST_BODY": GatewayError(400, "invalid-request-body", "Invalid request body"),
    "REQUEST_TOO_LARGE": GatewayError(413, "request-too-large", "Request too large"),
    "UNSUPPORTED_MEDIA_TYPE": GatewayError(415, "unsupported-media-type", "Unsupported media type"),
    "INTEGRATION_TIMEOUT": GatewayError(504, "upstream-timeout", "Upstream timeout"),
    "INTEGRATION_FAILURE": GatewayError(502, "upstream-failure", "Upstream failure"),
    "DEFAULT_4_XX": GatewayError(400, "bad-request", "Bad request"),
    "DEFAULT_5_XX": GatewayError(500, "internal-error", "Internal error"),
}

SERVICE_NAME: Final = "face-liveness-api"
# What Lambda imports and calls: the entry module initializes the handler with the garbage collector paused.
LAMBDA_HANDLER: Final = "liveness_api.entry.lambda_handler"
# The session ledger's key and TTL attribute: the table (infra) and the ledger adapter (handler) must agree.
LEDGER_PARTITION_KEY: Final = "pk"
LEDGER_TTL_ATTRIBUTE: Final = "ttl"
# Rekognition's documented session lifetime: results and images vanish from its API after this.
SESSION_LIFETIME_SECONDS: Final = 180
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
PROBLEM_CONTENT_TYPE: Final = "application/problem+json"
# problem+json `type` values are URNs: stable identifiers that never pretend to be a fetchable page.
PROBLEM_TYPE_BASE: Final = "urn:face-liveness-api:problem:"
# API Gateway's hard limit on a REST API payload is 10 MB; our bodies are tiny JSON documents.
MAX_BODY_BYTES: Final = 16 * 1024
