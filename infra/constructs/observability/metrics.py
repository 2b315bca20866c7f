"""The metrics the alarms and the dashboard share, built in one place.

Every custom metric comes from the handler's catalogue (liveness_api.metrics_catalogue): the same names, namespace
and dimensions the handler emits with, so neither the dashboard nor an alarm can name a metric the handler does not
emit. Two more metrics are not the handler's own and are defined here: Powertools' ColdStart metric and the requests
API Gateway's own throttle refused (API Gateway publishes no 429 metric, so a metric filter on the access log counts
them).
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.api import STAGE_NAME
from liveness_api import contract
from liveness_api import metrics_catalogue as catalogue
from liveness_api.metrics_catalogue import MetricDef
from liveness_api.vocabulary import TERMINAL_VERDICTS, Verdict

# Metrics on the dashboard that the handler's catalogue does not define, because the handler does not name them.
COLD_START_METRIC: Final = "ColdStart"  # Powertools' log_metrics(capture_cold_start_metric=True)
COLD_START_DIMENSIONS: Final = ("function_name", catalogue.SERVICE_DIMENSION)
GATEWAY_NAMESPACE: Final = f"{catalogue.NAMESPACE}/ApiGateway"
# A metric filter on the access log: requests API Gateway's throttle answered 429 (gateway response THROTTLED).
GATEWAY_THROTTLED_METRIC: Final = "ThrottledRequests"
GATEWAY_THROTTLED_RESPONSE: Final = "THROTTLED"
# A metric filter on the access log: the handler's deliberate 503s (retry later).
RETRY_LATER_METRIC: Final = "RetryLaterResponses"

DASHBOARD_PERIOD: Final = Duration.minutes(5)
ALARM_PERIOD: Final = Duration.minutes(5)
PASS_RATE_PERIOD: Final = Duration.minutes(15)
THROTTLE_PERIOD: Final = Duration.minutes(1)


def catalogue_metric(
    metric: MetricDef,
    *dimension_values: str,
    statistic: str = "Sum",
    label: str | None = None,
    period: Duration = DASHBOARD_PERIOD,
) -> cw.Metric:
    """A metric exactly as the handler publishes it: the catalogue's namespace, name and dimensions, with one
    catalogued value per dimension (ValueError otherwise)."""
    # dimension_map gives plain strings: a StrEnum member (such as a Verdict) must reach jsii as its value.
    own = metric.dimension_map(dimension_values)
    return cw.Metric(
        namespace=catalogue.NAMESPACE,
        metric_name=metric.name,
        dimensions_map={catalogue.SERVICE_DIMENSION: contract.SERVICE_NAME, **own},
        statistic=statistic,
        label=label or " ".join(own.values()) or metric.name,
        period=period,
    )


def rekognition_throttles() -> cw.Metric:
    """Rekognition calls the service throttled, per minute: what the RekognitionThrottling alarm watches."""
    return catalogue_metric(
        catalogue.REKOGNITION_ERROR,
        catalogue.ErrorType.THROTTLED,
        label="Rekognition throttles",
        period=THROTTLE_PERIOD,
    )


def gateway_metric(
    api_name: str, name: str, statistic: str, label: str, route: contract.Route | None = None
) -> cw.Metric:
    """One of API Gateway's own metrics for the stage (`api_name` is the RestApi's name, the ApiName dimension);
    with `route`, the detailed per-route metric."""
    dimensions = {"ApiName": api_name, "Stage": STAGE_NAME}
    if route is not None:
        dimensions |= {"Method": route.method, "Resource": route.path}
    return cw.Metric(
        namespace="AWS/ApiGateway",
        metric_name=name,
        dimensions_map=dimensions,
        statistic=statistic,
        label=label,
        period=DASHBOARD_PERIOD,
    )


def lambda_metric(function: lambda_.IFunction, name: str, statistic: str, label: str) -> cw.Metric:
    return function.metric(name, statistic=statistic, label=label, period=DASHBOARD_PERIOD)


def cold_starts(function: lambda_.IFunction) -> cw.Metric:
    """Powertools' ColdStart metric, which carries the function's name as a dimension of its own."""
    return cw.Metric(
        namespace=catalogue.NAMESPACE,
        metric_name=COLD_START_METRIC,
        dimensions_map={
            "function_name": function.function_name,
            catalogue.SERVICE_DIMENSION: contract.SERVICE_NAME,
        },
        statistic="Sum",
        label="Cold starts",
        period=DASHBOARD_PERIOD,
    )


def pass_rate(period: Duration, min_checks: int = 1) -> cw.MathExpression:
    """LIVE as a share of all final verdicts; no value while fewer than `min_checks` verdicts were recorded."""
    ids = {verdict: f"d{index}" for index, verdict in enumerate(TERMINAL_VERDICTS)}
    using = {
        ids[verdict]: catalogue_metric(catalogue.LIVENESS_CHECK_COMPLETED, verdict, period=period)
        for verdict in TERMINAL_VERDICTS
    }
    total = " + ".join(f"FILL({metric_id}, 0)" for metric_id in ids.values())
    live = f"FILL({ids[Verdict.LIVE]}, 0)"
    return cw.MathExpression(
        expression=f"IF(({total}) >= {min_checks}, 100 * {live} / ({total}))",
        using_metrics=using,
        label="Pass rate (LIVE / all verdicts, %)",
        period=period,
    )


def access_log_count(
    scope: Construct,
    construct_id: str,
    access_log_group: logs.ILogGroup,
    pattern: logs.IFilterPattern,
    metric_name: str,
    *,
    label: str,
    period: Duration,
) -> cw.Metric:
    """The number of access-log lines matching `pattern`, as a metric of GATEWAY_NAMESPACE (0 when none match)."""
    metric_filter = logs.MetricFilter(
        scope,
        construct_id,
        log_group=access_log_group,
        filter_pattern=pattern,
        metric_namespace=GATEWAY_NAMESPACE,
        metric_name=metric_name,
        metric_value="1",
        default_value=0,
        unit=cw.Unit.COUNT,
    )
    return metric_filter.metric(statistic="Sum", label=label, period=period)


def gateway_throttle_filter(scope: Construct, access_log_group: logs.ILogGroup) -> cw.Metric:
    """Counts the requests API Gateway's own throttle answered 429. The handler's own 429s (abuse limit, Rekognition
    throttling, per-caller limits) carry no gateway response type, so they do not count: they have metrics of their
    own."""
    throttled = logs.FilterPattern.all(
        logs.FilterPattern.string_value("$.status", "=", "429"),
        logs.FilterPattern.string_value("$.errorResponseType", "=", GATEWAY_THROTTLED_RESPONSE),
    )
    return access_log_count(
        scope,
        "GatewayThrottledFilter",
        access_log_group,
        throttled,
        GATEWAY_THROTTLED_METRIC,
        label="API Gateway 429s",
        period=THROTTLE_PERIOD,
    )


def retry_later_filter(scope: Construct, access_log_group: logs.ILogGroup) -> cw.Metric:
    """Counts the 503s. This API answers 503 only on purpose: the handler's "retry later" when a dependency is
    throttled, unavailable or too slow, or the request ran out of time (API Gateway's own failures are 502 and 504).
    So the 5xx alarm leaves them to an alarm of their own."""
    return access_log_count(
        scope,
        "RetryLaterFilter",
        access_log_group,
        logs.FilterPattern.string_value("$.status", "=", "503"),
        RETRY_LATER_METRIC,
        label="503 (retry later)",
        period=ALARM_PERIOD,
    )
