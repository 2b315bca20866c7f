"""Feedback and the client's metadata, as the adapter parses them and the domain answers and counts them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from liveness_api.adapters.rekognition import RekognitionLiveness
from liveness_api.feedback import CLIENT_SDK_FIELD, answered_feedback, record_feedback, with_client_sdk
from liveness_api.models import Feedback
from liveness_api.ports import LivenessResult
from liveness_api.vocabulary import FeedbackCode, SessionStatus, Verdict
from liveness_local.emulated_session import EmulatedSession
from liveness_local.service_model import operation_model, validate
from liveness_local.vocabulary import FEEDBACK_MESSAGES

SESSION_ID = "0f0e0d0c-0b0a-4908-8706-050403020100"


class FakeRekognition:
    def __init__(self, response: dict[str, Any]) -> None:
        self.response = response

    def get_face_liveness_session_results(self, **_: Any) -> dict[str, Any]:
        return self.response


def parsed(**members: Any) -> LivenessResult:
    response = {"SessionId": SESSION_ID, "Status": "SUCCEEDED", "Confidence": 40.0, **members}
    adapter = RekognitionLiveness(FakeRekognition(response), bucket="b", key_prefix="p/", kms_key_arn="k")
    return adapter.get_results(SESSION_ID)


def test_the_adapter_keeps_feedback_in_order_and_the_sdk_type() -> None:
    result = parsed(
        Feedback=[
            {"Code": "FACE_NOT_ALIGNED", "Message": "Align your face."},
            {"Code": "LOW_VIDEO_QUALITY_DETECTED", "Message": "Poor video."},
        ],
        Metadata={"SDKType": "AmplifyUI-Android"},
    )

    assert result.feedback == (
        Feedback(code=FeedbackCode.FACE_NOT_ALIGNED, message="Align your face."),
        Feedback(code=FeedbackCode.LOW_VIDEO_QUALITY_DETECTED, message="Poor video."),
    )
    assert result.sdk_type == "AmplifyUI-Android"


def test_results_without_feedback_or_metadata_parse_as_none() -> None:
    result = parsed()

    assert (result.feedback, result.sdk_type) == ((), None)


def test_an_unknown_code_is_kept_as_it_came_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    result = parsed(Feedback=[{"Code": "GLARE_DETECTED", "Message": "Glare."}])

    assert (result.status, result.confidence) == (SessionStatus.SUCCEEDED, 40.0)
    assert [(item.code, item.message) for item in result.feedback] == [("GLARE_DETECTED", "Glare.")]
    assert any("unknown feedback code" in record.getMessage() for record in caplog.records)


def test_the_response_model_takes_a_new_code_and_writes_it_back_unchanged() -> None:
    document = {"code": "GLARE_DETECTED", "message": "Glare."}

    assert Feedback.model_validate(document).model_dump(mode="json") == document
    assert Feedback.model_validate({"code": "EYES_CLOSED_DETECTED", "message": "m"}).code == "EYES_CLOSED_DETECTED"


@pytest.mark.parametrize(
    ("verdict", "answered"),
    [(Verdict.NOT_LIVE, True), (Verdict.FAILED, True), (Verdict.LIVE, False), (Verdict.EXPIRED, False)],
)
def test_only_a_failed_check_answers_feedback(verdict: Verdict, answered: bool) -> None:
    item = Feedback(code=FeedbackCode.LOW_LIGHTING_DETECTED, message="Dark.")
    result = LivenessResult(status=SessionStatus.SUCCEEDED, feedback=(item,))

    assert answered_feedback(verdict, result) == ([item] if answered else None)


def test_the_sdk_type_joins_the_recorded_document_only_when_reported() -> None:
    document = '{"decision":"NOT_LIVE"}'

    assert with_client_sdk(document, LivenessResult(status=SessionStatus.SUCCEEDED)) == document
    recorded = with_client_sdk(document, LivenessResult(status=SessionStatus.SUCCEEDED, sdk_type="web"))
    assert json.loads(recorded) == {"decision": "NOT_LIVE", CLIENT_SDK_FIELD: "web"}


def test_each_code_is_counted_once_per_check_and_an_unknown_one_as_other(capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    record_feedback(
        [
            Feedback(code="LOW_LIGHTING_DETECTED", message="a"),
            Feedback(code="GLARE_DETECTED", message="b"),
            Feedback(code="LOW_LIGHTING_DETECTED", message="c"),
            Feedback(code="SMUDGE_DETECTED", message="d"),
        ]
    )
    record_feedback(None)

    lines = [json.loads(line) for line in capfd.readouterr().out.splitlines() if "LivenessCheckFeedback" in line]
    assert sorted(line["Feedback"] for line in lines) == ["LOW_LIGHTING_DETECTED", "Other"]
    assert all(line["LivenessCheckFeedback"] == [1.0] for line in lines)


def emulated(status: SessionStatus, **fields: Any) -> EmulatedSession:
    now = datetime.now(UTC)
    return EmulatedSession(SESSION_ID, status, now, now, None, None, {}, **fields)


def test_the_emulator_answers_feedback_and_metadata_within_the_service_model() -> None:
    from liveness_api.models import Challenge
    from liveness_local.emulated_session import LivenessImage, bounding_box

    output = operation_model("rekognition", "GetFaceLivenessSessionResults").output_shape
    every_code = tuple(Feedback(code=code, message=message) for code, message in FEEDBACK_MESSAGES.items())
    succeeded = emulated(
        SessionStatus.SUCCEEDED,
        confidence=10.0,
        challenge=Challenge(type="FaceMovementChallenge", version="1.0.0"),
        reference_image=LivenessImage(bounding_box(0), data=b"jpeg"),
        feedback=every_code,
        sdk_type="FaceLivenessEmulator",
    )
    failed = emulated(SessionStatus.FAILED, feedback=every_code, sdk_type="FaceLivenessEmulator")

    assert set(FEEDBACK_MESSAGES) == set(FeedbackCode)
    assert validate(output, succeeded.results()) == []
    assert [item["Code"] for item in succeeded.results()["Feedback"]] == list(FeedbackCode)
    assert validate(output, failed.results()) == []
    # Feedback is the service's for SUCCEEDED sessions only; the metadata for any session a client streamed to.
    assert "Feedback" not in failed.results()
    assert failed.results()["Metadata"] == {"SDKType": "FaceLivenessEmulator"}
    assert "Metadata" not in emulated(SessionStatus.CREATED, sdk_type="x").results()
