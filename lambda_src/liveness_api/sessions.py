"""The domain: create a session, read its verdict, erase it. Routes call exactly one of these."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from liveness_api.contract import SESSION_LIFETIME_SECONDS
from liveness_api.decision import decide, is_failure
from liveness_api.errors import (
    CallerRateLimited,
    LivenessCallFailed,
    LivenessSessionGone,
    RequestInvalid,
    SessionNotFound,
    TooManyFailedChecks,
)
from liveness_api.metrics_catalogue import (
    CALLER_RATE_LIMITED,
    LIVENESS_CHECK_COMPLETED,
    LIVENESS_CONFIDENCE,
    SESSION_CREATE_FAILED,
    SESSION_CREATED,
    SESSION_ERASED,
    SESSION_REFUSED_BY_ABUSE_LIMIT,
)
from liveness_api.models import CreateSessionRequest, CreateSessionResponse, SessionResultsResponse
from liveness_api.observability import logger, record_metric, tracer
from liveness_api.ports import (
    AddressKeys,
    Admission,
    ImageStore,
    LivenessResult,
    LivenessService,
    SessionLedger,
    SessionRecord,
    SessionRequest,
)
from liveness_api.vocabulary import CallerLimit, SessionStatus, Verdict

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def client_request_token(owner: str, idempotency_key: str | None, request_id: str) -> str:
    """Rekognition's ClientRequestToken, always set so that botocore's retries reuse one session.

    Scoped to the owner: two callers sending the same Idempotency-Key must never share a session. A SHA-256
    hex digest is exactly 64 characters of `[a-f0-9]`, inside the token's 1-64 `[a-zA-Z0-9-_]` rule."""
    source = f"key:{idempotency_key}" if idempotency_key is not None else f"request:{request_id}"
    return hashlib.sha256(f"{owner}\n{source}".encode()).hexdigest()


