"""`from_wire` and `to_wire`: a JSON-protocol body turned into the values a boto3 caller passes, and a response into
what JSON protocols send, so the emulator can validate requests against the model and answer in its wire form."""

import base64
from datetime import UTC, datetime

from liveness_local.service_model import from_wire, operation_model, to_wire, validate


def test_blobs_come_back_as_bytes_wherever_they_are_in_the_request() -> None:
    shape = operation_model("rekognition", "CompareFaces").input_shape
    body = {
        "SourceImage": {"Bytes": base64.b64encode(b"\xff\xd8\xff image").decode()},
        "TargetImage": {"S3Object": {"Bucket": "bucket", "Name": "key"}},
        "SimilarityThreshold": 90,
    }

    params = from_wire(shape, body)

    assert params["SourceImage"]["Bytes"] == b"\xff\xd8\xff image"
    assert params["TargetImage"] == body["TargetImage"]
    assert validate(shape, params) == []


def test_text_that_is_not_base64_stays_text_for_validate_to_refuse() -> None:
    shape = operation_model("rekognition", "CompareFaces").input_shape

    params = from_wire(shape, {"SourceImage": {"Bytes": "not base64!"}, "TargetImage": {}})

    assert params["SourceImage"]["Bytes"] == "not base64!"
    assert validate(shape, params) == ["SourceImage.Bytes: expected blob, got str"]


def test_timestamps_go_out_as_epoch_seconds() -> None:
    created = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    body = to_wire({"CreationTimestamp": created, "Nested": [{"At": created}], "FaceCount": 3})

    assert body == {"CreationTimestamp": created.timestamp(), "Nested": [{"At": created.timestamp()}], "FaceCount": 3}
