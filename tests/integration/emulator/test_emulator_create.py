"""CreateFaceLivenessSession on the emulator: sessions, idempotency tokens, and the model's constraints enforced
as the service enforces them."""

import re
import threading
import uuid
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ParamValidationError

from liveness_api.vocabulary import SessionStatus
from liveness_local.emulated_session import SUCCESS
from liveness_local.emulator import FaceLivenessEmulator
from tests.integration.emulator.conftest import START, create, error_of

SESSION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def versions(**bounds: str) -> dict[str, Any]:
    return {"Settings": {"ChallengePreferences": [{"Type": "FaceMovementChallenge", "Versions": bounds}]}}


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
