"""What a failed DynamoDB or S3 call means, for the adapters of both: one classification, one log line, one metric.

botocore has already retried what it retries (throttling, 5xx, timeouts) when an error reaches this code, so a
transient fault here has outlasted those retries and the client is asked to come back later (503 + Retry-After).
Access denied, a missing table or bucket, or a KMS key that cannot be used (errors that DynamoDB and S3 pass on
from KMS) mean a misconfigured deployment: a 500, logged once with the kind of resource to check.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from liveness_api.errors import DependencyFailed, DependencyMisconfigured, DependencyUnavailable
from liveness_api.metrics_catalogue import DEPENDENCY_ERROR, ErrorType
from liveness_api.observability import logger, record_metric
from liveness_api.vocabulary import Dependency

_THROTTLING: Final = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
        "TooManyRequestsException",
        "KMS.ThrottlingException",
    }
)
_UNAVAILABLE: Final = frozenset(
    {"InternalServerError", "InternalError", "ServiceUnavailable", "ServiceUnavailableException", "503"}
)
_ACCESS_DENIED: Final = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnrecognizedClientException", "AllAccessDisabled", "InvalidAccessKeyId"}
)
_MISSING: Final = frozenset({"ResourceNotFoundException", "NoSuchBucket"})
# How long a client should wait, by cause: throttling clears within a second or two.
RETRY_AFTER_SECONDS: Final = {ErrorType.THROTTLED: 1, ErrorType.SERVICE_UNAVAILABLE: 5, ErrorType.TIMEOUT: 5}
# What an operator should check, by cause and service: the resource kind, never a value from the request.
_HINTS: Final = {
    ErrorType.ACCESS_DENIED: "is the function's role allowed this action on the {resource}?",
    ErrorType.RESOURCE_NOT_FOUND: "does the {resource} exist in this account and region?",
    ErrorType.KMS_KEY_UNUSABLE: "is the KMS key that encrypts the {resource} enabled, and may the role use it?",
    ErrorType.UNEXPECTED: "an error code this version does not know came back from the {resource}",
}
_RESOURCE: Final = {Dependency.DYNAMODB: "DynamoDB session table", Dependency.S3: "S3 image bucket"}


def error_type_of_code(code: str, message: str = "", http_status: int = 0) -> str:
    """The ErrorType of an AWS error code (and its message and HTTP status, which tell KMS and 5xx apart)."""
    if code in _THROTTLING:
        return ErrorType.THROTTLED
    if code.startswith("KMS") or "kms" in message.lower():
        return ErrorType.KMS_KEY_UNUSABLE
    if code in _UNAVAILABLE:
        return ErrorType.SERVICE_UNAVAILABLE
    if code in _ACCESS_DENIED:
        return ErrorType.ACCESS_DENIED
    if code in _MISSING:
        return ErrorType.RESOURCE_NOT_FOUND
    return ErrorType.SERVICE_UNAVAILABLE if http_status >= 500 else ErrorType.UNEXPECTED


def _error_type_of(error: Exception) -> tuple[str, str]:
    """The ErrorType and the error code of a botocore failure."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return error_type_of_code(code, str(details.get("Message", "")), status), code
    # Connection failures and read or connect timeouts that outlasted botocore's retries.
    return ErrorType.TIMEOUT, type(error).__name__


@contextmanager
def guarded(dependency: Dependency, operation: str) -> Iterator[None]:
    """Turn a failed call to `dependency` into the domain's answer, counted and logged once."""
    try:
        yield
    except (ClientError, ConnectionError, HTTPClientError) as error:
        raise failure(dependency, operation, error) from error


def failure(dependency: Dependency, operation: str, error: Exception) -> DependencyFailed:
    return failure_of(dependency, operation, *_error_type_of(error))


def failure_of(dependency: Dependency, operation: str, error_type: str, code: str) -> DependencyFailed:
    """Count and log one failed call, and the domain error that answers it."""
    record_metric(DEPENDENCY_ERROR, 1, dependency, error_type)
    where = {"dependency": dependency, "operation": operation, "error_type": error_type, "error_code": code}
    retry_after = RETRY_AFTER_SECONDS.get(error_type)
    if retry_after is not None:
        logger.warning(f"{dependency} call failed after retries", extra=where)
        return DependencyUnavailable(dependency, error_type, retry_after_seconds=retry_after)
    hint = _HINTS[error_type].format(resource=_RESOURCE[dependency])
    logger.error(f"{dependency} call failed: {hint}", extra=where)
    return DependencyMisconfigured(dependency, error_type)
