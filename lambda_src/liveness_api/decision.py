"""The server-side liveness decision: the only place that turns Rekognition's answer into a verdict."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from liveness_api.vocabulary import SessionStatus, Verdict

# Every status but SUCCEEDED, whose verdict depends on the confidence. A unit test checks that each status has
# exactly one answer, so a status added to the vocabulary cannot go undecided.
VERDICT_BY_STATUS: Final[Mapping[SessionStatus, Verdict]] = MappingProxyType(
    {
        SessionStatus.CREATED: Verdict.PENDING,
        SessionStatus.IN_PROGRESS: Verdict.PENDING,
        SessionStatus.FAILED: Verdict.FAILED,
        SessionStatus.EXPIRED: Verdict.EXPIRED,
    }
)
FAILURES: Final = frozenset({Verdict.NOT_LIVE, Verdict.FAILED})


def decide(status: SessionStatus, confidence: float | None, threshold: float) -> Verdict:
    """LIVE only for a SUCCEEDED check whose confidence reaches the threshold; a SUCCEEDED check without a
    confidence is not evidence of liveness."""
    if status == SessionStatus.SUCCEEDED:
        return Verdict.LIVE if confidence is not None and confidence >= threshold else Verdict.NOT_LIVE
    return VERDICT_BY_STATUS[status]


def is_failure(verdict: Verdict) -> bool:
    """Failures that count towards the abuse limit. EXPIRED does not: nobody attempted the check."""
    return verdict in FAILURES
