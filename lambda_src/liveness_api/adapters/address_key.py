"""AddressKeys: client addresses as HMAC-SHA256 under a key the stack owns, so the ledger never holds one in clear.

The key is the value of a Secrets Manager secret the stack generates (never in the template, the environment or
the logs), read once per container, at init and only in a mode whose abuse limit counts addresses: one
GetSecretValue per cold start, no AWS call per request. A secret that cannot be read fails the init, which Lambda
reports and retries on the next invocation.

The secret holds either the key itself (as the stack generates it) or, for a rotation, a JSON object
`{"current": KEY, "previous": KEY}`: counts are written under the current key, and while a previous key is
there the cool-down its hashes started is still read, so an address in cool-down stays in it and a failure
counted under the old key still counts. docs/security.md says how an operator rotates.

IPv6 clients are counted per /64, the block one subscriber usually holds, so rotating through it gains nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from typing import Any, Final

# GenerateSecretString's default length is 32; anything shorter is not a key the stack made.
MIN_KEY_LENGTH: Final = 32
_IPV6_SUBSCRIBER_PREFIX: Final = 64
# The rotation form's fields.
CURRENT: Final = "current"
PREVIOUS: Final = "previous"


def counted_address(address: str) -> str:
    """The unit the limit counts: an IPv4 address (IPv4-mapped IPv6 included) or an IPv6 /64, canonically spelt;
    anything unparsable as itself."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, _IPV6_SUBSCRIBER_PREFIX), strict=False))
    return str(parsed)


def _key_bytes(value: object, field: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"the address-key secret's {field!r} must be a string")  # never the value: it is the key
    return value.encode()


def parse_secret(value: str) -> tuple[bytes, bytes | None]:
    """The current key and the previous one, if a rotation is under way, from the secret's string: the key itself,
    or `{"current": KEY, "previous": KEY}` (`previous` optional)."""
    if not value.lstrip().startswith("{"):
        return value.encode(), None
    try:
        document = json.loads(value)
    except ValueError:
        raise ValueError("the address-key secret looks like JSON but is not") from None
    if not isinstance(document, dict) or CURRENT not in document or set(document) - {CURRENT, PREVIOUS}:
        raise ValueError(f"the address-key secret's JSON must hold {CURRENT!r} and optionally {PREVIOUS!r}")
    previous = document.get(PREVIOUS)
    return _key_bytes(document[CURRENT], CURRENT), None if previous is None else _key_bytes(previous, PREVIOUS)


class HmacAddressKeys:
    def __init__(self, key: bytes, previous: bytes | None = None) -> None:
        for candidate in (key, previous):
            if candidate is not None and len(candidate) < MIN_KEY_LENGTH:
                raise ValueError(f"the address key must be at least {MIN_KEY_LENGTH} bytes")
        self._key = key
        self._previous = previous

    @classmethod
    def from_secret(cls, client: Any, secret_id: str) -> HmacAddressKeys:
        """The keys from the secret's current value (one GetSecretValue)."""
        secret = client.get_secret_value(SecretId=secret_id)
        value = secret.get("SecretString")
        if isinstance(value, str):
            return cls(*parse_secret(value))
        return cls(bytes(secret["SecretBinary"]))

    def key(self, address: str) -> str:
        """The hash every count is written under: the current key's."""
        return _hmac(self._key, address)

    def previous_key(self, address: str) -> str | None:
        """The previous key's hash during a rotation (its cool-downs still hold), else None."""
        return None if self._previous is None else _hmac(self._previous, address)


def _hmac(key: bytes, address: str) -> str:
    return hmac.new(key, counted_address(address).encode(), hashlib.sha256).hexdigest()
