"""Helpers for the face-match tests: callers that are persons, sessions that ask for a match, ID photos
uploaded with the create response's presigned POST exactly as a browser or a backend sends it (moto accepts S3's
form uploads), and the emulator's face scripts."""

from __future__ import annotations

import uuid
from typing import Any, Final

import requests

from liveness_api.contract import END_USER_HEADER
from liveness_api.identity import CallerMode
from liveness_local.backend import LocalBackend
from liveness_local.emulator import FaceLivenessEmulator
from liveness_local.events import CallerIdentity
from liveness_local.jpeg import solid_grey_jpeg
from tests.integration.conftest import Api, ApiResponse, Function

PHOTO: Final = solid_grey_jpeg(24, 32, 90)
MATCH_THRESHOLD: Final = 99.0  # knobs_match.py's default, as cdk.json leaves it


class PersonApi(Api):
    """A caller that is one person: in plain IAM mode, a backend naming its end user on every request."""

    def __init__(self, function: Function, identity: CallerIdentity, end_user: str | None = None) -> None:
        super().__init__(function, identity)
        self.end_user = end_user

    def event(self, method: str, path: str, body: str | None, headers: dict[str, str] | None = None) -> dict[str, Any]:
        named = {END_USER_HEADER: self.end_user} if self.end_user is not None else {}
        return super().event(method, path, body, {**named, **(headers or {})})


def person_api(backend: LocalBackend, mode: CallerMode, name: str = "") -> PersonApi:
    """A new person calling a function deployed in `mode` (an end user of a new backend in plain IAM mode)."""
    name = name or f"person-{uuid.uuid4().hex[:8]}"
    end_user = "end-user-1" if mode is CallerMode.IAM else None
    return PersonApi(backend.function_in_mode(mode), CallerIdentity.for_mode(mode, name), end_user)


def create(api: Api, against: str | None, content_type: str = "image/jpeg") -> Any:
    body = {"match": {"against": against, "documentContentType": content_type}} if against else {}
    response = api.create(body)
    assert response.status == 201, response.body
    return response.body


def upload(document_upload: dict[str, Any], body: bytes = PHOTO, content_type: str | None = None) -> int:
    """POST the photo to the upload target as multipart/form-data: every field, then the file last."""
    sent = requests.post(
        document_upload["url"],
        data=document_upload["fields"],
        files={"file": ("photo", body, content_type or document_upload["contentType"])},
        timeout=10,
    )
    return sent.status_code


def live_session(
    api: Api,
    emulator: FaceLivenessEmulator,
    against: str | None,
    *,
    photo: bytes | None = PHOTO,
    confidence: float = 99.0,
    **script: Any,
) -> str:
    """A session that asked for a match, checked with `confidence`, its ID photo uploaded (DOCUMENT, unless
    `photo` is None) and its faces scripted with `script` when given."""
    created = create(api, against)
    session_id: str = created["sessionId"]
    if against == "DOCUMENT" and photo is not None:
        assert upload(created["documentUpload"], photo) == 204
    if script:
        emulator.faces.script(session_id, **script)
    emulator.complete(session_id, confidence=confidence)
    return session_id


def enrol(api: Api, session_id: str) -> ApiResponse:
    return api.call("POST", "/enrolment", {"sessionId": session_id})


def erase_enrolment(api: Api) -> ApiResponse:
    return api.call("DELETE", "/enrolment")


def enrolled_person(api: Api, emulator: FaceLivenessEmulator, face: str = "alice-face") -> str:
    """Enrol a LIVE session showing `face` for the caller: the session's id."""
    session_id = live_session(api, emulator, None, face=face)
    assert api.results(session_id).body["decision"] == "LIVE"
    enrolled = enrol(api, session_id)
    assert enrolled.status == 201, enrolled.body
    return session_id
