"""The window arithmetic of the abuse limits, on the maps the ledger keeps in a caller's (or an address's) item.

- `openSessions`: slot (the session's client request token) -> the epoch second the session expires. A slot is open
  until its session's verdict is recorded (the slot is removed) or it expires.
- `failures`: session id -> the epoch second its failure was counted. The failures counted are those inside a
  sliding window ending now, so no choice of timing splits them across two fixed windows.

Pure, so the arithmetic is tested without DynamoDB.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def numbers(item: Mapping[str, Any], attribute: str) -> dict[str, int]:
    """A DynamoDB map of numbers (`{"M": {key: {"N": "..."}}}`) as a dict; empty when the attribute is absent."""
    found = item.get(attribute, {}).get("M", {})
    return {key: int(value["N"]) for key, value in found.items()}


@dataclass(frozen=True)
class OpenSlots:
    """The open sessions of one item, as of `now`."""

    live: dict[str, int]
    expired: tuple[str, ...]

    @classmethod
    def of(cls, slots: Mapping[str, int], now: datetime) -> OpenSlots:
        at = epoch(now)
        return cls(
            live={slot: expiry for slot, expiry in slots.items() if expiry > at},
            expired=tuple(sorted(slot for slot, expiry in slots.items() if expiry <= at)),
        )

    def has_room(self, slot: str, cap: int) -> bool:
        """Whether `slot` may be held: it already is (an idempotent replay), or fewer than `cap` others are open."""
        return slot in self.live or len(self.live) < cap

    def frees_at(self) -> datetime:
        """When the oldest open session expires, so a slot frees at the latest (now, if none is open)."""
        return datetime.fromtimestamp(min(self.live.values(), default=0), UTC)


def failures_in_window(failures: Mapping[str, int], now: datetime, window: timedelta) -> int:
    """How many failures were counted in the `window` ending at `now` (a failure exactly `window` old is out)."""
    cutoff = epoch(now - window)
    return sum(1 for counted in failures.values() if counted > cutoff)


def stale_failures(failures: Mapping[str, int], now: datetime, window: timedelta) -> tuple[str, ...]:
    """The failures that no longer count, and can be removed."""
    cutoff = epoch(now - window)
    return tuple(sorted(session for session, counted in failures.items() if counted <= cutoff))


def retry_after_seconds(until: datetime, now: datetime) -> int:
    """Whole seconds to wait until `until`, at least 1 (a Retry-After of 0 invites a busy loop)."""
    return max(1, math.ceil((until - now).total_seconds()))
