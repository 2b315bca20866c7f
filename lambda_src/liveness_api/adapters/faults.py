"""What a failed AWS call means, for every adapter: one classification of the error, one Retry-After table, one
metric and one log line, and the domain error that answers it.

botocore has already retried what it retries (throttling, 5xx, timeouts) when an error reaches this code, so a
transient fault here has outlasted those retries and the client is asked to come back later (Retry-After).
Access denied, a missing table or bucket, or a KMS key that cannot be used (errors that DynamoDB and S3 pass on
from KMS) mean a misconfigured deployment: a 500, logged once with what to check. Rekognition's failures keep
their own answers (429 when throttled) and metric; DynamoDB's, S3's and STS's share theirs.

An error code means the same whichever service sends it, as far as that service's metric counts its cause. Secrets
Manager is not classified here: it is read once, at init, where a failure fails the init and Lambda retries it, so
no request waits for an answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import wraps
from types import MappingProxyType
from typing import Final, ParamSpec, TypeVar

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from liveness_api.errors import (
    DependencyMisconfigured,
    DependencyUnavailable,
    FaceMatchFailed,
    FaceMatchUnavailable,
    LivenessAccessDenied,
    LivenessCallFailed,
    LivenessRejectedRequest,
    LivenessSessionGone,
    LivenessThrottled,
    LivenessUnavailable,
    UnexpectedServiceError,
)
from liveness_api.metrics_catalogue import (
    DEPENDENCY_ERROR,
    FACE_MATCH_ERROR,
    REKOGNITION_ERROR,
    STREAMING_CREDENTIALS_FAILED,
    Dimension,
    ErrorType,
)
from liveness_api.observability import logger, record_metric
from liveness_api.vocabulary import Dependency, RekognitionErrorCode

# The cause of each error code the services document (Rekognition's, DynamoDB's, S3's and KMS's as they pass it on).
_CAUSE_BY_CODE: Final[Mapping[str, str]] = MappingProxyType(
    {
        **dict.fromkeys(
            (
                RekognitionErrorCode.THROTTLING,
                RekognitionErrorCode.PROVISIONED_THROUGHPUT_EXCEEDED,
                RekognitionErrorCode.LIMIT_EXCEEDED,
                "Throttling",
                "RequestLimitExceeded",
                "SlowDown",
                "TooManyRequestsException",
                "KMS.ThrottlingException",
            ),
            ErrorType.THROTTLED,
        ),
        **dict.fromkeys(
            (
                RekognitionErrorCode.INTERNAL_SERVER_ERROR,
                RekognitionErrorCode.SERVICE_UNAVAILABLE,
                "InternalError",
                "ServiceUnavailable",
                "503",
            ),
            ErrorType.SERVICE_UNAVAILABLE,
        ),
        **dict.fromkeys(
            (
                RekognitionErrorCode.ACCESS_DENIED,
                "AccessDenied",
                "UnrecognizedClientException",
                "AllAccessDisabled",
                "InvalidAccessKeyId",
            ),
            ErrorType.ACCESS_DENIED,
        ),
        **dict.fromkeys(("ResourceNotFoundException", "NoSuchBucket"), ErrorType.RESOURCE_NOT_FOUND),
        RekognitionErrorCode.INVALID_PARAMETER: ErrorType.INVALID_PARAMETER,
        RekognitionErrorCode.SESSION_NOT_FOUND: ErrorType.SESSION_NOT_FOUND,
    }
)
# The causes each dependency's error metric counts (liveness_api.metrics_catalogue): a cause from another service's
# vocabulary means nothing coming from this one.
_CAUSES: Final[Mapping[Dependency, frozenset[str]]] = MappingProxyType(
    {
        Dependency.REKOGNITION: frozenset(dict(REKOGNITION_ERROR.dimensions)[Dimension.ERROR_TYPE]),
        Dependency.FACE_MATCHING: frozenset(dict(FACE_MATCH_ERROR.dimensions)[Dimension.ERROR_TYPE]),
        **dict.fromkeys(
            (Dependency.DYNAMODB, Dependency.S3, Dependency.STS),
            # STS's are counted by StreamingCredentialsFailed, and its log line names the cause.
            frozenset(dict(DEPENDENCY_ERROR.dimensions)[Dimension.ERROR_TYPE]),
        ),
    }
)

# How long a client should wait before retrying, by cause: throttling clears within a second or two. A cause
# without an entry is not worth retrying.
RETRY_AFTER_SECONDS: Final[Mapping[str, int]] = MappingProxyType(
    {ErrorType.THROTTLED: 1, ErrorType.SERVICE_UNAVAILABLE: 5, ErrorType.TIMEOUT: 5}
)

# Rekognition's answer by cause; any other cause is an UnexpectedServiceError. Its metric counts a timeout (a
# connection failure or a read timeout) as unavailable.
_LIVENESS_FAILURES: Final[Mapping[str, type[LivenessCallFailed]]] = MappingProxyType(
    {
        ErrorType.THROTTLED: LivenessThrottled,
        ErrorType.SERVICE_UNAVAILABLE: LivenessUnavailable,
        ErrorType.TIMEOUT: LivenessUnavailable,
        ErrorType.ACCESS_DENIED: LivenessAccessDenied,
        ErrorType.INVALID_PARAMETER: LivenessRejectedRequest,
    }
)
# What an operator should check, by cause and service: the resource kind, never a value from the request.
_HINTS: Final = {
    ErrorType.ACCESS_DENIED: "is the function's role allowed this action on the {resource}?",
    ErrorType.RESOURCE_NOT_FOUND: "does the {resource} exist in this account and region?",
    ErrorType.KMS_KEY_UNUSABLE: "is the KMS key that encrypts the {resource} enabled, and may the role use it?",
    ErrorType.UNEXPECTED: "an error code this version does not know came back from the {resource}",
}
_RESOURCE: Final = {
    Dependency.DYNAMODB: "DynamoDB session table",
    Dependency.S3: "S3 image bucket",
    Dependency.STS: "streaming-credentials role (whose trust policy must name the function's role)",
    Dependency.FACE_MATCHING: "Rekognition face collection (and, for images, the S3 image bucket and its KMS key)",
}


def error_type_of_code(dependency: Dependency, code: str, message: str = "", http_status: int = 0) -> str:
    """The cause (an ErrorType) of an AWS error code from `dependency`, with its message and HTTP status."""
    causes = _CAUSES[dependency]
    cause = _CAUSE_BY_CODE.get(code)
    if cause not in causes:
        cause = None
    # DynamoDB and S3 pass KMS's failures on under their own codes (S3's AccessDenied names kms:Decrypt, say): where
    # the key's cause is counted, a failure that mentions KMS is the key's, unless it is throttling.
    kms = code.startswith("KMS") or "kms" in message.lower()
    if kms and cause != ErrorType.THROTTLED and ErrorType.KMS_KEY_UNUSABLE in causes:
        return ErrorType.KMS_KEY_UNUSABLE
    if cause is not None:
        return cause
    # botocore retries 5xx answers as transient: one that outlasted the retries is the service's, not ours.
    return ErrorType.SERVICE_UNAVAILABLE if http_status >= 500 else ErrorType.UNEXPECTED


def _error_type_of(dependency: Dependency, error: Exception) -> tuple[str, str]:
    """The cause and the error code of a botocore failure."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return error_type_of_code(dependency, code, str(details.get("Message", "")), status), code
    # Connection failures and read or connect timeouts that outlasted botocore's retries.
    return ErrorType.TIMEOUT, type(error).__name__


