"""Faults of the face-matching calls, injected in front of the emulator and moto on the function's own clients
(botocore's retries run): throttled and unavailable are 503 with Retry-After and record nothing, so the next read
decides; access denied and a missing collection are 500s logged once; enrolment and its erasure resume where a
fault stopped them."""

from typing import Any

import pytest

from liveness_api.identity import CallerMode
from liveness_local.backend import LocalBackend
from liveness_local.faults import DependencyFaults, Fault
from tests.integration.conftest import emitted_metrics, log_records
from tests.integration.face_match_world import (
    PersonApi,
    enrol,
    enrolled_person,
    erase_enrolment,
    live_session,
    person_api,
)

# (fault, status, Retry-After, the FaceMatchError's ErrorType)
FAULTS = [
    ("ThrottlingException", 503, "1", "Throttled"),
    ("ProvisionedThroughputExceededException", 503, "1", "Throttled"),
    ("InternalServerError", 503, "5", "ServiceUnavailable"),
    (Fault.TIMEOUT, 503, "5", "ServiceUnavailable"),
    ("AccessDeniedException", 500, None, "AccessDenied"),
]


@pytest.fixture
def alice(backend: LocalBackend, emulator) -> PersonApi:
    return person_api(backend, CallerMode.IAM)


def attempts(backend: LocalBackend) -> int:
    """Enough injected failures to outlast botocore's retries."""
    return backend.settings.rekognition_max_attempts


def verdict_of(backend: LocalBackend, session_id: str) -> Any:
    item = backend.dynamodb.get_item(TableName=backend.resources.table, Key={"pk": {"S": f"SESSION#{session_id}"}})
    return item["Item"].get("verdict")


@pytest.mark.parametrize(("fault", "status", "retry_after", "error_type"), FAULTS, ids=str)
@pytest.mark.parametrize(
    ("against", "operation"), [("DOCUMENT", "CompareFaces"), ("ENROLLED_PERSON", "SearchUsersByImage")]
)
def test_a_failed_match_records_nothing_and_the_next_read_decides(
    alice: PersonApi,
    emulator,
    backend,
    faults: DependencyFaults,
    capfd,
    log_output,
    fault,
    status,
    retry_after,
    error_type,
    against,
    operation,
) -> None:
    if against == "ENROLLED_PERSON":
        enrolled_person(alice, emulator, face="default-face")
    session_id = live_session(alice, emulator, against)
    # botocore retries the transient faults, never access denied.
    faults.inject("rekognition", operation, fault, times=attempts(backend) if status == 503 else 1)
    capfd.readouterr()

    failed = alice.results(session_id)

    assert failed.status == status
    assert failed.headers.get("Retry-After") == retry_after
    output = capfd.readouterr().out
    assert [m.dimensions["ErrorType"] for m in emitted_metrics(output) if m.name == "FaceMatchError"] == [error_type]
    assert not [m for m in emitted_metrics(output) if m.name in ("LivenessCheckCompleted", "FaceMatchCompleted")]
    if status == 500:
        errors = [r for r in log_records(log_output.getvalue()) if r["level"] == "ERROR"]
        assert len(errors) == 1  # once, where it failed; not again by the error mapping
        assert errors[0]["operation"] == operation
    assert verdict_of(backend, session_id) is None

    decided = alice.results(session_id)

    assert decided.status == 200
    assert decided.body["match"]["outcome"] == "MATCH"


@pytest.mark.parametrize("fault", [Fault.THROTTLED, Fault.UNAVAILABLE], ids=str)
def test_a_failed_look_for_the_photo_is_503_and_records_nothing(
    api, emulator, backend, faults: DependencyFaults, fault
) -> None:
    session_id = live_session(api, emulator, "DOCUMENT")
    faults.inject("s3", "HeadObject", fault, times=backend.settings.s3_max_attempts)

    failed = api.results(session_id)

    assert failed.status == 503
    assert failed.problem["type"].endswith(":temporarily-unavailable")
    assert verdict_of(backend, session_id) is None
    assert api.results(session_id).body["match"]["outcome"] == "MATCH"


@pytest.mark.parametrize("operation", ["CreateUser", "IndexFaces", "AssociateFaces"])
def test_an_enrolment_that_failed_midway_completes_when_repeated(
    alice: PersonApi, emulator, backend, faults: DependencyFaults, operation
) -> None:
    session_id = live_session(alice, emulator, None)
    alice.results(session_id)
    faults.inject("rekognition", operation, "ThrottlingException", times=attempts(backend))

    failed = enrol(alice, session_id)

    assert failed.status == 503
    assert failed.headers["Retry-After"] == "1"
    assert enrol(alice, session_id).status == 201
    # One face indexed and associated, whatever attempt got how far.
    view = backend.emulator.faces.collection(backend.resources.collection)
    assert view is not None
    assert [len(faces) for faces in view.users.values()] == [1]
    assert len(view.faces) == 1


@pytest.mark.parametrize("operation", ["DeleteUser", "DeleteFaces"])
def test_an_erasure_that_failed_midway_completes_when_repeated(
    alice: PersonApi, emulator, backend, faults: DependencyFaults, operation
) -> None:
    enrolled_person(alice, emulator)
    faults.inject("rekognition", operation, "InternalServerError", times=attempts(backend))

    assert erase_enrolment(alice).status == 503
    assert erase_enrolment(alice).status == 204

    view = backend.emulator.faces.collection(backend.resources.collection)
    assert view is not None
    assert (dict(view.users), dict(view.faces)) == ({}, {})


def test_a_missing_collection_is_a_500_naming_what_to_check(backend: LocalBackend, emulator, capfd, log_output) -> None:
    misdeployed = backend.deploy(backend.settings.model_copy(update={"face_collection_id": "no-such-collection"}))
    alice = PersonApi(misdeployed, person_api(backend, CallerMode.IAM).identity, end_user="alice")
    session_id = live_session(alice, emulator, None)
    alice.results(session_id)
    capfd.readouterr()

    failed = enrol(alice, session_id)

    assert failed.status == 500
    output = capfd.readouterr().out
    assert [m.dimensions["ErrorType"] for m in emitted_metrics(output) if m.name == "FaceMatchError"] == [
        "ResourceNotFound"
    ]
    errors = [r for r in log_records(log_output.getvalue()) if r["level"] == "ERROR"]
    assert len(errors) == 1
    assert "collection" in errors[0]["message"]
