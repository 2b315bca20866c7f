"""Feedback a person can act on: what Rekognition reports of a failed check reaches the results, the ledger and the
metrics once, through botocore's real parsing of the emulator's (or a future service's) answer; the client's
self-reported SDK type reaches the ledger only; the local control route scripts both."""

from __future__ import annotations

import json
from typing import Any

import pytest

from liveness_api.feedback import CLIENT_SDK_FIELD
from liveness_api.models import Feedback
from liveness_api.vocabulary import FeedbackCode, Verdict
from liveness_local.control import LocalControl
from liveness_local.event_pipeline import LocalEventPipeline
from liveness_local.gateway import HttpRequest
from liveness_local.vocabulary import EMULATED_SDK_TYPE, FEEDBACK_MESSAGES
from tests.integration.conftest import Api, emitted_metrics
from tests.integration.event_fixtures import pipeline, receiver
from tests.integration.feedback_world import FUTURE_CODE, future_results, service_answers

__all__ = ["pipeline", "receiver"]  # fixtures, used by name

LOW_LIGHT = Feedback(code=FeedbackCode.LOW_LIGHTING_DETECTED, message="Too dark.")
EYES_CLOSED = Feedback(code=FeedbackCode.EYES_CLOSED_DETECTED, message="Eyes closed.")


def recorded_document(backend: Any, session_id: str) -> dict[str, Any]:
    """The verdict document as the ledger's item keeps it (what an operator reads), not as the API answers it."""
    pages = backend.dynamodb.get_paginator("scan").paginate(
        TableName=backend.settings.ledger_table,
        FilterExpression="contains(verdict, :session_id)",
        ExpressionAttributeValues={":session_id": {"S": session_id}},
    )
    (item,) = [item for page in pages for item in page["Items"]]
    return dict(json.loads(item["verdict"]["S"]))


def feedback_metrics(output: str) -> list[str]:
    return sorted(m.dimensions["Feedback"] for m in emitted_metrics(output) if m.name == "LivenessCheckFeedback")


