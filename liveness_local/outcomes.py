"""What an emulated check ends as, scripted: the emulator cannot judge a face, so a test or the demo says.

`POST /_local/sessions/{id}/complete` applies a verdict at once; `POST /_local/sessions/{id}/outcome` scripts
the one a browser's stream to the local streaming endpoint will end with (LIVE by default).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

# The confidence a scripted live check and a scripted spoof report unless told otherwise.
LIVE_CONFIDENCE: Final = 99.0
SPOOF_CONFIDENCE: Final = 5.0


class Outcome(StrEnum):
    """LIVE (a high confidence), a spoof (a low one: NOT_LIVE) or FAILED (the service could not decide)."""

    LIVE = "live"
    SPOOF = "spoof"
    FAIL = "fail"


@dataclass(frozen=True)
class ScriptedOutcome:
    outcome: Outcome = Outcome.LIVE
    confidence: float | None = None

    def resolved_confidence(self, live_confidence: float = LIVE_CONFIDENCE) -> float:
        if self.confidence is not None:
            return self.confidence
        return live_confidence if self.outcome is Outcome.LIVE else SPOOF_CONFIDENCE


class ScriptedOutcomes:
    """The outcome each session will stream to, set before streaming; LIVE at `live_confidence` otherwise."""

    def __init__(self, live_confidence: float = LIVE_CONFIDENCE) -> None:
        if not 0 <= live_confidence <= 100:
            raise ValueError(f"live_confidence must be 0-100, got {live_confidence}")
        self.live_confidence = live_confidence
        self._outcomes: dict[str, ScriptedOutcome] = {}
        self._lock = threading.Lock()

    def set(self, session_id: str, outcome: ScriptedOutcome) -> None:
        with self._lock:
            self._outcomes[session_id] = outcome

    def take(self, session_id: str) -> ScriptedOutcome:
        """The session's outcome, forgotten once taken: a session streams once."""
        with self._lock:
            return self._outcomes.pop(session_id, ScriptedOutcome())
