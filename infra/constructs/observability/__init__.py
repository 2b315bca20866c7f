"""What operators watch: one CloudWatch dashboard, the alarms and their encrypted SNS topic, a composite "service
unhealthy" alarm, and saved Logs Insights queries.

`Observability` composes the parts, each in a module of its own: `metrics` (every metric the alarms and the
dashboard share, built from the handler's catalogue), `alarms` (the alarms, the composite alarm, the topic and its
KMS key), `dashboard` (the rows, from one definition, drawn with `widgets`), `face_match` (the face-match row and
its error-rate alarm) and `queries` (the saved Logs Insights queries). Every
resource is a direct child of `Observability`, so its logical id does not depend on which module builds it.

Hand-written with aws_cloudwatch rather than cdk-monitoring-constructs: see docs/operations.md ("Why not
cdk-monitoring-constructs").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_cloudwatch as cw
from constructs import Construct

from infra.constructs.api import LivenessApi
from infra.constructs.function import LivenessFunction
from infra.constructs.observability.alarms import (
    AlarmThresholds,
    alarm_name_prefix,
    alarm_topic,
    alarm_topic_key,
    estimated_spend_alarm,
    notify,
    service_alarms,
    service_unhealthy,
    waf_blocked_alarm,
)
from infra.constructs.observability.dashboard import ROW_TITLES, ROWS, DashboardInputs, dashboard
from infra.constructs.observability.face_match import face_match_error_alarm
from infra.constructs.observability.metrics import (
    COLD_START_DIMENSIONS,
    COLD_START_METRIC,
    GATEWAY_NAMESPACE,
    GATEWAY_THROTTLED_METRIC,
    catalogue_metric,
    gateway_throttle_filter,
    retry_later_filter,
)
from infra.constructs.observability.queries import QUERIES, QueryDef, saved_queries
from infra.constructs.storage import Retention

__all__ = [
    "COLD_START_DIMENSIONS",
    "COLD_START_METRIC",
    "GATEWAY_NAMESPACE",
    "GATEWAY_THROTTLED_METRIC",
    "QUERIES",
    "ROWS",
    "ROW_TITLES",
    "AlarmThresholds",
    "Observability",
    "ObservabilityProps",
    "QueryDef",
    "catalogue_metric",
]


@dataclass(frozen=True)
class ObservabilityProps:
    """`name` (the stack's) prefixes every alarm and saved query and names the dashboard; `retention` keeps the
    topic's key like the rest of the data; `alarm_email`, when given, is subscribed to the topic."""

    name: str
    retention: Retention
    alarm_email: str | None
    thresholds: AlarmThresholds


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: ObservabilityProps,
        function: LivenessFunction,
        api: LivenessApi,
        waf_blocked: cw.IMetric | None = None,
        background_alarms: Sequence[cw.Alarm] = (),
    ) -> None:
        """`waf_blocked`: with `waf` on, WAF's blocked requests per 5 minutes, which get an alarm of their own;
        `background_alarms`: the settlement's and the events' dead-letter alarms, which page like the service's own
        (a dead-lettered message is a verdict or an event that is not recorded or delivered until someone acts)."""
        super().__init__(scope, construct_id)
        name = props.name
        self.alarm_name_prefix = alarm_name_prefix(name)

        self.topic_key = alarm_topic_key(self, name, props.retention)
        self.topic = alarm_topic(self, name, self.topic_key, props.alarm_email)
        self.gateway_throttled = gateway_throttle_filter(self, api.access_log_group)
        self.retry_later = retry_later_filter(self, api.access_log_group)
        self.alarms = service_alarms(
            self,
            name,
            props.thresholds,
            function=function.function,
            gateway_throttled=self.gateway_throttled,
            retry_later=self.retry_later,
        )
        self.alarms.append(face_match_error_alarm(self, name, props.thresholds))
        if waf_blocked is not None:
            self.alarms.append(waf_blocked_alarm(self, name, props.thresholds, waf_blocked))
        self.alarms.extend(background_alarms)
        self.service_unhealthy = service_unhealthy(self, name, self.alarms)
        self.estimated_spend = estimated_spend_alarm(self, name, props.thresholds)
        notify(self.topic, [*self.alarms, self.service_unhealthy, self.estimated_spend])

        self.queries = saved_queries(self, name, function_logs=function.log_group, access_logs=api.access_log_group)
        self.dashboard = dashboard(
            self,
            DashboardInputs(
                name=name,
                thresholds=props.thresholds,
                function=function.function,
                function_logs=function.log_group,
                gateway_throttled=self.gateway_throttled,
                alarms=[*self.alarms, self.service_unhealthy],
            ),
        )
