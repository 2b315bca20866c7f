"""Guest mode: identities cost nothing to mint, so the abuse limit also counts failures per client address, keyed
with the stack's secret, never in clear, expiring with its window; it holds under a concurrent burst."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import uuid
from typing import Any

import pytest

from liveness_api.adapters.address_key import HmacAddressKeys, counted_address
from liveness_api.identity import CallerMode
from liveness_local.backend import LocalBackend, LocalFunction
from tests.integration.conftest import race
from tests.integration.test_identity_modes import ContextApi, identity_pool_context, new_identity_id


@pytest.fixture
def guests(backend: LocalBackend, emulator: Any) -> LocalFunction:
    """The function deployed in guest mode."""
    return backend.function_in_mode(CallerMode.IDENTITY_POOL_GUESTS)


def random_ipv4() -> str:
    """A new address per test, so tests never share a limit."""
    value = uuid.uuid4().int
    return f"10.{value % 256}.{(value >> 8) % 256}.{(value >> 16) % 256}"


def guest(function: LocalFunction, address: str) -> ContextApi:
    """A brand-new guest identity, as anyone can mint one, calling from `address`."""
    return ContextApi(function, identity_pool_context(new_identity_id(), guest=True, source_ip=address))


def failed_session(function: LocalFunction, emulator: Any, address: str) -> tuple[ContextApi, str]:
    """A session created by a fresh guest from `address`, completed NOT_LIVE, not yet fetched."""
    api = guest(function, address)
    created = api.create()
    assert created.status == 201, created.body
    session_id = created.body["sessionId"]
    emulator.complete(session_id, confidence=5.0)
    return api, session_id


def address_item(backend: LocalBackend, address: str) -> dict[str, Any] | None:
    secret = backend.resources.address_key_secret
    key = HmacAddressKeys.from_secret(backend.session.client("secretsmanager"), secret).key(address)
    found: dict[str, Any] | None = backend.dynamodb.get_item(
        TableName=backend.resources.table, Key={"pk": {"S": f"ADDRESS#{key}"}}, ConsistentRead=True
    ).get("Item")
    return found


def max_failures(function: LocalFunction) -> int:
    return function.settings.abuse_max_failures


def test_fresh_guests_from_one_address_share_its_limit(backend, emulator, guests) -> None:
    address = random_ipv4()
    for _ in range(max_failures(guests)):
        api, session_id = failed_session(guests, emulator, address)
        assert api.results(session_id).body["decision"] == "NOT_LIVE"

    refused = guest(guests, address).create()  # a new identity does not escape the cool-down

    assert refused.status == 429
    assert refused.problem["type"] == "urn:face-liveness-api:problem:too-many-failed-checks"
    assert 1 <= int(refused.headers["Retry-After"]) <= guests.settings.abuse_cooldown_seconds
    # Another address is not affected.
    assert guest(guests, random_ipv4()).create().status == 201


def test_failures_below_the_limit_refuse_nothing(backend, emulator, guests) -> None:
    address = random_ipv4()
    for _ in range(max_failures(guests) - 1):
        api, session_id = failed_session(guests, emulator, address)
        api.results(session_id)
    assert guest(guests, address).create().status == 201


def test_the_failure_is_charged_to_the_address_that_created_the_session(backend, emulator, guests) -> None:
    address = random_ipv4()
    for _ in range(max_failures(guests)):
        api, session_id = failed_session(guests, emulator, address)
        # The same identity polls from elsewhere: the creating address still pays.
        polling = ContextApi(
            guests, {**api.context, "identity": {**api.context["identity"], "sourceIp": "198.51.100.9"}}
        )
        assert polling.results(session_id).status == 200
    assert guest(guests, address).create().status == 429
    assert guest(guests, "198.51.100.9").create().status == 201


def test_the_address_is_kept_only_as_a_keyed_hash_and_expires(backend, emulator, guests) -> None:
    address = random_ipv4()
    api, session_id = failed_session(guests, emulator, address)
    session_key = {"pk": {"S": f"SESSION#{session_id}"}}
    before = backend.dynamodb.get_item(TableName=backend.resources.table, Key=session_key)["Item"]
    assert len(before["addressKey"]["S"]) == 64
    api.results(session_id)

    item = address_item(backend, address)
    assert item is not None
    assert list(item["failures"]["M"]) == [session_id]
    assert int(item["ttl"]["N"]) > backend.clock().timestamp()  # DynamoDB TTL removes it
    # Once the verdict is counted, the session no longer carries the creating address's hash.
    after = backend.dynamodb.get_item(TableName=backend.resources.table, Key=session_key)["Item"]
    assert "addressKey" not in after
    # Nowhere in the table, in clear or as a plain (unkeyed) hash.
    dump = json.dumps(backend.dynamodb.scan(TableName=backend.resources.table)["Items"])
    assert address not in dump
    assert hashlib.sha256(address.encode()).hexdigest() not in dump


def test_a_concurrent_burst_of_failures_from_one_address_cannot_slip_past_the_limit(backend, emulator, guests) -> None:
    address = random_ipv4()
    # Twelve sessions open at once from one address: a deployment whose open-session cap allows that.
    guests = backend.deploy(guests.settings.model_copy(update={"max_open_sessions": 12}))
    sessions = [failed_session(guests, emulator, address) for _ in range(12)]
    domain, settings = guests.dependencies.sessions, guests.settings

    race([functools.partial(domain.results, api.owner(settings), sid) for api, sid in sessions])

    item = address_item(backend, address)
    assert item is not None
    assert sorted(item["failures"]["M"]) == sorted(sid for _, sid in sessions)  # none lost to the race
    assert int(item["blockedUntil"]["N"]) > backend.clock().timestamp()
    assert [response.status for response in race([guest(guests, address).create for _ in range(8)])] == [429] * 8


def test_outside_guest_mode_no_address_is_counted_or_stored(backend, emulator) -> None:
    signed_in = backend.function_in_mode(CallerMode.IDENTITY_POOL)
    address = random_ipv4()
    api = ContextApi(signed_in, identity_pool_context(new_identity_id(), source_ip=address))
    session_id = api.create().body["sessionId"]
    emulator.complete(session_id, confidence=5.0)
    api.results(session_id)
    item = backend.dynamodb.get_item(TableName=backend.resources.table, Key={"pk": {"S": f"SESSION#{session_id}"}})[
        "Item"
    ]
    assert "addressKey" not in item
    assert address_item(backend, address) is None


# The key -------------------------------------------------------------------------------------------------------------


def test_address_keys_are_hmac_sha256_under_the_secret() -> None:
    key = b"k" * 32
    keys = HmacAddressKeys(key)
    assert keys.key("192.0.2.1") == hmac.new(key, b"192.0.2.1", hashlib.sha256).hexdigest()
    assert keys.key("192.0.2.1") != HmacAddressKeys(b"j" * 32).key("192.0.2.1")
    with pytest.raises(ValueError, match="at least 32 bytes"):
        HmacAddressKeys(b"short")


@pytest.mark.parametrize(
    ("address", "counted"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("not an address", "not an address"),
    ],
)
def test_ipv6_clients_count_per_64(address: str, counted: str) -> None:
    assert counted_address(address) == counted
