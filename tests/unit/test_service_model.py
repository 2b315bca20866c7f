"""service_model.validate against real botocore shapes: every kind of constraint, met and broken."""

from datetime import UTC, datetime
from functools import cache
from typing import Any

import botocore.session
import pytest

from liveness_local.service_model import validate


@cache
def service(name: str) -> Any:
    return botocore.session.get_session().get_service_model(name)


def rekognition_shape(name: str) -> Any:
    return service("rekognition").shape_for(name)


def create_request() -> Any:
    return service("rekognition").operation_model("CreateFaceLivenessSession").input_shape


DATASET = "arn:aws:rekognition:us-east-1:123456789012:project/faces/dataset"
VALID_CREATE_REQUEST = {
    "ClientRequestToken": "order-42_retry",
    "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "Settings": {
        "OutputConfig": {"S3Bucket": "face-liveness.images-1", "S3KeyPrefix": "liveness/2026/"},
        "AuditImagesLimit": 4,
        "ChallengePreferences": [
            {"Type": "FaceMovementChallenge", "Versions": {"Minimum": "1.0.0", "Maximum": "999.10.0"}},
            {"Type": "FaceMovementAndLightChallenge"},
        ],
    },
}


def test_a_request_meeting_every_constraint_is_valid() -> None:
    assert validate(create_request(), VALID_CREATE_REQUEST) == []


def test_a_structure_without_required_members_may_be_empty() -> None:
    assert validate(create_request(), {}) == []


def test_a_missing_required_member_is_named_by_its_path() -> None:
    assert validate(create_request(), {"Settings": {"OutputConfig": {"S3KeyPrefix": "p/"}}}) == [
        "Settings.OutputConfig.S3Bucket: required member is missing"
    ]


def test_an_unknown_member_is_reported_with_the_members_it_could_have_been() -> None:
    assert validate(create_request(), {"Settings": {"AuditImageLimit": 1}}) == [
        "Settings.AuditImageLimit: unknown member, expected one of OutputConfig, AuditImagesLimit, ChallengePreferences"
    ]


@pytest.mark.parametrize(
    ("shape", "value"),
    [
        ("AuditImagesLimit", 0),
        ("ULong", 2**40),  # long
        ("Percent", 50),  # a float member takes an int
        ("Percent", 99.5),
        ("Boolean", False),
        ("LivenessImageBlob", b"\xff\xd8"),
        ("LivenessImageBlob", bytearray(b"\xff")),
        ("DateTime", datetime(2026, 1, 1, tzinfo=UTC)),
        ("ChallengePreferences", ()),
        ("ChallengePreference", {"Type": "FaceMovementChallenge"}),
        ("ClientRequestToken", "token"),
    ],
)
def test_values_of_the_right_type_are_valid(shape: str, value: object) -> None:
    assert validate(rekognition_shape(shape), value) == []


@pytest.mark.parametrize(
    ("shape", "value", "expected"),
    [
        ("AuditImagesLimit", "2", "expected integer, got str"),
        ("AuditImagesLimit", 2.0, "expected integer, got float"),
        ("AuditImagesLimit", True, "expected integer, got bool"),
        ("ULong", "1", "expected long, got str"),
        ("Percent", "50", "expected float, got str"),
        ("Percent", False, "expected float, got bool"),
        ("Boolean", 1, "expected boolean, got int"),
        ("LivenessImageBlob", "not bytes", "expected blob, got str"),
        ("DateTime", "2026-01-01T00:00:00Z", "expected timestamp, got str"),
        ("ChallengePreferences", {"Type": "FaceMovementChallenge"}, "expected list, got dict"),
        ("ChallengePreference", [], "expected structure, got list"),
        ("ClientRequestToken", 42, "expected string, got int"),
        ("ClientRequestToken", None, "expected string, got NoneType"),
    ],
)
def test_values_of_the_wrong_type_are_reported(shape: str, value: object, expected: str) -> None:
    assert validate(rekognition_shape(shape), value) == [f"{shape}: {expected}"]


