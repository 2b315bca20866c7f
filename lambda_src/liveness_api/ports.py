"""The interfaces the domain needs from AWS. Adapters implement them with botocore clients; tests use the
real adapters against moto and the Face Liveness emulator, or in-memory twins for pure domain tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class StoredImage:
    bucket: str
    key: str
    version: str | None
    bounding_box: dict[str, float] | None


@dataclass(frozen=True)
class LivenessResult:
    """GetFaceLivenessSessionResults, stripped to what the backend uses (never image bytes)."""

    status: str
    confidence: float | None = None
    challenge_type: str | None = None
    challenge_version: str | None = None
    reference_image: StoredImage | None = None
    audit_images: tuple[StoredImage, ...] = ()


@dataclass(frozen=True)
class SessionRequest:
    client_request_token: str
    audit_images_limit: int
    challenge_preferences: list[dict[str, Any]] | None


class LivenessService(Protocol):
    def create_session(self, request: SessionRequest) -> str: ...

    def get_results(self, session_id: str) -> LivenessResult: ...


@dataclass(frozen=True)
class SessionRecord:
    session_id: str
    owner: str
    created_at: datetime
    expires_at: datetime
    verdict: dict[str, Any] | None = None


class SessionLedger(Protocol):
    def record_session(self, record: SessionRecord) -> SessionRecord:
        """Store a new session; for a session already stored (an idempotent replay) return the stored one."""
        ...

    def get_session(self, session_id: str) -> SessionRecord | None: ...

    def record_verdict(self, session_id: str, verdict: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Write the verdict unless one exists. Returns the verdict that stands and whether this call wrote it."""
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
