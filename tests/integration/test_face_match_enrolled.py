"""Matching the live face against the caller's enrolled person (ENROLLED_PERSON): every outcome, and in each caller
mode, that nobody can match against a person or an image that is not theirs."""

import pytest

from liveness_api.face_match import person_user_id
from liveness_api.identity import CallerMode
from liveness_local.backend import LocalBackend
from tests.integration.face_match_world import (
    MATCH_THRESHOLD,
    PersonApi,
    create,
    enrol,
    enrolled_person,
    live_session,
    person_api,
    upload,
)

# Every mode in which a caller is one person (guests are not: test_enrolment.py).
PERSON_MODES = (CallerMode.IAM, CallerMode.USER_POOL, CallerMode.IDENTITY_POOL)


@pytest.fixture
def alice(backend: LocalBackend, emulator) -> PersonApi:
    return person_api(backend, CallerMode.IAM)


def test_the_enrolled_persons_live_face_is_a_match(alice: PersonApi, emulator) -> None:
    enrolled_person(alice, emulator, face="alice")
    session_id = live_session(alice, emulator, "ENROLLED_PERSON", face="alice")

    match = alice.results(session_id).body["match"]

    assert match == {
        "against": "ENROLLED_PERSON",
        "outcome": "MATCH",
        "similarity": pytest.approx(99.2),
        "threshold": MATCH_THRESHOLD,
    }
    searched = [c for c in emulator.calls if c.operation == "SearchUsersByImage"]
    assert len(searched) == 1
    assert searched[0].params["Image"]["S3Object"]["Name"].endswith(f"{session_id}/reference.jpg")


def test_someone_elses_live_face_is_no_match(alice: PersonApi, emulator) -> None:
    enrolled_person(alice, emulator, face="alice")
    session_id = live_session(alice, emulator, "ENROLLED_PERSON", face="mallory")

    match = alice.results(session_id).body["match"]

    assert match["outcome"] == "NO_MATCH"
    assert match["similarity"] < MATCH_THRESHOLD


def test_a_similarity_just_below_the_threshold_is_no_match(alice: PersonApi, emulator) -> None:
    enrolled_person(alice, emulator, face="alice")
    session_id = live_session(alice, emulator, "ENROLLED_PERSON", face="alice", similarity=MATCH_THRESHOLD - 0.5)

    match = alice.results(session_id).body["match"]

    assert match["outcome"] == "NO_MATCH"
    assert match["similarity"] == pytest.approx(MATCH_THRESHOLD - 0.5)


def test_without_an_enrolment_the_match_is_not_enrolled_and_nothing_is_searched(alice: PersonApi, emulator) -> None:
    session_id = live_session(alice, emulator, "ENROLLED_PERSON")

    assert alice.results(session_id).body["match"]["outcome"] == "NOT_ENROLLED"
    assert [c for c in emulator.calls if c.operation == "SearchUsersByImage"] == []


def test_a_failed_check_attempts_no_match(alice: PersonApi, emulator) -> None:
    enrolled_person(alice, emulator, face="alice")
    session_id = live_session(alice, emulator, "ENROLLED_PERSON", face="alice", confidence=5.0)

    assert alice.results(session_id).body["match"]["outcome"] == "NOT_ATTEMPTED"


def test_after_erasing_the_enrolment_the_match_is_not_enrolled(alice: PersonApi, emulator) -> None:
    enrolled_person(alice, emulator, face="alice")
    assert alice.call("DELETE", "/enrolment").status == 204
    session_id = live_session(alice, emulator, "ENROLLED_PERSON", face="alice")

    assert alice.results(session_id).body["match"]["outcome"] == "NOT_ENROLLED"


@pytest.mark.parametrize("mode", PERSON_MODES, ids=str)
def test_a_match_is_only_ever_against_the_callers_own_person(backend: LocalBackend, emulator, mode) -> None:
    """Alice and Bob look alike (the same face), and only Bob enrolled: Alice's match finds no person of hers, and
    is never answered with Bob's, however alike."""
    alice, bob = person_api(backend, mode), person_api(backend, mode)
    enrolled_person(bob, emulator, face="twins")
    session_id = live_session(alice, emulator, "ENROLLED_PERSON", face="twins")

    assert alice.results(session_id).body["match"]["outcome"] == "NOT_ENROLLED"

    enrolled_person(alice, emulator, face="twins")
    second = live_session(alice, emulator, "ENROLLED_PERSON", face="twins")
    match = alice.results(second).body["match"]
    # Matched by her own person's user, found in the search beside Bob's.
    assert match["outcome"] == "MATCH"
    view = backend.emulator.faces.collection(backend.resources.collection)
    assert view is not None
    assert len(view.users) == 2


@pytest.mark.parametrize("mode", PERSON_MODES, ids=str)
def test_nobody_can_enrol_or_match_with_another_callers_session(backend: LocalBackend, emulator, mode) -> None:
    alice, mallory = person_api(backend, mode), person_api(backend, mode)
    session_id = live_session(alice, emulator, "DOCUMENT")
    assert alice.results(session_id).body["match"]["outcome"] == "MATCH"

    assert enrol(mallory, session_id).status == 404
    assert mallory.results(session_id).status == 404
    view = backend.emulator.faces.collection(backend.resources.collection)
    assert view is not None
    assert dict(view.users) == {}


@pytest.mark.parametrize("mode", PERSON_MODES, ids=str)
def test_an_upload_target_names_only_the_callers_new_session(backend: LocalBackend, emulator, mode) -> None:
    """The key is the server's: each session's target is its own, and one target cannot place a photo elsewhere."""
    alice, mallory = person_api(backend, mode), person_api(backend, mode)
    alices = create(alice, "DOCUMENT")
    mallorys = create(mallory, "DOCUMENT")

    assert alices["documentUpload"]["fields"]["key"].split("/")[-2] == alices["sessionId"]
    assert mallorys["documentUpload"]["fields"]["key"].split("/")[-2] == mallorys["sessionId"]
    # Mallory uploads with her own target: Alice's session still has no photo.
    assert upload(mallorys["documentUpload"]) == 204
    emulator.complete(alices["sessionId"], confidence=99.0)
    assert alice.results(alices["sessionId"]).body["match"]["outcome"] == "NOT_UPLOADED"


def test_the_persons_user_id_is_a_pseudonym_of_the_owner() -> None:
    user_id = person_user_id("cognito-user:abc")

    assert len(user_id) == 64
    assert set(user_id) <= set("0123456789abcdef")
    assert user_id != person_user_id("cognito-user:abd")
    assert "abc" not in user_id
