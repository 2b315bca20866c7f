"""What the Face Liveness emulator knows about a session, and the choices it makes for it where the service decides:
its challenge, and its images' bounding boxes.

The result's parts (bounding box, challenge, feedback) are the backend's own models (`liveness_api.models`); only their
PascalCase wire form is written here, as the service writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from liveness_api.models import BoundingBox, Challenge, Feedback
from liveness_api.vocabulary import ChallengeType, SessionStatus
from liveness_local.vocabulary import CHALLENGE_VERSIONS, DEFAULT_CHALLENGE

# The outcome of an attempt that the emulator answered without an error.
SUCCESS: Final = "Success"
# The statuses in which the end user may still finish (or abandon) the check.
OPEN: Final = frozenset({SessionStatus.CREATED, SessionStatus.IN_PROGRESS})
# The statuses of a check a client streamed to its end, whose results carry the SDK type it claimed (`Metadata`).
STREAMED: Final = frozenset({SessionStatus.SUCCEEDED, SessionStatus.FAILED})


class UnknownSessionError(KeyError):
    """No session with this id was ever created."""


class InvalidTransitionError(ValueError):
    """The session cannot move to the requested state: it is already finished or past its lifetime."""


@dataclass(frozen=True)
class LivenessImage:
    """A reference or audit image: an S3 object when the session has an OutputConfig, inline bytes otherwise."""

    bounding_box: BoundingBox
    bucket: str | None = None
    key: str | None = None
    version_id: str | None = None
    data: bytes | None = None

    def to_wire(self) -> dict[str, Any]:
        box = self.bounding_box
        image: dict[str, Any] = {
            "BoundingBox": {"Width": box.width, "Height": box.height, "Left": box.left, "Top": box.top}
        }
        if self.bucket is None:
            image["Bytes"] = self.data
        else:
            image["S3Object"] = {"Bucket": self.bucket, "Name": self.key}
            if self.version_id is not None:
                image["S3Object"]["Version"] = self.version_id
        return image


@dataclass(frozen=True)
class VideoFrames:
    """JPEGs of the video a client streamed: the reference frame and the audit frames, which may be fewer than the
    session's AuditImagesLimit (AWS: the limit is "best effort and based on the duration of the selfie-video")."""

    reference: bytes
    audit: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class EmulatedSession:
    """What the emulator knows about one session. Sessions are replaced, never changed, so a snapshot handed
    out stays as it was."""

    session_id: str
    status: SessionStatus
    created_at: datetime
    expires_at: datetime
    client_request_token: str | None
    kms_key_id: str | None
    settings: Mapping[str, Any]
    confidence: float | None = None
    challenge: Challenge | None = None
    reference_image: LivenessImage | None = None
    audit_images: tuple[LivenessImage, ...] = ()
    # What the session's results report once SUCCEEDED (scripted; none unless it is) and the SDK type its client
    # claims once it streams.
    feedback: tuple[Feedback, ...] = ()
    sdk_type: str | None = None

    def results(self) -> dict[str, Any]:
        """GetFaceLivenessSessionResults' answer for the session: its status, once SUCCEEDED what it found, and once
        streamed the client's metadata. Feedback "is returned only for sessions with a Status of SUCCEEDED, and the
        list is empty when no such conditions were detected" (botocore's service model)."""
        results: dict[str, Any] = {"SessionId": self.session_id, "Status": self.status.value}
        if self.status in STREAMED and self.sdk_type is not None:
            results["Metadata"] = {"SDKType": self.sdk_type}
        if self.status is SessionStatus.SUCCEEDED:
            assert self.reference_image is not None
            assert self.challenge is not None
            results |= {
                "Confidence": self.confidence,
                "ReferenceImage": self.reference_image.to_wire(),
                "AuditImages": [image.to_wire() for image in self.audit_images],
                "Challenge": {"Type": self.challenge.type.value, "Version": self.challenge.version},
                "Feedback": [{"Code": item.code, "Message": item.message} for item in self.feedback],
            }
        return results


@dataclass(frozen=True)
class RecordedCall:
    """One attempt that reached the emulator; `outcome` is SUCCESS or the error code it answered with (an injected
    fault's included: the service received that attempt)."""

    operation: str
    params: Mapping[str, Any]
    outcome: str


def choose_challenge(settings: Mapping[str, Any], override: ChallengeType | None) -> Challenge:
    """The first challenge the session asked for (the service's default when none), unless overridden."""
    preferences = settings.get("ChallengePreferences") or [{"Type": DEFAULT_CHALLENGE}]
    challenge_type = ChallengeType(override or preferences[0]["Type"])
    # model_construct: the emulator answers with whatever its table says, so that the output check against the
    # service model is what catches a bad version, as it would catch the service's own.
    return Challenge.model_construct(type=challenge_type, version=CHALLENGE_VERSIONS[challenge_type])


def bounding_box(index: int) -> BoundingBox:
    # A face in the middle of a portrait frame, drifting a little from one image to the next.
    return BoundingBox(width=0.42, height=0.56, left=round(0.29 + 0.01 * index, 2), top=0.18)
