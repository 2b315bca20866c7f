"""The one catalogue of every CloudWatch metric the stack's functions emit: the API's handler and the background
functions of settlement and events.

They emit only metrics defined here, and the stack's dashboard and alarms are built from the same
definitions, so a metric cannot exist on one side only. Dimension values are closed sets: no dimension ever
carries a session id, an owner or any other per-user value.
"""

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from liveness_api.vocabulary import (
    CALLED_FACE_OPERATIONS,
    TERMINAL_VERDICTS,
    CallerLimit,
    Dependency,
    FeedbackCode,
    LivenessOperation,
    MatchOutcome,
    MatchTarget,
)

NAMESPACE: Final = "FaceLivenessApi"
# Powertools adds this dimension (the service name) to every metric it emits.
SERVICE_DIMENSION: Final = "service"


class Dimension:
    DECISION: Final = "Decision"
    ERROR_TYPE: Final = "ErrorType"
    OPERATION: Final = "Operation"
    DEPENDENCY: Final = "Dependency"
    LIMIT: Final = "Limit"
    REASON: Final = "Reason"
    TARGET: Final = "Target"
    OUTCOME: Final = "Outcome"
    TRIGGER: Final = "Trigger"
    EVENT_TYPE: Final = "EventType"
    FEEDBACK: Final = "Feedback"


# The Feedback value of every code Rekognition adds after this version: the dimension stays a closed set.
OTHER_FEEDBACK: Final = "Other"


class ErrorType:
    """Why a call to Rekognition (and so a request) failed; the closed set of ErrorType values."""

    THROTTLED: Final = "Throttled"
    ACCESS_DENIED: Final = "AccessDenied"
    SERVICE_UNAVAILABLE: Final = "ServiceUnavailable"
    INVALID_PARAMETER: Final = "InvalidParameter"
    SESSION_NOT_FOUND: Final = "SessionNotFound"
    UNEXPECTED: Final = "Unexpected"

    # Faults of DynamoDB and S3 (and of KMS through them) only.
    TIMEOUT: Final = "Timeout"
    RESOURCE_NOT_FOUND: Final = "ResourceNotFound"
    KMS_KEY_UNUSABLE: Final = "KmsKeyUnusable"

    ALL: Final = (THROTTLED, ACCESS_DENIED, SERVICE_UNAVAILABLE, INVALID_PARAMETER, SESSION_NOT_FOUND, UNEXPECTED)
    # CreateFaceLivenessSession cannot answer SessionNotFound, so a failed create never has that cause.
    CREATE_FAILURES: Final = (THROTTLED, ACCESS_DENIED, SERVICE_UNAVAILABLE, INVALID_PARAMETER, UNEXPECTED)
    # A face-matching call's: a missing collection is ResourceNotFound, a timeout counts as unavailable, and an
    # error the adapter does not answer itself (InvalidParameter outside a comparison, say) as Unexpected.
    FACE_FAILURES: Final = (THROTTLED, ACCESS_DENIED, SERVICE_UNAVAILABLE, RESOURCE_NOT_FOUND, UNEXPECTED)
    DEPENDENCY_FAULTS: Final = (
        THROTTLED,
        SERVICE_UNAVAILABLE,
        TIMEOUT,
        ACCESS_DENIED,
        RESOURCE_NOT_FOUND,
        KMS_KEY_UNUSABLE,
        UNEXPECTED,
    )


class ConsumeRefusal:
    """Why POST .../consume refused a verdict; the closed set of Reason values."""

    NOT_DECIDED: Final = "NotDecided"
    ALREADY_CONSUMED: Final = "AlreadyConsumed"
    STALE: Final = "Stale"
    ALL: Final = (NOT_DECIDED, ALREADY_CONSUMED, STALE)


@dataclass(frozen=True)
class MetricDef:
    name: str
    unit: str  # a CloudWatch unit name, as Powertools' MetricUnit values spell it
    description: str
    # Each dimension with its closed set of values, in the order `record_metric` takes the values.
    dimensions: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def dimension_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.dimensions)

    def dimension_map(self, values: tuple[str, ...]) -> dict[str, str]:
        """The dimensions of one data point; ValueError unless there is one catalogued value per dimension."""
        if len(values) != len(self.dimensions) or any(
            value not in allowed for value, (_, allowed) in zip(values, self.dimensions, strict=False)
        ):
            raise ValueError(f"{self.name}: {values!r} are not catalogued values of {self.dimension_names}")
        return {name: str(value) for (name, _), value in zip(self.dimensions, values, strict=True)}

    def every_dimension_map(self) -> list[Mapping[str, str]]:
        """Every combination of catalogued values: each series the metric can have."""
        combos = itertools.product(*(allowed for _, allowed in self.dimensions))
        return [self.dimension_map(tuple(combo)) for combo in combos]


