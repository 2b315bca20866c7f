"""The alarms, the composite "service unhealthy" alarm, and the SNS topic they notify with its own KMS key.

docs/operations.md ("Alarms") holds each alarm's runbook. Each alarm is named `<stackName>-<Alarm>`; the topic's
policy and its key's policy let only alarms of this account named with that prefix publish.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.constructs.observability.metrics import (
    ALARM_PERIOD,
    PASS_RATE_PERIOD,
    catalogue_metric,
    gateway_metric,
    pass_rate,
    rekognition_throttles,
)
from infra.constructs.storage import Retention, key_admin_statement
from liveness_api.metrics_catalogue import SESSION_CREATED

# What CloudWatch alarms need to publish to a topic encrypted with a KMS key (SNS calls GenerateDataKey and
# Decrypt for the publisher). Written out: no `kms:GenerateDataKey*` wildcard.
ALARM_KEY_ACTIONS: Final = ("kms:Decrypt", "kms:GenerateDataKey")
CLOUDWATCH: Final = "cloudwatch.amazonaws.com"


@dataclass(frozen=True)
class AlarmThresholds:
    """Each alarm's threshold and evaluation, as the `alarm*` knobs set them."""

    server_error_rate_percent: float
    unavailable_rate_percent: float
    lambda_errors: int
    latency_p99_ms: int
    rekognition_throttles_per_minute: int
    rekognition_throttle_minutes: int
    throttled_requests_per_minute: int
    throttled_requests_minutes: int
    pass_rate_floor_percent: float
    pass_rate_min_checks: int
    face_match_error_rate_percent: float
    face_match_min_attempts: int
    evaluation_periods: int
    waf_blocked_requests_per_5min: int
    price_usd_per_check: float
    spend_usd_per_hour: float


def alarm_name_prefix(name: str) -> str:
    """Every alarm is named `<stackName>-<Alarm>`."""
    return f"{name}-"


def alarm_topic_key(scope: Construct, name: str, retention: Retention) -> kms.Key:
    """The topic's own key, so that the image key's policy names no service beyond those the function uses.

    Administered like the image key (explicit admin actions for the account, none of them cryptographic); its only
    user is CloudWatch, on behalf of this account's alarms named `<stackName>-*`: SNS asks KMS for a data key on the
    publisher's behalf, and for an alarm the publisher is the CloudWatch service principal. Scoped by
    aws:SourceAccount and aws:SourceArn so that no other account's alarms (confused deputy) and no other alarm of
    this account can use the key."""
    stack = Stack.of(scope)
    return kms.Key(
        scope,
        "AlarmTopicKey",
        description=f"{name}: the alarm notification topic",
        enable_key_rotation=True,
        # Passing a policy stops CDK from adding its default `kms:*` statement for the account.
        policy=iam.PolicyDocument(
            statements=[
                key_admin_statement(),
                iam.PolicyStatement(
                    sid="LetStackAlarmsPublishToEncryptedTopic",
                    principals=[iam.ServicePrincipal(CLOUDWATCH)],
                    actions=list(ALARM_KEY_ACTIONS),
                    resources=["*"],
                    conditions={
                        "StringEquals": {"aws:SourceAccount": stack.account},
                        "ArnLike": {
                            "aws:SourceArn": stack.format_arn(
                                service="cloudwatch",
                                resource="alarm",
                                resource_name=f"{alarm_name_prefix(name)}*",
                                arn_format=ArnFormat.COLON_RESOURCE_NAME,
                            )
                        },
                    },
                ),
            ]
        ),
        removal_policy=retention.removal_policy,
    )


def alarm_topic(scope: Construct, name: str, key: kms.IKey, email: str | None) -> sns.Topic:
    """The topic every alarm notifies, with `email` subscribed when given."""
    topic = sns.Topic(
        scope,
        "AlarmTopic",
        display_name=f"{name} alarms",
        master_key=key,
        enforce_ssl=True,
    )
    # enforce_ssl gives the topic a policy of its own, which replaces SNS's default one: allow the stack's
    # alarms (and only them) to publish.
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid="LetStackAlarmsPublish",
            principals=[iam.ServicePrincipal(CLOUDWATCH)],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions={
                "StringEquals": {"aws:SourceAccount": topic.stack.account},
                "ArnLike": {
                    "aws:SourceArn": f"arn:{topic.stack.partition}:cloudwatch:{topic.stack.region}:"
                    f"{topic.stack.account}:alarm:{alarm_name_prefix(name)}*"
                },
            },
        )
    )
    if email:
        topic.add_subscription(subscriptions.EmailSubscription(email))
    return topic