@contextmanager
def guarded(dependency: Dependency, operation: str) -> Iterator[None]:
    """Turn a failed call to `dependency` into the domain's answer, counted and logged once."""
    try:
        yield
    except (ClientError, ConnectionError, HTTPClientError) as error:
        raise failure(dependency, operation, error) from error


def failure(dependency: Dependency, operation: str, error: Exception) -> Exception:
    return failure_of(dependency, operation, *_error_type_of(dependency, error))


def failure_of(dependency: Dependency, operation: str, error_type: str, code: str) -> Exception:
    """Count and log one failed call, and the domain error that answers it."""
    if dependency is Dependency.REKOGNITION:
        return _liveness_failure(operation, error_type, code)
    if dependency is Dependency.FACE_MATCHING:
        return _face_failure(operation, error_type, code)
    if dependency is Dependency.STS:
        record_metric(STREAMING_CREDENTIALS_FAILED)
    else:
        record_metric(DEPENDENCY_ERROR, 1, dependency, error_type)
    where = {"dependency": dependency, "operation": operation, "error_type": error_type, "error_code": code}
    retry_after = RETRY_AFTER_SECONDS.get(error_type)
    if retry_after is not None:
        logger.warning(f"{dependency} call failed after retries", extra=where)
        return DependencyUnavailable(dependency, error_type, retry_after_seconds=retry_after)
    hint = _HINTS[error_type].format(resource=_RESOURCE[dependency])
    logger.error(f"{dependency} call failed: {hint}", extra=where)
    return DependencyMisconfigured(dependency, error_type)


