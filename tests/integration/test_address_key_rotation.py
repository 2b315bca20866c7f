"""Guest mode's address key can be rotated without resetting any count: the secret then holds the new key as
`current` and the old one as `previous`; counts are written under the new key, and cool-downs started under the
old one still hold, whether they were reached before the rotation or by a failure counted under the old key after
it (a session created before the rotation carries the old hash)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from liveness_api.adapters.address_key import HmacAddressKeys, parse_secret
from liveness_api.identity import CallerMode
from liveness_local.backend import LocalBackend, LocalFunction
from tests.integration.test_guest_limit import failed_session, guest, max_failures, random_ipv4

NEW_KEY = "n" * 64


@pytest.fixture
def guests(backend: LocalBackend, emulator: Any) -> LocalFunction:
    """The function deployed in guest mode, on the stack's secret as generated (the key before the rotation)."""
    return backend.function_in_mode(CallerMode.IDENTITY_POOL_GUESTS)


def old_key(backend: LocalBackend) -> str:
    secrets = backend.session.client("secretsmanager")
    value: str = secrets.get_secret_value(SecretId=backend.resources.address_key_secret)["SecretString"]
    return value


def redeployed(backend: LocalBackend, guests: LocalFunction, document: dict[str, str]) -> LocalFunction:
    """The guest function after an operator wrote `document` into a secret: a cold start reads it."""
    secrets = backend.session.client("secretsmanager")
    arn = secrets.create_secret(Name=f"rotated-{uuid.uuid4()}", SecretString=json.dumps(document))["ARN"]
    return backend.deploy(guests.settings.model_copy(update={"address_key_secret": arn}))


def rotated(backend: LocalBackend, guests: LocalFunction) -> LocalFunction:
    return redeployed(backend, guests, {"current": NEW_KEY, "previous": old_key(backend)})


def session_address_hash(backend: LocalBackend, session_id: str) -> str:
    item = backend.dynamodb.get_item(
        TableName=backend.resources.table, Key={"pk": {"S": f"SESSION#{session_id}"}}, ConsistentRead=True
    )["Item"]
    value: str = item["addressKey"]["S"]
    return value


def address_failures(backend: LocalBackend, address_hash: str) -> list[str]:
    item = backend.dynamodb.get_item(
        TableName=backend.resources.table, Key={"pk": {"S": f"ADDRESS#{address_hash}"}}, ConsistentRead=True
    ).get("Item", {})
    return sorted(item.get("failures", {}).get("M", {}))


def block(guests: LocalFunction, emulator: Any, address: str) -> None:
    for _ in range(max_failures(guests)):
        api, session_id = failed_session(guests, emulator, address)
        assert api.results(session_id).body["decision"] == "NOT_LIVE"
    assert guest(guests, address).create().status == 429


def test_an_address_in_cool_down_under_the_old_key_stays_in_it_after_the_rotation(backend, emulator, guests) -> None:
    address = random_ipv4()
    block(guests, emulator, address)

    refused = guest(rotated(backend, guests), address).create()

    assert refused.status == 429
    assert refused.problem["type"] == "urn:face-liveness-api:problem:too-many-failed-checks"


def test_a_failure_counted_under_the_old_key_after_the_rotation_still_counts(backend, emulator, guests) -> None:
    address = random_ipv4()
    for _ in range(max_failures(guests) - 1):
        api, session_id = failed_session(guests, emulator, address)
        api.results(session_id)
    # Created before the rotation, decided after it: the session carries the old key's hash.
    last_api, last_session = failed_session(guests, emulator, address)
    function = rotated(backend, guests)

    from_rotated = type(last_api)(function, last_api.context)
    assert from_rotated.results(last_session).body["decision"] == "NOT_LIVE"

    old_hash = HmacAddressKeys(old_key(backend).encode()).key(address)
    assert last_session in address_failures(backend, old_hash)
    assert guest(function, address).create().status == 429


def test_new_counts_use_the_current_key(backend, emulator, guests) -> None:
    address = random_ipv4()
    function = rotated(backend, guests)

    api, session_id = failed_session(function, emulator, address)
    api.results(session_id)

    new_hash = HmacAddressKeys(NEW_KEY.encode()).key(address)
    old_hash = HmacAddressKeys(old_key(backend).encode()).key(address)
    assert address_failures(backend, new_hash) == [session_id]
    assert address_failures(backend, old_hash) == []
    # Counting under the new key reaches the limit on its own, as before.
    block(function, emulator, random_ipv4())


def test_once_the_previous_key_is_dropped_its_cool_downs_no_longer_apply(backend, emulator, guests) -> None:
    """Why the rotation keeps the previous key for a failure window and a cool-down: dropping it forgets them."""
    address = random_ipv4()
    block(guests, emulator, address)

    assert guest(redeployed(backend, guests, {"current": NEW_KEY}), address).create().status == 201


# The secret's forms ------------------------------------------------------------------------------------------------


def test_the_secret_is_the_key_itself_or_a_current_and_previous_pair() -> None:
    assert parse_secret("k" * 64) == (b"k" * 64, None)
    assert parse_secret(json.dumps({"current": "c" * 64})) == (b"c" * 64, None)
    assert parse_secret(json.dumps({"current": "c" * 64, "previous": "p" * 64})) == (b"c" * 64, b"p" * 64)


@pytest.mark.parametrize(
    "value",
    [
        "{not json",
        json.dumps({"previous": "p" * 64}),
        json.dumps({"current": "c" * 64, "next": "n" * 64}),
        json.dumps({"current": 7}),
        "{}",
    ],
)
def test_a_malformed_rotation_document_fails_the_init_without_echoing_the_secret(value: str) -> None:
    with pytest.raises(ValueError, match="address-key secret") as raised:
        parse_secret(value)
    assert "c" * 64 not in str(raised.value)


def test_the_previous_key_must_be_as_long_as_the_current_one() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        HmacAddressKeys(b"c" * 64, b"short")
    keys = HmacAddressKeys(b"c" * 64, b"p" * 64)
    assert keys.previous_key("192.0.2.1") == HmacAddressKeys(b"p" * 64).key("192.0.2.1")
    assert HmacAddressKeys(b"c" * 64).previous_key("192.0.2.1") is None


def test_the_local_secret_is_encrypted_with_a_key_of_its_own(backend) -> None:
    secrets = backend.session.client("secretsmanager")
    described = secrets.describe_secret(SecretId=backend.resources.address_key_secret)
    assert described["KmsKeyId"] not in ("", backend.resources.key_arn)
    kms = backend.session.client("kms")
    assert kms.get_key_rotation_status(KeyId=described["KmsKeyId"])["KeyRotationEnabled"] is True
