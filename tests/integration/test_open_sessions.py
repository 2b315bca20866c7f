"""Attempts are bounded, not only observed failures: the bypass of creating sessions ahead (while the failure count
is still 0) and streaming to each stops at the open-session cap; failures count in a sliding window; in guest mode
the cap and a per-minute limit hold per client address, whatever the identities behind it; bursts cannot slip past."""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections import Counter
from typing import Any

import pytest

from liveness_api.errors import DomainError
from liveness_api.identity import CallerMode
from liveness_api.models import CreateSessionRequest
from liveness_local.backend import LocalBackend, LocalFunction
from tests.integration.conftest import Api, emitted_metrics, race
from tests.integration.test_guest_limit import guest, random_ipv4
from tests.integration.test_results import new_session

OPEN_CAP_PROBLEM = "urn:face-liveness-api:problem:too-many-open-sessions"


def cap(backend: LocalBackend) -> int:
    return backend.settings.max_open_sessions


def caller_item(backend: LocalBackend, owner: str) -> dict[str, Any]:
    key = "CALLER#" + hashlib.sha256(owner.encode()).hexdigest()
    item: dict[str, Any] = backend.dynamodb.get_item(
        TableName=backend.resources.table, Key={"pk": {"S": key}}, ConsistentRead=True
    )["Item"]
    return item


def fail(api: Api, emulator: Any, count: int) -> None:
    """`count` checks that fail, each read (settled) before the next is created."""
    for _ in range(count):
        session_id = new_session(api)
        emulator.complete(session_id, confidence=1.0)
        assert api.results(session_id).body["decision"] == "NOT_LIVE"


def test_the_configured_cap_is_the_default_of_two(backend: LocalBackend) -> None:
    assert cap(backend) == 2


def test_creating_sessions_ahead_stops_at_the_cap(api: Api, other_api: Api, emulator, backend, capfd) -> None:
    opened = [new_session(api) for _ in range(cap(backend))]
    capfd.readouterr()

    refused = api.create()

    assert refused.status == 429
    assert refused.problem["type"] == OPEN_CAP_PROBLEM
    # Until the oldest open session expires, 3 minutes after it was created.
    assert 170 <= int(refused.headers["Retry-After"]) <= 180
    assert [m.name for m in emitted_metrics(capfd.readouterr().out)] == ["SessionRefusedByOpenSessionCap"]
    assert other_api.create().status == 201  # only this caller is refused

    # A recorded verdict frees its slot, whoever reads it and whatever the verdict.
    emulator.complete(opened[0], confidence=1.0)
    assert api.results(opened[0]).body["decision"] == "NOT_LIVE"
    assert api.create().status == 201
    assert api.create().status == 429


def test_a_pending_read_frees_nothing_and_expiry_frees_every_slot(api: Api, emulator, backend) -> None:
    opened = [new_session(api) for _ in range(cap(backend))]
    assert api.results(opened[0]).body["decision"] == "PENDING"
    assert api.create().status == 429

    backend.clock.advance(181)

    assert [api.create().status for _ in range(cap(backend))] == [201] * cap(backend)
    assert len(caller_item(backend, api.owner(backend.settings))["openSessions"]["M"]) == cap(backend)


def test_erasing_an_open_session_does_not_free_its_slot(api: Api, emulator, backend) -> None:
    opened = [new_session(api) for _ in range(cap(backend))]
    assert api.erase(opened[0]).status == 204
    assert api.create().status == 429  # else erase-and-recreate would bypass the cap


def test_an_idempotent_replay_takes_no_second_slot(api: Api, emulator, backend) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first, replay = api.create(headers=key), api.create(headers=key)
    assert (first.status, replay.status) == (201, 201)
    assert replay.body["sessionId"] == first.body["sessionId"]
    assert [api.create().status for _ in range(cap(backend))] == [201] * (cap(backend) - 1) + [429]


def test_a_replay_of_a_decided_session_gives_its_slot_back(api: Api, emulator, backend) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    session_id = api.create(headers=key).body["sessionId"]
    emulator.complete(session_id, confidence=99.0)
    api.results(session_id)
    assert api.create(headers=key).body["sessionId"] == session_id
    assert [api.create().status for _ in range(cap(backend) + 1)] == [201] * cap(backend) + [429]


