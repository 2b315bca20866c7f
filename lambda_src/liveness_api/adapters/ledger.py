"""SessionLedger on DynamoDB (one table, low-level client so no boto3 resource layer loads at cold start).

Items:
- `SESSION#<sessionId>`: owner, createdAt, expiresAt, ttl and, once decided, the immutable `verdict` with
  `counted` (whether its metrics and abuse-limit count were settled); `openSlot`, the slot it holds until decided;
  where addresses count, `addressKey`, the creating address's keyed hash, until the verdict is counted;
  `consumedAt` once the verdict is consumed (at most once: a conditional update); `match`, the face match the
  create asked for. The verdict document carries `decidedAt`, when it was recorded (absent from verdicts recorded
  before it was kept), and the match decided with it. `PERSON#...`: adapters.enrolments.
- `CALLER#<sha256(owner)>`: `failures` (session id -> when its failure was counted, so counting one session's
  failure again changes nothing; those inside the sliding window count), `blockedUntil`, `openSessions` (the open
  sessions' slots -> their expiry, adapters.open_slots), and one counter per request limit and minute.
- `ADDRESS#<hmac(address)>` (guest mode only): the same `failures`, `blockedUntil` and `openSessions` per client
  address, and its creates per minute; it expires (TTL) after its slots, window and cool-down.
Every write that must not race is a conditional or atomic update, so concurrent Lambdas cannot lose counts
or overwrite a verdict. Every call's faults are answered by `adapters.faults`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from liveness_api.adapters import open_slots
from liveness_api.adapters.faults import dynamodb_calls, is_condition_failure
from liveness_api.adapters.open_slots import Gate
from liveness_api.contract import LEDGER_PARTITION_KEY, LEDGER_TTL_ATTRIBUTE
from liveness_api.errors import SessionNotFound
from liveness_api.ports import AddressAdmission, Admission, RecordedSession, SessionRecord, SlotClaim
from liveness_api.vocabulary import CallerLimit, MatchTarget
from liveness_api.windows import failures_in_window, numbers, stale_failures

_MAX_WINDOW_ROUNDS = 5
_LIMIT_WINDOW = timedelta(minutes=1)
# Each failure counted: session id -> the epoch second it was counted (liveness_api.windows).
_FAILURES = "failures"
# How many past minutes' request counters each count removes.
_STALE_WINDOWS_REMOVED = 3


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class DynamoSessionLedger:
    def __init__(
        self,
        client: Any,
        table: str,
        *,
        retention: timedelta,
        max_failures: int,
        failure_window: timedelta,
        cooldown: timedelta,
    ) -> None:
        self._client = client
        self._table = table
        self._retention = retention
        self._max_failures = max_failures
        self._failure_window = failure_window
        self._cooldown = cooldown

    # Sessions ------------------------------------------------------------------------------------------

    @dynamodb_calls
    def record_session(self, record: SessionRecord) -> RecordedSession:
        item = {
            LEDGER_PARTITION_KEY: {"S": _session_key(record.session_id)},
            "owner": {"S": record.owner},
            "createdAt": {"S": record.created_at.isoformat()},
            "expiresAt": {"S": record.expires_at.isoformat()},
            LEDGER_TTL_ATTRIBUTE: {"N": str(_epoch(record.created_at + self._retention))},
        }
        optional = {"addressKey": record.address_key, "openSlot": record.open_slot, "match": record.match}
        item.update({name: {"S": value} for name, value in optional.items() if value is not None})
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": LEDGER_PARTITION_KEY},
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            # Rekognition returned an existing session for a repeated token: keep what was first recorded.
            stored = self.get_session(record.session_id)
            if stored is None or stored.owner != record.owner:
                # Tokens are scoped to the owner, so this means a token collision; refuse to hand it out.
                raise RuntimeError("Rekognition returned a session recorded for another caller") from None
            return RecordedSession(stored, replayed=True)
        return RecordedSession(record, replayed=False)

    @dynamodb_calls
    def get_session(self, session_id: str) -> SessionRecord | None:
        response = self._client.get_item(TableName=self._table, Key=_key(_session_key(session_id)), ConsistentRead=True)
        item = response.get("Item")
        return None if item is None else _session_record(session_id, item)

    @dynamodb_calls
    def record_verdict(self, session_id: str, verdict: str) -> SessionRecord:
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_key(_session_key(session_id)),
                UpdateExpression="SET verdict = :verdict, counted = :false",
                ConditionExpression="attribute_exists(#pk) AND attribute_not_exists(verdict)",
                ExpressionAttributeNames={"#pk": LEDGER_PARTITION_KEY},
                ExpressionAttributeValues={":verdict": {"S": verdict}, ":false": {"BOOL": False}},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            stored = self.get_session(session_id)
            if stored is None or stored.verdict is None:
                raise SessionNotFound() from None  # erased while we were deciding
            return stored
        return _session_record(session_id, response["Attributes"])

    @dynamodb_calls
    def mark_counted(self, session_id: str) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(_session_key(session_id)),
                # The creating address's hash has served its purpose once the verdict is counted.
                UpdateExpression="SET counted = :true REMOVE addressKey",
                ConditionExpression="counted = :false",
                ExpressionAttributeValues={":true": {"BOOL": True}, ":false": {"BOOL": False}},
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            return False
        return True

    @dynamodb_calls
    def consume_verdict(self, session_id: str, now: datetime) -> SessionRecord | None:
        # One conditional update: of any number of concurrent consumers, exactly one sees its condition hold.
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_key(_session_key(session_id)),
                UpdateExpression="SET consumedAt = :now",
                ConditionExpression="attribute_exists(verdict) AND attribute_not_exists(consumedAt)",
                ExpressionAttributeValues={":now": {"S": now.isoformat()}},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            if self.get_session(session_id) is None:
                raise SessionNotFound() from None  # erased meanwhile
            return None
        return _session_record(session_id, response["Attributes"])

    @dynamodb_calls
    def delete_session(self, session_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key=_key(_session_key(session_id)))

    # Per-caller limits and the abuse limit -----------------------------------------------------------------

    @dynamodb_calls
    def admit(self, owner: str, limit: CallerLimit, now: datetime) -> Admission:
        """Count one request against the caller's `limit` in this minute, and read the cool-down in the same
        update: always exactly one call."""
        window = _epoch(now) // 60
        # One counter attribute per minute (`<limit>#<minute>`), so counting needs no condition and no second call:
        # ADD creates this minute's counter, REMOVE drops the last few minutes' ones. (A caller idle for longer
        # leaves a stale counter behind, which goes with the item's TTL.)
        counter = f"{limit}#{window}"
        stale = {f"#old{age}": f"{limit}#{window - age}" for age in range(1, _STALE_WINDOWS_REMOVED + 1)}
        names = {"#count": counter, "#ttl": LEDGER_TTL_ATTRIBUTE, **stale}
        values: dict[str, Any] = {":one": {"N": "1"}, ":ttl": {"N": str(_epoch(now + 2 * _LIMIT_WINDOW))}}
        # if_not_exists: never shortens a TTL set for a cool-down, a failure window or open sessions.
        sets = "#ttl = if_not_exists(#ttl, :ttl)"
        if limit is CallerLimit.CREATES:
            # An empty map of open-session slots, so that a caller's first slot is held by one conditional update
            # (open_slots.reserve adds to an existing map) rather than a failed one and a second.
            names["#slots"] = open_slots.SLOTS
            values[":noSlots"] = {"M": {}}
            sets += ", #slots = if_not_exists(#slots, :noSlots)"
        response = self._client.update_item(
            TableName=self._table,
            Key=_key(_caller_key(owner)),
            UpdateExpression=f"ADD #count :one SET {sets} REMOVE {', '.join(stale)}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        return _admission(response["Attributes"], counter, now, _window_ends(window))

    # Open sessions -------------------------------------------------------------------------------------------

    def _slot_ttl(self, expires_at: datetime) -> datetime:
        # Set outright, so it must outlast anything the item holds: its slots, and any failure window or cool-down
        # that could be running (those set TTLs up to now + window + cool-down themselves).
        return expires_at + self._failure_window + self._cooldown

    def _reserve(
        self, partition_key: str, slot: str, expires_at: datetime, now: datetime, cap: int, gate: Gate | None = None
    ) -> tuple[SlotClaim, dict[str, Any]]:
        reservation = open_slots.reserve(
            self._client,
            self._table,
            _key(partition_key),
            slot=slot,
            expires_at=expires_at,
            ttl=self._slot_ttl(expires_at),
            now=now,
            cap=cap,
            gate=gate,
        )
        return SlotClaim(held=reservation.reserved, frees_at=reservation.slots(now).frees_at()), reservation.item

    @dynamodb_calls
    def reserve_open_session(self, owner: str, slot: str, expires_at: datetime, now: datetime, cap: int) -> SlotClaim:
        return self._reserve(_caller_key(owner), slot, expires_at, now, cap)[0]

    @dynamodb_calls
    def admit_address_create(
        self, address_key: str, slot: str, expires_at: datetime, now: datetime, cap: int, creates_per_minute: int
    ) -> AddressAdmission:
        """One update when admitted: it counts the minute's creates, holds the slot and checks the cool-down (this
        replaces reading the address's cool-down on its own). A refused create is not counted."""
        window = _epoch(now) // 60
        counter = f"addressCreates#{window}"
        claim, item = self._reserve(
            _address_key(address_key), slot, expires_at, now, cap, Gate(counter=counter, limit=creates_per_minute)
        )
        return AddressAdmission(
            slot=claim,
            creates_in_window=int(item.get(counter, {}).get("N", "0")),
            window_ends=_window_ends(window),
            blocked_until=_blocked_until(item, now),
        )

    @dynamodb_calls
    def release_open_session(self, owner: str, slot: str, address_key: str | None = None) -> None:
        open_slots.release(self._client, self._table, _key(_caller_key(owner)), slot)
        if address_key is not None:
            open_slots.release(self._client, self._table, _key(_address_key(address_key)), slot)

    @dynamodb_calls
    def address_blocked_until(self, address_key: str, now: datetime) -> datetime | None:
        item = self._client.get_item(
            TableName=self._table,
            Key=_key(_address_key(address_key)),
            ProjectionExpression="blockedUntil",
            ConsistentRead=True,
        ).get("Item", {})
        return _blocked_until(item, now)

    def _count_in_window(
        self,
        key: dict[str, dict[str, str]],
        attempts: tuple[tuple[str, str], ...],
        names: dict[str, str],
        values: dict[str, dict[str, Any]],
    ) -> dict[str, Any]:
        """Count into a window with the first (update, condition) whose condition holds: count into the open
        window, or open a new one. A handful of rounds is plenty: each lost round means another writer made
        progress."""
        for _ in range(_MAX_WINDOW_ROUNDS):
            for update, condition in attempts:
                item = self._update_if(key, update, condition, names, values)
                if item is not None:
                    return item
        raise RuntimeError("could not count into the caller's window: it kept changing")

    def _update_if(
        self,
        key: dict[str, dict[str, str]],
        update: str,
        condition: str,
        names: dict[str, str],
        values: dict[str, dict[str, Any]],
    ) -> dict[str, Any] | None:
        """The item after a conditional update, or None when the condition did not hold."""
        applied, item = open_slots.update_if(self._client, self._table, key, update, condition, names, values)
        return item if applied else None

    @dynamodb_calls
    def record_failure(self, owner: str, session_id: str, now: datetime, address_key: str | None = None) -> None:
        self._count_failure(_caller_key(owner), session_id, now)
        if address_key is not None:
            # The same window, limit and cool-down, on the address's own item.
            self._count_failure(_address_key(address_key), session_id, now)

    def _count_failure(self, partition_key: str, session_id: str, now: datetime) -> None:
        failures = numbers(self._record_failure_time(partition_key, session_id, now), _FAILURES)
        stale = stale_failures(failures, now, self._failure_window)
        names = {f"#stale{index}_": session for index, session in enumerate(stale)}
        # Failures that left the window are dropped on the way, so the map stays small.
        remove = (" REMOVE " + ", ".join(f"#failures.{name}" for name in names)) if names else ""
        if failures_in_window(failures, now, self._failure_window) >= self._max_failures:
            until = now + self._cooldown
            # A plain SET: later failures during the cool-down simply extend it.
            self._client.update_item(
                TableName=self._table,
                Key=_key(partition_key),
                UpdateExpression="SET blockedUntil = :until, #ttl = :ttl" + remove,
                ExpressionAttributeNames={
                    "#ttl": LEDGER_TTL_ATTRIBUTE,
                    **names,
                    **({"#failures": _FAILURES} if names else {}),
                },
                ExpressionAttributeValues={
                    ":until": {"N": str(_epoch(until))},
                    ":ttl": {"N": str(_epoch(until + self._failure_window))},
                },
            )
        elif names:
            self._client.update_item(
                TableName=self._table,
                Key=_key(partition_key),
                UpdateExpression=remove.strip(),
                ExpressionAttributeNames={"#failures": _FAILURES, **names},
            )

    def _record_failure_time(self, partition_key: str, session_id: str, now: datetime) -> dict[str, Any]:
        """Add the session's failure, timed now, to the item's failures; the session's id again adds nothing (the
        first time stands). Returns the item after."""
        names = {"#failures": _FAILURES, "#session": session_id, "#ttl": LEDGER_TTL_ATTRIBUTE}
        values: dict[str, dict[str, Any]] = {
            ":now": {"N": str(_epoch(now))},
            ":first": {"M": {session_id: {"N": str(_epoch(now))}}},
            ":ttl": {"N": str(_epoch(now + self._failure_window + self._cooldown))},
        }
        attempts = (
            (
                "SET #failures.#session = if_not_exists(#failures.#session, :now), #ttl = :ttl",
                "attribute_exists(#failures)",
            ),
            # DynamoDB cannot create a map and an entry of it in one expression: the first failure creates the map.
            ("SET #failures = :first, #ttl = :ttl", "attribute_not_exists(#failures)"),
        )
        return self._count_in_window(_key(partition_key), attempts, names, values)


