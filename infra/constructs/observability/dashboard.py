"""The service's CloudWatch dashboard: the alarms' status, then one titled row per concern.

`ROWS` is the one definition of the rows: each entry's title and subtitle make the row's header and its builder
makes the row's widgets, in that order. Widths in a row add up to the 24-column grid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.observability.alarms import AlarmThresholds
from infra.constructs.observability.face_match import face_match_row
from infra.constructs.observability.metrics import (
    DASHBOARD_PERIOD,
    catalogue_metric,
    cold_starts,
    gateway_metric,
    lambda_metric,
    pass_rate,
    rekognition_throttles,
)
from infra.constructs.observability.queries import INIT_DURATION_QUERY
from infra.constructs.observability.settlement_events import settlement_events_row
from infra.constructs.observability.widgets import CONFIDENCE, COUNT, MILLISECONDS, PERCENT, WIDGET_HEIGHT, graph
from liveness_api import contract
from liveness_api import metrics_catalogue as catalogue
from liveness_api.decision import FAILURES
from liveness_api.metrics_catalogue import ErrorType
from liveness_api.vocabulary import TERMINAL_VERDICTS, CallerLimit, LivenessOperation


@dataclass(frozen=True)
class DashboardInputs:
    """What the rows plot that is not a catalogue metric. `name` is the stack's: the dashboard's name and the
    RestApi's, which is API Gateway's ApiName dimension. The thresholds annotate the graphs their alarms watch."""

    name: str
    thresholds: AlarmThresholds
    function: lambda_.IFunction
    function_logs: logs.ILogGroup
    gateway_throttled: cw.IMetric
    alarms: Sequence[cw.IAlarm]


def traffic_row(inputs: DashboardInputs) -> list[cw.IWidget]:
    api = inputs.name
    requests = graph(
        "API requests and errors (count per 5 min)",
        [
            gateway_metric(api, "Count", "Sum", "Requests"),
            gateway_metric(api, "4XXError", "Sum", "4xx"),
            gateway_metric(api, "5XXError", "Sum", "5xx"),
        ],
        COUNT,
        12,
    )
    rates = graph(
        "API 4xx and 5xx rate (% of requests)",
        [
            cw.MathExpression(
                expression="100 * e4",
                using_metrics={"e4": gateway_metric(api, "4XXError", "Average", "4xx share")},
                label="4xx %",
                period=DASHBOARD_PERIOD,
            ),
            cw.MathExpression(
                expression="100 * e5",
                using_metrics={"e5": gateway_metric(api, "5XXError", "Average", "5xx share")},
                label="5xx %",
                period=DASHBOARD_PERIOD,
            ),
        ],
        PERCENT,
        12,
    )
    latency = [
        graph(
            f"{route.method} {route.path} latency (ms)",
            [gateway_metric(api, "Latency", stat, f"{stat}", route) for stat in ("p50", "p90", "p99")],
            MILLISECONDS,
            # A line of their own below requests and rates (the row wraps), shared by the routes.
            24 // len(contract.Routes.ALL),
            annotation=(inputs.thresholds.latency_p99_ms, "p99 alarm"),
        )
        for route in contract.Routes.ALL
    ]
    return [requests, rates, *latency]


def business_row(inputs: DashboardInputs) -> list[cw.IWidget]:
    sessions = graph(
        "Sessions (count per 5 min)",
        [
            catalogue_metric(catalogue.SESSION_CREATED, label="Created"),
            catalogue_metric(catalogue.SESSION_CREATE_REPLAYED, label="Create replayed"),
            catalogue_metric(catalogue.RESULTS_FETCHED, label="Results fetched"),
            catalogue_metric(catalogue.SESSION_ERASED, label="Erased"),
            *(
                catalogue_metric(catalogue.VERDICT_CONSUMED, verdict, label=f"Consumed {verdict}")
                for verdict in TERMINAL_VERDICTS
            ),
        ],
        COUNT,
        6,
    )
    verdicts = graph(
        "Checks completed by decision (count per 5 min)",
        [catalogue_metric(catalogue.LIVENESS_CHECK_COMPLETED, verdict) for verdict in TERMINAL_VERDICTS],
        COUNT,
        6,
        stacked=True,
    )
    live_share = graph(
        "Pass rate (% LIVE of all verdicts)",
        [pass_rate(DASHBOARD_PERIOD)],
        PERCENT,
        4,
        annotation=(inputs.thresholds.pass_rate_floor_percent, "Alarm floor"),
    )
    confidence = graph(
        "Liveness confidence (percentiles)",
        [catalogue_metric(catalogue.LIVENESS_CONFIDENCE, statistic=stat, label=stat) for stat in ("p10", "p50", "p90")],
        CONFIDENCE,
        4,
    )
    refused = graph(
        "Refused: abuse limit, open-session cap, per-caller limits (429s), verdicts not consumable (409s), per 5 min",
        [
            catalogue_metric(catalogue.SESSION_REFUSED_BY_ABUSE_LIMIT, label="Abuse limit"),
            catalogue_metric(catalogue.SESSION_REFUSED_BY_OPEN_SESSION_CAP, label="Open-session cap"),
            *(catalogue_metric(catalogue.CALLER_RATE_LIMITED, limit) for limit in CallerLimit),
            *(
                catalogue_metric(catalogue.VERDICT_CONSUME_REFUSED, reason, label=f"Not consumed: {reason}")
                for reason in catalogue.ConsumeRefusal.ALL
            ),
        ],
        COUNT,
        4,
    )
    return [sessions, verdicts, live_share, confidence, refused]


def feedback_row(_inputs: DashboardInputs) -> list[cw.IWidget]:
    # Every catalogued value, Other included: a code the service adds shows there before this version knows it.
    by_code = graph(
        "Feedback on failed checks by code (count per 5 min; a check may report several)",
        [
            catalogue_metric(catalogue.LIVENESS_FEEDBACK, *dimensions.values())
            for dimensions in catalogue.LIVENESS_FEEDBACK.every_dimension_map()
        ],
        COUNT,
        16,
        stacked=True,
    )
    failed = graph(
        "Failed checks (count per 5 min)",
        [catalogue_metric(catalogue.LIVENESS_CHECK_COMPLETED, verdict) for verdict in sorted(FAILURES)],
        COUNT,
        8,
        stacked=True,
    )
    return [by_code, failed]


def dependency_row(inputs: DashboardInputs) -> list[cw.IWidget]:
    errors = graph(
        "Rekognition errors by type (count per 5 min)",
        [catalogue_metric(catalogue.REKOGNITION_ERROR, error_type) for error_type in ErrorType.ALL],
        COUNT,
        4,
        stacked=True,
    )
    faults = graph(
        "DynamoDB and S3 faults by cause, STS's streaming credentials (count per 5 min)",
        [
            *(
                catalogue_metric(catalogue.DEPENDENCY_ERROR, *dimensions.values())
                for dimensions in catalogue.DEPENDENCY_ERROR.every_dimension_map()
            ),
            catalogue_metric(catalogue.STREAMING_CREDENTIALS_FAILED, label="Streaming credentials failed"),
        ],
        COUNT,
        4,
        stacked=True,
    )
    deadline = graph(
        "Requests out of time: 503 before the function timeout (count per 5 min)",
        [catalogue_metric(catalogue.REQUEST_DEADLINE_EXCEEDED, label="Deadline exceeded")],
        COUNT,
        4,
    )
    create_failures = graph(
        "Session create failures by cause (count per 5 min)",
        [
            catalogue_metric(catalogue.SESSION_CREATE_FAILED, *dimensions.values())
            for dimensions in catalogue.SESSION_CREATE_FAILED.every_dimension_map()
        ],
        COUNT,
        4,
        stacked=True,
    )
    latency = graph(
        "Rekognition latency by operation (ms)",
        [
            catalogue_metric(catalogue.REKOGNITION_LATENCY, operation, statistic=stat, label=f"{operation} {stat}")
            for operation in tuple(LivenessOperation)
            for stat in ("p50", "p99")
        ],
        MILLISECONDS,
        4,
    )
    throttles = graph(
        "Throttling (count per minute)",
        [inputs.gateway_throttled],
        COUNT,
        4,
        right=[rekognition_throttles()],
        right_axis=COUNT,
    )
    return [errors, faults, create_failures, latency, throttles, deadline]


def compute_row(inputs: DashboardInputs) -> list[cw.IWidget]:
    function = inputs.function
    invocations = graph(
        "Lambda invocations, errors, throttles (count per 5 min)",
        [
            lambda_metric(function, "Invocations", "Sum", "Invocations"),
            lambda_metric(function, "Errors", "Sum", "Errors"),
            lambda_metric(function, "Throttles", "Sum", "Throttles"),
        ],
        COUNT,
        6,
    )
    duration = graph(
        "Lambda duration (ms)",
        [lambda_metric(function, "Duration", stat, stat) for stat in ("p50", "p99")],
        MILLISECONDS,
        5,
    )
    concurrency = graph(
        "Concurrent executions (max)",
        [lambda_metric(function, "ConcurrentExecutions", "Maximum", "Concurrent executions")],
        COUNT,
        4,
    )
    cold = graph("Cold starts (count per 5 min)", [cold_starts(function)], COUNT, 4)
    init = cw.LogQueryWidget(
        title="Cold-start init duration (ms, from platform.report)",
        log_group_names=[inputs.function_logs.log_group_name],
        query_string=INIT_DURATION_QUERY,
        view=cw.LogQueryVisualizationType.TABLE,
        width=5,
        height=WIDGET_HEIGHT,
    )
    return [invocations, duration, concurrency, cold, init]


class Row(NamedTuple):
    title: str
    subtitle: str
    widgets: Callable[[DashboardInputs], list[cw.IWidget]]


# The dashboard's rows, top to bottom, below the alarm status.
ROWS: Final = (
    Row("Traffic", "API Gateway: requests, errors and latency by route", traffic_row),
    Row("Business", "Sessions and liveness verdicts", business_row),
    Row("Why checks fail", "What Rekognition saw in NOT_LIVE and FAILED checks that a person can change", feedback_row),
    Row("Dependency", "Rekognition Face Liveness, DynamoDB and S3 faults, throttling, deadlines", dependency_row),
    Row(
        "Face match",
        "ID-photo and enrolled-person matches: outcomes, similarity, errors and their rate, enrolments, latency",
        lambda inputs: face_match_row(inputs.thresholds),
    ),
    Row(
        "Settlement and events",
        "Sessions settled without a client, events published on the bus, webhook deliveries",
        lambda _inputs: settlement_events_row(),
    ),
    Row("Compute", "The Lambda function", compute_row),
)
ROW_TITLES: Final = tuple(row.title for row in ROWS)


def header(row: Row) -> list[cw.IWidget]:
    return [cw.TextWidget(markdown=f"## {row.title}\n{row.subtitle}", width=24, height=2)]


def dashboard_rows(inputs: DashboardInputs) -> list[list[cw.IWidget]]:
    """The alarm status across the top, then each of ROWS as its header and its widgets."""
    rows: list[list[cw.IWidget]] = [
        [cw.AlarmStatusWidget(title="Alarms", alarms=list(inputs.alarms), width=24, height=3)]
    ]
    for row in ROWS:
        rows += [header(row), row.widgets(inputs)]
    return rows


def dashboard(scope: Construct, inputs: DashboardInputs) -> cw.Dashboard:
    return cw.Dashboard(
        scope,
        "Dashboard",
        dashboard_name=inputs.name,
        default_interval=Duration.hours(3),
        widgets=dashboard_rows(inputs),
    )
