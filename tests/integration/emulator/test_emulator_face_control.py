"""`POST /_local/sessions/{id}/faces`, the control route that scripts what a session's images show to face matching:
it replaces the session's script, and refuses bad input as the other control routes do (problem+json)."""

import json
from typing import Any

import pytest

from liveness_local.control import LocalControl
from liveness_local.emulator import FaceLivenessEmulator
from liveness_local.face_scripts import DEFAULT_FACE, FaceScript
from liveness_local.faults import DependencyFaults
from liveness_local.gateway import HttpRequest, HttpResponse
from tests.integration.emulator.face_world import live_session, reference, similarity, upload_document


@pytest.fixture
def control(liveness: FaceLivenessEmulator) -> LocalControl:
    return LocalControl(liveness, faults=DependencyFaults())


def post(control: LocalControl, session_id: str, body: Any) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return control.handle(HttpRequest("POST", f"/_local/sessions/{session_id}/faces", body=raw))


@pytest.mark.parametrize(
    ("body", "script"),
    [
        ({"face": "alice"}, FaceScript("alice", "alice", None)),
        ({"face": "alice", "documentFace": "bob"}, FaceScript("alice", "bob", None)),
        ({"documentFace": None}, FaceScript(DEFAULT_FACE, None, None)),
        ({"similarity": 12.5}, FaceScript(DEFAULT_FACE, DEFAULT_FACE, 12.5)),
        ({"similarity": 99}, FaceScript(DEFAULT_FACE, DEFAULT_FACE, 99.0)),
        ({}, FaceScript()),
        (b"", FaceScript()),
    ],
)
def test_the_route_scripts_the_session(
    rekognition: Any,
    liveness: FaceLivenessEmulator,
    bucket: str,
    control: LocalControl,
    body: Any,
    script: FaceScript,
) -> None:
    session_id = live_session(rekognition, liveness, bucket, face="carol", similarity=1)

    response = post(control, session_id, body)

    assert response.status == 204
    assert liveness.faces.script_of(session_id) == script


def test_a_scripted_similarity_reaches_compare_faces(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any, bucket: str, control: LocalControl
) -> None:
    session_id = live_session(rekognition, liveness, bucket)

    assert post(control, session_id, {"similarity": 12.5}).status == 204

    assert similarity(rekognition, reference(bucket, session_id), upload_document(s3, bucket, session_id)) == 12.5


@pytest.mark.parametrize(
    "body",
    [
        {"face": ""},
        {"face": "has space"},
        {"face": None},
        {"face": 7},
        {"documentFace": "x" * 65},
        {"similarity": 100.5},
        {"similarity": -1},
        {"similarity": "12"},
        {"similarity": True},
        {"faces": "alice"},
        b"[1]",
        b"{not json",
        b'{"similarity": NaN}',
    ],
)
def test_the_route_refuses_bad_input_with_a_problem(
    rekognition: Any, liveness: FaceLivenessEmulator, bucket: str, control: LocalControl, body: Any
) -> None:
    session_id = live_session(rekognition, liveness, bucket, face="carol")

    response = post(control, session_id, body)

    assert response.status == 422
    assert response.header("Content-Type") == "application/problem+json"
    assert response.json()["type"].endswith("local-validation-error")
    assert liveness.faces.script_of(session_id) == FaceScript("carol", "carol", None)


def test_the_route_answers_404_for_a_session_never_created(control: LocalControl) -> None:
    response = post(control, "no-such-session", {"face": "alice"})

    assert response.status == 404
    assert response.header("Content-Type") == "application/problem+json"


def test_the_route_takes_post_only(
    rekognition: Any, liveness: FaceLivenessEmulator, bucket: str, control: LocalControl
) -> None:
    session_id = live_session(rekognition, liveness, bucket)

    response = control.handle(HttpRequest("GET", f"/_local/sessions/{session_id}/faces"))

    assert response.status == 405
