"""Feedback over real HTTP: scripted on the local control route, answered by the results route as the committed
OpenAPI document describes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liveness_api.vocabulary import FeedbackCode
from tests.e2e.conftest import Client, Target, assert_problem

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_a_spoofed_check_answers_its_scripted_feedback(client: Client, target: Target) -> None:
    target.require_local()
    session_id = client.new_session()
    script = {"feedback": [{"code": "LOW_LIGHTING_DETECTED"}, {"code": "FACE_NOT_VISIBLE", "message": "Not seen."}]}
    assert client.control(f"/sessions/{session_id}/feedback", script).status_code == 204
    assert client.control(f"/sessions/{session_id}/complete", {"live": False}).status_code == 204

    verdict = client.results(session_id).json()

    assert verdict["decision"] == "NOT_LIVE"
    assert [item["code"] for item in verdict["feedback"]] == ["LOW_LIGHTING_DETECTED", "FACE_NOT_VISIBLE"]
    assert verdict["feedback"][1]["message"] == "Not seen."
    assert all(item["message"] for item in verdict["feedback"])
    assert "clientSdk" not in verdict


def test_a_bad_feedback_script_is_a_problem(client: Client, target: Target) -> None:
    target.require_local()
    session_id = client.new_session()

    assert_problem(client.control(f"/sessions/{session_id}/feedback", {"feedback": [{"code": "GLARE"}]}), 422)


def test_the_openapi_document_lists_every_code_and_lets_a_new_one_through() -> None:
    schemas = json.loads((ROOT / "openapi.json").read_text())["components"]["schemas"]

    assert schemas["FeedbackCode"]["enum"] == [code.value for code in FeedbackCode]
    assert schemas["Feedback"]["properties"]["code"]["anyOf"] == [
        {"$ref": "#/components/schemas/FeedbackCode"},
        {"type": "string"},
    ]
    assert schemas["Feedback"]["required"] == ["code", "message"]
