"""The server-side decisions: the only place that turns Rekognition's answers into a verdict and a match outcome."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from liveness_api.vocabulary import MatchOutcome, SessionStatus, Verdict

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


# The match outcomes that count towards the abuse limit like a failed liveness check, so that nobody can probe
# an enrolment or a photo by trying faces. The others say nothing about the face: no photo, nothing enrolled, or
# liveness already failed (and counted).
MATCH_FAILURES: Final = frozenset({MatchOutcome.NO_MATCH, MatchOutcome.NO_FACE})


def match_outcome(similarity: float | None, threshold: float) -> MatchOutcome:
    """MATCH only at or above the threshold; no similarity (no face of the other image compared) is NO_MATCH."""
    return MatchOutcome.MATCH if similarity is not None and similarity >= threshold else MatchOutcome.NO_MATCH


def is_match_failure(outcome: MatchOutcome) -> bool:
    return outcome in MATCH_FAILURES
