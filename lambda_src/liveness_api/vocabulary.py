"""The domain's closed sets, each defined once: the handler, the stack, the emulator and the tests import them.
Those only the local twin names (fault codes, challenge versions) are in `liveness_local.vocabulary`.

Plain enums with no imports beyond the standard library, so `infra/` and `liveness_local/` can use them without
loading the runtime's dependencies. A value Rekognition adds later is not a member: the code that parses
Rekognition's answers decides what it means (see `adapters/rekognition.py`), instead of a lookup failing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Verdict(StrEnum):
    """The server's decision on a session, as the API reports it and the metrics count it."""

    LIVE = "LIVE"
    NOT_LIVE = "NOT_LIVE"
    PENDING = "PENDING"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"


# Verdicts that are final: recorded once in the ledger and counted once in the metrics.
TERMINAL_VERDICTS: Final = (Verdict.LIVE, Verdict.NOT_LIVE, Verdict.EXPIRED, Verdict.FAILED)


class SessionStatus(StrEnum):
    """Rekognition's `LivenessSessionStatus`."""

    CREATED = "CREATED"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


class FeedbackCode(StrEnum):
    """Rekognition's `FeedbackCode`: a condition it detected in the video that lowered its confidence, which the
    person can change before retrying. The service may add codes: the API answers those too, as plain strings."""

    FACE_NOT_VISIBLE = "FACE_NOT_VISIBLE"
    FACE_OBSTRUCTION_DETECTED = "FACE_OBSTRUCTION_DETECTED"
    LOW_VIDEO_QUALITY_DETECTED = "LOW_VIDEO_QUALITY_DETECTED"
    FACE_NOT_ALIGNED = "FACE_NOT_ALIGNED"
    EYES_CLOSED_DETECTED = "EYES_CLOSED_DETECTED"
    LOW_LIGHTING_DETECTED = "LOW_LIGHTING_DETECTED"
    HIGH_LIGHTING_DETECTED = "HIGH_LIGHTING_DETECTED"


def known_feedback_code(code: str) -> FeedbackCode | None:
    """The FeedbackCode `code` names, or None for a code the service added after this version."""
    try:
        return FeedbackCode(code)
    except ValueError:
        return None


class ChallengeType(StrEnum):
    """Rekognition's `ChallengeType`. FaceMovementAndLightChallenge is the service's default."""

    FACE_MOVEMENT_AND_LIGHT = "FaceMovementAndLightChallenge"
    FACE_MOVEMENT = "FaceMovementChallenge"


class RekognitionErrorCode(StrEnum):
    """The error codes Face Liveness's operations document, as botocore reports them in `Error.Code`."""

    THROTTLING = "ThrottlingException"
    PROVISIONED_THROUGHPUT_EXCEEDED = "ProvisionedThroughputExceededException"
    LIMIT_EXCEEDED = "LimitExceededException"
    INTERNAL_SERVER_ERROR = "InternalServerError"
    SERVICE_UNAVAILABLE = "ServiceUnavailableException"
    ACCESS_DENIED = "AccessDeniedException"
    INVALID_PARAMETER = "InvalidParameterException"
    SESSION_NOT_FOUND = "SessionNotFoundException"


class LivenessOperation(StrEnum):
    """The Rekognition operations the backend calls, by their API names."""

    CREATE_SESSION = "CreateFaceLivenessSession"
    GET_RESULTS = "GetFaceLivenessSessionResults"


class MatchTarget(StrEnum):
    """What a session's live face is matched against, when its create asks for a match."""

    DOCUMENT = "DOCUMENT"  # an ID photo uploaded for the session (1:1 CompareFaces)
    ENROLLED_PERSON = "ENROLLED_PERSON"  # the person the caller enrolled earlier (SearchUsersByImage)


class MatchOutcome(StrEnum):
    """The server's decision on a session's face match, recorded with its liveness verdict."""

    MATCH = "MATCH"
    NO_MATCH = "NO_MATCH"
    # The ID photo shows no face Rekognition can compare, or is not a readable JPEG or PNG (for ENROLLED_PERSON: the
    # session's reference image shows none, or there is no reference image)
    NO_FACE = "NO_FACE"
    NOT_UPLOADED = "NOT_UPLOADED"  # no ID photo was uploaded for the session
    NOT_ENROLLED = "NOT_ENROLLED"  # the caller has no enrolled person to match against
    NOT_ATTEMPTED = "NOT_ATTEMPTED"  # liveness was not LIVE, so no match was tried


class FaceOperation(StrEnum):
    """The Rekognition face-matching operations the backend calls, by their API names."""

    COMPARE_FACES = "CompareFaces"
    CREATE_USER = "CreateUser"
    INDEX_FACES = "IndexFaces"
    ASSOCIATE_FACES = "AssociateFaces"
    SEARCH_USERS_BY_IMAGE = "SearchUsersByImage"
    DELETE_FACES = "DeleteFaces"
    DELETE_USER = "DeleteUser"
    LIST_USERS = "ListUsers"


# The face operations the function calls (ListUsers is for operators and the emulator: the ledger knows each person).
CALLED_FACE_OPERATIONS: Final = tuple(
    operation for operation in FaceOperation if operation is not FaceOperation.LIST_USERS
)


class Dependency(StrEnum):
    """The AWS services the handler calls, as the DependencyError metric and the logs name them."""

    REKOGNITION = "Rekognition"
    DYNAMODB = "DynamoDB"
    S3 = "S3"
    # The streaming credentials' AssumeRole, where the stack hands them out.
    STS = "STS"
    # Rekognition's face-matching operations (FaceOperation): their faults are counted and answered apart from
    # Face Liveness's.
    FACE_MATCHING = "RekognitionFaces"


class CallerLimit(StrEnum):
    """The per-caller request limits, kept in the ledger's caller item: POST /sessions, and every other route."""

    CREATES = "CreatesPerMinute"
    READS = "ReadsPerMinute"
