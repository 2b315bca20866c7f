"""SessionLedger on DynamoDB (one table, low-level client so no boto3 resource layer loads at cold start).

Items:
- `SESSION#<sessionId>`: owner, createdAt, expiresAt, ttl and, once decided, the immutable `verdict`.
- `CALLER#<sha256(owner)>`: the failed-check window (`windowStart`, `failures`) and `blockedUntil`.
Every write that must not race is a conditional or atomic update, so concurrent Lambdas cannot lose counts
or overwrite a verdict.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from liveness_api.contract import LEDGER_PARTITION_KEY, LEDGER_TTL_ATTRIBUTE
from liveness_api.errors import SessionNotFound
from liveness_api.ports import SessionRecord

_CONDITION_FAILED = "ConditionalCheckFailedException"
# A handful of rounds is plenty: each lost round means another writer made progress.
_MAX_WINDOW_ROUNDS = 5


def _is_condition_failure(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == _CONDITION_FAILED)


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

    def record_session(self, record: SessionRecord) -> SessionRecord:
        item = {
            LEDGER_PARTITION_KEY: {"S": _session_key(record.session_id)},
            "owner": {"S": record.owner},
            "createdAt": {"S": record.created_at.isoformat()},
            "expiresAt": {"S": record.expires_at.isoformat()},
            LEDGER_TTL_ATTRIBUTE: {"N": str(_epoch(record.created_at + self._retention))},
        }
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

    def get_session(self, session_id: str) -> SessionRecord | None:
        response = self._client.get_item(TableName=self._table, Key=_key(_session_key(session_id)), ConsistentRead=True)
        item = response.get("Item")
        if item is None:
            return None
        return SessionRecord(
            session_id=session_id,
            owner=item["owner"]["S"],
            created_at=datetime.fromisoformat(item["createdAt"]["S"]),
            expires_at=datetime.fromisoformat(item["expiresAt"]["S"]),
            verdict=item["verdict"]["S"] if "verdict" in item else None,
        )

    def record_verdict(self, session_id: str, verdict: str) -> tuple[str, bool]:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(_session_key(session_id)),
                UpdateExpression="SET verdict = :verdict",
                ConditionExpression="attribute_exists(#pk) AND attribute_not_exists(verdict)",
                ExpressionAttributeNames={"#pk": LEDGER_PARTITION_KEY},
                ExpressionAttributeValues={":verdict": {"S": verdict}},
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            stored = self.get_session(session_id)
            if stored is None or stored.verdict is None:
                raise SessionNotFound() from None  # erased while we were deciding
            return stored.verdict, False
        return verdict, True

    def delete_session(self, session_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key=_key(_session_key(session_id)))

    # Abuse limit ---------------------------------------------------------------------------------------

    def blocked_until(self, owner: str, now: datetime) -> datetime | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=_key(_caller_key(owner)),
            ProjectionExpression="blockedUntil",
            ConsistentRead=True,
        )
        blocked = response.get("Item", {}).get("blockedUntil")
        if blocked is None or int(blocked["N"]) <= _epoch(now):
            return None
        return datetime.fromtimestamp(int(blocked["N"]), UTC)

    def record_failure(self, owner: str, now: datetime) -> None:
        failures = self._count_failure_in_window(owner, now)
        if failures >= self._max_failures:
            until = now + self._cooldown
            # ADD-free SET: later failures during the cool-down simply extend it.
            self._client.update_item(
                TableName=self._table,
                Key=_key(_caller_key(owner)),
                UpdateExpression="SET blockedUntil = :until, #ttl = :ttl",
                ExpressionAttributeNames={"#ttl": LEDGER_TTL_ATTRIBUTE},
                ExpressionAttributeValues={
                    ":until": {"N": str(_epoch(until))},
                    ":ttl": {"N": str(_epoch(until + self._failure_window))},
                },
            )

    def _count_failure_in_window(self, owner: str, now: datetime) -> int:
        key = _key(_caller_key(owner))
        cutoff = str(_epoch(now - self._failure_window))
        ttl = str(_epoch(now + self._failure_window + self._cooldown))
        for _ in range(_MAX_WINDOW_ROUNDS):
            try:  # the common case: a window is open, count into it atomically
                response = self._client.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="ADD failures :one SET #ttl = :ttl",
                    ConditionExpression="windowStart > :cutoff",
                    ExpressionAttributeNames={"#ttl": LEDGER_TTL_ATTRIBUTE},
                    ExpressionAttributeValues={":one": {"N": "1"}, ":cutoff": {"N": cutoff}, ":ttl": {"N": ttl}},
                    ReturnValues="UPDATED_NEW",
                )
                return int(response["Attributes"]["failures"]["N"])
            except ClientError as error:
                if not _is_condition_failure(error):
                    raise
            try:  # no open window: start one, unless a concurrent writer just did
                self._client.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="SET windowStart = :now, failures = :one, #ttl = :ttl",
                    ConditionExpression="attribute_not_exists(windowStart) OR windowStart <= :cutoff",
                    ExpressionAttributeNames={"#ttl": LEDGER_TTL_ATTRIBUTE},
                    ExpressionAttributeValues={
                        ":now": {"N": str(_epoch(now))},
                        ":one": {"N": "1"},
                        ":cutoff": {"N": cutoff},
                        ":ttl": {"N": ttl},
                    },
                )
                return 1
            except ClientError as error:
                if not _is_condition_failure(error):
                    raise
        raise RuntimeError("could not count a failed check: the caller's window kept changing")


def _key(partition_key: str) -> dict[str, dict[str, str]]:
    return {LEDGER_PARTITION_KEY: {"S": partition_key}}


def _session_key(session_id: str) -> str:
    return f"SESSION#{session_id}"


def _caller_key(owner: str) -> str:
    # Hashed so that the key has a fixed size whatever the identity looks like.
    return "CALLER#" + hashlib.sha256(owner.encode()).hexdigest()
