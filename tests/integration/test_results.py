"""GET /sessions/{id}/results and DELETE /sessions/{id}: decisions, ownership, immutable verdicts, erasure."""

import functools
import hashlib
import uuid
from datetime import timedelta
from typing import Any

import pytest

from liveness_api.adapters.ledger import DynamoSessionLedger
from liveness_api.vocabulary import LivenessOperation
from liveness_local.backend import LocalBackend
from liveness_local.emulated_session import RecordedCall
from liveness_local.emulator import FaceLivenessEmulator
from liveness_local.faults import DependencyFaults
from tests.integration.conftest import Api, emitted_metrics, race

THRESHOLD = 90.0  # cdk.json's livenessThreshold


def result_calls(emulator: FaceLivenessEmulator) -> list[RecordedCall]:
    return [call for call in emulator.calls if call.operation == LivenessOperation.GET_RESULTS]


def new_session(api: Api, **body) -> str:
    response = api.create(body or None)
    assert response.status == 201
    return str(response.body["sessionId"])


@pytest.mark.parametrize(
    ("drive", "status", "decision"),
    [
        (lambda emulator, sid: None, "CREATED", "PENDING"),
        (lambda emulator, sid: emulator.start(sid), "IN_PROGRESS", "PENDING"),
        (lambda emulator, sid: emulator.complete(sid, confidence=97.5), "SUCCEEDED", "LIVE"),
        (lambda emulator, sid: emulator.complete(sid, confidence=THRESHOLD), "SUCCEEDED", "LIVE"),
        (lambda emulator, sid: emulator.complete(sid, confidence=THRESHOLD - 0.01), "SUCCEEDED", "NOT_LIVE"),
        (lambda emulator, sid: emulator.fail(sid), "FAILED", "FAILED"),
        (lambda emulator, sid: emulator.expire(sid), "EXPIRED", "EXPIRED"),
    ],
)
def test_every_status_maps_to_its_decision(api: Api, emulator, drive, status, decision) -> None:
    session_id = new_session(api)
    drive(emulator, session_id)

    response = api.results(session_id)

    assert response.status == 200
    assert response.body["sessionId"] == session_id
    assert response.body["status"] == status
    assert response.body["decision"] == decision
    assert response.body["threshold"] == THRESHOLD


def test_a_live_result_references_images_in_s3_and_never_returns_bytes(api: Api, emulator, backend) -> None:
    session_id = new_session(api, auditImagesLimit=2)
    emulator.complete(session_id, confidence=99.0)

    body = api.results(session_id).body

    assert body["confidence"] == 99.0
    assert body["challenge"]["type"] == "FaceMovementAndLightChallenge"
    reference = body["referenceImage"]
    assert reference["bucket"] == backend.resources.bucket
    assert reference["key"].startswith(f"{backend.config.image_key_prefix}{session_id}/")
    assert set(reference["boundingBox"]) == {"width", "height", "left", "top"}
    assert len(body["auditImages"]) == 2
    for image in [reference, *body["auditImages"]]:
        head = backend.s3.head_object(Bucket=image["bucket"], Key=image["key"], VersionId=image["version"])
        assert head["ServerSideEncryption"] == "aws:kms"
    assert "bytes" not in str(body).lower()


def test_pending_results_are_not_recorded(api: Api, emulator) -> None:
    session_id = new_session(api)
    assert api.results(session_id).body["decision"] == "PENDING"
    emulator.complete(session_id, confidence=95.0)

    assert api.results(session_id).body["decision"] == "LIVE"


def test_the_first_terminal_verdict_is_final(api: Api, emulator, backend) -> None:
    session_id = new_session(api)
    emulator.complete(session_id, confidence=40.0)
    first = api.results(session_id).body
    calls_after_first = len(result_calls(emulator))

    # Rekognition forgets the session; the verdict stays, and Rekognition is not asked again.
    backend.clock.advance(3600)
    later = api.results(session_id)

    assert later.status == 200
    # The same verdict; only its freshness has changed with the hour.
    assert later.body == {**first, "stale": True}
    assert first["decision"] == "NOT_LIVE"
    assert first["stale"] is False
    assert len(result_calls(emulator)) == calls_after_first


