"""The interfaces the domain needs from AWS. Adapters implement them with botocore clients; tests use the
real adapters against moto and the Face Liveness emulator, or in-memory twins for pure domain tests.

What crosses a port is the API's own vocabulary and models: each adapter alone knows its service's wire shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from liveness_api.contract import DocumentContentType
from liveness_api.models import (
    Challenge,
    ChallengePreference,
    DocumentUpload,
    Feedback,
    ImageReference,
    StreamingCredentials,
)
from liveness_api.vocabulary import CallerLimit, MatchTarget, SessionStatus


@dataclass(frozen=True)
class LivenessResult:
    """GetFaceLivenessSessionResults, stripped to what the backend uses (never image bytes)."""

    status: SessionStatus
    confidence: float | None = None
    challenge: Challenge | None = None
    reference_image: ImageReference | None = None
    audit_images: tuple[ImageReference, ...] = ()
    feedback: tuple[Feedback, ...] = ()
    # Metadata.SDKType: the streaming client's own claim, which Rekognition does not verify. Recorded for operators,
    # never decided on.
    sdk_type: str | None = None


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
    # The face match its create asked for, decided with the verdict.
    match: MatchTarget | None = None


@dataclass(frozen=True)
class RecordedSession:
    """A session as the ledger holds it after a create: `replayed` when an earlier create (the same owner's same
    Idempotency-Key, so Rekognition's same session) had recorded it already, and `record` is then that one."""

    record: SessionRecord
    replayed: bool


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
    def record_session(self, record: SessionRecord) -> RecordedSession:
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


# Face matching ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredImage:
    """An image in the stack's bucket, as Rekognition reads it: a key the server chose, never one a client named."""

    key: str
    version: str | None = None


class NoComparableFace(Exception):
    """Rekognition found no face it can compare in the image (or could not read it as a JPEG or PNG). Never reaches
    a client: the match's outcome is NO_FACE."""


class FaceMatching(Protocol):
    """Rekognition's face comparison and the stack's collection of enrolled persons (users)."""

    def compare(self, source: StoredImage, target: StoredImage) -> float | None:
        """The similarity of the largest face of `source` to the best-matching face of `target`, or None when
        `target` shows no face. NoComparableFace when `source` shows none."""
        ...

    def search_users(self, image: StoredImage, threshold: float) -> Mapping[str, float]:
        """The users whose faces match the largest face of `image` at `threshold` or above, with their similarity.
        NoComparableFace when `image` shows none."""
        ...

    def create_user(self, user_id: str) -> None:
        """Create the user; idempotent (a user that exists already is kept)."""
        ...

    def index_face(self, image: StoredImage, external_image_id: str) -> str | None:
        """Index the largest face of `image`: its face id, or None when no face passed the quality filter."""
        ...

    def associate_face(self, user_id: str, face_id: str, threshold: float) -> bool:
        """Associate the face with the user; False when refused (it matches the user's faces below `threshold`,
        or belongs to another user)."""
        ...

    def delete_faces(self, face_ids: tuple[str, ...]) -> None: ...

    def delete_user(self, user_id: str) -> None:
        """Delete the user; idempotent (a user that does not exist is no error)."""
        ...


class DocumentUploads(Protocol):
    """Where a session's ID photo is uploaded to, and whether it was: always the session's own fixed key."""

    def upload_target(
        self, session_id: str, content_type: DocumentContentType, expires_at: datetime, now: datetime
    ) -> DocumentUpload:
        """A presigned S3 POST for exactly the session's document key, valid until `expires_at`. No network call."""
        ...

    def uploaded(self, session_id: str) -> StoredImage | None:
        """The session's ID photo (its current version), or None when none was uploaded."""
        ...


@dataclass(frozen=True)
class EnrolledFace:
    face_id: str
    # Whether AssociateFaces joined it to the person's user (a face indexed but not yet associated is recorded so
    # that erasing the enrolment always finds it).
    associated: bool = False


@dataclass(frozen=True)
class Person:
    """An owner's enrolment: the faces indexed for it, by the session each came from."""

    faces: Mapping[str, EnrolledFace] = field(default_factory=dict)
    enrolled_at: datetime | None = None

    @property
    def enrolled(self) -> bool:
        return any(face.associated for face in self.faces.values())


class Enrolments(Protocol):
    """Each owner's enrolled person, in the ledger: one item per owner, read in one call."""

    def get_person(self, owner: str) -> Person | None: ...

    def record_face(self, owner: str, session_id: str, face_id: str) -> None:
        """Record a face indexed for the owner's person (not yet associated)."""
        ...

    def mark_associated(self, owner: str, session_id: str, now: datetime) -> Person:
        """Mark the session's face associated; the person's enrolment time is its first association's."""
        ...

    def forget_face(self, owner: str, session_id: str) -> None: ...

    def delete_person(self, owner: str) -> None: ...


class StreamingCredentialsIssuer(Protocol):
    def issue(self, session_id: str) -> StreamingCredentials:
        """Short-lived credentials that may only start Face Liveness streams, handed out with `session_id`: fresh ones
        on every create, a replay's too (the client retrying may never have received the first)."""
        ...
