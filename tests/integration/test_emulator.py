"""FaceLivenessEmulator behind a real boto3 Rekognition client, with S3 and KMS on moto.

Every call goes through boto3's serialisation, botocore's response and error parsing and its standard retry
mode; only the network is replaced.
"""

import re
import struct
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.endpoint
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError
from moto import mock_aws

from liveness_api.vocabulary import ChallengeType, SessionStatus
from liveness_local import emulator as emulator_module
from liveness_local.emulator import (
    MOTO_CONFIG,
    SUCCESS,
    FaceLivenessEmulator,
    InvalidTransitionError,
    UnknownSessionError,
)
from liveness_local.jpeg import reference_jpeg, solid_grey_jpeg

SESSION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RETRYABLE = ["ThrottlingException", "ProvisionedThroughputExceededException", "InternalServerError"]


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws(config=MOTO_CONFIG):
        yield


@pytest.fixture
def backoffs(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's retry delays, recorded instead of slept, so retry tests take no wall-clock time."""
    slept: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=slept.append))
    return slept


@pytest.fixture(scope="module")
def boto_session() -> boto3.session.Session:
    """Shared by the module's clients: a session caches the service models, which are slow to load."""
    return boto3.session.Session(region_name="us-east-1")


@pytest.fixture
def s3(aws: None, boto_session: boto3.session.Session) -> Any:
    return boto_session.client("s3")


@pytest.fixture
def key_arn(aws: None, boto_session: boto3.session.Session) -> str:
    arn: str = boto_session.client("kms").create_key()["KeyMetadata"]["Arn"]
    return arn


@pytest.fixture
def bucket(s3: Any) -> str:
    """A versioned bucket, as the stack configures it. Unique names keep tests apart under a shared moto."""
    name = f"liveness-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def rekognition(aws: None, boto_session: boto3.session.Session, backoffs: list[float]) -> Any:
    # Three attempts in all. Config's own `max_attempts` counts retries only: 3 there would mean 4 attempts.
    return boto_session.client("rekognition", config=Config(retries={"mode": "standard", "total_max_attempts": 3}))


@pytest.fixture
def liveness(s3: Any, clock: FakeClock, rekognition: Any) -> FaceLivenessEmulator:
    emulator = FaceLivenessEmulator(s3, clock=clock)
    emulator.attach(rekognition)
    return emulator


def create(rekognition: Any, **params: Any) -> str:
    session_id: str = rekognition.create_face_liveness_session(**params)["SessionId"]
    return session_id


def results(rekognition: Any, session_id: str) -> dict[str, Any]:
    response: dict[str, Any] = rekognition.get_face_liveness_session_results(SessionId=session_id)
    response.pop("ResponseMetadata")
    return response


def versions(**bounds: str) -> dict[str, Any]:
    return {"Settings": {"ChallengePreferences": [{"Type": "FaceMovementChallenge", "Versions": bounds}]}}


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


# CreateFaceLivenessSession