def test_a_concurrent_write_cannot_change_a_recorded_verdict(api: Api, emulator, backend) -> None:
    session_id = new_session(api)
    emulator.complete(session_id, confidence=20.0)
    settings = backend.settings
    ledger = DynamoSessionLedger(
        backend.dynamodb,
        settings.ledger_table,
        retention=timedelta(days=settings.retention_days),
        max_failures=settings.abuse_max_failures,
        failure_window=timedelta(seconds=settings.abuse_window_seconds),
        cooldown=timedelta(seconds=settings.abuse_cooldown_seconds),
    )
    first = '{"decision":"NOT_LIVE","marker":"first"}'
    assert ledger.record_verdict(session_id, first).verdict == first

    # Rekognition now says LIVE (a second, different terminal result): the recorded verdict stands.
    winner = ledger.record_verdict(session_id, '{"decision":"LIVE","marker":"second"}')

    assert winner.verdict == first


def test_racing_result_fetches_record_one_verdict_and_count_it_once(api: Api, emulator, backend, capfd) -> None:
    session_id = new_session(api)
    emulator.complete(session_id, confidence=12.0)
    capfd.readouterr()
    sessions, owner = backend.function.dependencies.sessions, api.owner(backend.settings)

    verdicts = race([lambda: sessions.results(owner=owner, session_id=session_id)] * 6)

    assert len({verdict.model_dump_json() for verdict in verdicts}) == 1
    assert api.results(session_id).body == verdicts[0].model_dump(mode="json", by_alias=True)
    # Threads interleave their output lines, so count the metric's values rather than parse the lines.
    assert capfd.readouterr().out.count('"LivenessCheckCompleted":[1.0]') == 1


def test_session_not_found_in_rekognition_becomes_expired(api: Api, emulator, backend) -> None:
    session_id = new_session(api)
    backend.clock.advance(181)

    body = api.results(session_id).body

    assert body["status"] == "EXPIRED"
    assert body["decision"] == "EXPIRED"


def test_results_of_someone_elses_session_look_exactly_like_no_session(api: Api, other_api: Api, emulator) -> None:
    session_id = new_session(api)
    emulator.complete(session_id, confidence=99.0)
    calls_before = len(result_calls(emulator))

    theirs = other_api.results(session_id)
    nobodys = other_api.results(str(uuid.uuid4()))

    assert theirs.status == nobodys.status == 404
    strip = {"requestId"}
    assert {k: v for k, v in theirs.problem.items() if k not in strip} == {
        k: v for k, v in nobodys.problem.items() if k not in strip
    }
    assert len(result_calls(emulator)) == calls_before  # not even Rekognition was asked


@pytest.mark.parametrize("bad", ["not-a-uuid", "3F2504E0-4F89-11D3-9A0C-0305E82C3301", "1234"])
def test_malformed_session_ids_are_422_before_any_aws_call(api: Api, emulator, bad) -> None:
    response = api.results(bad)

    assert response.status == 422
    assert response.problem["errors"][0]["field"] == "sessionId"
    assert not result_calls(emulator)


def test_throttled_results_are_429_with_retry_after(api: Api, faults: DependencyFaults, emulator) -> None:
    session_id = new_session(api)
    faults.inject("rekognition", LivenessOperation.GET_RESULTS, "ThrottlingException", times=10)

    response = api.results(session_id)

    assert response.status == 429
    assert response.headers["Retry-After"]


def test_completed_checks_emit_decision_confidence_and_fetch_metrics(api: Api, emulator, capfd) -> None:
    session_id = new_session(api)
    emulator.complete(session_id, confidence=93.0)
    capfd.readouterr()

    api.results(session_id)
    api.results(session_id)

    metrics = emitted_metrics(capfd.readouterr().out)
    completed = [m for m in metrics if m.name == "LivenessCheckCompleted"]
    assert [m.dimensions for m in completed] == [{"service": "face-liveness-api", "Decision": "LIVE"}]
    assert [m.value for m in metrics if m.name == "LivenessConfidence"] == [93.0]
    assert len([m for m in metrics if m.name == "ResultsFetched"]) == 2
    for metric in metrics:
        assert session_id not in str(metric.dimensions)


# Erasure ---------------------------------------------------------------------------------------------------


def object_versions(backend: LocalBackend, session_id: str) -> list[dict[str, Any]]:
    listing = backend.s3.list_object_versions(
        Bucket=backend.resources.bucket, Prefix=f"{backend.config.image_key_prefix}{session_id}/"
    )
    versions: list[dict[str, Any]] = listing.get("Versions", []) + listing.get("DeleteMarkers", [])
    return versions


