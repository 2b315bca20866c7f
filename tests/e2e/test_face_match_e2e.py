"""Face match over real HTTP: the ID photo uploaded with the create response's presigned POST (to S3's POST Object,
the twin's locally), the match read with the results, and enrolment with a match against the enrolled person.

The API's caller is a backend in plain IAM mode here (the default deployment), so it names its end user with
X-End-User wherever a person is meant."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from liveness_local.jpeg import solid_grey_jpeg
from tests.e2e.conftest import Client, Target, assert_problem

pytestmark = pytest.mark.e2e

PERSON = {"X-End-User": "e2e-person"}
PHOTO = solid_grey_jpeg(24, 32, 90)


def create_with_match(client: Client, against: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.request(
        "POST", "/sessions", json_body={"match": {"against": against}}, headers={**(headers or {})}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def upload(document_upload: dict[str, Any], body: bytes = PHOTO) -> int:
    # As a browser or a backend sends it: multipart/form-data, every field, then the file last.
    sent = requests.post(
        document_upload["url"],
        data=document_upload["fields"],
        files={"file": ("photo.jpg", body, document_upload["contentType"])},
        timeout=30,
    )
    return sent.status_code


def complete(client: Client, session_id: str, **faces: Any) -> None:
    if faces:
        assert client.control(f"/sessions/{session_id}/faces", faces).status_code == 204
    assert client.control(f"/sessions/{session_id}/complete", {"live": True}).status_code == 204


@pytest.mark.parametrize(("faces", "outcome"), [({}, "MATCH"), ({"documentFace": "someone-else"}, "NO_MATCH")])
def test_an_id_photo_uploaded_to_its_target_is_matched_on_the_server(
    client: Client, target: Target, faces, outcome
) -> None:
    target.require_local()
    created = create_with_match(client, "DOCUMENT")
    target_of_upload = created["documentUpload"]
    assert target_of_upload["fields"]["key"].endswith(f"{created['sessionId']}/document")

    assert upload(target_of_upload) == 204
    complete(client, created["sessionId"], **faces)
    results = client.results(created["sessionId"])

    assert results.status_code == 200, results.text
    match = results.json()["match"]
    assert (match["against"], match["outcome"]) == ("DOCUMENT", outcome)
    assert set(match) == {"against", "outcome", "similarity", "threshold"}
    # Decided once: the same answer on every read.
    assert client.results(created["sessionId"]).json()["match"] == match


def test_without_a_photo_the_match_is_not_uploaded(client: Client, target: Target) -> None:
    target.require_local()
    session_id = create_with_match(client, "DOCUMENT")["sessionId"]
    complete(client, session_id)

    assert client.results(session_id).json()["match"]["outcome"] == "NOT_UPLOADED"


def test_enrol_match_and_erase_an_enrolled_person(client: Client, other_client: Client, target: Target) -> None:
    target.require_local()
    enrolled = create_with_match(client, "DOCUMENT", PERSON)["sessionId"]
    complete(client, enrolled, face="e2e-alice")
    assert client.request("GET", f"/sessions/{enrolled}/results", headers=PERSON).json()["decision"] == "LIVE"

    # Another caller cannot enrol this session, whatever end user it names.
    assert_problem(
        other_client.request("POST", "/enrolment", json_body={"sessionId": enrolled}, headers=PERSON),
        404,
        "session-not-found",
    )
    response = client.request("POST", "/enrolment", json_body={"sessionId": enrolled}, headers=PERSON)
    assert response.status_code == 201, response.text
    assert set(response.json()) == {"sessionId", "enrolledAt"}

    later = create_with_match(client, "ENROLLED_PERSON", PERSON)["sessionId"]
    complete(client, later, face="e2e-alice")
    match = client.request("GET", f"/sessions/{later}/results", headers=PERSON).json()["match"]
    assert (match["against"], match["outcome"]) == ("ENROLLED_PERSON", "MATCH")

    assert client.request("DELETE", "/enrolment", headers=PERSON).status_code == 204
    assert client.request("DELETE", "/enrolment", headers=PERSON).status_code == 204
    after = create_with_match(client, "ENROLLED_PERSON", PERSON)["sessionId"]
    complete(client, after, face="e2e-alice")
    assert client.request("GET", f"/sessions/{after}/results", headers=PERSON).json()["match"]["outcome"] == (
        "NOT_ENROLLED"
    )


def test_a_backend_that_names_no_person_cannot_enrol(client: Client) -> None:
    session_id = client.new_session()

    body = assert_problem(client.request("POST", "/enrolment", json_body={"sessionId": session_id}), 422)
    assert [error["field"] for error in body["errors"]] == ["x-end-user"]
