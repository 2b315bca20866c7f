"""One classifier answers every failed AWS call: the status, problem type, Retry-After and metric cause each
documented error code of each service gets. tests/integration/test_dependency_faults.py drives the same answers
through the handler, botocore's retries included."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from liveness_api.adapters.faults import guarded
from liveness_api.errors import DomainError, LivenessSessionGone
from liveness_api.vocabulary import Dependency

REKOGNITION, DYNAMODB, S3 = Dependency.REKOGNITION, Dependency.DYNAMODB, Dependency.S3
TIMED_OUT = ReadTimeoutError(endpoint_url="https://aws.example")
UNREACHABLE = EndpointConnectionError(endpoint_url="https://aws.example")


def client_error(code: str, status: int = 400, message: str = "") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Operation"
    )


def answer_to(dependency: Dependency, error: Exception) -> Exception:
    # Every answer is a domain error but one: a session Rekognition forgot, which the domain turns into EXPIRED.
    with pytest.raises((DomainError, LivenessSessionGone)) as raised, guarded(dependency, "Operation"):
        raise error
    assert raised.value.__cause__ is error
    return raised.value


# (dependency, the failure) -> (HTTP status, problem slug, Retry-After, the metric's ErrorType)
ANSWERS: list[tuple[Dependency, Exception, tuple[int, str, int | None, str]]] = [
    (REKOGNITION, client_error("ThrottlingException"), (429, "throttled", 1, "Throttled")),
    (REKOGNITION, client_error("ProvisionedThroughputExceededException"), (429, "throttled", 1, "Throttled")),
    (REKOGNITION, client_error("LimitExceededException"), (429, "throttled", 1, "Throttled")),
    (REKOGNITION, client_error("InternalServerError", 500), (503, "service-unavailable", 5, "ServiceUnavailable")),
    (
        REKOGNITION,
        client_error("ServiceUnavailableException", 503),
        (503, "service-unavailable", 5, "ServiceUnavailable"),
    ),
    # A common error of every AWS API, and what any unknown 5xx that outlasted botocore's retries means.
    (REKOGNITION, client_error("ServiceUnavailable", 503), (503, "service-unavailable", 5, "ServiceUnavailable")),
    (REKOGNITION, client_error("InternalFailure", 500), (503, "service-unavailable", 5, "ServiceUnavailable")),
    (REKOGNITION, TIMED_OUT, (503, "service-unavailable", 5, "ServiceUnavailable")),
    (REKOGNITION, UNREACHABLE, (503, "service-unavailable", 5, "ServiceUnavailable")),
    (REKOGNITION, client_error("AccessDeniedException"), (500, "internal-error", None, "AccessDenied")),
    (
        REKOGNITION,
        client_error("AccessDeniedException", message="Cannot use the KMS key"),
        (500, "internal-error", None, "AccessDenied"),
    ),
    (
        REKOGNITION,
        client_error("InvalidParameterException", message="KmsKeyId: does not match the pattern"),
        (500, "internal-error", None, "InvalidParameter"),
    ),
    # DynamoDB's and S3's codes mean nothing from Rekognition, nor does KMS in its message.
    (REKOGNITION, client_error("ResourceNotFoundException"), (500, "internal-error", None, "Unexpected")),
    (
        REKOGNITION,
        client_error("InternalServerError", 500, "KMS is unavailable"),
        (503, "service-unavailable", 5, "ServiceUnavailable"),
    ),
    (REKOGNITION, client_error("SomethingNewException"), (500, "internal-error", None, "Unexpected")),
    (
        DYNAMODB,
        client_error("ProvisionedThroughputExceededException"),
        (503, "temporarily-unavailable", 1, "Throttled"),
    ),
    (DYNAMODB, client_error("ThrottlingException"), (503, "temporarily-unavailable", 1, "Throttled")),
    (DYNAMODB, client_error("RequestLimitExceeded"), (503, "temporarily-unavailable", 1, "Throttled")),
    (
        DYNAMODB,
        client_error("InternalServerError", 500),
        (503, "temporarily-unavailable", 5, "ServiceUnavailable"),
    ),
    (
        DYNAMODB,
        client_error("SomethingNewException", 500),
        (503, "temporarily-unavailable", 5, "ServiceUnavailable"),
    ),
    (DYNAMODB, TIMED_OUT, (503, "temporarily-unavailable", 5, "Timeout")),
    (DYNAMODB, client_error("AccessDeniedException"), (500, "internal-error", None, "AccessDenied")),
    (DYNAMODB, client_error("UnrecognizedClientException"), (500, "internal-error", None, "AccessDenied")),
    (DYNAMODB, client_error("ResourceNotFoundException"), (500, "internal-error", None, "ResourceNotFound")),
    (DYNAMODB, client_error("KMSAccessDeniedException"), (500, "internal-error", None, "KmsKeyUnusable")),
    (DYNAMODB, client_error("SomethingNewException"), (500, "internal-error", None, "Unexpected")),
    # Rekognition's own codes mean nothing from DynamoDB.
    (DYNAMODB, client_error("SessionNotFoundException"), (500, "internal-error", None, "Unexpected")),
    (
        DYNAMODB,
        client_error("InternalServerError", 500, "KMS is unavailable"),
        (500, "internal-error", None, "KmsKeyUnusable"),
    ),
    (S3, client_error("SlowDown", 503), (503, "temporarily-unavailable", 1, "Throttled")),
    (S3, client_error("InternalError", 500), (503, "temporarily-unavailable", 5, "ServiceUnavailable")),
    (S3, client_error("AccessDenied", 403), (500, "internal-error", None, "AccessDenied")),
    (
        S3,
        client_error("AccessDenied", 403, "User is not authorized to perform kms:Decrypt"),
        (500, "internal-error", None, "KmsKeyUnusable"),
    ),
    (S3, client_error("KMS.DisabledException"), (500, "internal-error", None, "KmsKeyUnusable")),
    (S3, client_error("NoSuchBucket", 404), (500, "internal-error", None, "ResourceNotFound")),
]


def _id(case: tuple[Dependency, Exception, Any]) -> str:
    dependency, error, _ = case
    code = error.response["Error"]["Code"] if isinstance(error, ClientError) else type(error).__name__
    return f"{dependency}-{code}"


@pytest.mark.parametrize(("dependency", "error", "expected"), ANSWERS, ids=[_id(case) for case in ANSWERS])
def test_each_failure_gets_its_status_problem_retry_after_and_cause(
    dependency: Dependency, error: Exception, expected: tuple[int, str, int | None, str]
) -> None:
    answer = answer_to(dependency, error)

    assert isinstance(answer, DomainError)
    error_type = getattr(answer, "error_type", None)
    assert (answer.status, answer.slug, answer.retry_after_seconds, error_type) == expected


def test_a_session_rekognition_forgot_is_no_fault_but_an_expiry() -> None:
    answer = answer_to(REKOGNITION, client_error("SessionNotFoundException"))

    assert isinstance(answer, LivenessSessionGone)
    assert not isinstance(answer, DomainError)  # never reaches a client


def test_errors_that_are_not_aws_call_failures_pass_through() -> None:
    with pytest.raises(KeyError), guarded(DYNAMODB, "Operation"):
        raise KeyError("a bug, not a fault")
