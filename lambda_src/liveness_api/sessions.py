"""The domain: create a session, read its verdict, consume it once, erase it. Routes call exactly one of these."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from liveness_api.admission import CallerAdmission, Limits
from liveness_api.contract import SESSION_LIFETIME_SECONDS
from liveness_api.decision import decide, is_failure, is_match_failure
from liveness_api.errors import (
    DomainError,
    LivenessCallFailed,
    LivenessSessionGone,
    RequestInvalid,
    SessionNotFound,
    VerdictAlreadyConsumed,
    VerdictNotConsumable,
    VerdictNotDecided,
    VerdictStale,
)
from liveness_api.face_match import FaceMatches
from liveness_api.feedback import answered_document, answered_feedback, record_feedback, with_client_sdk
from liveness_api.metrics_catalogue import (
    FACE_MATCH_COMPLETED,
    FACE_MATCH_SIMILARITY,
    LIVENESS_CHECK_COMPLETED,
    LIVENESS_CONFIDENCE,
    SESSION_CREATE_FAILED,
    SESSION_CREATE_REPLAYED,
    SESSION_CREATED,
    SESSION_ERASED,
    VERDICT_CONSUME_REFUSED,
    VERDICT_CONSUMED,
)
from liveness_api.models import CreateSessionRequest, CreateSessionResponse, SessionResultsResponse
from liveness_api.observability import logger, record_metric, tracer
from liveness_api.ports import (
    AddressKeys,
    ImageStore,
    LivenessResult,
    LivenessService,
    SessionLedger,
    SessionRecord,
    SessionRequest,
    StreamingCredentialsIssuer,
)
from liveness_api.vocabulary import CallerLimit, SessionStatus, Verdict

Clock = Callable[[], datetime]
# What each read of a verdict adds to its recorded document: the session's, or the moment's.
_PER_READ_FIELDS = frozenset({"created_at", "stale", "consumed", "consumed_at"})


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
        limits: Limits,
        verdict_max_age: timedelta,
        matches: FaceMatches,
        address_keys: AddressKeys | None = None,
        streaming_credentials: StreamingCredentialsIssuer | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._region = region
        self._threshold = threshold
        self._max_audit_images_limit = max_audit_images_limit
        self._liveness = liveness
        self._ledger = ledger
        # Only erasure needs S3; building that client lazily keeps it off the create path's cold start.
        self._images = images
        self._admission = CallerAdmission(ledger, limits, address_keys)
        self._verdict_max_age = verdict_max_age
        self._matches = matches
        self._streaming_credentials = streaming_credentials
        self._clock = clock

    def create(
        self,
        owner: str,
        request: CreateSessionRequest,
        idempotency_key: str | None,
        request_id: str,
        address: str | None = None,
        backend: str | None = None,
        person_refusal: DomainError | None = None,
    ) -> CreateSessionResponse:
        """`address`: the client's address, where the abuse limit counts addresses (identity.Caller.address);
        `backend`: the backend principal `owner` is an end user of (identity.Caller.backend); `person_refusal`:
        why the caller is no person to match against, if it is not (identity.Caller.person_refusal)."""
        match = self._matches.check_request(request.match, person_refusal)
        if request.audit_images_limit > self._max_audit_images_limit:
            raise RequestInvalid(
                {"auditImagesLimit": f"must be at most {self._max_audit_images_limit} in this deployment"}
            )
        now = self._clock()
        expires_at = now + timedelta(seconds=SESSION_LIFETIME_SECONDS)
        token = client_request_token(owner, idempotency_key, request_id)
        address_key, previous_address_key = self._admission.address_keys_of(address)
        # Counting the request also reads the cool-down (one DynamoDB call); holding an open-session slot before
        # Rekognition is called is a second (docs/performance.md), and guest mode's address a third (a fourth,
        # during an address-key rotation, reads the cool-down under the previous key).
        blocked_until = self._admission.admit(owner, CallerLimit.CREATES, now, backend).blocked_until
        if blocked_until is None and previous_address_key is not None:
            blocked_until = self._ledger.address_blocked_until(previous_address_key, now)
        if blocked_until is not None:
            raise self._admission.refused_by_abuse_limit(blocked_until, now)
        self._admission.hold_open_slot(owner, token, expires_at, now, address_key)
        try:
            session_id = self._liveness.create_session(
                SessionRequest(
                    client_request_token=token,
                    audit_images_limit=request.audit_images_limit,
                    challenge_preferences=tuple(request.challenge_preferences or ()),
                )
            )
        except LivenessCallFailed as failure:
            record_metric(SESSION_CREATE_FAILED, 1, failure.error_type)
            # No session, so nothing to wait for. (Rekognition may have created one that the client never learns
            # of; it expires unused with the slot.)
            self._ledger.release_open_session(owner, token, address_key)
            raise
        kept = self._ledger.record_session(  # on a replay, what the first create recorded
            SessionRecord(
                session_id=session_id,
                owner=owner,
                created_at=now,
                expires_at=expires_at,
                address_key=address_key,
                open_slot=token,
                match=match,
            )
        )
        if kept.record.verdict is not None:  # a replay of a session already decided: its slot was released then
            self._ledger.release_open_session(owner, token, address_key)
        record_metric(SESSION_CREATE_REPLAYED if kept.replayed else SESSION_CREATED)
        logger.info("Session create replayed" if kept.replayed else "Session created", extra={"session_id": session_id})
        upload = self._matches.upload_target(session_id, request.match, now) if request.match else None
        credentials = None if self._streaming_credentials is None else self._streaming_credentials.issue(session_id)
        return CreateSessionResponse(
            session_id=session_id,
            region=self._region,
            expires_at=kept.record.expires_at,
            document_upload=upload,
            streaming_credentials=credentials,
        )

    def results(self, owner: str, session_id: str, backend: str | None = None) -> SessionResultsResponse:
        self._admission.admit(owner, CallerLimit.READS, self._clock(), backend=backend)
        response = self._decided(self._owned_session(owner, session_id))
        tracer.put_annotation("Decision", response.decision)
        return response

    def settle(self, session_id: str) -> SessionResultsResponse | None:
        """Decide and record the session's verdict on the server, for its owner, as `results` would: the same code
        path (the first terminal verdict stands, counted exactly once), but no request counted against a caller's
        limit, since no caller asked. None when no session with this id is recorded (erased, or never recorded)."""
        record = self._ledger.get_session(session_id)
        return None if record is None else self._decided(record)

    def _decided(self, record: SessionRecord) -> SessionResultsResponse:
        """The session's verdict: the recorded one, or Rekognition's answer decided now and recorded if terminal."""
        owner, session_id = record.owner, record.session_id
        if record.verdict is not None:
            # Decided once, never again: no Rekognition call, even long after its 3-minute expiry.
            response = self._recorded(record, self._clock())
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
            feedback=answered_feedback(verdict, result),
            created_at=record.created_at,
        )
        if verdict != Verdict.PENDING:
            match = None
            if record.match is not None:  # decided with the verdict, before anything is recorded
                match = self._matches.decide(owner, session_id, record.match, verdict, result.reference_image)
            decided = response.model_copy(update={"decided_at": self._clock(), "match": match})
            document = with_client_sdk(decided.model_dump_json(by_alias=True, exclude=set(_PER_READ_FIELDS)), result)
            stored = self._ledger.record_verdict(session_id, document)
            # This verdict, or the one another request recorded first, which stands.
            response = self._recorded(stored, self._clock())
            if not stored.counted:
                self._settle(owner, stored, response)
        return response

    def consume(self, owner: str, session_id: str, backend: str | None = None) -> SessionResultsResponse:
        """Hand the recorded verdict to the caller once: for a relying backend that must act on a check exactly
        once. Never asks Rekognition (results decides), so the route shares no Rekognition quota. Refused, in this
        order: no verdict recorded yet, consumed already, stale; the refusals leave the verdict as it was."""
        now = self._clock()
        self._admission.admit(owner, CallerLimit.READS, now, backend=backend)
        record = self._owned_session(owner, session_id)
        if record.verdict is None:
            raise self._refused(VerdictNotDecided())
        if record.consumed_at is not None:
            raise self._refused(VerdictAlreadyConsumed())
        if self._is_stale(record, now):
            raise self._refused(VerdictStale())
        consumed = self._ledger.consume_verdict(session_id, now)
        if consumed is None:  # a concurrent consumer won
            raise self._refused(VerdictAlreadyConsumed())
        response = self._recorded(consumed, now)
        if not consumed.counted:
            self._settle(owner, consumed, response)
        record_metric(VERDICT_CONSUMED, 1, response.decision)
        logger.info("Verdict consumed", extra={"session_id": session_id, "decision": response.decision})
        return response

    def erase(self, owner: str, session_id: str, backend: str | None = None) -> None:
        self._admission.admit(owner, CallerLimit.READS, self._clock(), backend=backend)
        self._owned_session(owner, session_id)
        deleted = self._images().erase_session_images(session_id)
        self._ledger.delete_session(session_id)
        record_metric(SESSION_ERASED)
        logger.info("Session erased", extra={"session_id": session_id, "object_versions_deleted": deleted})

    def recorded_results(
        self, owner: str, session_id: str, limit: CallerLimit, backend: str | None = None
    ) -> tuple[SessionResultsResponse | None, bool]:
        """For a request about one of the caller's sessions (enrolment): count it against `limit`, and the session's
        recorded results (None while undecided) and whether they are stale. SessionNotFound if not the caller's."""
        now = self._clock()
        self.admit(owner, limit, backend)
        record = self._owned_session(owner, session_id)
        if record.verdict is None:
            return None, False
        return self._recorded(record, now), self._is_stale(record, now)

    def admit(self, owner: str, limit: CallerLimit, backend: str | None = None) -> None:
        """Count a request about the caller (enrolment) against `limit`, or refuse it."""
        self._admission.admit(owner, limit, self._clock(), backend)

    def _recorded(self, record: SessionRecord, now: datetime) -> SessionResultsResponse:
        """The recorded verdict as the API answers it at `now`: its document, with what each read adds. A document
        recorded before `decidedAt` was kept reads without one; staleness never depends on it."""
        if record.verdict is None:
            raise ValueError("the session has no recorded verdict")
        document = answered_document(record.verdict)
        document.update(
            createdAt=record.created_at,
            stale=self._is_stale(record, now),
            consumed=record.consumed_at is not None,
            consumedAt=record.consumed_at,
        )
        return SessionResultsResponse.model_validate(document)

    def _is_stale(self, record: SessionRecord, now: datetime) -> bool:
        """Older than the deployment accepts, counted from the session's creation: the face was shown within the
        session's lifetime after it, whenever the verdict was first read (which a client may delay at will)."""
        return record.verdict is not None and now - record.created_at > self._verdict_max_age

    @staticmethod
    def _refused(error: VerdictNotConsumable) -> VerdictNotConsumable:
        record_metric(VERDICT_CONSUME_REFUSED, 1, error.reason)
        return error

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
        match = response.match
        if is_failure(response.decision) or (match is not None and is_match_failure(match.outcome)):
            self._ledger.record_failure(owner, session_id, self._clock(), record.address_key)
        if record.open_slot is not None:  # decided, so no longer open: before mark_counted drops the address
            self._ledger.release_open_session(owner, record.open_slot, record.address_key)
        if not self._ledger.mark_counted(session_id):
            return  # a concurrent request settled it
        record_metric(LIVENESS_CHECK_COMPLETED, 1, response.decision)
        if response.confidence is not None:
            record_metric(LIVENESS_CONFIDENCE, response.confidence)
        record_feedback(response.feedback)
        if match is not None:
            record_metric(FACE_MATCH_COMPLETED, 1, match.against, match.outcome)
            if match.similarity is not None:
                record_metric(FACE_MATCH_SIMILARITY, match.similarity, match.against)
        logger.info("Liveness check completed", extra={"decision": response.decision})
