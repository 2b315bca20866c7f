"""The interfaces the domain needs from AWS. Adapters implement them with botocore clients; tests use the
real adapters against moto and the Face Liveness emulator, or in-memory twins for pure domain tests.

What crosses a port is the API's own vocabulary and models: each adapter alone knows its service's wire shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from liveness_api.models import Challenge, ChallengePreference, ImageReference
from liveness_api.vocabulary import SessionStatus


@dataclass(frozen=True)
class LivenessResult:
    """GetFaceLivenessSessionResults, stripped to what the backend uses (never image bytes)."""

    status: SessionStatus
    confidence: float | None = None
    challenge: Challenge | None = None
    reference_image: ImageReference | None = None
    audit_images: tuple[ImageReference, ...] = ()


@dataclass(frozen=True)
class SessionRequest:
    client_request_token: str
    audit_images_limit: int
    challenge_preferences: tuple[ChallengePreference, ...] = ()


class LivenessService(Protocol):
    def create_session(self, request: SessionRequest) -> str: ...

    def get_results(self, session_id: str) -> LivenessResult: ...


@dataclass(frozen=True)
class SessionRecord:
    session_id: str
    owner: str
    created_at: datetime
    expires_at: datetime
    # The recorded results response, as the JSON document the API answers with.
    verdict: str | None = None


class SessionLedger(Protocol):
    def record_session(self, record: SessionRecord) -> SessionRecord:
        """Store a new session; for a session already stored (an idempotent replay) return the stored one."""
        ...

    def get_session(self, session_id: str) -> SessionRecord | None: ...

    def record_verdict(self, session_id: str, verdict: str) -> tuple[str, bool]:
        """Write the verdict document unless one exists. Returns the document that stands and whether this call
        wrote it."""
        ...

    def delete_session(self, session_id: str) -> None: ...

    def blocked_until(self, owner: str, now: datetime) -> datetime | None:
        """When the caller's cool-down ends, or None if the caller may start a session now."""
        ...

    def record_failure(self, owner: str, now: datetime) -> None:
        """Count one failed check for the caller, atomically; start the cool-down when the limit is reached."""
        ...


class ImageStore(Protocol):
    def erase_session_images(self, session_id: str) -> int:
        """Delete every version of every image of the session; return how many versions were deleted."""
        ...
