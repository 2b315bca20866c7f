"""Open-session slots in the ledger: a conditional UpdateItem on a caller's (or an address's) item, so a concurrent
burst of creates cannot hold more than the cap (see `liveness_api.windows.OpenSlots` for the map).

DynamoDB cannot drop expired map entries by itself, so a reservation first assumes there are none (one call, the
common case); when its condition fails, the item as it stood (ReturnValuesOnConditionCheckFailure) shows which
entries expired, and the next round removes them in the same update, on the condition that they are still there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from liveness_api.adapters.faults import is_condition_failure
from liveness_api.contract import LEDGER_TTL_ATTRIBUTE
from liveness_api.windows import OpenSlots, epoch, numbers

SLOTS = "openSessions"
# Each lost round means another create or verdict changed the map: a handful of rounds is plenty.
_ROUNDS = 5


@dataclass(frozen=True)
class Gate:
    """More conditions a reservation must meet in the same update (guest mode's address item): no cool-down
    running, and fewer than `limit` creates counted in the minute counter `counter`, which it increments."""

    counter: str
    limit: int


@dataclass(frozen=True)
class Reservation:
    """`item`: the caller's item after the reservation, or as it stood when it was refused (`reserved` False)."""

    reserved: bool
    item: dict[str, Any]

    def slots(self, now: datetime) -> OpenSlots:
        return OpenSlots.of(numbers(self.item, SLOTS), now)


def reserve(
    client: Any,
    table: str,
    key: dict[str, Any],
    *,
    slot: str,
    expires_at: datetime,
    ttl: datetime,
    now: datetime,
    cap: int,
    gate: Gate | None = None,
) -> Reservation:
    """Hold `slot` until `expires_at` unless `cap` other live slots are held (or `gate` refuses). `ttl`: the item's
    TTL, set outright: the caller passes one beyond every cool-down and window that could be running."""
    expired: tuple[str, ...] = ()
    for _ in range(_ROUNDS):
        removed = {f"#gone{index}_": name for index, name in enumerate(expired)}
        names = {"#slots": SLOTS, "#held": slot, "#ttl": LEDGER_TTL_ATTRIBUTE, **removed}
        values: dict[str, Any] = {
            ":expires": {"N": str(epoch(expires_at))},
            ":room": {"N": str(cap + len(expired))},
            ":ttl": {"N": str(epoch(ttl))},
            ":first": {"M": {slot: {"N": str(epoch(expires_at))}}},
        }
        # Replaying a held slot keeps its expiry; otherwise there must be room once the expired ones are removed.
        room = " AND ".join(["size(#slots) < :room", *(f"attribute_exists(#slots.{name})" for name in removed)])
        add = "SET #slots.#held = if_not_exists(#slots.#held, :expires), #ttl = :ttl"
        if removed:
            add += " REMOVE " + ", ".join(f"#slots.{name}" for name in removed)
        attempts = [
            (add, f"attribute_exists(#slots) AND (attribute_exists(#slots.#held) OR ({room}))"),
            ("SET #slots = :first, #ttl = :ttl", "attribute_not_exists(#slots)"),
        ]
        if gate is not None:
            names["#count"] = gate.counter
            values |= {":now": {"N": str(epoch(now))}, ":one": {"N": "1"}, ":limit": {"N": str(gate.limit)}}
            admitted = "(attribute_not_exists(blockedUntil) OR blockedUntil <= :now) AND "
            admitted += "(attribute_not_exists(#count) OR #count < :limit)"
            attempts = [
                (f"{update} ADD #count :one", f"{admitted} AND ({condition})") for update, condition in attempts
            ]
        stood: dict[str, Any] = {}
        for update, condition in attempts:
            applied, stood = update_if(client, table, key, update, condition, names, values)
            if applied:
                return Reservation(reserved=True, item=stood)
        slots = OpenSlots.of(numbers(stood, SLOTS), now)
        gate_refuses = gate is not None and _gate_refuses(gate, stood, now)
        if gate_refuses or not slots.has_room(slot, cap):
            return Reservation(reserved=False, item=stood)
        expired = slots.expired  # room once these go, or the map changed under us: another round
    raise RuntimeError("could not reserve an open-session slot: the caller's item kept changing")


def update_if(
    client: Any,
    table: str,
    key: dict[str, Any],
    update: str,
    condition: str,
    names: dict[str, str],
    values: dict[str, dict[str, Any]],
) -> tuple[bool, dict[str, Any]]:
    """Whether the conditional update applied, with the item after it, or as it stood when the condition failed.
    Names and values are passed only where the expressions use them: DynamoDB refuses unused ones."""
    used = update + " " + condition
    try:
        response = client.update_item(
            TableName=table,
            Key=key,
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeNames={name: value for name, value in names.items() if name in used},
            ExpressionAttributeValues={name: value for name, value in values.items() if name in used},
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if not is_condition_failure(error):
            raise
        return False, error.response.get("Item", {})
    return True, response["Attributes"]


def _gate_refuses(gate: Gate, item: dict[str, Any], now: datetime) -> bool:
    blocked = int(item.get("blockedUntil", {}).get("N", "0"))
    return blocked > epoch(now) or int(item.get(gate.counter, {}).get("N", "0")) >= gate.limit


def release(client: Any, table: str, key: dict[str, Any], slot: str) -> None:
    """Free `slot`; nothing happens when it is not held (released before, expired and removed, or never taken)."""
    try:
        client.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="REMOVE #slots.#held",
            ConditionExpression="attribute_exists(#slots)",
            ExpressionAttributeNames={"#slots": SLOTS, "#held": slot},
        )
    except ClientError as error:
        if not is_condition_failure(error):
            raise