def _session_record(session_id: str, item: dict[str, Any]) -> SessionRecord:
    return SessionRecord(
        session_id=session_id,
        owner=item["owner"]["S"],
        created_at=datetime.fromisoformat(item["createdAt"]["S"]),
        expires_at=datetime.fromisoformat(item["expiresAt"]["S"]),
        verdict=item["verdict"]["S"] if "verdict" in item else None,
        # Verdicts recorded before `counted` existed were settled when they were written.
        counted=item.get("counted", {"BOOL": True})["BOOL"],
        address_key=item["addressKey"]["S"] if "addressKey" in item else None,
        consumed_at=datetime.fromisoformat(item["consumedAt"]["S"]) if "consumedAt" in item else None,
        open_slot=item["openSlot"]["S"] if "openSlot" in item else None,
        match=MatchTarget(item["match"]["S"]) if "match" in item else None,
    )


def _blocked_until(item: dict[str, Any], now: datetime) -> datetime | None:
    """The item's cool-down, if one is running."""
    blocked = item.get("blockedUntil")
    if blocked is None or int(blocked["N"]) <= _epoch(now):
        return None
    return datetime.fromtimestamp(int(blocked["N"]), UTC)


def _admission(item: dict[str, Any], count_attribute: str, now: datetime, window_ends: datetime) -> Admission:
    return Admission(
        requests_in_window=int(item[count_attribute]["N"]),
        window_ends=window_ends,
        blocked_until=_blocked_until(item, now),
    )


def _window_ends(window: int) -> datetime:
    return datetime.fromtimestamp((window + 1) * 60, UTC)


def _key(partition_key: str) -> dict[str, dict[str, str]]:
    return {LEDGER_PARTITION_KEY: {"S": partition_key}}


def _session_key(session_id: str) -> str:
    return f"SESSION#{session_id}"


def _caller_key(owner: str) -> str:
    # Hashed so that the key has a fixed size whatever the identity looks like.
    return "CALLER#" + hashlib.sha256(owner.encode()).hexdigest()


def _address_key(address_key: str) -> str:
    # Already a keyed hash (AddressKeys): the address itself is never stored.
    return f"ADDRESS#{address_key}"