def service_alarms(
    scope: Construct,
    name: str,
    thresholds: AlarmThresholds,
    *,
    function: lambda_.IFunction,
    gateway_throttled: cw.IMetric,
    retry_later: cw.IMetric,
) -> list[cw.Alarm]:
    """One alarm per failure an operator must act on; `name` is the stack's, which also names the REST API.
    `gateway_throttled` is the access log's count of API Gateway 429s, per minute; `retry_later` its count of the
    handler's deliberate 503s, per 5 minutes."""
    prefix = alarm_name_prefix(name)
    evaluation = thresholds.evaluation_periods
    api_name = name  # the RestApi's name, which is API Gateway's ApiName dimension
    shares = {
        "requests": gateway_metric(api_name, "Count", "Sum", "Requests").with_(period=ALARM_PERIOD),
        "errors": gateway_metric(api_name, "5XXError", "Sum", "5xx").with_(period=ALARM_PERIOD),
        "later": retry_later,
    }
    server_errors = cw.MathExpression(
        # Bugs, crashes and a misconfigured deployment: every 5xx but the deliberate 503s, which have their alarm.
        expression="IF(requests > 0, 100 * (FILL(errors, 0) - FILL(later, 0)) / requests)",
        using_metrics=shares,
        label="API 5xx rate, 503s aside (%)",
        period=ALARM_PERIOD,
    )
    unavailable = cw.MathExpression(
        expression="IF(requests > 0, 100 * FILL(later, 0) / requests)",
        using_metrics=shares,
        label="API 503 rate (%)",
        period=ALARM_PERIOD,
    )
    return [
        cw.Alarm(
            scope,
            "Api5xxRate",
            alarm_name=f"{prefix}Api5xxRate",
            alarm_description=f"More than {thresholds.server_error_rate_percent}% of API requests answered 5xx "
            f"other than 503 in {evaluation} consecutive 5-minute periods: a bug, a crash or a misconfigured "
            "deployment (503s, a dependency asking callers to retry later, have the ApiUnavailableRate alarm). No "
            "requests means no data, which is not a failure (notBreaching).",
            metric=server_errors,
            threshold=thresholds.server_error_rate_percent,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=evaluation,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        ),
        cw.Alarm(
            scope,
            "ApiUnavailableRate",
            alarm_name=f"{prefix}ApiUnavailableRate",
            alarm_description=f"More than {thresholds.unavailable_rate_percent}% of API requests answered 503 (retry "
            f"later) in {evaluation} consecutive 5-minute periods: DynamoDB, S3 or Rekognition throttling, failing "
            "or too slow beyond botocore's retries, or requests out of time. See the DependencyError and "
            "RequestDeadlineExceeded metrics. No requests means no data (notBreaching).",
            metric=unavailable,
            threshold=thresholds.unavailable_rate_percent,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=evaluation,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        ),
        cw.Alarm(
            scope,
            "LambdaErrors",
            alarm_name=f"{prefix}LambdaErrors",
            alarm_description=f"The function failed at least {thresholds.lambda_errors} time(s) in 5 minutes "
            "(crash, timeout, out of memory: the handler answers its own errors, so any is a bug). Lambda "
            "publishes Errors only when invoked, so missing data is no invocations (notBreaching).",
            metric=function.metric_errors(statistic="Sum", period=ALARM_PERIOD),
            threshold=thresholds.lambda_errors,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        ),
        cw.Alarm(
            scope,
            "RekognitionThrottling",
            alarm_name=f"{prefix}RekognitionThrottling",
            alarm_description=f"Rekognition throttled more than {thresholds.rekognition_throttles_per_minute} "
            f"calls a minute for {thresholds.rekognition_throttle_minutes} minutes in a row. The handler "
            "emits the metric only when a call is throttled, so missing data means none (notBreaching).",
            metric=rekognition_throttles(),
            threshold=thresholds.rekognition_throttles_per_minute,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=thresholds.rekognition_throttle_minutes,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        ),
        cw.Alarm(
            scope,
            "ApiThrottling",
            alarm_name=f"{prefix}ApiThrottling",
            alarm_description=f"API Gateway's throttle refused more than {thresholds.throttled_requests_per_minute} "
            f"requests a minute (429) for {thresholds.throttled_requests_minutes} minutes in a row: callers want "
            "more than a route's throttle admits. The metric filter writes 0 for every minute with access-log "
            "records, and an idle API writes none, so missing data is no throttling (notBreaching).",
            metric=gateway_throttled,
            threshold=thresholds.throttled_requests_per_minute,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=thresholds.throttled_requests_minutes,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        ),
        cw.Alarm(
            scope,
            "LatencyP99",
            alarm_name=f"{prefix}LatencyP99",
            alarm_description=f"p99 API latency above {thresholds.latency_p99_ms} ms in {evaluation} "
            "consecutive 5-minute periods. No requests means no latency to judge (notBreaching).",
            metric=gateway_metric(api_name, "Latency", "p99", "API latency p99").with_(period=ALARM_PERIOD),
            threshold=thresholds.latency_p99_ms,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=evaluation,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        ),
        cw.Alarm(
            scope,
            "PassRateLow",
            alarm_name=f"{prefix}PassRateLow",
            alarm_description=f"Fewer than {thresholds.pass_rate_floor_percent}% of liveness checks were "
            f"LIVE in two consecutive 15-minute periods with at least {thresholds.pass_rate_min_checks} "
            "checks each: a spike in spoof attempts, or a broken client. Quiet periods produce no value, "
            "which says nothing about the pass rate (notBreaching).",
            metric=pass_rate(PASS_RATE_PERIOD, thresholds.pass_rate_min_checks),
            threshold=thresholds.pass_rate_floor_percent,
            comparison_operator=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=2,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        ),
    ]