def test_a_not_live_check_answers_its_feedback_records_it_and_counts_each_code_once(
    api: Api, emulator: Any, backend: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    session_id = api.create().body["sessionId"]
    emulator.script_feedback(session_id, (LOW_LIGHT, EYES_CLOSED, LOW_LIGHT), sdk_type="AmplifyUI-React")
    emulator.complete(session_id, confidence=12.0)
    capfd.readouterr()

    first = api.results(session_id).body
    again = api.results(session_id).body

    assert first["decision"] == Verdict.NOT_LIVE
    assert first["feedback"] == [
        {"code": "LOW_LIGHTING_DETECTED", "message": "Too dark."},
        {"code": "EYES_CLOSED_DETECTED", "message": "Eyes closed."},
        {"code": "LOW_LIGHTING_DETECTED", "message": "Too dark."},
    ]
    assert again == first  # decided once: the second read is the recorded document
    # Once per code per check, however often the service repeats a code and however often the verdict is read.
    assert feedback_metrics(capfd.readouterr().out) == ["EYES_CLOSED_DETECTED", "LOW_LIGHTING_DETECTED"]
    # The SDK type is the client's unverified claim: in the ledger for operators, never in the answer.
    document = recorded_document(backend, session_id)
    assert document[CLIENT_SDK_FIELD] == "AmplifyUI-React"
    assert document["feedback"] == first["feedback"]
    assert CLIENT_SDK_FIELD not in first
    assert "AmplifyUI-React" not in json.dumps(first)


def test_a_live_check_answers_no_feedback_even_when_rekognition_reports_some(
    api: Api, emulator: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    session_id = api.create().body["sessionId"]
    emulator.script_feedback(session_id, (LOW_LIGHT,))
    emulator.complete(session_id, confidence=99.0)
    capfd.readouterr()

    body = api.results(session_id).body

    assert (body["decision"], body["feedback"]) == (Verdict.LIVE, None)
    assert feedback_metrics(capfd.readouterr().out) == []


def test_a_failed_check_answers_an_empty_list_as_the_service_reports_none_and_records_the_sdk(
    api: Api, emulator: Any, backend: Any
) -> None:
    session_id = api.create().body["sessionId"]
    emulator.script_feedback(session_id, (LOW_LIGHT,))  # the service answers Feedback for SUCCEEDED only
    emulator.fail(session_id)

    body = api.results(session_id).body

    assert (body["decision"], body["feedback"]) == (Verdict.FAILED, [])
    assert recorded_document(backend, session_id)[CLIENT_SDK_FIELD] == EMULATED_SDK_TYPE


def test_a_code_the_service_adds_later_passes_through_and_the_verdict_stands(
    api: Api, emulator: Any, backend: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    session_id = api.create().body["sessionId"]
    capfd.readouterr()

    with service_answers(backend.function.client("rekognition"), future_results(session_id)):
        response = api.results(session_id)

    assert response.status == 200
    assert response.body["decision"] == Verdict.NOT_LIVE
    assert [item["code"] for item in response.body["feedback"]] == [FUTURE_CODE, "LOW_LIGHTING_DETECTED"]
    assert feedback_metrics(capfd.readouterr().out) == ["LOW_LIGHTING_DETECTED", "Other"]


def control_post(control: LocalControl, session_id: str, body: bytes) -> Any:
    return control.handle(HttpRequest("POST", f"/_local/sessions/{session_id}/feedback", (), body))


def test_the_control_route_scripts_feedback_that_the_results_then_answer(api: Api, emulator: Any, backend: Any) -> None:
    control = LocalControl(emulator, faults=backend.faults)
    session_id = api.create().body["sessionId"]
    script = {"feedback": [{"code": "HIGH_LIGHTING_DETECTED"}, {"code": "FACE_NOT_ALIGNED", "message": "Centre it."}]}

    answer = control_post(control, session_id, json.dumps({**script, "sdkType": "web-test"}).encode())
    emulator.complete(session_id, confidence=30.0)

    assert answer.status == 204
    assert api.results(session_id).body["feedback"] == [
        {"code": "HIGH_LIGHTING_DETECTED", "message": FEEDBACK_MESSAGES[FeedbackCode.HIGH_LIGHTING_DETECTED]},
        {"code": "FACE_NOT_ALIGNED", "message": "Centre it."},
    ]
    assert recorded_document(backend, session_id)[CLIENT_SDK_FIELD] == "web-test"


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b"{}",  # feedback is required: an empty script is `{"feedback": []}`
        json.dumps({"feedback": [{"code": "GLARE"}]}).encode(),  # not a code of the service model
        json.dumps({"feedback": [{"code": "FACE_NOT_VISIBLE", "message": ""}]}).encode(),
        json.dumps({"feedback": [{"code": "FACE_NOT_VISIBLE"}] * 11}).encode(),
        json.dumps({"feedback": [], "sdkType": "x" * 65}).encode(),
        json.dumps({"feedback": [], "extra": 1}).encode(),
    ],
)
def test_the_control_route_refuses_a_bad_script_with_a_problem(
    api: Api, emulator: Any, backend: Any, body: bytes
) -> None:
    control = LocalControl(emulator, faults=backend.faults)
    session_id = api.create().body["sessionId"]

    answer = control_post(control, session_id, body)

    assert (answer.status, answer.header("Content-Type")) == (422, "application/problem+json")
    assert answer.json()["status"] == 422


def test_the_control_route_scripts_only_a_session_that_can_still_finish(api: Api, emulator: Any, backend: Any) -> None:
    control = LocalControl(emulator, faults=backend.faults)
    finished = api.create().body["sessionId"]
    emulator.complete(finished, confidence=10.0)
    script = json.dumps({"feedback": [{"code": "FACE_NOT_VISIBLE"}]}).encode()

    assert control_post(control, finished, script).status == 409
    assert control_post(control, "0f0e0d0c-0b0a-4908-8706-050403020100", script).status == 404


def test_a_check_settled_on_the_server_publishes_its_feedback_codes_and_not_the_sdk(
    api: Api, emulator: Any, pipeline: LocalEventPipeline
) -> None:
    session_id = api.create().body["sessionId"]
    emulator.script_feedback(session_id, (EYES_CLOSED, LOW_LIGHT), sdk_type="AmplifyUI-React")
    emulator.complete(session_id, confidence=8.0)

    # No client reads the verdict: the images landing settle it. Other tests on this twin may have left changes
    # ahead of it, which each round publishes a batch of.
    published: list[dict[str, Any]] = []
    for _ in range(100):
        pipeline.pump()
        published = [e for e in pipeline.published if e["detail"]["sessionId"] == session_id]
        if published:
            break

    (event,) = published
    assert event["detail"]["feedbackCodes"] == ["EYES_CLOSED_DETECTED", "LOW_LIGHTING_DETECTED"]
    assert "AmplifyUI-React" not in json.dumps(event)
    assert [item["code"] for item in api.results(session_id).body["feedback"]] == [
        "EYES_CLOSED_DETECTED",
        "LOW_LIGHTING_DETECTED",
    ]
