"""Face matching on the dashboard and in the alarms: its row (outcomes, similarity, errors, enrolments, latency) and
the alarm on its error rate. Every metric comes from the handler's catalogue, like the other rows'.

The error rate is failed face-matching calls (`FaceMatchError`, every error type) per attempt. An attempt is a
match (one CompareFaces or SearchUsersByImage), an enrolment (which ends with AssociateFaces) or an erasure (which
ends with DeleteUser); the handler records one `RekognitionLatency` sample per call, failed or not, so the calls of
those four operations count the attempts that got that far, and the failures count the ones that stopped earlier.
CloudWatch allows an alarm ten metrics at most (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html),
which is why the attempts are counted by these four operations rather than by every outcome.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from constructs import Construct

from infra.constructs.observability.alarms import AlarmThresholds, alarm_name_prefix
from infra.constructs.observability.metrics import ALARM_PERIOD, DASHBOARD_PERIOD, catalogue_metric
from infra.constructs.observability.widgets import COUNT, MILLISECONDS, PERCENT, SIMILARITY, graph
from liveness_api import metrics_catalogue as catalogue
from liveness_api.metrics_catalogue import MetricDef
from liveness_api.vocabulary import FaceOperation

# The operation that ends each kind of attempt (see the module's docstring).
ATTEMPT_OPERATIONS: Final = (
    FaceOperation.COMPARE_FACES,
    FaceOperation.SEARCH_USERS_BY_IMAGE,
    FaceOperation.ASSOCIATE_FACES,
    FaceOperation.DELETE_USER,
)
# CloudWatch's hard limit on the metrics one alarm's math may read.
ALARM_METRICS_LIMIT: Final = 10


def catalogued(metric: MetricDef, dimension: str) -> tuple[str, ...]:
    """The values the catalogue allows `metric`'s `dimension`: the row plots exactly those, so that it follows the
    catalogue when a value is added or dropped."""
    return dict(metric.dimensions)[dimension]


def face_match_errors(period: Duration) -> dict[str, cw.IMetric]:
    """`FaceMatchError`, one metric per catalogued error type, by metric-math id."""
    return {
        f"e{index}": catalogue_metric(catalogue.FACE_MATCH_ERROR, *dimensions.values(), period=period)
        for index, dimensions in enumerate(catalogue.FACE_MATCH_ERROR.every_dimension_map())
    }


def face_match_attempt_calls(period: Duration) -> dict[str, cw.IMetric]:
    """The calls of ATTEMPT_OPERATIONS (RekognitionLatency's sample count), by metric-math id."""
    return {
        f"a{index}": catalogue_metric(catalogue.REKOGNITION_LATENCY, operation, statistic="SampleCount", period=period)
        for index, operation in enumerate(ATTEMPT_OPERATIONS)
    }


def face_match_error_rate(period: Duration, min_attempts: int = 1) -> cw.MathExpression:
    """Failed face-matching calls as a share (%) of the attempts; no value while fewer than `min_attempts`."""
    errors = face_match_errors(period)
    calls = face_match_attempt_calls(period)
    failed = " + ".join(f"FILL({metric_id}, 0)" for metric_id in errors)
    attempts = " + ".join(f"FILL({metric_id}, 0)" for metric_id in [*calls, *errors])
    return cw.MathExpression(
        expression=f"IF(({attempts}) >= {min_attempts}, 100 * ({failed}) / ({attempts}))",
        using_metrics={**errors, **calls},
        label="Face-match error rate (failed calls / attempts, %)",
        period=period,
    )


def face_match_error_alarm(scope: Construct, name: str, thresholds: AlarmThresholds) -> cw.Alarm:
    """`<stack>-FaceMatchErrorRate`: face matching, enrolment or erasure failing (misconfiguration or outage)."""
    evaluation = thresholds.evaluation_periods
    return cw.Alarm(
        scope,
        "FaceMatchErrorRate",
        alarm_name=f"{alarm_name_prefix(name)}FaceMatchErrorRate",
        alarm_description=f"More than {thresholds.face_match_error_rate_percent}% of face-matching attempts (ID-photo "
        f"and enrolled-person matches, enrolments, erasures) failed in {evaluation} consecutive 5-minute periods "
        f"with at least {thresholds.face_match_min_attempts} attempts each: the collection is missing, the role or "
        "the key policy refuses the images, or Rekognition throttles or fails. See FaceMatchError by type. Quiet "
        "periods produce no value (notBreaching).",
        metric=face_match_error_rate(ALARM_PERIOD, thresholds.face_match_min_attempts),
        threshold=thresholds.face_match_error_rate_percent,
        comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=evaluation,
        treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
    )


def face_match_row(thresholds: AlarmThresholds) -> list[cw.IWidget]:
    outcomes = graph(
        "Face matches decided, by target and outcome (count per 5 min)",
        [
            catalogue_metric(catalogue.FACE_MATCH_COMPLETED, *dimensions.values())
            for dimensions in catalogue.FACE_MATCH_COMPLETED.every_dimension_map()
        ],
        COUNT,
        5,
        stacked=True,
    )
    similarity = graph(
        "Face match similarity by target (percentiles)",
        [
            catalogue_metric(catalogue.FACE_MATCH_SIMILARITY, target, statistic=stat, label=f"{target} {stat}")
            for target in catalogued(catalogue.FACE_MATCH_SIMILARITY, catalogue.Dimension.TARGET)
            for stat in ("p10", "p50", "p90")
        ],
        SIMILARITY,
        4,
    )
    errors = graph(
        "Face-matching errors by type (count per 5 min)",
        list(face_match_errors(DASHBOARD_PERIOD).values()),
        COUNT,
        4,
        stacked=True,
    )
    rate = graph(
        "Face-match error rate (% of attempts)",
        [face_match_error_rate(DASHBOARD_PERIOD)],
        PERCENT,
        3,
        annotation=(thresholds.face_match_error_rate_percent, "Alarm"),
    )
    enrolments = graph(
        "Enrolments (count per 5 min)",
        [
            catalogue_metric(catalogue.PERSON_ENROLLED, label="Enrolled"),
            catalogue_metric(catalogue.ENROLMENT_ERASED, label="Erased"),
        ],
        COUNT,
        3,
    )
    latency = graph(
        "Rekognition face operations latency p99 (ms)",
        [
            catalogue_metric(catalogue.REKOGNITION_LATENCY, operation, statistic="p99", label=f"{operation} p99")
            for operation in catalogued(catalogue.REKOGNITION_LATENCY, catalogue.Dimension.OPERATION)
            if operation in set(FaceOperation)
        ],
        MILLISECONDS,
        5,
    )
    return [outcomes, similarity, errors, rate, enrolments, latency]
