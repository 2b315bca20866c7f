"""POST and DELETE /enrolment, and matching against the enrolled person (ENROLLED_PERSON), through the handler,
botocore and the emulator's collection."""

import hashlib
from typing import Any

import pytest

from liveness_api.face_match import person_user_id
from liveness_api.identity import CallerMode, end_user_owner
from liveness_local.backend import LocalBackend
from tests.integration.conftest import emitted_metrics
from tests.integration.face_match_world import (
    MATCH_THRESHOLD,
    PersonApi,
    create,
    enrol,
    enrolled_person,
    erase_enrolment,
    live_session,
    person_api,
)


@pytest.fixture
def alice(backend: LocalBackend, emulator) -> PersonApi:
    return person_api(backend, CallerMode.IAM)


def owner_of(backend: LocalBackend, api: PersonApi) -> str:
    backend_owner = api.owner(backend.settings)
    return end_user_owner(backend_owner, api.end_user) if api.end_user else backend_owner


def user_faces(backend: LocalBackend, api: PersonApi) -> Any:
    """The faces of the caller's person's user in the stack's collection (None: no such user)."""
    view = backend.emulator.faces.collection(backend.resources.collection)
    assert view is not None
    return view.users.get(person_user_id(owner_of(backend, api)))


def test_enrolling_a_live_session_creates_the_persons_user_with_its_face(
    alice: PersonApi, emulator, backend, capfd
) -> None:
    session_id = live_session(alice, emulator, None, face="alice")
    alice.results(session_id)
    capfd.readouterr()

    enrolled = enrol(alice, session_id)

    assert enrolled.status == 201
    assert set(enrolled.body) == {"sessionId", "enrolledAt"}  # no face id, no user id
    assert enrolled.body["sessionId"] == session_id
    assert len(user_faces(backend, alice)) == 1
    indexed = [c for c in emulator.calls if c.operation == "IndexFaces"]
    assert [(c.params["MaxFaces"], c.params["ExternalImageId"], c.params["QualityFilter"]) for c in indexed] == [
        (1, session_id, "AUTO")
    ]
    assert indexed[0].params["Image"]["S3Object"]["Name"].endswith(f"{session_id}/reference.jpg")
    associated = [c for c in emulator.calls if c.operation == "AssociateFaces"]
    assert associated[0].params["UserMatchThreshold"] == MATCH_THRESHOLD
    output = capfd.readouterr().out
    assert [m.name for m in emitted_metrics(output) if m.name == "PersonEnrolled"] == ["PersonEnrolled"]
    # The person's pseudonym never reaches the logs or metrics, nor does the owner it is derived from.
    assert person_user_id(owner_of(backend, alice)) not in output


def test_enrolling_the_same_session_again_changes_nothing(alice: PersonApi, emulator, backend) -> None:
    session_id = enrolled_person(alice, emulator)

    again = enrol(alice, session_id)

    assert again.status == 201
    assert len(user_faces(backend, alice)) == 1
    assert len([c for c in emulator.calls if c.operation == "IndexFaces"]) == 1


def test_another_live_session_of_the_same_person_adds_its_face(alice: PersonApi, emulator, backend) -> None:
    enrolled_person(alice, emulator, face="alice")
    second = live_session(alice, emulator, None, face="alice")
    alice.results(second)

    assert enrol(alice, second).status == 201
    assert len(user_faces(backend, alice)) == 2


def test_a_face_that_is_not_the_enrolled_persons_is_refused_and_deleted(alice: PersonApi, emulator, backend) -> None:
    enrolled_person(alice, emulator, face="alice")
    mallory = live_session(alice, emulator, None, face="mallory")
    alice.results(mallory)

    refused = enrol(alice, mallory)

    assert refused.status == 409
    assert refused.problem["type"].endswith(":face-not-this-person")
    assert len(user_faces(backend, alice)) == 1
    view = backend.emulator.faces.collection(backend.resources.collection)
    assert view is not None
    assert len(view.faces) == 1


@pytest.mark.parametrize("verdict", ["NOT_LIVE", "FAILED", "undecided", "LIVE-but-never-read"])
def test_only_a_session_whose_recorded_verdict_is_live_can_be_enrolled(alice: PersonApi, emulator, verdict) -> None:
    session_id = create(alice, None)["sessionId"]
    if verdict == "NOT_LIVE":
        emulator.complete(session_id, confidence=10.0)
    elif verdict == "FAILED":
        emulator.fail(session_id)
    elif verdict == "LIVE-but-never-read":
        emulator.complete(session_id, confidence=99.0)
    if verdict in ("NOT_LIVE", "FAILED"):
        assert alice.results(session_id).body["decision"] == verdict

    refused = enrol(alice, session_id)

    assert refused.status == 409
    assert refused.problem["type"].endswith(":enrolment-session-not-live")
    assert [c for c in emulator.calls if c.operation in ("CreateUser", "IndexFaces")] == []