def _liveness_failure(operation: str, error_type: str, code: str) -> Exception:
    if error_type == ErrorType.SESSION_NOT_FOUND:
        # Not a fault: the service forgets sessions, and the domain answers EXPIRED.
        record_metric(REKOGNITION_ERROR, 1, ErrorType.SESSION_NOT_FOUND)
        return LivenessSessionGone()
    answer = _LIVENESS_FAILURES.get(error_type, UnexpectedServiceError)
    record_metric(REKOGNITION_ERROR, 1, answer.error_type)
    if answer is LivenessAccessDenied:
        logger.error(LivenessAccessDenied.log_hint, extra={"operation": operation, "error_code": code})
    elif error_type == ErrorType.TIMEOUT:
        logger.warning("Rekognition unreachable", extra={"operation": operation, "error": code})
    else:
        logger.warning("Rekognition call failed", extra={"operation": operation, "error_code": code})
    return answer(retry_after_seconds=RETRY_AFTER_SECONDS.get(error_type))


def _face_failure(operation: str, error_type: str, code: str) -> Exception:
    """A face-matching call's failure: transient ones are 503s with Retry-After (the client is not to blame, so no
    429), the rest 500s logged once with what to check. A timeout is counted as the service being unavailable."""
    counted = ErrorType.SERVICE_UNAVAILABLE if error_type == ErrorType.TIMEOUT else error_type
    record_metric(FACE_MATCH_ERROR, 1, counted)
    where = {"operation": operation, "error_type": counted, "error_code": code}
    retry_after = RETRY_AFTER_SECONDS.get(error_type)
    if retry_after is not None:
        logger.warning("Rekognition face-matching call failed after retries", extra=where)
        return FaceMatchUnavailable(retry_after_seconds=retry_after)
    hint = _HINTS.get(error_type, _HINTS[ErrorType.UNEXPECTED]).format(resource=_RESOURCE[Dependency.FACE_MATCHING])
    logger.error(f"Rekognition face-matching call failed: {hint}", extra=where)
    return FaceMatchFailed()


P = ParamSpec("P")
R = TypeVar("R")


def is_condition_failure(error: ClientError) -> bool:
    """A DynamoDB condition that did not hold: an expected answer the caller handles, never a fault."""
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def dynamodb_calls(method: Callable[P, R]) -> Callable[P, R]:
    """Answer every fault of the DynamoDB calls `method` makes (conditions it expects are handled inside)."""

    @wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        with guarded(Dependency.DYNAMODB, method.__name__):
            return method(*args, **kwargs)

    return call