def test_create_returns_a_new_session_id_in_the_models_format(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    session_id = create(rekognition)

    assert SESSION_ID.fullmatch(session_id)
    session = liveness.session(session_id)
    assert session is not None
    assert session.status is SessionStatus.CREATED
    assert session.created_at == START
    assert session.expires_at == START + timedelta(seconds=180)


def test_create_keeps_what_the_caller_asked_for(
    rekognition: Any, liveness: FaceLivenessEmulator, bucket: str, key_arn: str
) -> None:
    settings = {"OutputConfig": {"S3Bucket": bucket, "S3KeyPrefix": "liveness/"}, "AuditImagesLimit": 2}

    session_id = create(rekognition, KmsKeyId=key_arn, Settings=settings, ClientRequestToken="order-42")

    session = liveness.session(session_id)
    assert session is not None
    assert (session.kms_key_id, session.settings, session.client_request_token) == (key_arn, settings, "order-42")
    [call] = liveness.calls
    assert call.operation == "CreateFaceLivenessSession"
    assert call.params == {"KmsKeyId": key_arn, "Settings": settings, "ClientRequestToken": "order-42"}
    assert call.outcome == SUCCESS


def test_the_same_client_request_token_returns_the_same_session(
    rekognition: Any, liveness: FaceLivenessEmulator
) -> None:
    first = create(rekognition, ClientRequestToken="order-42_retry")

    assert create(rekognition, ClientRequestToken="order-42_retry") == first
    assert create(rekognition, ClientRequestToken="order-43") != first


def test_without_a_token_every_call_creates_a_new_session(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    assert len({create(rekognition) for _ in range(3)}) == 3


def test_concurrent_calls_with_one_token_share_one_session(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    session_ids: list[str] = []
    threads = [
        threading.Thread(target=lambda: session_ids.append(create(rekognition, ClientRequestToken="racy")))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(session_ids) == 8
    assert len(set(session_ids)) == 1


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"Settings": {"AuditImagesLimit": 5}}, "Settings.AuditImagesLimit: 5 is above the maximum 4"),
        ({"ClientRequestToken": "t" * 65}, "ClientRequestToken: length 65 is above the maximum 64"),
        ({"ClientRequestToken": "has space"}, "ClientRequestToken: 'has space' does not match the pattern"),
        (
            {"Settings": {"ChallengePreferences": [{"Type": "Smile"}]}},
            "Settings.ChallengePreferences[0].Type: 'Smile' is not one of",
        ),
        (
            versions(Minimum="01.0.0"),
            "Settings.ChallengePreferences[0].Versions.Minimum: '01.0.0' does not match the pattern",
        ),
        (
            versions(Maximum="1.0.0.0"),
            "Settings.ChallengePreferences[0].Versions.Maximum: '1.0.0.0' does not match the pattern",
        ),
        ({"KmsKeyId": "-not-a-key"}, "KmsKeyId: '-not-a-key' does not match the pattern"),
        (
            {"Settings": {"OutputConfig": {"S3Bucket": "images", "S3KeyPrefix": "has space/"}}},
            "Settings.OutputConfig.S3KeyPrefix: 'has space/' does not match the pattern",
        ),
        (
            {"Settings": {"OutputConfig": {"S3Bucket": "bucket/with/slashes"}}},
            "Settings.OutputConfig.S3Bucket: 'bucket/with/slashes' does not match the pattern",
        ),
        (
            {"Settings": {"OutputConfig": {"S3Bucket": "b" * 256}}},
            "Settings.OutputConfig.S3Bucket: length 256 is above the maximum 255",
        ),
    ],
)
def test_requests_breaking_the_model_are_invalid_parameters(
    rekognition: Any, liveness: FaceLivenessEmulator, params: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        create(rekognition, **params)

    assert error_of(excinfo) == ("InvalidParameterException", 400)
    assert problem in excinfo.value.response["Error"]["Message"]
    assert [call.outcome for call in liveness.calls] == ["InvalidParameterException"]  # not retried


def test_botocore_rejects_what_it_checks_itself_before_the_emulator_sees_it(
    rekognition: Any, liveness: FaceLivenessEmulator
) -> None:
    with pytest.raises(ParamValidationError):
        create(rekognition, Settings={"AuditImagesLimit": -1})

    assert liveness.calls == []


def test_a_missing_output_bucket_is_access_denied(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    with pytest.raises(ClientError) as excinfo:
        create(rekognition, Settings={"OutputConfig": {"S3Bucket": f"missing-{uuid.uuid4().hex}"}})

    assert error_of(excinfo) == ("AccessDeniedException", 400)
    assert [call.outcome for call in liveness.calls] == ["AccessDeniedException"]


def test_an_output_bucket_in_another_region_is_access_denied(
    rekognition: Any, liveness: FaceLivenessEmulator, boto_session: boto3.session.Session
) -> None:
    name = f"liveness-eu-{uuid.uuid4().hex[:12]}"
    boto_session.client("s3", region_name="eu-west-1").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )

    with pytest.raises(ClientError) as excinfo:
        create(rekognition, Settings={"OutputConfig": {"S3Bucket": name}})

    assert error_of(excinfo) == ("AccessDeniedException", 400)


# GetFaceLivenessSessionResults


def test_a_new_session_reports_created_and_nothing_else(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    session_id = create(rekognition)

    assert results(rekognition, session_id) == {"SessionId": session_id, "Status": "CREATED"}


def test_a_started_session_reports_in_progress(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    session_id = create(rekognition)
    liveness.start(session_id)

    assert results(rekognition, session_id) == {"SessionId": session_id, "Status": "IN_PROGRESS"}


def test_a_succeeded_session_reports_confidence_challenge_and_images_stored_in_s3(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any, bucket: str, key_arn: str
) -> None:
    session_id = create(
        rekognition,
        KmsKeyId=key_arn,
        Settings={"OutputConfig": {"S3Bucket": bucket, "S3KeyPrefix": "liveness/"}, "AuditImagesLimit": 3},
    )
    liveness.start(session_id)
    liveness.complete(session_id, confidence=97.25)

    response = results(rekognition, session_id)

    assert response["Status"] == "SUCCEEDED"
    assert response["Confidence"] == 97.25
    assert response["Challenge"] == {"Type": "FaceMovementAndLightChallenge", "Version": "2.0.0"}
    images = [response["ReferenceImage"], *response["AuditImages"]]
    assert [image["S3Object"]["Name"] for image in images] == [
        f"liveness/{session_id}/reference.jpg",
        f"liveness/{session_id}/audit_images/1.jpg",
        f"liveness/{session_id}/audit_images/2.jpg",
        f"liveness/{session_id}/audit_images/3.jpg",
    ]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="liveness/")["Contents"]
    assert sorted(item["Key"] for item in listed) == sorted(image["S3Object"]["Name"] for image in images)
    for image in images:
        stored = s3.get_object(Bucket=bucket, Key=image["S3Object"]["Name"])
        assert image["S3Object"]["Bucket"] == bucket
        assert image["S3Object"]["Version"] == stored["VersionId"]
        assert stored["ServerSideEncryption"] == "aws:kms"
        assert stored["SSEKMSKeyId"] == key_arn
        assert stored["ContentType"] == "image/jpeg"
        assert stored["Body"].read() == reference_jpeg()
        box = image["BoundingBox"]
        assert set(box) == {"Width", "Height", "Left", "Top"}
        assert all(0 <= ratio <= 1 for ratio in box.values())
        assert box["Left"] + box["Width"] <= 1
        assert box["Top"] + box["Height"] <= 1


def test_an_unversioned_bucket_gives_images_without_a_version(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any
) -> None:
    name = f"liveness-plain-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    session_id = create(rekognition, Settings={"OutputConfig": {"S3Bucket": name}, "AuditImagesLimit": 1})
    liveness.complete(session_id, confidence=80)

    response = results(rekognition, session_id)

    assert response["ReferenceImage"]["S3Object"] == {"Bucket": name, "Name": f"{session_id}/reference.jpg"}
    assert response["AuditImages"][0]["S3Object"] == {"Bucket": name, "Name": f"{session_id}/audit_images/1.jpg"}
    assert s3.head_object(Bucket=name, Key=f"{session_id}/reference.jpg")["ServerSideEncryption"] == "aws:kms"


def test_without_an_output_config_images_come_back_as_bytes(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    session_id = create(rekognition, Settings={"AuditImagesLimit": 2})
    liveness.complete(session_id, confidence=12.5)

    response = results(rekognition, session_id)

    assert response["ReferenceImage"]["Bytes"] == reference_jpeg()
    assert [image["Bytes"] for image in response["AuditImages"]] == [reference_jpeg()] * 2


def test_no_audit_images_unless_asked_for(rekognition: Any, liveness: FaceLivenessEmulator, bucket: str) -> None:
    session_id = create(rekognition, Settings={"OutputConfig": {"S3Bucket": bucket}})
    liveness.complete(session_id, confidence=99)

    response = results(rekognition, session_id)

    assert response["AuditImages"] == []
    assert response["Confidence"] == 99.0


@pytest.mark.parametrize(
    ("preferences", "override", "expected"),
    [
        ([{"Type": "FaceMovementChallenge"}], None, {"Type": "FaceMovementChallenge", "Version": "1.0.0"}),
        (
            [{"Type": "FaceMovementAndLightChallenge"}, {"Type": "FaceMovementChallenge"}],
            None,
            {"Type": "FaceMovementAndLightChallenge", "Version": "2.0.0"},
        ),
        (
            [{"Type": "FaceMovementAndLightChallenge"}],
            "FaceMovementChallenge",
            {"Type": "FaceMovementChallenge", "Version": "1.0.0"},
        ),
    ],
)
def test_the_challenge_is_the_first_one_asked_for_unless_overridden(
    rekognition: Any,
    liveness: FaceLivenessEmulator,
    preferences: list[dict[str, str]],
    override: str | None,
    expected: dict[str, str],
) -> None:
    session_id = create(rekognition, Settings={"ChallengePreferences": preferences})
    liveness.complete(session_id, confidence=90, challenge_type=override)

    assert results(rekognition, session_id)["Challenge"] == expected


@pytest.mark.parametrize(("finish", "status"), [("fail", "FAILED"), ("expire", "EXPIRED")])
def test_an_unsuccessful_session_reports_only_its_status(
    rekognition: Any, liveness: FaceLivenessEmulator, bucket: str, s3: Any, finish: str, status: str
) -> None:
    session_id = create(rekognition, Settings={"OutputConfig": {"S3Bucket": bucket}, "AuditImagesLimit": 2})
    liveness.start(session_id)
    getattr(liveness, finish)(session_id)

    assert results(rekognition, session_id) == {"SessionId": session_id, "Status": status}
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_a_session_is_gone_once_its_lifetime_is_over(
    rekognition: Any, liveness: FaceLivenessEmulator, clock: FakeClock
) -> None:
    session_id = create(rekognition)
    liveness.complete(session_id, confidence=95)
    clock.advance(179.999)
    assert results(rekognition, session_id)["Status"] == "SUCCEEDED"

    clock.advance(0.001)

    with pytest.raises(ClientError) as excinfo:
        results(rekognition, session_id)
    assert error_of(excinfo) == ("SessionNotFoundException", 400)


def test_an_unknown_session_is_not_found(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    with pytest.raises(ClientError) as excinfo:
        results(rekognition, str(uuid.uuid4()))

    assert error_of(excinfo) == ("SessionNotFoundException", 400)
    assert len(liveness.calls) == 1  # not retried


@pytest.mark.parametrize(
    "session_id", ["3F2504E0-4F89-11D3-9A0C-0305E82C3301", "3f2504e0-4f89-11d3-9a0c-0305e82c3301-", "x" * 36]
)
def test_a_malformed_session_id_is_an_invalid_parameter(
    rekognition: Any, liveness: FaceLivenessEmulator, session_id: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        results(rekognition, session_id)

    assert error_of(excinfo) == ("InvalidParameterException", 400)
    assert "SessionId" in excinfo.value.response["Error"]["Message"]


def test_other_rekognition_operations_are_refused_rather_than_sent_to_aws(
    rekognition: Any, liveness: FaceLivenessEmulator
) -> None:
    with pytest.raises(NotImplementedError, match="DetectFaces"):
        rekognition.detect_faces(Image={"Bytes": reference_jpeg()})


# Injected faults and botocore's retries


@pytest.mark.parametrize("code", RETRYABLE)
def test_retryable_faults_are_retried_and_each_attempt_consumes_one(
    rekognition: Any, liveness: FaceLivenessEmulator, backoffs: list[float], code: str
) -> None:
    liveness.inject_fault(code, times=2)

    response = rekognition.create_face_liveness_session()

    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert [call.outcome for call in liveness.calls] == [code, code, SUCCESS]
    assert len(backoffs) == 2


@pytest.mark.parametrize("code", RETRYABLE)
def test_a_retryable_fault_that_outlasts_the_retries_reaches_the_caller(
    rekognition: Any, liveness: FaceLivenessEmulator, code: str
) -> None:
    liveness.inject_fault(code, times=3)

    with pytest.raises(ClientError) as excinfo:
        create(rekognition)

    assert error_of(excinfo) == (code, 500 if code == "InternalServerError" else 400)
    assert excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == code
    assert len(liveness.calls) == 3
    assert create(rekognition)  # the faults are used up


def test_access_denied_is_not_retried(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    liveness.inject_fault("AccessDeniedException", times=2)

    with pytest.raises(ClientError) as excinfo:
        create(rekognition)

    assert error_of(excinfo) == ("AccessDeniedException", 400)
    assert len(liveness.calls) == 1
    with pytest.raises(ClientError):
        create(rekognition)  # the second fault is still pending


def test_a_fault_can_target_one_operation(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    liveness.inject_fault("AccessDeniedException", operation="GetFaceLivenessSessionResults")
    session_id = create(rekognition)

    with pytest.raises(ClientError) as excinfo:
        results(rekognition, session_id)

    assert error_of(excinfo) == ("AccessDeniedException", 400)
    assert results(rekognition, session_id)["Status"] == "CREATED"


@pytest.mark.parametrize(
    "arguments",
    [
        {"error_code": "SessionNotFoundException"},
        {"error_code": "ThrottlingException", "times": 0},
        {"error_code": "ThrottlingException", "operation": "DetectFaces"},
    ],
)
def test_inject_fault_rejects_what_it_cannot_inject(liveness: FaceLivenessEmulator, arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        liveness.inject_fault(**arguments)


def test_a_response_breaking_the_model_fails_loudly(
    rekognition: Any, liveness: FaceLivenessEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emulator_module, "CHALLENGE_VERSIONS", {ChallengeType.FACE_MOVEMENT_AND_LIGHT: "2.0"})
    session_id = create(rekognition)
    liveness.complete(session_id, confidence=90)

    with pytest.raises(AssertionError, match=r"invalid GetFaceLivenessSessionResults response: Challenge\.Version"):
        results(rekognition, session_id)


# Control methods


@pytest.mark.parametrize(
    "control",
    [
        lambda emulator, session_id: emulator.start(session_id),
        lambda emulator, session_id: emulator.complete(session_id, confidence=90),
        lambda emulator, session_id: emulator.fail(session_id),
        lambda emulator, session_id: emulator.expire(session_id),
    ],
    ids=["start", "complete", "fail", "expire"],
)
def test_controlling_an_unknown_session_is_a_key_error(liveness: FaceLivenessEmulator, control: Any) -> None:
    with pytest.raises(UnknownSessionError):
        control(liveness, str(uuid.uuid4()))
    assert issubclass(UnknownSessionError, KeyError)


@pytest.mark.parametrize(
    "finish",
    [
        lambda emulator, session_id: emulator.complete(session_id, confidence=70),
        lambda emulator, session_id: emulator.fail(session_id),
        lambda emulator, session_id: emulator.expire(session_id),
    ],
    ids=["complete", "fail", "expire"],
)
def test_a_finished_session_cannot_change_again(rekognition: Any, liveness: FaceLivenessEmulator, finish: Any) -> None:
    session_id = create(rekognition)
    finish(liveness, session_id)

    with pytest.raises(InvalidTransitionError, match=r"is (SUCCEEDED|FAILED|EXPIRED)"):
        liveness.complete(session_id, confidence=99)
    with pytest.raises(InvalidTransitionError):
        liveness.fail(session_id)
    assert issubclass(InvalidTransitionError, ValueError)


def test_a_session_can_be_started_only_once(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    session_id = create(rekognition)
    liveness.start(session_id)

    with pytest.raises(InvalidTransitionError, match="is IN_PROGRESS"):
        liveness.start(session_id)


def test_a_session_past_its_lifetime_cannot_be_completed(
    rekognition: Any, liveness: FaceLivenessEmulator, clock: FakeClock
) -> None:
    session_id = create(rekognition)
    clock.advance(180)

    with pytest.raises(InvalidTransitionError, match="past its lifetime"):
        liveness.complete(session_id, confidence=90)
    session = liveness.session(session_id)
    assert session is not None
    assert session.status is SessionStatus.CREATED


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"confidence": 100.5}, "confidence must be 0-100"),
        ({"confidence": -1}, "confidence must be 0-100"),
        ({"confidence": float("nan")}, "confidence must be 0-100"),
        ({"confidence": 90, "challenge_type": "Smile"}, "challenge_type must be one of"),
    ],
)
def test_complete_rejects_values_the_service_could_not_report(
    rekognition: Any, liveness: FaceLivenessEmulator, arguments: dict[str, Any], match: str
) -> None:
    session_id = create(rekognition)

    with pytest.raises(ValueError, match=match):
        liveness.complete(session_id, **arguments)


def test_reset_forgets_sessions_tokens_faults_and_calls(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    session_id = create(rekognition, ClientRequestToken="before-reset")
    liveness.inject_fault("AccessDeniedException")

    liveness.reset()

    assert liveness.session(session_id) is None
    assert liveness.calls == []
    assert create(rekognition, ClientRequestToken="before-reset") != session_id


def test_attach_refuses_a_client_it_cannot_stand_in_for(s3: Any, boto_session: boto3.session.Session) -> None:
    emulator = FaceLivenessEmulator(s3)

    with pytest.raises(ValueError, match="expected a rekognition client"):
        emulator.attach(s3)
    with pytest.raises(ValueError, match="client region eu-west-1 is not us-east-1"):
        emulator.attach(boto_session.client("rekognition", region_name="eu-west-1"))


# The stored JPEG


def jpeg_markers(data: bytes) -> dict[int, bytes]:
    """Each marker segment's payload, walking the segment headers up to the entropy-coded data."""
    assert data[:2] == b"\xff\xd8"
    segments, offset = {}, 2
    while data[offset] == 0xFF and data[offset + 1] != 0xDA:
        marker = data[offset + 1]
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        segments[marker] = data[offset + 4 : offset + 2 + length]
        offset += 2 + length
    segments[0xDA] = data[offset + 4 :]
    return segments


def test_the_reference_image_is_a_baseline_jfif_jpeg() -> None:
    data = reference_jpeg()
    segments = jpeg_markers(data)

    assert data.endswith(b"\xff\xd9")
    assert segments[0xE0].startswith(b"JFIF\x00")
    height, width, components = struct.unpack(">HHB", segments[0xC0][1:6])
    assert (width, height, components) == (16, 16, 1)
    assert {0xDB, 0xC4} <= segments.keys()  # quantisation and Huffman tables


@pytest.mark.parametrize(("width", "height"), [(1, 1), (17, 9), (640, 480)])
def test_a_solid_grey_jpeg_declares_its_size(width: int, height: int) -> None:
    segments = jpeg_markers(solid_grey_jpeg(width, height, 200))

    assert struct.unpack(">HH", segments[0xC0][1:5]) == (height, width)


@pytest.mark.parametrize(("width", "height", "level"), [(0, 8, 128), (8, 70000, 128), (8, 8, 256), (8, 8, -1)])
def test_a_solid_grey_jpeg_rejects_what_jpeg_cannot_hold(width: int, height: int, level: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        solid_grey_jpeg(width, height, level)
