"""Rekognition's faults, injected in front of the emulator by the one injector: botocore retries them as it retries
the service's, the emulator records each attempt as the service would have received it, and nothing it would have
done happens."""

from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from liveness_api.vocabulary import LivenessOperation
from liveness_local.emulated_session import SUCCESS
from liveness_local.emulator import FaceLivenessEmulator
from liveness_local.faults import DependencyFaults, Fault
from liveness_local.vocabulary import STREAMING_OPERATION, FaultCode
from tests.integration.emulator.conftest import create, error_of, results

RETRYABLE = [FaultCode.THROTTLING, FaultCode.PROVISIONED_THROUGHPUT_EXCEEDED, FaultCode.INTERNAL_SERVER_ERROR]


@pytest.mark.parametrize("code", RETRYABLE)
def test_retryable_faults_are_retried_and_each_attempt_consumes_one(
    rekognition: Any, liveness: FaceLivenessEmulator, faults: DependencyFaults, backoffs: list[float], code: str
) -> None:
    faults.inject("rekognition", None, code, times=2)

    response = rekognition.create_face_liveness_session()

    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert [call.outcome for call in liveness.calls] == [code, code, SUCCESS]
    assert len(backoffs) == 2


@pytest.mark.parametrize("code", list(FaultCode))
def test_each_error_code_reaches_the_caller_as_the_service_sends_it(
    rekognition: Any, liveness: FaceLivenessEmulator, faults: DependencyFaults, code: FaultCode
) -> None:
    attempts = 1 if code is FaultCode.ACCESS_DENIED else 3  # botocore retries all but access denied
    faults.inject("rekognition", None, code, times=attempts)

    with pytest.raises(ClientError) as excinfo:
        create(rekognition)

    assert error_of(excinfo) == (code, 500 if code is FaultCode.INTERNAL_SERVER_ERROR else 400)
    assert excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == code
    assert excinfo.value.response["Error"]["Message"]
    assert [call.outcome for call in liveness.calls] == [code] * attempts
    assert liveness.session(create(rekognition)) is not None  # the faults are used up


def test_a_failed_create_makes_no_session(
    rekognition: Any, liveness: FaceLivenessEmulator, faults: DependencyFaults
) -> None:
    faults.inject("rekognition", LivenessOperation.CREATE_SESSION, FaultCode.ACCESS_DENIED)

    with pytest.raises(ClientError):
        create(rekognition, ClientRequestToken="refused")

    # The token was never used: asking again creates the session.
    session_id = create(rekognition, ClientRequestToken="refused")
    assert [call.outcome for call in liveness.calls] == [FaultCode.ACCESS_DENIED, SUCCESS]
    assert liveness.session(session_id) is not None


def test_access_denied_is_not_retried(
    rekognition: Any, liveness: FaceLivenessEmulator, faults: DependencyFaults
) -> None:
    faults.inject("rekognition", None, FaultCode.ACCESS_DENIED, times=2)

    with pytest.raises(ClientError) as excinfo:
        create(rekognition)

    assert error_of(excinfo) == ("AccessDeniedException", 400)
    assert len(liveness.calls) == 1
    assert faults.pending == 1
    with pytest.raises(ClientError):
        create(rekognition)  # the second fault is still pending


def test_a_fault_can_target_one_operation(
    rekognition: Any, liveness: FaceLivenessEmulator, faults: DependencyFaults
) -> None:
    faults.inject("rekognition", LivenessOperation.GET_RESULTS, FaultCode.ACCESS_DENIED)
    session_id = create(rekognition)

    with pytest.raises(ClientError) as excinfo:
        results(rekognition, session_id)

    assert error_of(excinfo) == ("AccessDeniedException", 400)
    assert results(rekognition, session_id)["Status"] == "CREATED"


def test_a_timeout_never_reaches_the_service(
    rekognition: Any, liveness: FaceLivenessEmulator, faults: DependencyFaults
) -> None:
    faults.inject("rekognition", LivenessOperation.CREATE_SESSION, Fault.TIMEOUT, times=3)

    with pytest.raises(ReadTimeoutError):
        create(rekognition)

    assert liveness.calls == []
    assert faults.pending == 0


def test_the_streaming_endpoint_takes_its_faults_from_the_same_injector(
    rekognition: Any, liveness: FaceLivenessEmulator, faults: DependencyFaults
) -> None:
    faults.inject("rekognition", None, FaultCode.THROTTLING)

    taken = faults.take("rekognition", STREAMING_OPERATION)

    assert taken is not None
    assert (taken.code, taken.message) == ("ThrottlingException", "Rate exceeded")
    assert faults.take("rekognition", STREAMING_OPERATION) is None
    assert create(rekognition)  # the fault was used up by the stream
    assert faults.injected == [("rekognition", STREAMING_OPERATION, FaultCode.THROTTLING)]


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"fault": "SessionNotFoundException"}, "fault must be one of"),
        ({"fault": FaultCode.THROTTLING, "times": 0}, "times must be at least 1"),
        ({"fault": FaultCode.THROTTLING, "operation": "NoSuchOperation"}, "operation must be one of"),
        ({"fault": Fault.MISSING}, "rekognition has no missing fault"),
        ({"fault": Fault.TIMEOUT}, "a timeout is botocore's"),
        ({"fault": Fault.TIMEOUT, "operation": STREAMING_OPERATION}, "a timeout is botocore's"),
        ({"service": "dynamodb", "fault": FaultCode.THROTTLING}, "error codes are injected into rekognition"),
        ({"service": "s3", "operation": "NoSuchOperation", "fault": Fault.THROTTLED}, "operation must be one of"),
    ],
)
def test_inject_refuses_what_it_cannot_inject(faults: DependencyFaults, arguments: dict[str, Any], match: str) -> None:
    call = {"service": "rekognition", "operation": None, **arguments}

    with pytest.raises(ValueError, match=match):
        faults.inject(**call)
    assert faults.pending == 0


def test_a_fault_injected_before_its_client_exists_answers_that_client(
    faults: DependencyFaults, s3: Any, bucket: str, boto_session: Any
) -> None:
    # The function makes its S3 client on the first erase, so a fault may be injected before any S3 client exists.
    faults.inject("s3", "ListObjectVersions", Fault.ACCESS_DENIED)
    client = boto_session.client("s3")
    faults.attach(client)

    with pytest.raises(ClientError) as raised:
        client.list_object_versions(Bucket=bucket)
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert faults.pending == 0


def test_attach_refuses_a_client_it_cannot_answer_for(faults: DependencyFaults, boto_session: Any) -> None:
    with pytest.raises(ValueError, match="not kms"):
        faults.attach(boto_session.client("kms"))


def test_reset_forgets_pending_faults(
    rekognition: Any, liveness: FaceLivenessEmulator, faults: DependencyFaults
) -> None:
    faults.inject("rekognition", None, FaultCode.ACCESS_DENIED, times=5)

    faults.reset()

    assert faults.pending == 0
    assert create(rekognition)
