"""The interfaces the domain needs from AWS. Adapters implement them with botocore clients; tests use the
real adapters against moto and the Face Liveness emulator, or in-memory twins for pure domain tests.

What crosses a port is the API's own vocabulary and models: each adapter alone knows its service's wire shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from liveness_api.models import Challenge, ChallengePreference, ImageReference
from liveness_api.vocabulary import CallerLimit, SessionStatus


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
    # Whether the verdict's metrics and abuse-limit count were settled (false until they are).
    counted: bool = False
    # The keyed hash of the address that created the session, where the abuse limit counts addresses; dropped
    # once the verdict is settled.
    address_key: str | None = None
    # When the verdict was consumed (it can be, once); None until then.
    consumed_at: datetime | None = None
    # The open-session slot the session holds (its client request token) until its verdict is recorded.
    open_slot: str | None = None


@dataclass(frozen=True)
class Admission:
    """One request counted against a per-caller limit, and the caller's cool-down, read in the same call."""

    requests_in_window: int
    window_ends: datetime
    blocked_until: datetime | None


@dataclass(frozen=True)
class SlotClaim:
    """An open-session slot asked for: `held`, or refused until `frees_at`, when the oldest open session expires."""

    held: bool
    frees_at: datetime


@dataclass(frozen=True)
class AddressAdmission:
    """Guest mode: a create counted against its client address in one update, which also holds the address's slot
    unless a cool-down runs, the minute's creates reached the limit or the address's slots are full."""

    slot: SlotClaim
    creates_in_window: int
    window_ends: datetime
    blocked_until: datetime | None


class SessionLedger(Protocol):
    def record_session(self, record: SessionRecord) -> SessionRecord:
        """Store a new session; for a session already stored (an idempotent replay) return the stored one."""
        ...

    def get_session(self, session_id: str) -> SessionRecord | None: ...

    def record_verdict(self, session_id: str, verdict: str) -> SessionRecord:
        """Write the verdict document unless one exists. Returns the session as it stands: with this verdict, not
        yet counted, or with the verdict another request recorded first."""
        ...

    def mark_counted(self, session_id: str) -> bool:
        """Mark the verdict's metrics as settled; True only for the one call that did (the one that emits them)."""
        ...

    def consume_verdict(self, session_id: str, now: datetime) -> SessionRecord | None:
        """Mark the recorded verdict consumed at `now`, atomically: the session as it then stands for the one call
        that did, None for every other (the verdict was consumed already, or none is recorded)."""
        ...

    def delete_session(self, session_id: str) -> None: ...

    def admit(self, owner: str, limit: CallerLimit, now: datetime) -> Admission:
        """Count one request of the caller against `limit`, atomically, and return the caller's cool-down."""
        ...

    def reserve_open_session(self, owner: str, slot: str, expires_at: datetime, now: datetime, cap: int) -> SlotClaim:
        """Hold `slot` for the caller until `expires_at` unless `cap` other unexpired slots are held; atomic, and
        holding a slot already held (an idempotent replay) takes no second one."""
        ...

    def admit_address_create(
        self, address_key: str, slot: str, expires_at: datetime, now: datetime, cap: int, creates_per_minute: int
    ) -> AddressAdmission:
        """Guest mode: count a create against the address and hold its slot, atomically (see AddressAdmission)."""
        ...

    def address_blocked_until(self, address_key: str, now: datetime) -> datetime | None:
        """The address's cool-down, if one runs at `now`: read under the previous key during a key rotation."""
        ...

    def release_open_session(self, owner: str, slot: str, address_key: str | None = None) -> None:
        """Free the slot for the caller (and the address); idempotent."""
        ...

    def record_failure(self, owner: str, session_id: str, now: datetime, address_key: str | None = None) -> None:
        """Count the session's failed check for the caller (and, with `address_key`, for that address), atomically
        and at most once however often it is called; start a cool-down when a limit is reached."""
        ...


class AddressKeys(Protocol):
    def key(self, address: str) -> str:
        """A client address's keyed hash under the current key: fixed-size, not reversible without the key."""
        ...

    def previous_key(self, address: str) -> str | None:
        """The address's hash under the previous key while a key rotation is under way, else None."""
        ...


class ImageStore(Protocol):
    def erase_session_images(self, session_id: str) -> int:
        """Delete every version of every image of the session; return how many versions were deleted."""
        ...