@pytest.mark.parametrize(
    ("shape", "value", "expected"),
    [
        ("S3ObjectName", "", "length 0 is below the minimum 1"),
        ("ClientRequestToken", "t" * 65, "length 65 is above the maximum 64"),
        ("S3Bucket", "ab", "length 2 is below the minimum 3"),
        ("S3Bucket", "b" * 256, "length 256 is above the maximum 255"),
        ("LivenessS3KeyPrefix", "p" * 951, "length 951 is above the maximum 950"),
        ("LivenessImageBlob", b"", "length 0 is below the minimum 1"),
        ("FeedbackList", [{"Code": "FACE_NOT_VISIBLE", "Message": "m"}] * 11, "length 11 is above the maximum 10"),
        ("CustomizationFeatures", [], "length 0 is below the minimum 1"),
        ("AuditImagesLimit", -1, "-1 is below the minimum 0"),
        ("AuditImagesLimit", 5, "5 is above the maximum 4"),
        ("Percent", 100.5, "100.5 is above the maximum 100"),
        ("Degree", -180.5, "-180.5 is below the minimum -180"),
        ("MaxDurationInSecondsULong", 121, "121 is above the maximum 120"),
    ],
)
def test_values_outside_the_model_bounds_are_reported(shape: str, value: object, expected: str) -> None:
    assert validate(rekognition_shape(shape), value) == [f"{shape}: {expected}"]


@pytest.mark.parametrize(
    ("shape", "value"),
    [
        ("ClientRequestToken", "t" * 64),
        ("S3Bucket", "b" * 255),
        ("AuditImagesLimit", 4),
        ("Percent", 100),
        ("Degree", -180),
        ("FeedbackList", [{"Code": "FACE_NOT_VISIBLE", "Message": "m"}] * 10),
        ("DistributeDatasetMetadataList", [{"Arn": f"{DATASET}/train/1"}, {"Arn": f"{DATASET}/test/1"}]),
    ],
)
def test_values_on_the_model_bounds_are_valid(shape: str, value: object) -> None:
    assert validate(rekognition_shape(shape), value) == []


