"""Settlement on the server: every session's verdict decided and recorded without a client asking.

Two triggers put a session on the settlement queue, and both end in `LivenessSessions.settle`, the code path a
client's `GET .../results` runs (the first terminal verdict stands, counted exactly once), so a client's read and
the worker can race freely:
- the reference image landing in the bucket (S3 -> EventBridge -> the queue): a completed check, within seconds;
- a delayed message sent by the outbox when the session is recorded (`expiry_delay_seconds`): every session,
  shortly before its lifetime ends, whether or not it completed (abandoned, failed without images, expired).
  Shortly before, not after: Rekognition forgets a session at the end of its lifetime, so a FAILED check read
  after it would be recorded EXPIRED and escape the abuse limit.

A session still PENDING is not an answer: the message is redelivered later (`SettlementDeferred`): a reference
image's a few seconds later (Rekognition may write the image before it reports the session SUCCEEDED), an expiry
message's once the lifetime and a margin are over, when Rekognition reports the session gone and it is recorded
EXPIRED.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from liveness_api.contract import REFERENCE_OBJECT_NAME, SESSION_LIFETIME_SECONDS
from liveness_api.metrics_catalogue import SESSION_SETTLED, SETTLEMENT_DEFERRED, SettlementTrigger
from liveness_api.models import SessionId
from liveness_api.observability import logger, record_metric
from liveness_api.sessions import Clock, LivenessSessions
from liveness_api.vocabulary import Verdict

# How long before the session's lifetime ends the expiry message is first delivered: a check still running then
# (a minority: a check takes seconds) is settled after the lifetime instead, and if it failed in these last
# seconds it is recorded EXPIRED.
FIRST_ATTEMPT_BEFORE_EXPIRY: Final = timedelta(seconds=20)
# After the session's lifetime, how long a deferred expiry message waits more: Rekognition's clock and ours may
# differ by a little.
EXPIRY_MARGIN: Final = timedelta(seconds=30)
# How soon a reference image's message is delivered again while Rekognition still reports the check running.
IMAGE_RETRY_SECONDS: Final = 15
# SQS's largest message delay (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
MAX_DELAY_SECONDS: Final = 900


class SettlementDeferred(Exception):
    """The session is still PENDING: redeliver the message in `retry_in_seconds`."""

    def __init__(self, session_id: str, retry_in_seconds: int) -> None:
        super().__init__(session_id)
        self.retry_in_seconds = retry_in_seconds


class UnreadableMessage(ValueError):
    """A message on the settlement queue that names no session: it goes to the dead-letter queue."""


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True)


class _S3Object(_Model):
    key: str


class _S3Bucket(_Model):
    name: str


class _ObjectCreatedDetail(_Model):
    bucket: _S3Bucket
    object: _S3Object


class ObjectCreated(_Model):
    """S3's EventBridge event for a new object, as EventBridge delivers it to an SQS target (the fields used;
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html)."""

    source: Literal["aws.s3"]
    detail_type: Literal["Object Created"] = Field(alias="detail-type")
    detail: _ObjectCreatedDetail


class SettleAfterExpiry(_Model):
    """The outbox's delayed message: settle this session once its lifetime is over."""

    session_id: SessionId = Field(alias="sessionId")


def settle_after_expiry_message(session_id: str) -> str:
    return SettleAfterExpiry(session_id=session_id).model_dump_json(by_alias=True)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(0, min(MAX_DELAY_SECONDS, math.ceil((moment - now).total_seconds())))


def expiry_delay_seconds(expires_at: datetime, now: datetime) -> int:
    """How long the expiry message waits: until shortly before the session's lifetime ends, within SQS's limit (a
    session lives SESSION_LIFETIME_SECONDS, so the limit is never what decides)."""
    return _seconds_until(expires_at - FIRST_ATTEMPT_BEFORE_EXPIRY, now)


def retry_in_seconds(trigger: str, expires_at: datetime, now: datetime) -> int:
    """When a PENDING session's message is next delivered: a reference image's soon, an expiry message's once the
    lifetime and the margin are over (at once, if they are: Rekognition has not yet forgotten the session)."""
    if trigger == SettlementTrigger.IMAGE_STORED:
        return IMAGE_RETRY_SECONDS
    return max(IMAGE_RETRY_SECONDS, _seconds_until(expires_at + EXPIRY_MARGIN, now))


def session_of_key(key: str, key_prefix: str) -> str | None:
    """The session whose reference image `key` is (`{prefix}{sessionId}/reference.jpg`), or None for any other
    object. AWS does not document the layout of the keys Face Liveness writes; where it differed, no image would
    name a session and every session would still be settled by its expiry message."""
    if not key.startswith(key_prefix):
        return None
    session_id, _, name = key[len(key_prefix) :].partition("/")
    if name != REFERENCE_OBJECT_NAME:
        return None
    try:
        return SettleAfterExpiry(session_id=session_id).session_id
    except ValidationError:
        return None


def parse_message(body: str, key_prefix: str) -> tuple[str | None, str]:
    """The session a settlement message names (None: an object that is no session's reference image, nothing to
    do) and its trigger. Raises UnreadableMessage for anything else."""
    try:
        document = json.loads(body)
    except json.JSONDecodeError as error:
        raise UnreadableMessage("not JSON") from error
    try:
        if isinstance(document, dict) and "detail-type" in document:
            event = ObjectCreated.model_validate(document)
            return session_of_key(event.detail.object.key, key_prefix), SettlementTrigger.IMAGE_STORED
        return SettleAfterExpiry.model_validate(document).session_id, SettlementTrigger.EXPIRY
    except ValidationError as error:
        raise UnreadableMessage(f"{error.error_count()} invalid fields") from None


class Settlement:
    """Settles one session per message, through the domain's own results path."""

    def __init__(self, sessions: LivenessSessions, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def settle(self, session_id: str, trigger: str) -> Verdict | None:
        """The session's verdict as it now stands recorded; None when no such session is recorded (erased, or its
        create failed before recording it): nothing to settle. Raises SettlementDeferred while PENDING."""
        response = self._sessions.settle(session_id)
        if response is None:
            logger.info("Nothing to settle", extra={"session_id": session_id, "trigger": trigger})
            return None
        if response.decision == Verdict.PENDING:
            record_metric(SETTLEMENT_DEFERRED, 1, trigger)
            expires_at = response.created_at + timedelta(seconds=SESSION_LIFETIME_SECONDS)
            raise SettlementDeferred(session_id, retry_in_seconds(trigger, expires_at, self._clock()))
        record_metric(SESSION_SETTLED, 1, trigger)
        logger.info(
            "Session settled", extra={"session_id": session_id, "trigger": trigger, "decision": response.decision}
        )
        return response.decision