SESSION_CREATED: Final = MetricDef("SessionCreated", "Count", "A Face Liveness session was created.")
SESSION_CREATE_REPLAYED: Final = MetricDef(
    "SessionCreateReplayed",
    "Count",
    "POST /sessions repeated with the same Idempotency-Key, answered with the session the first one created.",
)
SESSION_CREATE_FAILED: Final = MetricDef(
    "SessionCreateFailed",
    "Count",
    "POST /sessions failed after validation, by the cause of the failure.",
    ((Dimension.ERROR_TYPE, ErrorType.CREATE_FAILURES),),
)
REKOGNITION_LATENCY: Final = MetricDef(
    "RekognitionLatency",
    "Milliseconds",
    "Wall time of one Rekognition call, retries included.",
    ((Dimension.OPERATION, (*LivenessOperation, *CALLED_FACE_OPERATIONS)),),
)
REKOGNITION_ERROR: Final = MetricDef(
    "RekognitionError",
    "Count",
    "A Rekognition call that failed, by error type (Throttled counts service throttling).",
    ((Dimension.ERROR_TYPE, ErrorType.ALL),),
)
LIVENESS_CHECK_COMPLETED: Final = MetricDef(
    "LivenessCheckCompleted",
    "Count",
    "A session reached its final verdict (recorded once per session).",
    ((Dimension.DECISION, TERMINAL_VERDICTS),),
)
LIVENESS_CONFIDENCE: Final = MetricDef(
    "LivenessConfidence",
    "None",
    "Rekognition's confidence (0-100) of each completed check; read it as percentiles.",
)
LIVENESS_FEEDBACK: Final = MetricDef(
    "LivenessCheckFeedback",
    "Count",
    "A condition Rekognition reported for a NOT_LIVE or FAILED check (once per code per check, with its verdict), "
    "by code; Other counts codes the service added after this version.",
    ((Dimension.FEEDBACK, (*FeedbackCode, OTHER_FEEDBACK)),),
)
RESULTS_FETCHED: Final = MetricDef("ResultsFetched", "Count", "GET /sessions/{sessionId}/results answered.")
SESSION_ERASED: Final = MetricDef("SessionErased", "Count", "A session's images and ledger item were erased.")
SESSION_REFUSED_BY_ABUSE_LIMIT: Final = MetricDef(
    "SessionRefusedByAbuseLimit",
    "Count",
    "POST /sessions refused because the caller failed too many checks in the window.",
)
SESSION_REFUSED_BY_OPEN_SESSION_CAP: Final = MetricDef(
    "SessionRefusedByOpenSessionCap",
    "Count",
    "POST /sessions refused because the caller (or, in guest mode, its address) had too many sessions open.",
)
DEPENDENCY_ERROR: Final = MetricDef(
    "DependencyError",
    "Count",
    "A DynamoDB or S3 call (KMS errors included) that failed after botocore's retries, by dependency and cause.",
    (
        (Dimension.DEPENDENCY, (Dependency.DYNAMODB, Dependency.S3)),
        (Dimension.ERROR_TYPE, ErrorType.DEPENDENCY_FAULTS),
    ),
)
STREAMING_CREDENTIALS_FAILED: Final = MetricDef(
    "StreamingCredentialsFailed",
    "Count",
    "POST /sessions could not hand out streaming credentials: STS's AssumeRole failed after botocore's retries (the "
    "log line names the cause).",
)
REQUEST_DEADLINE_EXCEEDED: Final = MetricDef(
    "RequestDeadlineExceeded",
    "Count",
    "A request answered 503 because the next AWS call could no longer finish inside the function's timeout.",
)
CALLER_RATE_LIMITED: Final = MetricDef(
    "CallerRateLimited",
    "Count",
    "A request refused with 429 because its caller exceeded a per-caller limit, by limit.",
    ((Dimension.LIMIT, tuple(CallerLimit)),),
)

VERDICT_CONSUMED: Final = MetricDef(
    "VerdictConsumed",
    "Count",
    "A relying backend consumed a session's verdict (once per session), by decision.",
    ((Dimension.DECISION, TERMINAL_VERDICTS),),
)
VERDICT_CONSUME_REFUSED: Final = MetricDef(
    "VerdictConsumeRefused",
    "Count",
    "POST /sessions/{sessionId}/consume refused with 409, by reason; AlreadyConsumed is a verdict presented twice.",
    ((Dimension.REASON, ConsumeRefusal.ALL),),
)

