"""What operators watch: one CloudWatch dashboard, the alarms and their encrypted SNS topic, a composite "service
unhealthy" alarm, and saved Logs Insights queries.

Every custom metric comes from the handler's catalogue (liveness_api.metrics_catalogue): the same names, namespace
and dimensions the handler emits with, so the dashboard cannot name a metric the handler does not emit. Two more
metrics are not the handler's own and are defined here: Powertools' ColdStart metric and API Gateway 429s (API
Gateway publishes no 429 metric, so a metric filter on the access log counts them).

Hand-written with aws_cloudwatch rather than cdk-monitoring-constructs: see docs/operations.md ("Why not
cdk-monitoring-constructs").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, NamedTuple

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.config import StackConfig
from infra.constructs.api import STAGE_NAME, LivenessApi
from infra.constructs.function import LivenessFunction
from infra.constructs.storage import Storage
from liveness_api import contract
from liveness_api import metrics_catalogue as catalogue
from liveness_api.metrics_catalogue import Decision, ErrorType, MetricDef

# Metrics on the dashboard that the handler's catalogue does not define, because the handler does not name them.
COLD_START_METRIC: Final = "ColdStart"  # Powertools' log_metrics(capture_cold_start_metric=True)
COLD_START_DIMENSIONS: Final = ("function_name", catalogue.SERVICE_DIMENSION)
GATEWAY_NAMESPACE: Final = f"{catalogue.NAMESPACE}/ApiGateway"
GATEWAY_THROTTLED_METRIC: Final = "ThrottledRequests"  # a metric filter on the access log: status 429

DASHBOARD_PERIOD: Final = Duration.minutes(5)
ALARM_PERIOD: Final = Duration.minutes(5)
PASS_RATE_PERIOD: Final = Duration.minutes(15)
THROTTLE_PERIOD: Final = Duration.minutes(1)
WIDGET_HEIGHT: Final = 6
ROW_TITLES: Final = ("Traffic", "Business", "Dependency", "Compute")

COUNT: Final = cw.YAxisProps(label="Count", min=0, show_units=False)
MILLISECONDS: Final = cw.YAxisProps(label="Milliseconds", min=0, show_units=False)
PERCENT: Final = cw.YAxisProps(label="Percent", min=0, max=100, show_units=False)
CONFIDENCE: Final = cw.YAxisProps(label="Confidence (0-100)", min=0, max=100, show_units=False)


class QueryDef(NamedTuple):
    name: str
    log_group: str  # "function" or "access"
    query: str


# Field names are the handler's (Powertools JSON: level, message, error_type, error_code, decision) and the access
# log's (infra/constructs/api.py ACCESS_LOG_FIELDS). None of them holds personal data.
QUERIES: Final = (
    QueryDef(
        "errors-by-type",
        "function",
        "fields coalesce(error_type, error_code, errorType, message) as kind\n"
        '| filter level in ["ERROR", "CRITICAL"] or ispresent(error_code) or ispresent(errorType)\n'
        "| stats count(*) as errors by kind, level\n"
        "| sort errors desc",
    ),
    QueryDef(
        "slowest-requests",
        "access",
        "fields @timestamp, httpMethod, resourcePath, status, responseLatency, integrationLatency, requestId, "
        "xrayTraceId\n"
        "| filter ispresent(responseLatency)\n"
        "| sort responseLatency desc\n"
        "| limit 50",
    ),
    QueryDef(
        "checks-by-decision",
        "function",
        'filter message = "Liveness check completed"\n| stats count(*) as checks by decision, bin(1h) as hour\n'
        "| sort hour desc, checks desc",
    ),
)
# Lambda's JSON platform.report record carries initDurationMs only on a cold start.
INIT_DURATION_QUERY: Final = (
    'filter type = "platform.report" and ispresent(record.metrics.initDurationMs)\n'
    "| stats count(*) as coldStarts, avg(record.metrics.initDurationMs) as avgInitMs, "
    "max(record.metrics.initDurationMs) as maxInitMs by bin(5m)"
)


def catalogue_metric(
    metric: MetricDef,
    dimension_value: str | None = None,
    *,
    statistic: str = "Sum",
    label: str | None = None,
    period: Duration = DASHBOARD_PERIOD,
) -> cw.Metric:
    """A metric exactly as the handler publishes it: the catalogue's namespace, name and dimensions."""
    if (metric.dimension is None) != (dimension_value is None) or (
        dimension_value is not None and dimension_value not in metric.dimension_values
    ):
        raise ValueError(f"{metric.name}: {dimension_value!r} is not one of its catalogued dimension values")
    dimensions = {catalogue.SERVICE_DIMENSION: contract.SERVICE_NAME}
    if metric.dimension is not None and dimension_value is not None:
        dimensions[metric.dimension] = dimension_value
    return cw.Metric(
        namespace=catalogue.NAMESPACE,
        metric_name=metric.name,
        dimensions_map=dimensions,
        statistic=statistic,
        label=label or dimension_value or metric.name,
        period=period,
    )


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        storage: Storage,
        backend: LivenessFunction,
        api: LivenessApi,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._function = backend.function
        self._api_name = config.stack_name  # the RestApi's name, which is API Gateway's ApiName dimension
        self.alarm_name_prefix = f"{config.stack_name}-"

        self.topic = self._topic(config, storage)
        self.gateway_throttled = self._gateway_throttle_filter(api.access_log_group)
        self.alarms = self._alarms(config)
        action = cw_actions.SnsAction(self.topic)
        for alarm in self.alarms:
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
        self.service_unhealthy = cw.CompositeAlarm(
            self,
            "ServiceUnhealthy",
            composite_alarm_name=f"{self.alarm_name_prefix}ServiceUnhealthy",
            alarm_description="One signal for the whole service: ALARM while any of the service's alarms is "
            "in ALARM. See docs/operations.md for each alarm's runbook.",
            alarm_rule=cw.AlarmRule.any_of(*(cw.AlarmRule.from_alarm(a, cw.AlarmState.ALARM) for a in self.alarms)),
        )
        self.service_unhealthy.add_alarm_action(action)
        self.service_unhealthy.add_ok_action(action)

        # The L1 resource: the queries are written out whole, exactly as an operator would paste them.
        self.queries = {
            query.name: logs.CfnQueryDefinition(
                self,
                f"Query-{query.name}",
                name=f"{config.stack_name}/{query.name}",
                query_string=query.query,
                log_group_names=[
                    (backend.log_group if query.log_group == "function" else api.access_log_group).log_group_name
                ],
            )
            for query in QUERIES
        }
        self.dashboard = cw.Dashboard(
            self,
            "Dashboard",
            dashboard_name=config.stack_name,
            default_interval=Duration.hours(3),
            widgets=self._rows(backend, api),
        )

    # --- notifications ---------------------------------------------------------------------------------------

    def _topic(self, config: StackConfig, storage: Storage) -> sns.Topic:
        topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"{config.stack_name} alarms",
            master_key=storage.key,
            enforce_ssl=True,
        )
        # enforce_ssl gives the topic a policy of its own, which replaces SNS's default one: allow the stack's
        # alarms (and only them) to publish.
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="LetStackAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": topic.stack.account},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{topic.stack.partition}:cloudwatch:{topic.stack.region}:"
                        f"{topic.stack.account}:alarm:{self.alarm_name_prefix}*"
                    },
                },
            )
        )
        storage.allow_alarm_notifications(self.alarm_name_prefix)
        if config.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        return topic

    def _gateway_throttle_filter(self, access_log_group: logs.ILogGroup) -> cw.Metric:
        metric_filter = logs.MetricFilter(
            self,
            "GatewayThrottledFilter",
            log_group=access_log_group,
            filter_pattern=logs.FilterPattern.string_value("$.status", "=", "429"),
            metric_namespace=GATEWAY_NAMESPACE,
            metric_name=GATEWAY_THROTTLED_METRIC,
            metric_value="1",
            default_value=0,
            unit=cw.Unit.COUNT,
        )
        return metric_filter.metric(statistic="Sum", label="API Gateway 429s", period=THROTTLE_PERIOD)

    # --- metrics ----------------------------------------------------------------------------------------------

    def _gateway(self, name: str, statistic: str, label: str, route: contract.Route | None = None) -> cw.Metric:
        dimensions = {"ApiName": self._api_name, "Stage": STAGE_NAME}
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

    def _lambda(self, name: str, statistic: str, label: str) -> cw.Metric:
        return self._function.metric(name, statistic=statistic, label=label, period=DASHBOARD_PERIOD)

    def _pass_rate(self, period: Duration, min_checks: int = 1) -> cw.MathExpression:
        """LIVE as a share of all final verdicts; no value while fewer than `min_checks` verdicts were recorded."""
        ids = {decision: f"d{index}" for index, decision in enumerate(Decision.TERMINAL)}
        using = {
            ids[decision]: catalogue_metric(catalogue.LIVENESS_CHECK_COMPLETED, decision, period=period)
            for decision in Decision.TERMINAL
        }
        total = " + ".join(f"FILL({metric_id}, 0)" for metric_id in ids.values())
        live = f"FILL({ids[Decision.LIVE]}, 0)"
        return cw.MathExpression(
            expression=f"IF(({total}) >= {min_checks}, 100 * {live} / ({total}))",
            using_metrics=using,
            label="Pass rate (LIVE / all verdicts, %)",
            period=period,
        )

    # --- alarms -----------------------------------------------------------------------------------------------

    def _alarms(self, config: StackConfig) -> list[cw.Alarm]:
        prefix = self.alarm_name_prefix
        evaluation = config.alarm_evaluation_periods
        server_errors = cw.MathExpression(
            expression="100 * errors",
            # 5XXError is 0 or 1 per request, so its Average is the share of requests that failed.
            using_metrics={"errors": self._gateway("5XXError", "Average", "5xx")},
            label="API 5xx rate (%)",
            period=ALARM_PERIOD,
        )
        throttles = catalogue_metric(
            catalogue.REKOGNITION_ERROR, ErrorType.THROTTLED, label="Rekognition throttles", period=THROTTLE_PERIOD
        )
        return [
            cw.Alarm(
                self,
                "Api5xxRate",
                alarm_name=f"{prefix}Api5xxRate",
                alarm_description=f"More than {config.alarm_5xx_rate_percent}% of API requests answered 5xx in "
                f"{evaluation} consecutive 5-minute periods. No requests means no data, which is not a failure "
                "(notBreaching).",
                metric=server_errors,
                threshold=config.alarm_5xx_rate_percent,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=evaluation,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            ),
            cw.Alarm(
                self,
                "LambdaErrors",
                alarm_name=f"{prefix}LambdaErrors",
                alarm_description=f"The function failed at least {config.alarm_lambda_errors} time(s) in 5 minutes "
                "(crash, timeout, out of memory: the handler answers its own errors, so any is a bug). Lambda "
                "publishes Errors only when invoked, so missing data is no invocations (notBreaching).",
                metric=self._function.metric_errors(statistic="Sum", period=ALARM_PERIOD),
                threshold=config.alarm_lambda_errors,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            ),
            cw.Alarm(
                self,
                "RekognitionThrottling",
                alarm_name=f"{prefix}RekognitionThrottling",
                alarm_description=f"Rekognition throttled more than {config.alarm_rekognition_throttles_per_minute} "
                f"calls a minute for {config.alarm_rekognition_throttle_minutes} minutes in a row. The handler "
                "emits the metric only when a call is throttled, so missing data means none (notBreaching).",
                metric=throttles,
                threshold=config.alarm_rekognition_throttles_per_minute,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=config.alarm_rekognition_throttle_minutes,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            ),
            cw.Alarm(
                self,
                "LatencyP99",
                alarm_name=f"{prefix}LatencyP99",
                alarm_description=f"p99 API latency above {config.alarm_latency_p99_ms} ms in {evaluation} "
                "consecutive 5-minute periods. No requests means no latency to judge (notBreaching).",
                metric=self._gateway("Latency", "p99", "API latency p99", None).with_(period=ALARM_PERIOD),
                threshold=config.alarm_latency_p99_ms,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=evaluation,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            ),
            cw.Alarm(
                self,
                "PassRateLow",
                alarm_name=f"{prefix}PassRateLow",
                alarm_description=f"Fewer than {config.alarm_pass_rate_floor_percent}% of liveness checks were "
                f"LIVE in two consecutive 15-minute periods with at least {config.alarm_pass_rate_min_checks} "
                "checks each: a spike in spoof attempts, or a broken client. Quiet periods produce no value, "
                "which says nothing about the pass rate (notBreaching).",
                metric=self._pass_rate(PASS_RATE_PERIOD, config.alarm_pass_rate_min_checks),
                threshold=config.alarm_pass_rate_floor_percent,
                comparison_operator=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
                evaluation_periods=2,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            ),
        ]

    # --- dashboard --------------------------------------------------------------------------------------------

    def _rows(self, backend: LivenessFunction, api: LivenessApi) -> list[list[cw.IWidget]]:
        return [
            [
                cw.AlarmStatusWidget(
                    title="Alarms",
                    alarms=[*self.alarms, self.service_unhealthy],
                    width=24,
                    height=3,
                )
            ],
            self._header("Traffic", "API Gateway: requests, errors and latency by route"),
            self._traffic_row(),
            self._header("Business", "Sessions and liveness verdicts"),
            self._business_row(),
            self._header("Dependency", "Amazon Rekognition Face Liveness and throttling"),
            self._dependency_row(),
            self._header("Compute", "The Lambda function"),
            self._compute_row(backend),
        ]

    @staticmethod
    def _header(title: str, subtitle: str) -> list[cw.IWidget]:
        return [cw.TextWidget(markdown=f"## {title}\n{subtitle}", width=24, height=2)]

    @staticmethod
    def _graph(
        title: str,
        left: Sequence[cw.IMetric],
        axis: cw.YAxisProps,
        width: int,
        *,
        stacked: bool = False,
        right: Sequence[cw.IMetric] = (),
        right_axis: cw.YAxisProps | None = None,
        annotation: tuple[float, str] | None = None,
    ) -> cw.GraphWidget:
        return cw.GraphWidget(
            title=title,
            left=list(left),
            right=list(right),
            left_y_axis=axis,
            right_y_axis=right_axis,
            width=width,
            height=WIDGET_HEIGHT,
            stacked=stacked,
            legend_position=cw.LegendPosition.BOTTOM,
            left_annotations=[cw.HorizontalAnnotation(value=annotation[0], label=annotation[1])]
            if annotation
            else None,
        )

    def _traffic_row(self) -> list[cw.IWidget]:
        requests = self._graph(
            "API requests and errors (count per 5 min)",
            [
                self._gateway("Count", "Sum", "Requests"),
                self._gateway("4XXError", "Sum", "4xx"),
                self._gateway("5XXError", "Sum", "5xx"),
            ],
            COUNT,
            6,
        )
        rates = self._graph(
            "API 4xx and 5xx rate (% of requests)",
            [
                cw.MathExpression(
                    expression="100 * e4",
                    using_metrics={"e4": self._gateway("4XXError", "Average", "4xx share")},
                    label="4xx %",
                    period=DASHBOARD_PERIOD,
                ),
                cw.MathExpression(
                    expression="100 * e5",
                    using_metrics={"e5": self._gateway("5XXError", "Average", "5xx share")},
                    label="5xx %",
                    period=DASHBOARD_PERIOD,
                ),
            ],
            PERCENT,
            6,
        )
        latency = [
            self._graph(
                f"{route.method} {route.path} latency (ms)",
                [self._gateway("Latency", stat, f"{stat}", route) for stat in ("p50", "p90", "p99")],
                MILLISECONDS,
                4,
                annotation=(self._config.alarm_latency_p99_ms, "p99 alarm"),
            )
            for route in contract.Routes.ALL
        ]
        return [requests, rates, *latency]

    def _business_row(self) -> list[cw.IWidget]:
        sessions = self._graph(
            "Sessions (count per 5 min)",
            [
                catalogue_metric(catalogue.SESSION_CREATED, label="Created"),
                catalogue_metric(catalogue.RESULTS_FETCHED, label="Results fetched"),
                catalogue_metric(catalogue.SESSION_ERASED, label="Erased"),
            ],
            COUNT,
            6,
        )
        decisions = self._graph(
            "Checks completed by decision (count per 5 min)",
            [catalogue_metric(catalogue.LIVENESS_CHECK_COMPLETED, decision) for decision in Decision.TERMINAL],
            COUNT,
            6,
            stacked=True,
        )
        pass_rate = self._graph(
            "Pass rate (% LIVE of all verdicts)",
            [self._pass_rate(DASHBOARD_PERIOD)],
            PERCENT,
            4,
            annotation=(self._config.alarm_pass_rate_floor_percent, "Alarm floor"),
        )
        confidence = self._graph(
            "Liveness confidence (percentiles)",
            [
                catalogue_metric(catalogue.LIVENESS_CONFIDENCE, statistic=stat, label=stat)
                for stat in ("p10", "p50", "p90")
            ],
            CONFIDENCE,
            4,
        )
        refused = self._graph(
            "Refused by the abuse limit (count per 5 min)",
            [catalogue_metric(catalogue.SESSION_REFUSED_BY_ABUSE_LIMIT, label="Refused (429)")],
            COUNT,
            4,
        )
        return [sessions, decisions, pass_rate, confidence, refused]

    def _dependency_row(self) -> list[cw.IWidget]:
        errors = self._graph(
            "Rekognition errors by type (count per 5 min)",
            [catalogue_metric(catalogue.REKOGNITION_ERROR, error_type) for error_type in ErrorType.ALL],
            COUNT,
            6,
            stacked=True,
        )
        create_failures = self._graph(
            "Session create failures by cause (count per 5 min)",
            [
                catalogue_metric(catalogue.SESSION_CREATE_FAILED, value)
                for value in catalogue.SESSION_CREATE_FAILED.dimension_values
            ],
            COUNT,
            6,
            stacked=True,
        )
        latency = self._graph(
            "Rekognition latency by operation (ms)",
            [
                catalogue_metric(catalogue.REKOGNITION_LATENCY, operation, statistic=stat, label=f"{operation} {stat}")
                for operation in catalogue.REKOGNITION_LATENCY.dimension_values
                for stat in ("p50", "p99")
            ],
            MILLISECONDS,
            6,
        )
        throttles = self._graph(
            "Throttling (count per minute)",
            [self.gateway_throttled],
            COUNT,
            6,
            right=[
                catalogue_metric(
                    catalogue.REKOGNITION_ERROR,
                    ErrorType.THROTTLED,
                    label="Rekognition throttles",
                    period=THROTTLE_PERIOD,
                )
            ],
            right_axis=COUNT,
        )
        return [errors, create_failures, latency, throttles]

    def _compute_row(self, backend: LivenessFunction) -> list[cw.IWidget]:
        invocations = self._graph(
            "Lambda invocations, errors, throttles (count per 5 min)",
            [
                self._lambda("Invocations", "Sum", "Invocations"),
                self._lambda("Errors", "Sum", "Errors"),
                self._lambda("Throttles", "Sum", "Throttles"),
            ],
            COUNT,
            6,
        )
        duration = self._graph(
            "Lambda duration (ms)",
            [self._lambda("Duration", stat, stat) for stat in ("p50", "p99")],
            MILLISECONDS,
            5,
        )
        concurrency = self._graph(
            "Concurrent executions (max)",
            [self._lambda("ConcurrentExecutions", "Maximum", "Concurrent executions")],
            COUNT,
            4,
        )
        cold_starts = self._graph(
            "Cold starts (count per 5 min)",
            [
                cw.Metric(
                    namespace=catalogue.NAMESPACE,
                    metric_name=COLD_START_METRIC,
                    dimensions_map={
                        "function_name": self._function.function_name,
                        catalogue.SERVICE_DIMENSION: contract.SERVICE_NAME,
                    },
                    statistic="Sum",
                    label="Cold starts",
                    period=DASHBOARD_PERIOD,
                )
            ],
            COUNT,
            4,
        )
        init = cw.LogQueryWidget(
            title="Cold-start init duration (ms, from platform.report)",
            log_group_names=[backend.log_group.log_group_name],
            query_string=INIT_DURATION_QUERY,
            view=cw.LogQueryVisualizationType.TABLE,
            width=5,
            height=WIDGET_HEIGHT,
        )
        return [invocations, duration, concurrency, cold_starts, init]
