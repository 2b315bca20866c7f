"""AddressKeys: client addresses as HMAC-SHA256 under a key the stack owns, so the ledger never holds one in clear.

The key is the value of a Secrets Manager secret the stack generates (never in the template, the environment or
the logs), read once per container, at init and only in a mode whose abuse limit counts addresses: one
GetSecretValue per cold start, no AWS call per request. A secret that cannot be read fails the init, which Lambda
reports and retries on the next invocation.

IPv6 clients are counted per /64, the block one subscriber usually holds, so rotating through it gains nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from typing import Any, Final

# GenerateSecretString's default length is 32; anything shorter is not a key the stack made.
MIN_KEY_LENGTH: Final = 32
_IPV6_SUBSCRIBER_PREFIX: Final = 64


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


class HmacAddressKeys:
    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_LENGTH:
            raise ValueError(f"the address key must be at least {MIN_KEY_LENGTH} bytes")
        self._key = key

    @classmethod
    def from_secret(cls, client: Any, secret_id: str) -> HmacAddressKeys:
        """The key from the secret's current value (one GetSecretValue)."""
        secret = client.get_secret_value(SecretId=secret_id)
        value = secret.get("SecretString")
        return cls(value.encode() if isinstance(value, str) else bytes(secret["SecretBinary"]))

    def key(self, address: str) -> str:
        return hmac.new(self._key, counted_address(address).encode(), hashlib.sha256).hexdigest()
