"""Every session settled on the server, with no client asking: through the twin's S3 -> EventBridge -> SQS chain for
completed checks and the outbox's delayed message for the rest, by the same domain code as `GET .../results`."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import pytest

from infra.config.events import SETTLEMENT_MAX_RECEIVES
from liveness_api.contract import SESSION_LIFETIME_SECONDS
from liveness_api.metrics_catalogue import SettlementTrigger
from liveness_api.models import SessionResultsResponse
from liveness_api.settlement import EXPIRY_MARGIN, FIRST_ATTEMPT_BEFORE_EXPIRY
from liveness_api.vocabulary import Verdict
from liveness_local.backend import Clock, LocalBackend
from liveness_local.event_pipeline import LOCAL_SETTLEMENT_QUEUE, LocalEventPipeline
from liveness_local.faults import Fault
from tests.integration.conftest import Api, emitted_metrics, race
from tests.integration.event_fixtures import ledger_item, pipeline, receiver, recorded_decision

__all__ = ["pipeline", "receiver"]  # fixtures, used by name
PAST_EXPIRY = SESSION_LIFETIME_SECONDS + EXPIRY_MARGIN.total_seconds() + 1
FIRST_ATTEMPT = SESSION_LIFETIME_SECONDS - FIRST_ATTEMPT_BEFORE_EXPIRY.total_seconds() + 1
MAX_ATTEMPTS = 3  # every client's default in cdk.json


def advance(backend: LocalBackend, seconds: float) -> None:
    clock = backend.clock
    assert isinstance(clock, Clock)
    clock.advance(seconds)


def new_session(api: Api) -> str:
    response = api.create()
    assert response.status == 201, response.body
    return str(response.body["sessionId"])


def completed_checks(output: str) -> list[str]:
    return [m.dimensions["Decision"] for m in emitted_metrics(output) if m.name == "LivenessCheckCompleted"]


def test_a_completed_check_is_recorded_and_counted_without_any_client_call(
    api: Api, emulator: Any, backend: LocalBackend, pipeline: LocalEventPipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline.pump()  # whatever other tests on this twin left behind
    capsys.readouterr()
    session_id = new_session(api)
    pipeline.pump()  # the session's INSERT: only a delayed message, nothing settled yet
    assert recorded_decision(backend, session_id) is None
    emulator.complete(session_id, confidence=99.0)
    pipeline.pump()
    item = ledger_item(backend, session_id)
    assert item is not None
    assert item["counted"] == {"BOOL": True}
    assert recorded_decision(backend, session_id) == Verdict.LIVE
    assert completed_checks(capsys.readouterr().out) == [Verdict.LIVE]
    # The client reads the verdict the server recorded, and nothing is counted twice.
    recorded = json.loads(item["verdict"]["S"])
    read = api.results(session_id)
    assert read.body["decision"] == Verdict.LIVE
    assert read.body["decidedAt"] == recorded["decidedAt"]
    assert completed_checks(capsys.readouterr().out) == []


@pytest.mark.parametrize(
    ("finish", "decision"),
    [
        (lambda emulator, sid: emulator.fail(sid), Verdict.FAILED),  # failed, so no image was written
        (lambda emulator, sid: emulator.expire(sid), Verdict.EXPIRED),
    ],
)
def test_a_session_finished_without_images_is_recorded_shortly_before_its_lifetime_ends(
    api: Api, emulator: Any, backend: LocalBackend, pipeline: LocalEventPipeline, finish: Any, decision: Verdict
) -> None:
    pipeline.pump()
    session_id = new_session(api)
    finish(emulator, session_id)
    # The outbox reads the INSERT once the first attempt is due: its message is delivered at once. Rekognition
    # still knows the session, so a FAILED check is recorded FAILED (and counted as a failure), not EXPIRED.
    advance(backend, FIRST_ATTEMPT)
    pipeline.pump()
    assert recorded_decision(backend, session_id) == decision
    assert ledger_item(backend, session_id)["counted"] == {"BOOL": True}  # type: ignore[index]


@pytest.mark.parametrize("in_progress", [False, True])  # abandoned before streaming, or closed mid-check
def test_an_abandoned_session_is_recorded_expired_after_its_lifetime(
    api: Api, emulator: Any, backend: LocalBackend, pipeline: LocalEventPipeline, in_progress: bool
) -> None:
    pipeline.pump()
    session_id = new_session(api)
    if in_progress:
        emulator.start(session_id)
    advance(backend, FIRST_ATTEMPT)
    pipeline.pump()  # still PENDING: deferred until the lifetime and the margin are over
    assert recorded_decision(backend, session_id) is None
    advance(backend, PAST_EXPIRY - FIRST_ATTEMPT)
    pipeline.pump()
    assert recorded_decision(backend, session_id) == Verdict.EXPIRED


def test_failures_nobody_reads_count_towards_the_abuse_limit_within_seconds(
    api: Api, emulator: Any, backend: LocalBackend, pipeline: LocalEventPipeline
) -> None:
    for _ in range(backend.settings.abuse_max_failures):
        session_id = new_session(api)
        emulator.complete(session_id, confidence=1.0)
        pipeline.pump()  # settled NOT_LIVE: its failure counted and its open-session slot freed
        assert recorded_decision(backend, session_id) == Verdict.NOT_LIVE
    refused = api.create()
    assert refused.status == 429, refused.body
    assert refused.problem["type"].endswith("too-many-failed-checks")


def test_a_reference_image_seen_before_the_session_succeeded_is_redelivered_until_decided(
    api: Api, emulator: Any, backend: LocalBackend, pipeline: LocalEventPipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id = new_session(api)
    emulator.start(session_id)
    key = f"{backend.settings.image_key_prefix}{session_id}/reference.jpg"
    backend.s3.put_object(Bucket=backend.resources.bucket, Key=key, Body=b"not yet")
    pipeline.pump()
    assert recorded_decision(backend, session_id) is None  # still IN_PROGRESS: deferred, not decided
    assert [m for m in emitted_metrics(capsys.readouterr().out) if m.name == "SettlementDeferred"]
    emulator.complete(session_id, confidence=99.0)
    pipeline.pump()
    assert recorded_decision(backend, session_id) == Verdict.LIVE


@pytest.mark.parametrize(
    ("service", "operation", "body_contains"),
    [
        ("rekognition", "GetFaceLivenessSessionResults", None),
        ("dynamodb", "UpdateItem", "SET verdict"),
        ("dynamodb", "GetItem", None),
    ],
)
def test_throttling_is_redelivered_and_settled_later(
    api: Api,
    emulator: Any,
    backend: LocalBackend,
    pipeline: LocalEventPipeline,
    service: str,
    operation: str,
    body_contains: str | None,
) -> None:
    session_id = new_session(api)
    pipeline.pump()
    # Every attempt botocore makes fails: the message returns to the queue.
    backend.faults.inject(service, operation, Fault.THROTTLED, MAX_ATTEMPTS, body_contains)
    emulator.complete(session_id, confidence=99.0)
    pipeline.pump()
    assert recorded_decision(backend, session_id) is None
    assert backend.faults.pending == 0
    pipeline.pump()  # redelivered
    assert recorded_decision(backend, session_id) == Verdict.LIVE


def test_an_erased_session_has_nothing_to_settle(
    api: Api, emulator: Any, backend: LocalBackend, pipeline: LocalEventPipeline
) -> None:
    session_id = new_session(api)
    assert api.erase(session_id).status == 204
    advance(backend, PAST_EXPIRY)
    pipeline.pump()
    pipeline.pump()
    assert ledger_item(backend, session_id) is None


@pytest.mark.parametrize(("confidence", "decision"), [(99.0, Verdict.LIVE), (1.0, Verdict.NOT_LIVE)])
def test_a_client_read_racing_the_worker_records_and_counts_the_check_once(
    api: Api,
    emulator: Any,
    backend: LocalBackend,
    pipeline: LocalEventPipeline,
    capsys: pytest.CaptureFixture[str],
    confidence: float,
    decision: Verdict,
) -> None:
    owner = api.owner(backend.settings)
    client = backend.function.dependencies.sessions
    for _ in range(3):
        session_id = new_session(api)
        emulator.complete(session_id, confidence=confidence)
        capsys.readouterr()
        calls: list[Callable[[], object]] = [
            functools.partial(client.results, owner, session_id),
            functools.partial(pipeline.settlement.settle, session_id, SettlementTrigger.EXPIRY),
        ]
        read, settled = race(calls)
        assert isinstance(read, SessionResultsResponse)
        assert read.decision == settled == decision
        assert completed_checks(capsys.readouterr().out) == [decision]
        caller = backend.dynamodb.scan(TableName=backend.resources.table)["Items"]
        failures = [
            item["failures"]["M"] for item in caller if "failures" in item and session_id in item["failures"]["M"]
        ]
        assert len(failures) == (1 if decision == Verdict.NOT_LIVE else 0)


def test_a_message_that_names_no_session_is_dead_lettered_after_its_last_delivery(
    backend: LocalBackend, pipeline: LocalEventPipeline
) -> None:
    sqs = backend.session.client("sqs")
    queue = sqs.get_queue_url(QueueName=LOCAL_SETTLEMENT_QUEUE)["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody='{"sessionId": "not a session"}')
    for _ in range(SETTLEMENT_MAX_RECEIVES):
        pipeline.pump()  # delivered, refused, returned to the queue
    pipeline.pump()  # the next receive finds it delivered as often as allowed: SQS moves it
    dead: list[Any] = []
    while batch := sqs.receive_message(QueueUrl=pipeline.settlement_dead_letters_url, MaxNumberOfMessages=10).get(
        "Messages"
    ):
        dead.extend(json.loads(message["Body"]) for message in batch)
    assert {"sessionId": "not a session"} in dead
