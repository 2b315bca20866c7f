"""The API's one error format, RFC 9457 problem details, and the problems API Gateway answers on its own.

`problem_document` is the only place the document is written: the handler's errors, the 415 refusal, the stack's
gateway-response templates and the local gateway all build it here. Pure, with no imports beyond the standard
library, so `infra/` and `liveness_local/` use it without the runtime's dependencies. `models.Problem` describes
the same document for the OpenAPI schema, and a unit test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

PROBLEM_CONTENT_TYPE: Final = "application/problem+json"
# problem+json `type` values are URNs: stable identifiers that never pretend to be a fetchable page.
PROBLEM_TYPE_BASE: Final = "urn:face-liveness-api:problem:"


class ProblemKind(NamedTuple):
    """What identifies a kind of problem: its HTTP status, the slug of its `type` URN and its title."""

    status: int
    slug: str
    title: str


def problem_document(
    kind: ProblemKind, detail: str, request_id: str, errors: Sequence[Mapping[str, str]] | None = None
) -> dict[str, Any]:
    """The problem+json body. `detail` and `request_id` are placed as given, so the stack can pass API Gateway's
    template variables in their place."""
    document: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + kind.slug,
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "requestId": request_id,
    }
    if errors:
        document["errors"] = [dict(error) for error in errors]
    return document


# API Gateway's own answers (its gateway responses), by aws_apigateway.ResponseType name. Every type is listed
# with its status, so the body's `status` always equals the HTTP status; DEFAULT_* only catch types added later.
GATEWAY_ERRORS: Final[Mapping[str, ProblemKind]] = {
    "ACCESS_DENIED": ProblemKind(403, "access-denied", "Access denied"),
    # Also API Gateway's answer to a route that does not exist.
    "MISSING_AUTHENTICATION_TOKEN": ProblemKind(403, "missing-authentication", "Missing authentication"),
    "INVALID_SIGNATURE": ProblemKind(403, "invalid-signature", "Invalid request signature"),
    "EXPIRED_TOKEN": ProblemKind(403, "expired-token", "Expired security token"),
    "INVALID_API_KEY": ProblemKind(403, "invalid-api-key", "Invalid API key"),
    "WAF_FILTERED": ProblemKind(403, "request-blocked", "Request blocked"),
    "UNAUTHORIZED": ProblemKind(401, "unauthorized", "Unauthorized"),
    "RESOURCE_NOT_FOUND": ProblemKind(404, "not-found", "Not found"),
    "THROTTLED": ProblemKind(429, "throttled", "Too many requests"),
    "QUOTA_EXCEEDED": ProblemKind(429, "quota-exceeded", "Quota exceeded"),
    "BAD_REQUEST_PARAMETERS": ProblemKind(400, "invalid-request-parameters", "Invalid request parameters"),
    "BAD_REQUEST_BODY": ProblemKind(400, "invalid-request-body", "Invalid request body"),
    "REQUEST_TOO_LARGE": ProblemKind(413, "request-too-large", "Request too large"),
    "UNSUPPORTED_MEDIA_TYPE": ProblemKind(415, "unsupported-media-type", "Unsupported media type"),
    "INTEGRATION_TIMEOUT": ProblemKind(504, "upstream-timeout", "Upstream timeout"),
    "INTEGRATION_FAILURE": ProblemKind(502, "upstream-failure", "Upstream failure"),
    "DEFAULT_4_XX": ProblemKind(400, "bad-request", "Bad request"),
    "DEFAULT_5_XX": ProblemKind(500, "internal-error", "Internal error"),
}
# Gateway responses can only carry static headers: API Gateway's own 429s tell clients to wait this long.
GATEWAY_RETRY_AFTER_SECONDS: Final[Mapping[str, int]] = {"THROTTLED": 1, "QUOTA_EXCEEDED": 60}
