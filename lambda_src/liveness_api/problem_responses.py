"""The problem responses the OpenAPI document lists for each operation: every problem the API answers with, each as
problem+json (`problems.problem_document` writes them; `handler._map_errors` decides which)."""

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from liveness_api.models import Problem
from liveness_api.problems import PROBLEM_CONTENT_TYPE

# Every problem the API answers with, each as problem+json; `problem_responses` picks an operation's.
_PROBLEM_RESPONSES: dict[int, OpenAPIResponse] = {
    status: {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"model": Problem}}}
    for status, description in (
        (400, "Malformed JSON, or a request API Gateway cannot read"),
        (
            403,
            "Unsigned, wrongly signed or not allowed by IAM; or no caller identity this deployment accepts; or, for "
            "enrolment and ENROLLED_PERSON matches, a guest (no stable person)",
        ),
        (404, "No such session for this caller"),
        (
            409,
            "The session's state refuses the request (see the problem's type): its verdict not decided, consumed or "
            "stale; or, for enrolment, not LIVE, stale, without a face, or the face another person's or not this one's",
        ),
        (413, "Request body too large"),
        (415, "Body not sent as application/json"),
        (422, "Validation failed; see errors"),
        (429, "Throttled by API Gateway or Face Liveness, or refused by a per-caller or abuse limit"),
        (500, "Internal error; quote the requestId"),
        (502, "The function failed (API Gateway)"),
        (503, "A dependency unavailable, the request out of time, or the verdict not available yet"),
        (504, "The function did not answer in time (API Gateway)"),
    )
}
# The handler's 429s and 503s always carry Retry-After; API Gateway's own throttle answers 429 without it.
_PROBLEM_RESPONSES[429]["headers"] = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer", "minimum": 1}}
}
_PROBLEM_RESPONSES[503]["headers"] = {
    # Powertools' header TypedDict omits the Header Object's `required`; the generated document keeps it.
    "Retry-After": {
        "description": "Seconds to wait before retrying",
        "required": True,  # type: ignore[typeddict-unknown-key]
        "schema": {"type": "integer", "minimum": 1},
    }
}
# API Gateway's own answers (problems.GATEWAY_ERRORS) and the handler's generic ones reach every route: every
# route reads DynamoDB, so its faults and the request deadline (503) too.
_EVERY_ROUTE_PROBLEMS = (400, 403, 413, 415, 422, 429, 500, 502, 503, 504)


def problem_responses(*statuses: int) -> dict[int, OpenAPIResponse]:
    """An operation's problem responses: every route's, and `statuses`."""
    return {status: _PROBLEM_RESPONSES[status] for status in sorted({*_EVERY_ROUTE_PROBLEMS, *statuses})}