@pytest.mark.parametrize(
    ("shape", "value"),
    [
        ("ClientRequestToken", "abc-DEF_123"),
        ("KmsKeyId", "1234abcd-12ab-34cd-56ef-1234567890ab"),
        ("KmsKeyId", "alias/face-liveness"),
        ("S3Bucket", "face-liveness.images_1"),
        ("LivenessS3KeyPrefix", ""),
        ("LivenessS3KeyPrefix", "liveness/2026/"),
        ("Version", "0.0.0"),
        ("Version", "999.999.999"),
        ("LivenessSessionId", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
    ],
)
def test_strings_matching_the_model_pattern_are_valid(shape: str, value: str) -> None:
    assert validate(rekognition_shape(shape), value) == []


@pytest.mark.parametrize(
    ("shape", "value"),
    [
        ("ClientRequestToken", "has space"),
        ("ClientRequestToken", "token\n"),  # `$` alone would accept a trailing newline
        ("KmsKeyId", "-starts-with-a-dash"),
        ("KmsKeyId", "key id"),
        # Unanchored in the model, yet the whole value must match.
        ("S3Bucket", "bucket/with/slashes"),
        ("LivenessS3KeyPrefix", "has space/"),
        ("LivenessS3KeyPrefix", "ends-with-newline\n"),
        ("Version", "01.0.0"),
        ("Version", "1000.0.0"),
        ("Version", "1.0.0-beta"),
        ("LivenessSessionId", "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"),
    ],
)
def test_strings_not_matching_the_model_pattern_are_reported(shape: str, value: str) -> None:
    pattern = rekognition_shape(shape).metadata["pattern"]
    assert validate(rekognition_shape(shape), value) == [f"{shape}: {value!r} does not match the pattern {pattern}"]


def test_a_string_outside_its_enum_is_reported_with_the_allowed_values() -> None:
    assert validate(rekognition_shape("ChallengeType"), "Smile") == [
        "ChallengeType: 'Smile' is not one of FaceMovementAndLightChallenge, FaceMovementChallenge"
    ]


def test_problems_deep_in_lists_and_structures_are_all_reported_with_their_paths() -> None:
    request = {
        "ClientRequestToken": "t" * 65,
        "Settings": {
            "AuditImagesLimit": 5,
            "ChallengePreferences": [
                {"Type": "FaceMovementChallenge"},
                {"Type": "Smile", "Versions": {"Minimum": "1.0.0", "Maximum": "01.0.0"}},
            ],
        },
    }

    assert validate(create_request(), request) == [
        "ClientRequestToken: length 65 is above the maximum 64",
        "Settings.AuditImagesLimit: 5 is above the maximum 4",
        "Settings.ChallengePreferences[1].Type: 'Smile' is not one of FaceMovementAndLightChallenge, "
        "FaceMovementChallenge",
        "Settings.ChallengePreferences[1].Versions.Maximum: '01.0.0' does not match the pattern "
        r"^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$",
    ]


def test_a_path_given_by_the_caller_leads_every_message() -> None:
    assert validate(rekognition_shape("AuditImagesLimit"), 9, "Settings.AuditImagesLimit") == [
        "Settings.AuditImagesLimit: 9 is above the maximum 4"
    ]


def test_long_values_are_cut_short_in_messages() -> None:
    [message] = validate(rekognition_shape("KmsKeyId"), "-" + "k" * 2000)

    assert len(message) < 200


def test_sensitive_values_are_never_quoted() -> None:
    """bedrock-runtime's RequestMetadata is a sensitive map whose keys and values are plain strings."""
    metadata = service("bedrock-runtime").shape_for("RequestMetadata")

    problems = validate(metadata, {"secret key!": "secret value\x00"})

    assert problems
    assert not any("secret" in problem for problem in problems), problems
    assert all("<sensitive>" in problem for problem in problems)


def test_map_sizes_keys_and_values_are_checked() -> None:
    metadata = service("bedrock-runtime").shape_for("RequestMetadata")

    assert validate(metadata, {"tenant": "acme", "user:id": "42"}) == []
    assert validate(metadata, {}) == ["RequestMetadata: length 0 is below the minimum 1"]
    assert validate(metadata, {f"k{i}": "v" for i in range(17)}) == [
        "RequestMetadata: length 17 is above the maximum 16"
    ]
    assert validate(metadata, {"k": "nul\x00"}) == [
        r"RequestMetadata[<sensitive>]: <sensitive> does not match the pattern [a-zA-Z0-9\s:_@$#=/+,-.]{0,256}"
    ]
    assert validate(metadata, {"k": 1}) == ["RequestMetadata[<sensitive>]: expected string, got int"]


def test_a_union_takes_exactly_one_member() -> None:
    image_source = service("bedrock-runtime").shape_for("ImageSource")
    s3_location = {"uri": "s3://bucket/image.jpg"}

    assert validate(image_source, {"s3Location": s3_location}) == []
    assert validate(image_source, {}) == ["ImageSource: a union takes exactly one member, got 0"]
    assert validate(image_source, {"bytes": b"\xff", "s3Location": s3_location}) == [
        "ImageSource: a union takes exactly one member, got 2"
    ]


def test_a_document_takes_any_json_value() -> None:
    document = service("bedrock-runtime").shape_for("Document")

    for value in ({"any": ["json", 1, None]}, [1, 2], "text", 3.5, None):
        assert validate(document, value) == []


def test_a_pattern_python_cannot_compile_fails_loudly() -> None:
    """Rekognition's TagKey uses Java's \\p{L}: skipping the check silently would accept what AWS rejects."""
    with pytest.raises(ValueError, match=r"TagMap key 'team': the model's pattern .* is not a Python regular"):
        validate(rekognition_shape("TagMap"), {"team": "liveness"})
