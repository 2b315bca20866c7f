"""Fresh, single-use verdicts: the results' timestamps and staleness, and POST /sessions/{id}/consume."""

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from liveness_api.errors import VerdictAlreadyConsumed
from liveness_local.backend import Clock, LocalBackend
from liveness_local.emulator import FaceLivenessEmulator
from tests.integration.conftest import Api, race

PROBLEM = "urn:face-liveness-api:problem:"


def decided_session(api: Api, emulator: FaceLivenessEmulator, confidence: float = 99.0) -> str:
    session_id = str(api.create().body["sessionId"])
    emulator.complete(session_id, confidence=confidence)
    assert api.results(session_id).status == 200
    return session_id


def moment(value: str) -> datetime:
    assert value.endswith("Z"), value  # ISO 8601 in UTC
    return datetime.fromisoformat(value)


def advance(backend: LocalBackend, seconds: float) -> None:
    assert isinstance(backend.clock, Clock)
    backend.clock.advance(seconds)


def stored_item(backend: LocalBackend, session_id: str) -> dict[str, Any]:
    item: dict[str, Any] = backend.dynamodb.get_item(
        TableName=backend.resources.table, Key={"pk": {"S": f"SESSION#{session_id}"}}, ConsistentRead=True
    )["Item"]
    return item


def test_results_say_when_the_session_was_created_and_when_its_verdict_was_decided(
    api: Api, emulator: FaceLivenessEmulator, backend: LocalBackend
) -> None:
    before = backend.clock()
    session_id = str(api.create().body["sessionId"])
    pending = api.results(session_id).body
    advance(backend, 20)
    emulator.complete(session_id, confidence=97.0)
    decided = api.results(session_id).body
    advance(backend, 30)
    later = api.results(session_id).body

    assert pending["decision"] == "PENDING"
    assert pending["decidedAt"] is None
    assert before <= moment(pending["createdAt"]) <= before + timedelta(seconds=5)
    assert decided["createdAt"] == pending["createdAt"]
    assert moment(decided["decidedAt"]) >= moment(decided["createdAt"]) + timedelta(seconds=20)
    # Decided once: later reads keep the moment it was first recorded.
    assert later["decidedAt"] == decided["decidedAt"]
    assert (later["consumed"], later["consumedAt"], later["stale"]) == (False, None, False)


def test_a_verdict_recorded_before_decided_at_was_kept_still_reads_and_consumes(
    api: Api, emulator: FaceLivenessEmulator, backend: LocalBackend
) -> None:
    session_id = decided_session(api, emulator)
    item = stored_item(backend, session_id)
    legacy = json.loads(item["verdict"]["S"])
    del legacy["decidedAt"]
    # As the earlier code stored it: the whole results document of that time, no decidedAt.
    backend.dynamodb.update_item(
        TableName=backend.resources.table,
        Key={"pk": item["pk"]},
        UpdateExpression="SET verdict = :verdict",
        ExpressionAttributeValues={":verdict": {"S": json.dumps(legacy)}},
    )

    read = api.results(session_id)
    consumed = api.consume(session_id)

    assert read.status == 200
    assert read.body["decision"] == "LIVE"
    assert read.body["decidedAt"] is None
    assert read.body["createdAt"] == datetime.fromisoformat(item["createdAt"]["S"]).isoformat().replace("+00:00", "Z")
    assert consumed.status == 200
    assert consumed.body["consumed"] is True


def test_the_first_consume_answers_the_verdict_and_every_later_one_is_a_conflict(
    api: Api, emulator: FaceLivenessEmulator, backend: LocalBackend
) -> None:
    session_id = decided_session(api, emulator)
    read = api.results(session_id).body

    first = api.consume(session_id)
    second = api.consume(session_id)
    after = api.results(session_id)

    assert first.status == 200
    assert first.body["consumed"] is True
    assert moment(first.body["consumedAt"]) >= moment(read["decidedAt"])
    assert {k: v for k, v in first.body.items() if k not in {"consumed", "consumedAt"}} == {
        k: v for k, v in read.items() if k not in {"consumed", "consumedAt"}
    }
    assert second.status == 409
    assert second.problem["type"] == PROBLEM + "verdict-already-consumed"
    # Later reads say it was consumed, and when.
    assert after.status == 200
    assert (after.body["consumed"], after.body["consumedAt"]) == (True, first.body["consumedAt"])


def test_every_verdict_can_be_consumed_not_only_live(api: Api, emulator: FaceLivenessEmulator) -> None:
    session_id = decided_session(api, emulator, confidence=10.0)

    response = api.consume(session_id)

    assert response.status == 200
    assert response.body["decision"] == "NOT_LIVE"


def test_another_caller_cannot_consume_and_learns_nothing(
    api: Api, other_api: Api, emulator: FaceLivenessEmulator
) -> None:
    session_id = decided_session(api, emulator)

    theirs = other_api.consume(session_id)
    nobodys = other_api.consume(str(uuid.uuid4()))

    assert theirs.status == nobodys.status == 404
    assert theirs.problem["type"] == nobodys.problem["type"] == PROBLEM + "session-not-found"
    # Their attempt consumed nothing: the owner still can.
    assert api.consume(session_id).status == 200


def test_an_undecided_session_cannot_be_consumed_until_its_verdict_is_recorded(
    api: Api, emulator: FaceLivenessEmulator
) -> None:
    session_id = str(api.create().body["sessionId"])
    emulator.complete(session_id, confidence=99.0)
    calls = len(emulator.calls)

    early = api.consume(session_id)

    assert early.status == 409
    assert early.problem["type"] == PROBLEM + "verdict-not-decided"
    assert len(emulator.calls) == calls  # consume never asks Rekognition: results decides
    assert api.results(session_id).body["decision"] == "LIVE"
    assert api.consume(session_id).status == 200


def test_a_verdict_older_than_the_maximum_age_is_stale_and_never_consumed(
    api: Api, emulator: FaceLivenessEmulator, backend: LocalBackend
) -> None:
    max_age = backend.settings.verdict_max_age_seconds
    session_id = decided_session(api, emulator)
    created = moment(api.results(session_id).body["createdAt"])
    # At the limit the verdict is still fresh; a second past it, stale (counted from the session's creation).
    advance(backend, max_age - (backend.clock() - created).total_seconds() - 1)
    fresh = api.results(session_id).body
    advance(backend, 2)

    stale = api.results(session_id).body
    refused = api.consume(session_id)

    assert fresh["stale"] is False
    assert stale["stale"] is True
    assert refused.status == 409
    assert refused.problem["type"] == PROBLEM + "verdict-stale"
    # Refused, not consumed.
    assert api.results(session_id).body["consumed"] is False
    assert "consumedAt" not in stored_item(backend, session_id)


def test_concurrent_consumes_of_one_verdict_succeed_exactly_once(
    api: Api, emulator: FaceLivenessEmulator, backend: LocalBackend
) -> None:
    session_id = decided_session(api, emulator)
    sessions, owner = backend.function.dependencies.sessions, api.owner(backend.settings)

    def consume() -> str | None:
        try:
            consumed = sessions.consume(owner=owner, session_id=session_id)
        except VerdictAlreadyConsumed:
            return None
        return str(consumed.model_dump(mode="json", by_alias=True)["consumedAt"])

    outcomes = race([consume] * 8)

    winners = [outcome for outcome in outcomes if outcome is not None]
    assert len(winners) == 1
    assert api.results(session_id).body["consumedAt"] == winners[0]
    assert api.consume(session_id).status == 409
