"""SessionLedger on DynamoDB (one table, low-level client so no boto3 resource layer loads at cold start).

Items:
- `SESSION#<sessionId>`: owner, createdAt, expiresAt, ttl and, once decided, the immutable `verdict` with
  `counted` (whether its metrics and abuse-limit count were settled); where addresses count, `addressKey`, the
  creating address's keyed hash, until the verdict is counted; `consumedAt` once the verdict is consumed (at most
  once: a conditional update). The verdict document carries `decidedAt`, when it was recorded (absent from
  verdicts recorded before it was kept).
- `CALLER#<sha256(owner)>`: the failed-check window (`windowStart`, `failedSessions`: a set of session ids, so
  counting one session's failure again changes nothing), `blockedUntil`, and one fixed one-minute window per
  request limit (`<limit>Window`, `<limit>Count`).
- `ADDRESS#<hmac(address)>` (guest mode only): the same failed-check window and `blockedUntil`, per client
  address; it expires (TTL) with its window and cool-down.
Every write that must not race is a conditional or atomic update, so concurrent Lambdas cannot lose counts
or overwrite a verdict. Every call's faults are answered by `adapters.faults`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from botocore.exceptions import ClientError

from liveness_api.adapters.faults import guarded
from liveness_api.contract import LEDGER_PARTITION_KEY, LEDGER_TTL_ATTRIBUTE
from liveness_api.errors import SessionNotFound
from liveness_api.ports import Admission, SessionRecord
from liveness_api.vocabulary import CallerLimit, Dependency

_CONDITION_FAILED = "ConditionalCheckFailedException"
_MAX_WINDOW_ROUNDS = 5
_LIMIT_WINDOW = timedelta(minutes=1)
# How many past minutes' request counters each count removes.
_STALE_WINDOWS_REMOVED = 3

P = ParamSpec("P")
R = TypeVar("R")


def _is_condition_failure(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == _CONDITION_FAILED)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _dynamodb(method: Callable[P, R]) -> Callable[P, R]:
    """Answer every fault of the DynamoDB calls `method` makes (conditions it expects are handled inside)."""

    @wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        with guarded(Dependency.DYNAMODB, method.__name__):
            return method(*args, **kwargs)

    return call


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

    @_dynamodb
    def record_session(self, record: SessionRecord) -> SessionRecord:
        item = {
            LEDGER_PARTITION_KEY: {"S": _session_key(record.session_id)},
            "owner": {"S": record.owner},
            "createdAt": {"S": record.created_at.isoformat()},
            "expiresAt": {"S": record.expires_at.isoformat()},
            LEDGER_TTL_ATTRIBUTE: {"N": str(_epoch(record.created_at + self._retention))},
        }
        if record.address_key is not None:
            item["addressKey"] = {"S": record.address_key}
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": LEDGER_PARTITION_KEY},
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            # Rekognition returned an existing session for a repeated token: keep what was first recorded.
            stored = self.get_session(record.session_id)
            if stored is None or stored.owner != record.owner:
                # Tokens are scoped to the owner, so this means a token collision; refuse to hand it out.
                raise RuntimeError("Rekognition returned a session recorded for another caller") from None
            return stored
        return record

    @_dynamodb
    def get_session(self, session_id: str) -> SessionRecord | None:
        response = self._client.get_item(TableName=self._table, Key=_key(_session_key(session_id)), ConsistentRead=True)
        item = response.get("Item")
        return None if item is None else _session_record(session_id, item)

    @_dynamodb
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
            if not _is_condition_failure(error):
                raise
            stored = self.get_session(session_id)
            if stored is None or stored.verdict is None:
                raise SessionNotFound() from None  # erased while we were deciding
            return stored
        return _session_record(session_id, response["Attributes"])

    @_dynamodb
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
            if not _is_condition_failure(error):
                raise
            return False
        return True

    @_dynamodb
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
            if not _is_condition_failure(error):
                raise
            if self.get_session(session_id) is None:
                raise SessionNotFound() from None  # erased meanwhile
            return None
        return _session_record(session_id, response["Attributes"])

    @_dynamodb
    def delete_session(self, session_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key=_key(_session_key(session_id)))

    # Per-caller limits and the abuse limit -----------------------------------------------------------------

    @_dynamodb
    def admit(
        self,
        owner: str,
        limit: CallerLimit,
        now: datetime,
        address_key: str | None = None,
        previous_address_key: str | None = None,
    ) -> Admission:
        """Count one request against the caller's `limit` in this minute, and read the cool-down in the same
        update: always exactly one call. With `address_key` (guest mode), one more call reads the address's
        cool-down: no single DynamoDB call both updates one item and returns another (BatchGetItem and
        TransactGetItems only read; TransactWriteItems returns no values). During an address-key rotation
        (`previous_address_key`), one more reads the cool-down started under the previous key."""
        window = _epoch(now) // 60
        # One counter attribute per minute (`<limit>#<minute>`), so counting needs no condition and no second call:
        # ADD creates this minute's counter, REMOVE drops the last few minutes' ones. (A caller idle for longer
        # leaves a stale counter behind, which goes with the item's TTL.)
        counter = f"{limit}#{window}"
        stale = {f"#old{age}": f"{limit}#{window - age}" for age in range(1, _STALE_WINDOWS_REMOVED + 1)}
        response = self._client.update_item(
            TableName=self._table,
            Key=_key(_caller_key(owner)),
            # if_not_exists: never shortens a TTL set for a cool-down or a failure window.
            UpdateExpression=f"ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl) REMOVE {', '.join(stale)}",
            ExpressionAttributeNames={"#count": counter, "#ttl": LEDGER_TTL_ATTRIBUTE, **stale},
            ExpressionAttributeValues={":one": {"N": "1"}, ":ttl": {"N": str(_epoch(now + 2 * _LIMIT_WINDOW))}},
            ReturnValues="ALL_NEW",
        )
        window_ends = datetime.fromtimestamp((window + 1) * 60, UTC)
        admission = _admission(response["Attributes"], counter, now, window_ends)
        if address_key is None:
            return admission
        blocked = [admission.blocked_until] + [
            self._address_blocked_until(key, now) for key in (address_key, previous_address_key) if key is not None
        ]
        latest = max((until for until in blocked if until is not None), default=None)
        if latest == admission.blocked_until:
            return admission
        return Admission(admission.requests_in_window, admission.window_ends, latest)

    def _address_blocked_until(self, address_key: str, now: datetime) -> datetime | None:
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
        """The item after a conditional update, or None when the condition did not hold. Names and values are
        passed only where the expressions use them: DynamoDB refuses unused ones."""
        used = update + " " + condition
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={name: value for name, value in names.items() if name in used},
                ExpressionAttributeValues={name: value for name, value in values.items() if name in used},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            return None
        item: dict[str, Any] = response["Attributes"]
        return item

    @_dynamodb
    def record_failure(self, owner: str, session_id: str, now: datetime, address_key: str | None = None) -> None:
        self._count_failure(_caller_key(owner), session_id, now)
        if address_key is not None:
            # The same window, limit and cool-down, on the address's own item.
            self._count_failure(_address_key(address_key), session_id, now)

    def _count_failure(self, partition_key: str, session_id: str, now: datetime) -> None:
        failures = self._count_failure_in_window(partition_key, session_id, now)
        if failures >= self._max_failures:
            until = now + self._cooldown
            # ADD-free SET: later failures during the cool-down simply extend it.
            self._client.update_item(
                TableName=self._table,
                Key=_key(partition_key),
                UpdateExpression="SET blockedUntil = :until, #ttl = :ttl",
                ExpressionAttributeNames={"#ttl": LEDGER_TTL_ATTRIBUTE},
                ExpressionAttributeValues={
                    ":until": {"N": str(_epoch(until))},
                    ":ttl": {"N": str(_epoch(until + self._failure_window))},
                },
            )

    def _count_failure_in_window(self, partition_key: str, session_id: str, now: datetime) -> int:
        key = _key(partition_key)
        cutoff = str(_epoch(now - self._failure_window))
        ttl = str(_epoch(now + self._failure_window + self._cooldown))
        names = {"#ttl": LEDGER_TTL_ATTRIBUTE}
        values: dict[str, dict[str, Any]] = {
            ":now": {"N": str(_epoch(now))},
            ":failed": {"SS": [session_id]},
            ":cutoff": {"N": cutoff},
            ":ttl": {"N": ttl},
        }
        attempts = (
            # The common case: a window is open, count into it atomically (the session's id again adds nothing).
            ("ADD failedSessions :failed SET #ttl = :ttl", "windowStart > :cutoff"),
            # No open window: start one, unless a concurrent writer just did.
            (
                "SET windowStart = :now, failedSessions = :failed, #ttl = :ttl",
                "attribute_not_exists(windowStart) OR windowStart <= :cutoff",
            ),
        )
        return len(self._count_in_window(key, attempts, names, values)["failedSessions"]["SS"])


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
