"""Domain exceptions. Each one knows its HTTP status and problem type; the handler maps them to
RFC 9457 problem+json responses in one place."""

from __future__ import annotations

from typing import ClassVar

from liveness_api.metrics_catalogue import ConsumeRefusal, ErrorType


class DomainError(Exception):
    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"
    # Shown to the client. Never an exception text, a stack trace or another caller's data.
    detail: ClassVar[str] = "The request could not be completed. Quote the requestId when reporting this."

    def __init__(self, detail: str | None = None, *, retry_after_seconds: int | None = None) -> None:
        super().__init__(detail or self.detail)
        self.public_detail = detail or self.detail
        self.retry_after_seconds = retry_after_seconds


class SessionNotFound(DomainError):
    # The same answer for "does not exist" and "belongs to someone else": existence is never revealed.
    status = 404
    slug = "session-not-found"
    title = "Session not found"
    detail = "No session with this id belongs to the caller."


class CallerIdentityMissing(DomainError):
    status = 403
    slug = "caller-identity-missing"
    title = "Caller identity missing"
    detail = "The request carries no caller identity; the API requires an authenticated caller."


class IdentityPoolNotAccepted(DomainError):
    # An identity of another identity pool of the account whose roles may invoke the API: no caller of this stack.
    status = 403
    slug = "identity-pool-not-accepted"
    title = "Identity pool not accepted"
    detail = "The request is signed with credentials of another identity pool; use the stack's IdentityPoolId."


class TooManyFailedChecks(DomainError):
    status = 429
    slug = "too-many-failed-checks"
    title = "Too many failed liveness checks"


class TooManyOpenSessions(DomainError):
    """The caller (or, in guest mode, its address) already has as many undecided, unexpired sessions as allowed:
    what bounds attempts whose verdicts nobody has read yet."""

    status = 429
    slug = "too-many-open-sessions"
    title = "Too many open sessions"
    detail = "This caller has too many sessions open. Finish or let one expire; retry after Retry-After seconds."


class LivenessCallFailed(DomainError):
    """A Rekognition call failed; `error_type` is the metric dimension value it is counted under."""

    error_type: ClassVar[str] = ErrorType.UNEXPECTED


class LivenessThrottled(LivenessCallFailed):
    status = 429
    slug = "throttled"
    title = "Too many requests"
    detail = "Face Liveness is throttling requests. Retry after the number of seconds in Retry-After."
    error_type = ErrorType.THROTTLED


class LivenessUnavailable(LivenessCallFailed):
    status = 503
    slug = "service-unavailable"
    title = "Face Liveness unavailable"
    detail = "Face Liveness did not answer in time. Retry after the number of seconds in Retry-After."
    error_type = ErrorType.SERVICE_UNAVAILABLE


class LivenessAccessDenied(LivenessCallFailed):
    # The caller did nothing wrong: the deployment is misconfigured, so this is a server error.
    error_type = ErrorType.ACCESS_DENIED
    log_hint: ClassVar[str] = (
        "AccessDenied from Rekognition: is Face Liveness available in this region and is the role allowed?"
    )


class LivenessRejectedRequest(LivenessCallFailed):
    """InvalidParameterException: the API's own validation should have made this impossible."""

    error_type = ErrorType.INVALID_PARAMETER


class UnexpectedServiceError(LivenessCallFailed):
    """An AWS error code this code does not know; logged with its code, answered as a plain 500."""


class UnknownSessionStatus(LivenessCallFailed):
    """Rekognition reported a session status this version of the backend does not know (one added after it was
    written). Nothing is decided or recorded on it: the client is told to retry, and by the session's 3-minute
    expiry at the latest the status is one the backend knows (or the session is gone, which is EXPIRED)."""

    status = 503
    slug = "unknown-session-status"
    title = "Verdict not available yet"
    detail = "Face Liveness reported a session state this deployment cannot judge yet. Retry after Retry-After."


class LivenessSessionGone(Exception):
    """Rekognition no longer knows the session (it forgets sessions 3 minutes after creation).
    Never reaches a client: the domain turns it into an EXPIRED verdict."""


class RequestInvalid(DomainError):
    """A request that is well-formed JSON but breaks a rule the schema alone cannot express."""

    status = 422
    slug = "validation-error"
    title = "Request validation failed"
    detail = "The request does not match the API's schema; see errors."

    def __init__(self, field_errors: dict[str, str]) -> None:
        super().__init__()
        self.field_errors = field_errors


class MalformedJson(DomainError):
    """A request body that is not JSON the API reads (json_body.py says what it reads). `reason` names the rule the
    body broke, in fixed words that never quote the body, so it can be logged and shown to the client."""

    status = 400
    slug = "malformed-json"
    title = "Malformed JSON"
    detail = "The request body is not valid JSON."

    def __init__(self, reason: str) -> None:
        super().__init__(f"The request body is not JSON this API reads: {reason}.")
        self.reason = reason