FACE_MATCH_COMPLETED: Final = MetricDef(
    "FaceMatchCompleted",
    "Count",
    "A session's face match was decided (recorded once per session, with its verdict), by target and outcome.",
    ((Dimension.TARGET, tuple(MatchTarget)), (Dimension.OUTCOME, tuple(MatchOutcome))),
)
FACE_MATCH_SIMILARITY: Final = MetricDef(
    "FaceMatchSimilarity",
    "None",
    "Rekognition's similarity (0-100) of each compared face match, by target; read it as percentiles.",
    ((Dimension.TARGET, tuple(MatchTarget)),),
)
FACE_MATCH_ERROR: Final = MetricDef(
    "FaceMatchError",
    "Count",
    "A Rekognition face-matching call (compare, search, enrol, erase) that failed after retries, by error type.",
    ((Dimension.ERROR_TYPE, ErrorType.FACE_FAILURES),),
)
PERSON_ENROLLED: Final = MetricDef("PersonEnrolled", "Count", "A LIVE session's face was enrolled for its person.")
ENROLMENT_ERASED: Final = MetricDef("EnrolmentErased", "Count", "An enrolled person and its faces were erased.")


# Settlement and events: emitted by the stack's background functions (the settlement worker, the outbox forwarder
# and the webhook sender), under the same namespace and service as the API's handler.
class SettlementTrigger:
    """What put a session on the settlement queue; the closed set of Trigger values."""

    IMAGE_STORED: Final = "ImageStored"
    EXPIRY: Final = "Expiry"
    ALL: Final = (IMAGE_STORED, EXPIRY)


class EventType:
    """The events the stack publishes on its bus (their EventBridge detail types); the closed set of EventType."""

    VERDICT_RECORDED: Final = "Liveness Verdict Recorded"
    MATCH_DECIDED: Final = "Face Match Decided"
    SESSION_ERASED: Final = "Session Erased"
    ALL: Final = (VERDICT_RECORDED, MATCH_DECIDED, SESSION_ERASED)
    # The version of their details' schemas (events/schemas/*.v<version>.json), carried in each as schemaVersion.
    SCHEMA_VERSION: Final = "1"


class DeliveryOutcome:
    """How one webhook delivery attempt ended; the closed set of Outcome values for deliveries."""

    DELIVERED: Final = "Delivered"
    REJECTED: Final = "Rejected"  # the receiver answered, but not with a 2xx
    UNREACHABLE: Final = "Unreachable"  # no answer: connection refused, reset or timed out
    ALL: Final = (DELIVERED, REJECTED, UNREACHABLE)


SESSION_SETTLED: Final = MetricDef(
    "SessionSettled",
    "Count",
    "A settlement message found its session decided (by this message, or earlier by a client), by trigger.",
    ((Dimension.TRIGGER, SettlementTrigger.ALL),),
)
SETTLEMENT_DEFERRED: Final = MetricDef(
    "SettlementDeferred",
    "Count",
    "A settlement message found its session still PENDING and was left for redelivery, by trigger.",
    ((Dimension.TRIGGER, SettlementTrigger.ALL),),
)
EVENT_PUBLISHED: Final = MetricDef(
    "EventPublished",
    "Count",
    "The outbox put one event on the stack's bus, by event type.",
    ((Dimension.EVENT_TYPE, EventType.ALL),),
)
WEBHOOK_DELIVERY: Final = MetricDef(
    "WebhookDelivery",
    "Count",
    "One webhook delivery attempt, by outcome; failed ones are retried with backoff, then dead-lettered.",
    ((Dimension.OUTCOME, DeliveryOutcome.ALL),),
)

ALL_METRICS: Final = (
    SESSION_CREATED,
    SESSION_CREATE_REPLAYED,
    SESSION_CREATE_FAILED,
    REKOGNITION_LATENCY,
    REKOGNITION_ERROR,
    LIVENESS_CHECK_COMPLETED,
    LIVENESS_CONFIDENCE,
    LIVENESS_FEEDBACK,
    RESULTS_FETCHED,
    SESSION_ERASED,
    SESSION_REFUSED_BY_ABUSE_LIMIT,
    SESSION_REFUSED_BY_OPEN_SESSION_CAP,
    DEPENDENCY_ERROR,
    STREAMING_CREDENTIALS_FAILED,
    REQUEST_DEADLINE_EXCEEDED,
    CALLER_RATE_LIMITED,
    VERDICT_CONSUMED,
    VERDICT_CONSUME_REFUSED,
    FACE_MATCH_COMPLETED,
    FACE_MATCH_SIMILARITY,
    FACE_MATCH_ERROR,
    PERSON_ENROLLED,
    ENROLMENT_ERASED,
    SESSION_SETTLED,
    SETTLEMENT_DEFERRED,
    EVENT_PUBLISHED,
    WEBHOOK_DELIVERY,
)