def test_five_failures_within_the_window_trip_the_cooldown_across_a_fixed_window_boundary(
    api: Api, emulator, backend
) -> None:
    # A fixed window opened by the first failure closes before the last two: it would count 1 + 3, then 2 afresh.
    fail(api, emulator, 1)
    backend.clock.advance(100)
    fail(api, emulator, 3)
    backend.clock.advance(90)  # 190 s after the first failure: it has left the window, the other three have not
    fail(api, emulator, 1)
    assert api.create().status == 201  # four within 180 s

    fail(api, emulator, 1)  # the fifth within 180 s

    refused = api.create()
    assert refused.status == 429
    assert refused.problem["type"].endswith("too-many-failed-checks")


def test_four_failures_per_window_never_trip_it_again_and_again(api: Api, emulator, backend) -> None:
    for _ in range(3):
        fail(api, emulator, 4)
        backend.clock.advance(181)
    assert api.create().status == 201


def refusals(results: list[Any]) -> Counter[str]:
    return Counter("created" if isinstance(result, str) else result.slug for result in results)


def create_or_refusal(function: LocalFunction, owner: str, address: str | None = None) -> Any:
    try:
        created = function.dependencies.sessions.create(owner, CreateSessionRequest(), None, uuid.uuid4().hex, address)
    except DomainError as refused:
        return refused
    return created.session_id


def test_a_concurrent_burst_of_creates_never_exceeds_the_cap(api: Api, emulator, backend) -> None:
    owner = api.owner(backend.settings)

    results = race([functools.partial(create_or_refusal, backend.function, owner) for _ in range(10)])

    assert refusals(results) == Counter({"created": cap(backend), "too-many-open-sessions": 10 - cap(backend)})
    slots = caller_item(backend, owner)["openSessions"]["M"]
    assert len(slots) == cap(backend)


@pytest.fixture
def guests(backend: LocalBackend, emulator: Any) -> LocalFunction:
    return backend.function_in_mode(CallerMode.IDENTITY_POOL_GUESTS)


def test_many_guest_identities_behind_one_address_share_its_cap(backend, emulator, guests) -> None:
    address = random_ipv4()
    statuses = [guest(guests, address).create() for _ in range(4)]

    assert [response.status for response in statuses] == [201] * cap(backend) + [429] * (4 - cap(backend))
    assert statuses[-1].problem["type"] == OPEN_CAP_PROBLEM
    assert guest(guests, random_ipv4()).create().status == 201  # another address is not affected


def test_a_guest_refused_by_its_address_keeps_no_slot_of_its_own(backend, emulator, guests) -> None:
    address = random_ipv4()
    for _ in range(cap(backend)):
        guest(guests, address).create()
    refused = guest(guests, address)
    assert refused.create().status == 429

    item = caller_item(backend, refused.owner(guests.settings))
    assert item.get("openSessions", {"M": {}})["M"] == {}


def test_guest_creates_per_address_are_limited_per_minute(backend, emulator) -> None:
    limit = 3
    function = backend.deploy(
        backend.function_in_mode(CallerMode.IDENTITY_POOL_GUESTS).settings.model_copy(
            update={"address_creates_per_minute": limit, "max_open_sessions": 20}
        )
    )
    backend.clock.advance(61 - backend.clock().second)  # the start of a minute: all the creates fall in it
    address = random_ipv4()

    statuses = [guest(function, address).create() for _ in range(limit + 2)]

    assert [response.status for response in statuses] == [201] * limit + [429, 429]
    assert statuses[-1].problem["type"].endswith("caller-rate-limited")
    assert 1 <= int(statuses[-1].headers["Retry-After"]) <= 60
    backend.clock.advance(60)
    assert guest(function, address).create().status == 201


def test_a_concurrent_burst_of_guests_from_one_address_never_exceeds_its_cap(backend, emulator, guests) -> None:
    address = random_ipv4()
    owners = [guest(guests, address).owner(guests.settings) for _ in range(10)]

    results = race([functools.partial(create_or_refusal, guests, owner, address) for owner in owners])

    assert refusals(results) == Counter({"created": cap(backend), "too-many-open-sessions": 10 - cap(backend)})
