"""GetFaceLivenessSessionResults on the emulator: what each status reports, the images stored in S3 (or inline),
the challenge, and sessions forgotten once their lifetime is over."""

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from liveness_api.vocabulary import ChallengeType
from liveness_local import emulated_session
from liveness_local.emulator import FaceLivenessEmulator
from liveness_local.jpeg import reference_jpeg
from liveness_local.vocabulary import EMULATED_SDK_TYPE
from tests.integration.emulator.conftest import FakeClock, create, error_of, results


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
            ChallengeType.FACE_MOVEMENT,
            {"Type": "FaceMovementChallenge", "Version": "1.0.0"},
        ),
    ],
)
def test_the_challenge_is_the_first_one_asked_for_unless_overridden(
    rekognition: Any,
    liveness: FaceLivenessEmulator,
    preferences: list[dict[str, str]],
    override: ChallengeType | None,
    expected: dict[str, str],
) -> None:
    session_id = create(rekognition, Settings={"ChallengePreferences": preferences})
    liveness.complete(session_id, confidence=90, challenge_type=override)

    assert results(rekognition, session_id)["Challenge"] == expected


# A FAILED check was streamed to its end, so the service knows the client's claimed SDK type; an EXPIRED one was not.
@pytest.mark.parametrize(
    ("finish", "status", "metadata"),
    [("fail", "FAILED", {"Metadata": {"SDKType": EMULATED_SDK_TYPE}}), ("expire", "EXPIRED", {})],
)
def test_an_unsuccessful_session_reports_only_its_status_and_client(
    rekognition: Any,
    liveness: FaceLivenessEmulator,
    bucket: str,
    s3: Any,
    finish: str,
    status: str,
    metadata: dict[str, Any],
) -> None:
    session_id = create(rekognition, Settings={"OutputConfig": {"S3Bucket": bucket}, "AuditImagesLimit": 2})
    liveness.start(session_id)
    getattr(liveness, finish)(session_id)

    assert results(rekognition, session_id) == {"SessionId": session_id, "Status": status, **metadata}
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


def test_a_response_breaking_the_model_fails_loudly(
    rekognition: Any, liveness: FaceLivenessEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emulated_session, "CHALLENGE_VERSIONS", {ChallengeType.FACE_MOVEMENT_AND_LIGHT: "2.0"})
    session_id = create(rekognition)
    liveness.complete(session_id, confidence=90)

    with pytest.raises(AssertionError, match=r"invalid GetFaceLivenessSessionResults response: Challenge\.Version"):
        results(rekognition, session_id)