def waf_blocked_alarm(scope: Construct, name: str, thresholds: AlarmThresholds, blocked: cw.IMetric) -> cw.Alarm:
    """With `waf` on: many requests blocked by the web ACL, every rule together (`blocked` is WAF's BlockedRequests,
    summed per 5 minutes)."""
    return cw.Alarm(
        scope,
        "WafBlockedRequests",
        alarm_name=f"{alarm_name_prefix(name)}WafBlockedRequests",
        alarm_description=f"AWS WAF blocked at least {thresholds.waf_blocked_requests_per_5min} requests in 5 "
        "minutes: an attack, a client over the POST /sessions rate per address, or a managed rule refusing real "
        "traffic (a false positive). WAF publishes BlockedRequests only when it blocks, so missing data is none "
        "(notBreaching).",
        metric=blocked,
        threshold=thresholds.waf_blocked_requests_per_5min,
        comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods=1,
        treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
    )


def estimated_spend_alarm(scope: Construct, name: str, thresholds: AlarmThresholds) -> cw.Alarm:
    """Denial of wallet: every created session can be streamed to, and each streamed check is billed. The spend is
    estimated from the sessions created (an upper bound on the checks billed), projected to an hour from 5 minutes,
    so that it fires within minutes of a burst rather than after an hour of it."""
    per_hour = 60 / ALARM_PERIOD.to_minutes()
    spend = cw.MathExpression(
        expression=f"FILL(created, 0) * {per_hour:g} * {thresholds.price_usd_per_check:g}",
        using_metrics={"created": catalogue_metric(SESSION_CREATED, period=ALARM_PERIOD)},
        label="Estimated Face Liveness spend (USD per hour)",
        period=ALARM_PERIOD,
    )
    return cw.Alarm(
        scope,
        "EstimatedSpend",
        alarm_name=f"{alarm_name_prefix(name)}EstimatedSpend",
        alarm_description=f"Sessions created in 5 minutes, at {thresholds.price_usd_per_check:g} USD a check, project "
        f"to at least {thresholds.spend_usd_per_hour:g} USD an hour: a traffic surge or a denial-of-wallet attempt "
        "(many identities, many addresses). Not part of ServiceUnhealthy: the service may be healthy while it costs.",
        metric=spend,
        threshold=thresholds.spend_usd_per_hour,
        comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods=1,
        treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
    )


def service_unhealthy(scope: Construct, name: str, alarms: Sequence[cw.IAlarm]) -> cw.CompositeAlarm:
    return cw.CompositeAlarm(
        scope,
        "ServiceUnhealthy",
        composite_alarm_name=f"{alarm_name_prefix(name)}ServiceUnhealthy",
        alarm_description="One signal for the whole service: ALARM while any of the service's alarms is "
        "in ALARM. See docs/operations.md for each alarm's runbook.",
        alarm_rule=cw.AlarmRule.any_of(*(cw.AlarmRule.from_alarm(a, cw.AlarmState.ALARM) for a in alarms)),
    )


def notify(topic: sns.ITopic, alarms: Sequence[cw.Alarm | cw.CompositeAlarm]) -> None:
    """Every alarm tells the topic both when it fires and when it clears."""
    action = cw_actions.SnsAction(topic)
    for alarm in alarms:
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
