"""The API over real HTTP: the local server by default, a deployed stack when API_URL is set (see conftest)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from infra.config import load_cdk_json_config
from liveness_api.contract import MAX_BODY_BYTES
from tests.e2e.conftest import Client, Target, assert_problem

pytestmark = pytest.mark.e2e

CONFIG = load_cdk_json_config()
ROOT = Path(__file__).resolve().parents[2]
# API Gateway's own payload limit, which the deployed stage enforces before the function runs.
API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024


def test_create_read_erase(client: Client) -> None:
    created = client.create({"auditImagesLimit": 1})
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"sessionId", "region", "expiresAt", "documentUpload"}
    assert body["documentUpload"] is None  # only for a create that asks for a DOCUMENT match
    uuid.UUID(body["sessionId"])
    assert datetime.fromisoformat(body["expiresAt"].replace("Z", "+00:00")).tzinfo is not None

    pending = client.results(body["sessionId"])
    assert pending.status_code == 200, pending.text
    assert pending.json()["status"] == "CREATED"
    assert pending.json()["decision"] == "PENDING"

    assert client.erase(body["sessionId"]).status_code == 204
    assert_problem(client.results(body["sessionId"]), 404, "session-not-found")


def test_create_complete_results_erase(client: Client, target: Target) -> None:
    target.require_local()
    session_id = client.new_session({"auditImagesLimit": 2})
    assert client.control(f"/sessions/{session_id}/complete", {"live": True}).status_code == 204

    results = client.results(session_id)
    assert results.status_code == 200, results.text
    verdict = results.json()
    assert verdict["status"] == "SUCCEEDED"
    assert verdict["decision"] == "LIVE"
    assert verdict["confidence"] == 99.0
    assert verdict["referenceImage"]["key"].endswith(f"{session_id}/reference.jpg")
    assert len(verdict["auditImages"]) == 2

    erased = client.erase(session_id)
    assert erased.status_code == 204
    assert erased.content == b""
    assert_problem(client.results(session_id), 404, "session-not-found")
    assert_problem(client.erase(session_id), 404, "session-not-found")


@pytest.mark.parametrize(
    ("action", "payload", "status", "decision", "confidence"),
    [
        ("complete", {"live": False}, "SUCCEEDED", "NOT_LIVE", 5.0),
        ("complete", {"live": True, "confidence": 91.5}, "SUCCEEDED", "LIVE", 91.5),
        ("complete", {"live": True, "confidence": 42}, "SUCCEEDED", "NOT_LIVE", 42.0),
        ("start", None, "IN_PROGRESS", "PENDING", None),
        ("fail", None, "FAILED", "FAILED", None),
        ("expire", None, "EXPIRED", "EXPIRED", None),
    ],
)
def test_control_routes_drive_the_verdict(
    client: Client,
    target: Target,
    action: str,
    payload: dict[str, object] | None,
    status: str,
    decision: str,
    confidence: float | None,
) -> None:
    target.require_local()
    session_id = client.new_session()
    assert client.control(f"/sessions/{session_id}/{action}", payload).status_code == 204

    verdict = client.results(session_id).json()

    assert (verdict["status"], verdict["decision"], verdict.get("confidence")) == (status, decision, confidence)


def test_the_same_idempotency_key_returns_the_same_session(client: Client) -> None:
    key = f"e2e-{uuid.uuid4().hex}"
    first = client.create(idempotency_key=key)
    again = client.create(idempotency_key=key)
    other = client.create(idempotency_key=f"e2e-{uuid.uuid4().hex}")

    assert first.status_code == again.status_code == other.status_code == 201
    assert again.json()["sessionId"] == first.json()["sessionId"]
    assert other.json()["sessionId"] != first.json()["sessionId"]


def test_an_idempotency_key_is_scoped_to_its_caller(client: Client, other_client: Client) -> None:
    key = f"e2e-{uuid.uuid4().hex}"
    mine = client.create(idempotency_key=key).json()["sessionId"]
    theirs = other_client.create(idempotency_key=key).json()["sessionId"]

    assert mine != theirs


def test_sessions_belong_to_their_creator(client: Client, other_client: Client) -> None:
    session_id = client.new_session()

    assert_problem(other_client.results(session_id), 404, "session-not-found")
    assert_problem(other_client.erase(session_id), 404, "session-not-found")
    # The foreign caller's attempts changed nothing.
    assert client.results(session_id).status_code == 200
    assert client.erase(session_id).status_code == 204


def test_an_unknown_session_is_404(client: Client) -> None:
    assert_problem(client.results(str(uuid.uuid4())), 404, "session-not-found")
    assert_problem(client.erase(str(uuid.uuid4())), 404, "session-not-found")


def test_malformed_json_is_400(client: Client) -> None:
    assert_problem(client.request("POST", "/sessions", data='{"auditImagesLimit": '), 400, "malformed-json")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "multipart/form-data", "application/x-www-form-urlencoded", "text/json"]
)
def test_a_body_not_sent_as_json_is_415(client: Client, content_type: str) -> None:
    response = client.request("POST", "/sessions", data="{}", headers={"Content-Type": content_type})
    assert_problem(response, 415, "unsupported-media-type")


@pytest.mark.parametrize(
    ("method", "path", "body", "headers"),
    [
        ("POST", "/sessions", {"auditImagesLimit": 99}, None),
        ("POST", "/sessions", {"unexpected": True}, None),
        ("POST", "/sessions", {"challengePreferences": []}, None),
        ("POST", "/sessions", None, {"Idempotency-Key": "not allowed!"}),
        ("GET", "/sessions/not-a-session-id/results", None, None),
        ("DELETE", "/sessions/not-a-session-id", None, None),
    ],
)
def test_requests_outside_the_schema_are_422(
    client: Client, method: str, path: str, body: object, headers: dict[str, str] | None
) -> None:
    problem = assert_problem(client.request(method, path, json_body=body, headers=headers), 422, "validation-error")
    assert problem["errors"]
    assert "not allowed!" not in json.dumps(problem)  # input values never echoed


def test_a_body_over_the_limit_is_413(client: Client, target: Target) -> None:
    limit = API_GATEWAY_MAX_BODY_BYTES if target.deployed else MAX_BODY_BYTES
    padding = "x" * (limit + 1)
    response = client.request("POST", "/sessions", data=json.dumps({"auditImagesLimit": 0, "pad": padding}))
    assert_problem(response, 413, "request-too-large")


@pytest.mark.parametrize(
    ("method", "path"),
    # Not GET /: locally that is the demo web app (liveness_local/demo_site.py); POST / is still the gateway's.
    [("POST", "/"), ("GET", "/nope"), ("GET", "/sessions"), ("PUT", "/sessions"), ("POST", "/sessions/x/results")],
)
def test_an_unknown_route_gets_api_gateways_403(client: Client, method: str, path: str) -> None:
    problem = assert_problem(client.request(method, path), 403, "missing-authentication")
    assert problem["detail"] == "Missing Authentication Token"


@pytest.mark.parametrize(
    ("code", "times", "status", "slug", "retry_after"),
    [
        # Retried by botocore on every attempt, then answered: as many faults as the function makes attempts.
        ("ThrottlingException", CONFIG.rekognition_max_attempts, 429, "throttled", "1"),
        ("InternalServerError", CONFIG.rekognition_max_attempts, 503, "service-unavailable", "5"),
        # Not retried: a misconfigured deployment is a server error, not the caller's.
        ("AccessDeniedException", 1, 500, "internal-error", None),
    ],
)
def test_rekognition_failures_become_problems(
    client: Client, target: Target, code: str, times: int, status: int, slug: str, retry_after: str | None
) -> None:
    target.require_local()
    assert (
        client.control("/faults", {"code": code, "times": times, "operation": "CreateFaceLivenessSession"}).status_code
        == 204
    )

    response = client.create()

    assert_problem(response, status, slug)
    assert response.headers.get("Retry-After") == retry_after
    assert client.create().status_code == 201  # every injected fault was used up


def test_control_route_errors(client: Client, target: Target) -> None:
    target.require_local()
    session_id = client.new_session()

    assert_problem(client.control(f"/sessions/{uuid.uuid4()}/complete", {"live": True}), 404)
    assert_problem(client.control(f"/sessions/{session_id}/complete", {"live": True, "confidence": 150}), 422)
    assert_problem(client.control(f"/sessions/{session_id}/complete", {"live": "yes"}), 422)
    assert_problem(client.request("POST", f"/_local/sessions/{session_id}/fail", data="{not json"), 422)
    assert_problem(client.control("/faults", {"code": "NoSuchError"}), 422)
    assert_problem(client.control("/faults", {"code": "ThrottlingException", "times": 0}), 422)
    assert_problem(client.control("/nothing-here"), 404)
    assert client.control(f"/sessions/{session_id}/fail").status_code == 204
    assert_problem(client.control(f"/sessions/{session_id}/complete", {"live": True}), 409)


def test_x_local_caller_must_be_a_role_name(target: Target) -> None:
    target.require_local()
    response = Client(target, caller="not a role/name").create()
    assert_problem(response, 403, "access-denied")


def test_the_served_openapi_document_is_the_committed_one(client: Client, target: Target) -> None:
    target.require_local()
    served = client.request("GET", "/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads((ROOT / "openapi.json").read_text())
