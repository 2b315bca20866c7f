"""A request Rekognition refuses: the error code and message the emulators answer it with (always a 400).

The Face Liveness codes are the backend's own (`liveness_api.vocabulary.RekognitionErrorCode`); the face-matching
operations refuse with more, named in `FaceErrorCode` from botocore's service model (each operation's `errors`).
"""

from __future__ import annotations

from enum import StrEnum

from liveness_local.wire import ServiceError


class FaceErrorCode(StrEnum):
    """The errors the face-matching operations answer that follow from the request or the collection's state."""

    INVALID_PARAMETER = "InvalidParameterException"
    RESOURCE_NOT_FOUND = "ResourceNotFoundException"
    RESOURCE_ALREADY_EXISTS = "ResourceAlreadyExistsException"
    CONFLICT = "ConflictException"
    IDEMPOTENT_PARAMETER_MISMATCH = "IdempotentParameterMismatchException"
    INVALID_S3_OBJECT = "InvalidS3ObjectException"
    INVALID_IMAGE_FORMAT = "InvalidImageFormatException"
    IMAGE_TOO_LARGE = "ImageTooLargeException"
    SERVICE_QUOTA_EXCEEDED = "ServiceQuotaExceededException"
    INVALID_PAGINATION_TOKEN = "InvalidPaginationTokenException"  # noqa: S105 - an error code


class Refused(Exception):
    """The service's answer to a request it refuses."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.error = ServiceError(400, code, message)
