"""The outbox: what each change of the session ledger means for other systems, read from the table's stream.

An event is published exactly when the ledger changed, by reading the change after it was written (DynamoDB
Streams, NEW_AND_OLD_IMAGES), never by a second write from the request path that could fail on its own:
- a session recorded (INSERT): a delayed settlement message, so it is settled after its lifetime even if nobody
  reads it (`settlement`);
- a verdict recorded (the `verdict` attribute appears): `Liveness Verdict Recorded`, and with it `Face Match
  Decided` when the verdict carries a match;
- a session erased (a REMOVE that is not DynamoDB's TTL expiry): `Session Erased`.

Every event names its owner by a pseudonym (a keyed hash, `Pseudonyms`), never the raw identity, and carries no
image, no bucket key and no address. Its `eventId` is derived from the session and the change, so a record the
stream delivers twice publishes an event with the same id, on which consumers deduplicate.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from liveness_api.metrics_catalogue import EventType
from liveness_api.settlement import expiry_delay_seconds

SCHEMA_VERSION: Final = EventType.SCHEMA_VERSION
SESSION_KEY_PREFIX: Final = "SESSION#"
# DynamoDB's TTL deletes are stream records of this service principal
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-streams.html).
_TTL_PRINCIPAL: Final = "dynamodb.amazonaws.com"


class UnpublishableChange(ValueError):
    """A change whose item lacks what its event needs: retried, then dead-lettered, never published half-made."""


class Pseudonyms:
    """Owners' pseudonymous ids: HMAC-SHA256 of the owner under a key only the stack holds, so that an id cannot
    be reversed by hashing guessed ARNs, yet one owner's events share one id."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the pseudonym key must be at least 32 bytes")
        self._key = key

    def of(self, owner: str) -> str:
        return hmac.new(self._key, owner.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class OutboxEvent:
    detail_type: str
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class SettleLater:
    session_id: str
    delay_seconds: int


@dataclass(frozen=True)
class OutboxWork:
    """What one stream record asks for."""

    events: list[OutboxEvent] = field(default_factory=list)
    settle_later: list[SettleLater] = field(default_factory=list)


class EventBus(Protocol):
    def publish(self, events: Sequence[OutboxEvent]) -> None:
        """Put every event on the bus, or raise: the stream then delivers the record again."""
        ...


class SettlementQueue(Protocol):
    def settle_later(self, session_id: str, delay_seconds: int) -> None: ...


def _string(image: Mapping[str, Any], name: str) -> str | None:
    value = image.get(name)
    return value["S"] if isinstance(value, dict) and "S" in value else None


def event_id(detail_type: str, session_id: str) -> str:
    """Stable for one change of one session, so that redelivered records publish duplicates consumers can drop."""
    return hashlib.sha256(f"{detail_type}\n{session_id}".encode()).hexdigest()[:32]


def _feedback_codes(document: Mapping[str, Any]) -> list[str]:
    """The feedback codes the verdict carries, if any; anything not shaped as expected is left out."""
    feedback = document.get("feedback")
    if not isinstance(feedback, list):
        return []
    return [item["code"] for item in feedback if isinstance(item, dict) and isinstance(item.get("code"), str)]


def _verdict_events(session_id: str, owner: str, document: Mapping[str, Any]) -> list[OutboxEvent]:
    match = document.get("match") if isinstance(document.get("match"), dict) else None
    common = {"schemaVersion": SCHEMA_VERSION, "sessionId": session_id, "owner": owner}
    verdict = {
        **common,
        "eventId": event_id(EventType.VERDICT_RECORDED, session_id),
        "decision": document["decision"],
        "status": document["status"],
        "confidence": document.get("confidence"),
        "threshold": document["threshold"],
        "match": None
        if match is None
        else {key: match.get(key) for key in ("against", "outcome", "similarity", "threshold")},
        "feedbackCodes": _feedback_codes(document),
        "createdAt": document["createdAt"],
        "decidedAt": document.get("decidedAt"),
    }
    events = [OutboxEvent(EventType.VERDICT_RECORDED, verdict)]
    if match is not None:
        events.append(
            OutboxEvent(
                EventType.MATCH_DECIDED,
                {
                    **common,
                    "eventId": event_id(EventType.MATCH_DECIDED, session_id),
                    "decision": document["decision"],
                    **{key: match.get(key) for key in ("against", "outcome", "similarity", "threshold")},
                    "decidedAt": document.get("decidedAt"),
                },
            )
        )
    return events


def work_of(record: Mapping[str, Any], pseudonyms: Pseudonyms, now: datetime) -> OutboxWork:
    """What one DynamoDB stream record (as Lambda delivers it) asks for; nothing for items that are not sessions
    and for changes other systems need not hear of (counting, consumption, slots)."""
    change = record["dynamodb"]
    new, old = change.get("NewImage", {}), change.get("OldImage", {})
    image = new or old
    key = _string(image, "pk") or ""
    if not key.startswith(SESSION_KEY_PREFIX):
        return OutboxWork()
    session_id = key[len(SESSION_KEY_PREFIX) :]
    owner = _string(image, "owner")
    if owner is None:
        return OutboxWork()
    name = record["eventName"]
    if name == "INSERT":
        expires_at = datetime.fromisoformat(_string(new, "expiresAt") or now.isoformat())
        return OutboxWork(settle_later=[SettleLater(session_id, expiry_delay_seconds(expires_at, now))])
    if name == "MODIFY" and "verdict" in new and "verdict" not in old:
        try:
            document = json.loads(new["verdict"]["S"])
            document.setdefault("createdAt", _string(new, "createdAt"))
            return OutboxWork(events=_verdict_events(session_id, pseudonyms.of(owner), document))
        except (ValueError, KeyError, TypeError) as error:
            raise UnpublishableChange(f"the verdict document lacks {error}") from None
    if name == "REMOVE" and record.get("userIdentity", {}).get("principalId") != _TTL_PRINCIPAL:
        at = change.get("ApproximateCreationDateTime")
        erased_at = datetime.fromtimestamp(float(at), UTC) if at is not None else now
        detail = {
            "schemaVersion": SCHEMA_VERSION,
            "eventId": event_id(EventType.SESSION_ERASED, session_id),
            "sessionId": session_id,
            "owner": pseudonyms.of(owner),
            "erasedAt": erased_at.isoformat(),
        }
        return OutboxWork(events=[OutboxEvent(EventType.SESSION_ERASED, detail)])
    return OutboxWork()