def test_erase_deletes_every_object_version_then_the_record(api: Api, emulator, backend, capfd) -> None:
    session_id = new_session(api, auditImagesLimit=4)
    emulator.complete(session_id, confidence=99.0)
    reference_key = api.results(session_id).body["referenceImage"]["key"]
    # An overwritten and a deleted object leave older versions and delete markers behind: all must go.
    backend.s3.put_object(Bucket=backend.resources.bucket, Key=reference_key, Body=b"second version")
    backend.s3.delete_object(Bucket=backend.resources.bucket, Key=reference_key)
    assert len(object_versions(backend, session_id)) == 7
    capfd.readouterr()

    response = api.erase(session_id)

    assert response.status == 204
    assert response.body is None
    assert object_versions(backend, session_id) == []
    assert api.results(session_id).status == 404
    assert [m.name for m in emitted_metrics(capfd.readouterr().out)].count("SessionErased") == 1


def test_erasing_twice_is_harmless(api: Api, emulator) -> None:
    session_id = new_session(api)
    assert api.erase(session_id).status == 204

    again = api.erase(session_id)

    assert again.status == 404
    assert again.problem["type"].endswith("session-not-found")


def test_another_caller_cannot_erase(api: Api, other_api: Api, emulator, backend) -> None:
    session_id = new_session(api)
    emulator.complete(session_id, confidence=99.0)

    assert other_api.erase(session_id).status == 404
    assert len(object_versions(backend, session_id)) == 1
    assert api.results(session_id).status == 200


# Abuse limit -----------------------------------------------------------------------------------------------


def fail_checks(api: Api, emulator, count: int) -> None:
    for index in range(count):
        session_id = new_session(api)
        if index % 2:
            emulator.fail(session_id)
        else:
            emulator.complete(session_id, confidence=1.0)
        assert api.results(session_id).body["decision"] in ("FAILED", "NOT_LIVE")


def test_too_many_failures_refuse_new_sessions_for_the_cooldown(
    api: Api, other_api: Api, emulator, backend, capfd
) -> None:
    fail_checks(api, emulator, 5)
    capfd.readouterr()

    refused = api.create()

    assert refused.status == 429
    assert refused.problem["type"].endswith("too-many-failed-checks")
    assert 1790 <= int(refused.headers["Retry-After"]) <= 1800
    assert "Too many liveness checks failed" in refused.problem["detail"]
    assert [m.name for m in emitted_metrics(capfd.readouterr().out)] == ["SessionRefusedByAbuseLimit"]
    assert other_api.create().status == 201  # only this caller is refused

    backend.clock.advance(1801)
    assert api.create().status == 201


def test_failures_outside_the_window_do_not_add_up(api: Api, emulator, backend) -> None:
    fail_checks(api, emulator, 4)
    backend.clock.advance(181)
    fail_checks(api, emulator, 4)

    assert api.create().status == 201


def test_expired_and_live_checks_do_not_count(api: Api, emulator) -> None:
    for _ in range(6):
        session_id = new_session(api)
        emulator.expire(session_id)
        api.results(session_id)

    assert api.create().status == 201


def test_a_concurrent_burst_of_failures_cannot_slip_past_the_limit(api: Api, emulator, backend) -> None:
    # Twelve sessions open at once: a deployment whose open-session cap allows that.
    roomy = backend.deploy(backend.settings.model_copy(update={"max_open_sessions": 12}))
    api = Api(roomy, api.identity)
    sessions = [new_session(api) for _ in range(12)]
    for session_id in sessions:
        emulator.complete(session_id, confidence=5.0)
    domain, owner = roomy.dependencies.sessions, api.owner(backend.settings)

    race([functools.partial(domain.results, owner=owner, session_id=sid) for sid in sessions])

    caller_key = "CALLER#" + hashlib.sha256(owner.encode()).hexdigest()
    caller = backend.dynamodb.get_item(TableName=backend.resources.table, Key={"pk": {"S": caller_key}})["Item"]
    assert int(caller["blockedUntil"]["N"]) > backend.clock().timestamp()
    assert sorted(caller["failures"]["M"]) == sorted(sessions)  # no failure lost to the race
    assert [response.status for response in race([api.create] * 8)] == [429] * 8
