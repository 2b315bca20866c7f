"""The per-caller limits a request is admitted under: requests per minute, the abuse limit's cool-down, and the open
sessions a caller (and, in guest mode, an address) may hold. What refuses a request before any work is done."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from liveness_api.errors import CallerRateLimited, TooManyFailedChecks, TooManyOpenSessions
from liveness_api.metrics_catalogue import (
    CALLER_RATE_LIMITED,
    SESSION_REFUSED_BY_ABUSE_LIMIT,
    SESSION_REFUSED_BY_OPEN_SESSION_CAP,
)
from liveness_api.observability import record_metric
from liveness_api.ports import AddressKeys, Admission, SessionLedger
from liveness_api.vocabulary import CallerLimit
from liveness_api.windows import retry_after_seconds


@dataclass(frozen=True)
class Limits:
    """The per-caller limits: requests per minute by kind, the open sessions a caller (and, in guest mode, an
    address) may hold, and guest mode's creates per address per minute."""

    per_minute: Mapping[CallerLimit, int]
    max_open_sessions: int
    address_creates_per_minute: int


class CallerAdmission:
    """Counts requests against the limits in the ledger, and refuses those over one (with the wait, as Retry-After)."""

    def __init__(self, ledger: SessionLedger, limits: Limits, address_keys: AddressKeys | None) -> None:
        self._ledger = ledger
        self._limits = limits
        # Where the abuse limit also counts client addresses (guest mode): their keyed hashes.
        self._address_keys = address_keys

    def hold_open_slot(
        self, owner: str, slot: str, expires_at: datetime, now: datetime, address_key: str | None
    ) -> None:
        """Hold one of the caller's open-session slots (and, in guest mode, one of its address's, counting the
        address's creates this minute), or refuse the create. What bounds attempts whose verdicts nobody reads."""
        cap = self._limits.max_open_sessions
        claim = self._ledger.reserve_open_session(owner, slot, expires_at, now, cap)
        if not claim.held:
            raise self._too_many_open(claim.frees_at, now)
        if address_key is None:
            return
        admission = self._ledger.admit_address_create(
            address_key, slot, expires_at, now, cap, self._limits.address_creates_per_minute
        )
        if admission.slot.held:
            return
        self._ledger.release_open_session(owner, slot)  # the caller's slot, taken for a create that will not happen
        if admission.blocked_until is not None:
            raise self.refused_by_abuse_limit(admission.blocked_until, now)
        if admission.creates_in_window >= self._limits.address_creates_per_minute:
            record_metric(CALLER_RATE_LIMITED, 1, CallerLimit.CREATES)
            wait = retry_after_seconds(admission.window_ends, now)
            raise CallerRateLimited(
                f"This address sent more than {self._limits.address_creates_per_minute} session creates this "
                f"minute. Retry after {wait} seconds.",
                retry_after_seconds=wait,
            )
        raise self._too_many_open(admission.slot.frees_at, now)

    def _too_many_open(self, frees_at: datetime, now: datetime) -> TooManyOpenSessions:
        record_metric(SESSION_REFUSED_BY_OPEN_SESSION_CAP)
        wait = retry_after_seconds(frees_at, now)
        return TooManyOpenSessions(
            f"At most {self._limits.max_open_sessions} sessions may be open at once. Finish one (read its verdict) "
            f"or retry after {wait} seconds, when the oldest expires.",
            retry_after_seconds=wait,
        )

    @staticmethod
    def refused_by_abuse_limit(blocked_until: datetime, now: datetime) -> TooManyFailedChecks:
        record_metric(SESSION_REFUSED_BY_ABUSE_LIMIT)
        wait = retry_after_seconds(blocked_until, now)
        return TooManyFailedChecks(
            f"Too many liveness checks failed recently. New sessions are refused for {wait} more seconds.",
            retry_after_seconds=wait,
        )

    def address_keys_of(self, address: str | None) -> tuple[str | None, str | None]:
        """The address's hash under the current key, and under the previous one during a key rotation."""
        if address is None:
            return None, None
        if self._address_keys is None:
            raise RuntimeError("a client address to count, but no address key: the caller mode and settings disagree")
        return self._address_keys.key(address), self._address_keys.previous_key(address)

    def admit(self, owner: str, limit: CallerLimit, now: datetime, backend: str | None = None) -> Admission:
        """Count the request against `owner`'s limit and, for an end user of `backend`, against the backend's
        too: one more DynamoDB update, so that naming end users never multiplies what the backend may send. The
        backend's own cool-down (from sessions it created without naming an end user) holds back none of them."""
        admission = self._within_limit(self._ledger.admit(owner, limit, now), limit, now)
        if backend is not None:
            self._within_limit(self._ledger.admit(backend, limit, now), limit, now)
        return admission

    def _within_limit(self, admission: Admission, limit: CallerLimit, now: datetime) -> Admission:
        per_minute = self._limits.per_minute[limit]
        if admission.requests_in_window > per_minute:
            record_metric(CALLER_RATE_LIMITED, 1, limit)
            wait = retry_after_seconds(admission.window_ends, now)
            raise CallerRateLimited(
                f"This caller sent more than {per_minute} such requests this minute. Retry after {wait} seconds.",
                retry_after_seconds=wait,
            )
        return admission