class DependencyFailed(DomainError):
    """A DynamoDB, S3 or STS call (or KMS behind it) failed after botocore's retries. Counted and logged once, where
    it failed, with `dependency` and `error_type` (DependencyError's dimensions; STS's has a metric of its own)."""

    dependency: str = ""
    error_type: str = ErrorType.UNEXPECTED

    def __init__(self, dependency: str, error_type: str, *, retry_after_seconds: int | None = None) -> None:
        super().__init__(retry_after_seconds=retry_after_seconds)
        self.dependency = dependency
        self.error_type = error_type


class DependencyUnavailable(DependencyFailed):
    """Throttled, unavailable or timed out: transient, so the client is told when to retry."""

    status = 503
    slug = "temporarily-unavailable"
    title = "Temporarily unavailable"
    detail = "A service this API depends on is busy or did not answer in time. Retry after Retry-After seconds."


class DependencyMisconfigured(DependencyFailed):
    """Access denied, a missing table or bucket, or an unusable KMS key: the deployment is broken, not the request,
    so this is a plain 500 and the log line names the resource to check."""


class DeadlineExceeded(DomainError):
    """The next AWS call could no longer finish inside the function's timeout: answered before Lambda kills the
    invocation, which API Gateway would turn into a 502 or 504."""

    status = 503
    slug = "deadline-exceeded"
    title = "Request took too long"
    detail = "The request could not be completed in time. Retry after Retry-After seconds."


class CallerRateLimited(DomainError):
    status = 429
    slug = "caller-rate-limited"
    title = "Too many requests from this caller"


class VerdictNotConsumable(DomainError):
    """POST .../consume refused: the verdict cannot be consumed, now or ever. A conflict with the session's state,
    so 409; each reason has its own problem type so that a relying backend can tell them apart."""

    status = 409
    # The VerdictConsumeRefused metric's Reason.
    reason: ClassVar[str]


class VerdictNotDecided(VerdictNotConsumable):
    slug = "verdict-not-decided"
    reason = ConsumeRefusal.NOT_DECIDED
    title = "Verdict not decided"
    detail = "The session has no recorded verdict yet: read its results until the decision is not PENDING."


class VerdictAlreadyConsumed(VerdictNotConsumable):
    slug = "verdict-already-consumed"
    reason = ConsumeRefusal.ALREADY_CONSUMED
    title = "Verdict already consumed"
    detail = "This session's verdict was already consumed; a verdict can be consumed once."


class VerdictStale(VerdictNotConsumable):
    slug = "verdict-stale"
    reason = ConsumeRefusal.STALE
    title = "Verdict stale"
    detail = "This session's verdict is older than this deployment accepts; start a new check."


# Face matching and enrolment ------------------------------------------------------------------------------


class FaceMatchFailed(DomainError):
    """A Rekognition face-matching call (compare, search, enrol, erase) failed after botocore's retries. Counted
    (FaceMatchError) and logged once where it failed; a plain 500 unless a subclass says otherwise. Nothing is
    recorded on a failed match: the next read decides it."""


class FaceMatchUnavailable(FaceMatchFailed):
    """Throttled, unavailable or timed out: transient, so answered 503 with Retry-After (not 429: the caller did
    not send too much, the service is busy)."""

    status = 503
    slug = "face-match-unavailable"
    title = "Face matching unavailable"
    detail = "Face matching is busy or did not answer in time. Retry after the number of seconds in Retry-After."


class PersonRequired(DomainError):
    """Enrolment, and a match against the enrolled person, need a caller that is one stable person."""

    status = 403
    slug = "person-required"
    title = "No person to enrol"
    detail = "Guest identities are not stable persons: sign in to enrol a face or to match against an enrolled one."


class EnrolmentRefused(DomainError):
    """POST /enrolment refused: a conflict with the session's state or the collection's. Each reason has its own
    problem type, so that a client can tell them apart."""

    status = 409


class EnrolmentSessionNotLive(EnrolmentRefused):
    slug = "enrolment-session-not-live"
    title = "Session not LIVE"
    detail = "Only a session whose recorded verdict is LIVE can be enrolled: read its results first."


class EnrolmentSessionStale(EnrolmentRefused):
    slug = "enrolment-session-stale"
    title = "Session stale"
    detail = "This session's verdict is older than this deployment accepts; enrol from a new check."


class EnrolmentNoReferenceImage(EnrolmentRefused):
    slug = "enrolment-no-reference-image"
    title = "No reference image"
    detail = "The session has no reference image to enrol (it was not stored, or no face of it could be indexed)."


class FaceAlreadyEnrolled(EnrolmentRefused):
    # Says that the face belongs to someone else, never whom.
    slug = "face-already-enrolled"
    title = "Face already enrolled"
    detail = "This face already belongs to another enrolled person."


class FaceNotThisPerson(EnrolmentRefused):
    slug = "face-not-this-person"
    title = "Face does not match the enrolled person"
    detail = "The face does not match the faces already enrolled for this person; erase the enrolment to start over."
