"""The server-side liveness decision: the only place that turns Rekognition's answer into a verdict."""

from __future__ import annotations

from liveness_api.metrics_catalogue import Decision

_BY_STATUS = {
    "CREATED": Decision.PENDING,
    "IN_PROGRESS": Decision.PENDING,
    "FAILED": Decision.FAILED,
    "EXPIRED": Decision.EXPIRED,
}


def decide(status: str, confidence: float | None, threshold: float) -> str:
    """LIVE only for a SUCCEEDED check whose confidence reaches the threshold; a SUCCEEDED check without a
    confidence is not evidence of liveness."""
    if status == "SUCCEEDED":
        return Decision.LIVE if confidence is not None and confidence >= threshold else Decision.NOT_LIVE
    return _BY_STATUS[status]


def is_failure(decision: str) -> bool:
    """Failures that count towards the abuse limit. EXPIRED does not: nobody attempted the check."""
    return decision in (Decision.NOT_LIVE, Decision.FAILED)