def test_a_stale_session_cannot_be_enrolled(alice: PersonApi, emulator, backend) -> None:
    session_id = live_session(alice, emulator, None)
    alice.results(session_id)
    backend.clock.advance(backend.settings.verdict_max_age_seconds + 1)

    refused = enrol(alice, session_id)

    assert refused.status == 409
    assert refused.problem["type"].endswith(":enrolment-session-stale")


def test_another_callers_session_cannot_be_enrolled(alice: PersonApi, backend, emulator) -> None:
    session_id = enrolled_person(alice, emulator)
    mallory = person_api(backend, CallerMode.IAM)

    refused = enrol(mallory, session_id)

    assert refused.status == 404
    assert refused.problem["type"].endswith(":session-not-found")


def test_the_same_backend_naming_another_end_user_cannot_enrol_its_session(alice: PersonApi, emulator) -> None:
    session_id = live_session(alice, emulator, None)
    alice.results(session_id)
    other_end_user = PersonApi(alice.function, alice.identity, end_user="end-user-2")

    assert enrol(other_end_user, session_id).status == 404


def test_a_plain_iam_backend_must_name_the_person(alice: PersonApi, emulator) -> None:
    backend_itself = PersonApi(alice.function, alice.identity, end_user=None)
    session_id = live_session(backend_itself, emulator, None)
    backend_itself.results(session_id)

    for response in (
        enrol(backend_itself, session_id),
        erase_enrolment(backend_itself),
        backend_itself.create({"match": {"against": "ENROLLED_PERSON"}}),
    ):
        assert response.status == 422
        assert [e["field"] for e in response.problem["errors"]] == ["x-end-user"]


def test_guests_cannot_enrol_nor_match_an_enrolled_person(backend: LocalBackend, emulator) -> None:
    guest = person_api(backend, CallerMode.IDENTITY_POOL_GUESTS)
    session_id = live_session(guest, emulator, None)
    guest.results(session_id)

    for response in (
        enrol(guest, session_id),
        erase_enrolment(guest),
        guest.create({"match": {"against": "ENROLLED_PERSON"}}),
    ):
        assert response.status == 403
        assert response.problem["type"].endswith(":person-required")
    # A guest may still match against an ID photo: that needs no stable person.
    assert create(guest, "DOCUMENT")["documentUpload"]


def test_erasing_the_enrolment_removes_the_user_and_its_faces_and_is_idempotent(
    alice: PersonApi, emulator, backend, capfd
) -> None:
    enrolled_person(alice, emulator)
    second = live_session(alice, emulator, None, face="alice-face")
    alice.results(second)
    enrol(alice, second)
    capfd.readouterr()

    assert erase_enrolment(alice).status == 204
    assert erase_enrolment(alice).status == 204

    assert user_faces(backend, alice) is None
    view = backend.emulator.faces.collection(backend.resources.collection)
    assert view is not None
    assert dict(view.faces) == {}
    owner = owner_of(backend, alice)
    person_key = "PERSON#" + hashlib.sha256(owner.encode()).hexdigest()
    item = backend.dynamodb.get_item(TableName=backend.resources.table, Key={"pk": {"S": person_key}})
    assert "Item" not in item
    assert [m.name for m in emitted_metrics(capfd.readouterr().out) if m.name == "EnrolmentErased"] == [
        "EnrolmentErased"
    ]


def test_erasing_without_an_enrolment_is_204(alice: PersonApi) -> None:
    assert erase_enrolment(alice).status == 204


def test_the_duplicate_check_refuses_a_face_another_person_enrolled(backend: LocalBackend, emulator) -> None:
    checking = backend.deploy(backend.settings.model_copy(update={"enrolment_duplicate_check": True}))
    alice = PersonApi(checking, person_api(backend, CallerMode.IAM).identity, end_user="alice")
    bob = PersonApi(checking, alice.identity, end_user="bob")
    enrolled_person(alice, emulator, face="shared-face")
    session_id = live_session(bob, emulator, None, face="shared-face")
    bob.results(session_id)

    refused = enrol(bob, session_id)

    assert refused.status == 409
    assert refused.problem["type"].endswith(":face-already-enrolled")
    assert "alice" not in refused.problem["detail"]
    # Bob's own face is welcome.
    own = live_session(bob, emulator, None, face="bob-face")
    bob.results(own)
    assert enrol(bob, own).status == 201


def test_without_the_duplicate_check_nothing_is_searched_at_enrolment(alice: PersonApi, emulator) -> None:
    enrolled_person(alice, emulator)

    assert [c for c in emulator.calls if c.operation == "SearchUsersByImage"] == []