class LivenessSessions:
    def __init__(
        self,
        *,
        region: str,
        threshold: float,
        max_audit_images_limit: int,
        liveness: LivenessService,
        ledger: SessionLedger,
        images: Callable[[], ImageStore],
        limits: Mapping[CallerLimit, int],
        address_keys: AddressKeys | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._region = region
        self._threshold = threshold
        self._max_audit_images_limit = max_audit_images_limit
        self._liveness = liveness
        self._ledger = ledger
        # Only erasure needs S3; building that client lazily keeps it off the create path's cold start.
        self._images = images
        self._limits = limits
        # Where the abuse limit also counts client addresses (guest mode): their keyed hashes.
        self._address_keys = address_keys
        self._clock = clock

    def create(
        self,
        owner: str,
        request: CreateSessionRequest,
        idempotency_key: str | None,
        request_id: str,
        address: str | None = None,
    ) -> CreateSessionResponse:
        """`address`: the client's address, where the abuse limit counts addresses (identity.Caller.address)."""
        if request.audit_images_limit > self._max_audit_images_limit:
            raise RequestInvalid(
                {"auditImagesLimit": f"must be at most {self._max_audit_images_limit} in this deployment"}
            )
        now = self._clock()
        address_key, previous_address_key = self._address_keys_of(address)
        # Counting the request also reads the cool-down: one DynamoDB call before Rekognition, as before; where
        # addresses count, a second reads the address's cool-down (a third, during a key rotation, the cool-down
        # under the previous key).
        blocked_until = self._admit(owner, CallerLimit.CREATES, now, address_key, previous_address_key).blocked_until
        if blocked_until is not None:
            record_metric(SESSION_REFUSED_BY_ABUSE_LIMIT)
            wait = max(1, math.ceil((blocked_until - now).total_seconds()))
            raise TooManyFailedChecks(
                f"Too many liveness checks failed recently. New sessions are refused for {wait} more seconds.",
                retry_after_seconds=wait,
            )
        try:
            session_id = self._liveness.create_session(
                SessionRequest(
                    client_request_token=client_request_token(owner, idempotency_key, request_id),
                    audit_images_limit=request.audit_images_limit,
                    challenge_preferences=tuple(request.challenge_preferences or ()),
                )
            )
        except LivenessCallFailed as failure:
            record_metric(SESSION_CREATE_FAILED, 1, failure.error_type)
            raise
        record = self._ledger.record_session(
            SessionRecord(
                session_id=session_id,
                owner=owner,
                created_at=now,
                expires_at=now + timedelta(seconds=SESSION_LIFETIME_SECONDS),
                address_key=address_key,
            )
        )
        record_metric(SESSION_CREATED)
        logger.info("Session created", extra={"session_id": session_id})
        return CreateSessionResponse(session_id=session_id, region=self._region, expires_at=record.expires_at)

    def results(self, owner: str, session_id: str) -> SessionResultsResponse:
        self._admit(owner, CallerLimit.READS, self._clock())
        record = self._owned_session(owner, session_id)
        if record.verdict is not None:
            # Decided once, never again: no Rekognition call, even long after its 3-minute expiry.
            response = SessionResultsResponse.model_validate_json(record.verdict)
            if not record.counted:  # recorded by a request that failed before it could count it
                self._settle(owner, record, response)
            return response
        try:
            result = self._liveness.get_results(session_id)
        except LivenessSessionGone:
            result = LivenessResult(status=SessionStatus.EXPIRED)
        verdict = decide(result.status, result.confidence, self._threshold)
        response = SessionResultsResponse(
            session_id=session_id,
            status=result.status,
            decision=verdict,
            confidence=result.confidence,
            threshold=self._threshold,
            challenge=result.challenge,
            reference_image=result.reference_image,
            audit_images=list(result.audit_images),
        )
        if verdict != Verdict.PENDING:
            document = response.model_dump_json(by_alias=True)
            stored = self._ledger.record_verdict(session_id, document)
            if stored.verdict != document:  # another request recorded its verdict first, and that one stands
                response = SessionResultsResponse.model_validate_json(stored.verdict or document)
            if not stored.counted:
                self._settle(owner, stored, response)
        tracer.put_annotation("Decision", response.decision)
        return response

    def erase(self, owner: str, session_id: str) -> None:
        self._admit(owner, CallerLimit.READS, self._clock())
        self._owned_session(owner, session_id)
        deleted = self._images().erase_session_images(session_id)
        self._ledger.delete_session(session_id)
        record_metric(SESSION_ERASED)
        logger.info("Session erased", extra={"session_id": session_id, "object_versions_deleted": deleted})

    def _address_keys_of(self, address: str | None) -> tuple[str | None, str | None]:
        """The address's hash under the current key, and under the previous one during a key rotation."""
        if address is None:
            return None, None
        if self._address_keys is None:
            raise RuntimeError("a client address to count, but no address key: the caller mode and settings disagree")
        return self._address_keys.key(address), self._address_keys.previous_key(address)

    def _admit(
        self,
        owner: str,
        limit: CallerLimit,
        now: datetime,
        address_key: str | None = None,
        previous_address_key: str | None = None,
    ) -> Admission:
        admission = self._ledger.admit(owner, limit, now, address_key, previous_address_key)
        if admission.requests_in_window > self._limits[limit]:
            record_metric(CALLER_RATE_LIMITED, 1, limit)
            wait = max(1, math.ceil((admission.window_ends - now).total_seconds()))
            raise CallerRateLimited(
                f"This caller sent more than {self._limits[limit]} such requests this minute. "
                f"Retry after {wait} seconds.",
                retry_after_seconds=wait,
            )
        return admission

    def _owned_session(self, owner: str, session_id: str) -> SessionRecord:
        record = self._ledger.get_session(session_id)
        if record is None or record.owner != owner:
            raise SessionNotFound()
        return record

    def _settle(self, owner: str, record: SessionRecord, response: SessionResultsResponse) -> None:
        """Count a recorded verdict towards the abuse limit and the metrics, exactly once: the failure count is
        idempotent, so a request that failed midway can safely be repeated, and only the request that marks the
        verdict counted emits its metrics. A failure counts for the owner and, where addresses count, for the
        address that created the session (not the one asking: a client chooses where it polls from)."""
        session_id = record.session_id
        if is_failure(response.decision):
            self._ledger.record_failure(owner, session_id, self._clock(), record.address_key)
        if not self._ledger.mark_counted(session_id):
            return  # a concurrent request settled it
        record_metric(LIVENESS_CHECK_COMPLETED, 1, response.decision)
        if response.confidence is not None:
            record_metric(LIVENESS_CONFIDENCE, response.confidence)
        logger.info("Liveness check completed", extra={"decision": response.decision})
