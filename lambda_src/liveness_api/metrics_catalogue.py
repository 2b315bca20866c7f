"""The one catalogue of every CloudWatch metric the handler emits.

The handler emits only metrics defined here, and the stack's dashboard and alarms are built from the same
definitions, so a metric cannot exist on one side only. Dimension values are closed sets: no dimension ever
carries a session id, an owner or any other per-user value.
"""

from dataclasses import dataclass
from typing import Final

from liveness_api.vocabulary import TERMINAL_VERDICTS, LivenessOperation

NAMESPACE: Final = "FaceLivenessApi"
# Powertools adds this dimension (the service name) to every metric it emits.
SERVICE_DIMENSION: Final = "service"


class Dimension:
    DECISION: Final = "Decision"
    ERROR_TYPE: Final = "ErrorType"
    OPERATION: Final = "Operation"


class ErrorType:
    """Why a call to Rekognition (and so a request) failed; the closed set of ErrorType values."""

    THROTTLED: Final = "Throttled"
    ACCESS_DENIED: Final = "AccessDenied"
    SERVICE_UNAVAILABLE: Final = "ServiceUnavailable"
    INVALID_PARAMETER: Final = "InvalidParameter"
    SESSION_NOT_FOUND: Final = "SessionNotFound"
    UNEXPECTED: Final = "Unexpected"

    ALL: Final = (THROTTLED, ACCESS_DENIED, SERVICE_UNAVAILABLE, INVALID_PARAMETER, SESSION_NOT_FOUND, UNEXPECTED)
    # CreateFaceLivenessSession cannot answer SessionNotFound, so a failed create never has that cause.
    CREATE_FAILURES: Final = (THROTTLED, ACCESS_DENIED, SERVICE_UNAVAILABLE, INVALID_PARAMETER, UNEXPECTED)


@dataclass(frozen=True)
class MetricDef:
    name: str
    unit: str  # a CloudWatch unit name, as Powertools' MetricUnit values spell it
    description: str
    dimension: str | None = None
    dimension_values: tuple[str, ...] = ()


SESSION_CREATED: Final = MetricDef("SessionCreated", "Count", "A Face Liveness session was created.")
SESSION_CREATE_FAILED: Final = MetricDef(
    "SessionCreateFailed",
    "Count",
    "POST /sessions failed after validation, by the cause of the failure.",
    Dimension.ERROR_TYPE,
    ErrorType.CREATE_FAILURES,
)
REKOGNITION_LATENCY: Final = MetricDef(
    "RekognitionLatency",
    "Milliseconds",
    "Wall time of one Rekognition call, retries included.",
    Dimension.OPERATION,
    tuple(LivenessOperation),
)
REKOGNITION_ERROR: Final = MetricDef(
    "RekognitionError",
    "Count",
    "A Rekognition call that failed, by error type (Throttled counts service throttling).",
    Dimension.ERROR_TYPE,
    ErrorType.ALL,
)
LIVENESS_CHECK_COMPLETED: Final = MetricDef(
    "LivenessCheckCompleted",
    "Count",
    "A session reached its final verdict (recorded once per session).",
    Dimension.DECISION,
    TERMINAL_VERDICTS,
)
LIVENESS_CONFIDENCE: Final = MetricDef(
    "LivenessConfidence",
    "None",
    "Rekognition's confidence (0-100) of each completed check; read it as percentiles.",
)
RESULTS_FETCHED: Final = MetricDef("ResultsFetched", "Count", "GET /sessions/{sessionId}/results answered.")
SESSION_ERASED: Final = MetricDef("SessionErased", "Count", "A session's images and ledger item were erased.")
SESSION_REFUSED_BY_ABUSE_LIMIT: Final = MetricDef(
    "SessionRefusedByAbuseLimit",
    "Count",
    "POST /sessions refused because the caller failed too many checks in the window.",
)

ALL_METRICS: Final = (
    SESSION_CREATED,
    SESSION_CREATE_FAILED,
    REKOGNITION_LATENCY,
    REKOGNITION_ERROR,
    LIVENESS_CHECK_COMPLETED,
    LIVENESS_CONFIDENCE,
    RESULTS_FETCHED,
    SESSION_ERASED,
    SESSION_REFUSED_BY_ABUSE_LIMIT,
)
