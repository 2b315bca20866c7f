"""The dashboard, the alarms and their encrypted topic, the composite alarm and the saved queries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.constructs.observability import GATEWAY_NAMESPACE, GATEWAY_THROTTLED_METRIC, QUERIES, ROW_TITLES
from infra.constructs.observability.metrics import RETRY_LATER_METRIC
from infra.constructs.storage import KEY_ADMIN_ACTIONS
from liveness_api import metrics_catalogue as catalogue
from liveness_api.contract import SERVICE_NAME, Routes
from liveness_api.vocabulary import TERMINAL_VERDICTS
from tests.infrastructure.conftest import Combos, Synth, synthesize
from tools.dashboard_picture import PICTURE, dashboard_body, dashboard_metrics, render_svg

SERVICE = {"Name": catalogue.SERVICE_DIMENSION, "Value": SERVICE_NAME}
TUNED = {
    "stackName": "FaceLivenessTuned",
    "alarmEmail": "ops@example.com",
    "alarm5xxRatePercent": 2,
    "alarmLambdaErrors": 3,
    "alarmLatencyP99Ms": 1500,
    "alarmRekognitionThrottlesPerMinute": 7,
    "alarmRekognitionThrottleMinutes": 10,
    "alarmThrottledRequestsPerMinute": 30,
    "alarmThrottledRequestsMinutes": 3,
    "alarmPassRateFloorPercent": 70,
    "alarmPassRateMinChecks": 25,
    "alarmEvaluationPeriods": 4,
}


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(TUNED, tmp_path_factory.mktemp("cdk-tuned"))


def alarms(synth: Synth) -> dict[str, dict[str, Any]]:
    # The service's alarms; the dead-letter alarms of settlement and events are tested in test_infra_events.py.
    found = synth.api_resources("AWS::CloudWatch::Alarm").values()
    return {
        alarm["Properties"]["AlarmName"].removeprefix(f"{synth.config.stack_name}-"): alarm["Properties"]
        for alarm in found
    }


def single_metric(alarm: dict[str, Any]) -> dict[str, Any]:
    """The alarm's metric, as one MetricStat whichever form CDK rendered it in."""
    if "MetricName" in alarm:
        return {
            "Namespace": alarm["Namespace"],
            "MetricName": alarm["MetricName"],
            "Dimensions": alarm.get("Dimensions", []),
            "Stat": alarm["Statistic"],
            "Period": alarm["Period"],
        }
    stats = [m for m in alarm["Metrics"] if "MetricStat" in m]
    assert len(stats) == 1
    stat = stats[0]["MetricStat"]
    return {"Dimensions": [], **stat["Metric"], "Stat": stat["Stat"], "Period": stat["Period"]}


# --- dashboard ------------------------------------------------------------------------------------------------


def test_the_dashboard_has_one_row_per_concern_in_order(default: Synth) -> None:
    body = dashboard_body(default.json)
    headers = [w for w in body["widgets"] if w["type"] == "text"]
    assert [h["properties"]["markdown"].splitlines()[0] for h in headers] == [f"## {t}" for t in ROW_TITLES]
    assert body["widgets"][0]["type"] == "alarm"
    # Rows fill the 24-column grid exactly and every widget has a title a person can read.
    rows: dict[int, int] = {}
    for widget in body["widgets"]:
        rows[widget["y"]] = rows.get(widget["y"], 0) + widget["width"]
        if widget["type"] != "text":
            assert widget["properties"]["title"]
        if widget["type"] == "metric":
            assert widget["properties"]["yAxis"]["left"]["label"] in {
                "Count",
                "Milliseconds",
                "Percent",
                "Confidence (0-100)",
                "Similarity (0-100)",
            }
    assert set(rows.values()) == {24}


def titles(synth: Synth) -> list[str]:
    return [w["properties"].get("title", "") for w in dashboard_body(synth.json)["widgets"]]


def test_the_traffic_row_shows_requests_errors_and_latency_percentiles_by_route(default: Synth) -> None:
    body = dashboard_body(default.json)
    for route in Routes.ALL:
        widget = next(
            w for w in body["widgets"] if w["properties"].get("title", "").startswith(f"{route.method} {route.path} ")
        )
        metrics = widget["properties"]["metrics"]
        assert [m[-1]["stat"] for m in metrics] == ["p50", "p90", "p99"]
        assert all(m[:2] == ["AWS/ApiGateway", "Latency"] and route.path in m for m in metrics)
    gateway = {name for ns, name, _ in dashboard_metrics(body) if ns == "AWS/ApiGateway"}
    assert gateway == {"Count", "4XXError", "5XXError", "Latency"}


def test_the_compute_row_covers_the_function(default: Synth) -> None:
    body = dashboard_body(default.json)
    function = "${" + default.logical_id(default.stack.function.function) + "}"
    lambda_metrics = {name for ns, name, dims in dashboard_metrics(body) if ns == "AWS/Lambda"}
    assert lambda_metrics == {"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"}
    assert ("FaceLivenessApi", "ColdStart", (("function_name", function), ("service", SERVICE_NAME))) in (
        dashboard_metrics(body)
    )
    init = next(w for w in body["widgets"] if w["type"] == "log")
    assert "initDurationMs" in init["properties"]["query"]


def test_gateway_429s_and_rekognition_throttles_are_shown_apart(default: Synth) -> None:
    body = dashboard_body(default.json)
    widget = next(w for w in body["widgets"] if w["properties"].get("title", "").startswith("Throttling"))
    metrics = widget["properties"]["metrics"]
    assert metrics[0][:2] == [GATEWAY_NAMESPACE, GATEWAY_THROTTLED_METRIC]
    assert metrics[1][:6] == [
        catalogue.NAMESPACE,
        "RekognitionError",
        "ErrorType",
        "Throttled",
        "service",
        SERVICE_NAME,
    ]
    assert metrics[1][-1]["yAxis"] == "right"
    filters = {
        f["Properties"]["MetricTransformations"][0]["MetricName"]: f["Properties"]
        for f in default.resources("AWS::Logs::MetricFilter").values()
    }
    assert set(filters) == {GATEWAY_THROTTLED_METRIC, RETRY_LATER_METRIC}
    # API Gateway's own throttle only: the handler's 429s carry no gateway response type.
    throttled = filters[GATEWAY_THROTTLED_METRIC]
    assert throttled["FilterPattern"] == '{ ($.status = "429") && ($.errorResponseType = "THROTTLED") }'
    assert filters[RETRY_LATER_METRIC]["FilterPattern"] == '{ $.status = "503" }'
    for metric_filter in filters.values():
        assert metric_filter["LogGroupName"] == default.ref(default.stack.api.access_log_group)


def test_every_catalogued_metric_and_dimension_value_is_on_the_dashboard(synth: Synth) -> None:
    plotted = {
        (name, dims) for ns, name, dims in dashboard_metrics(dashboard_body(synth.json)) if ns == catalogue.NAMESPACE
    }
    for metric in catalogue.ALL_METRICS:
        for own in metric.every_dimension_map():
            dims = {catalogue.SERVICE_DIMENSION: SERVICE_NAME, **own}
            assert (metric.name, tuple(sorted(dims.items()))) in plotted, (metric.name, own)


def test_the_committed_picture_is_the_synthesized_layout(default: Synth) -> None:
    assert Path(PICTURE).read_text() == render_svg(dashboard_body(default.json)), (
        "run: python -m tools.dashboard_picture"
    )


# --- alarms ---------------------------------------------------------------------------------------------------


def test_each_alarm_watches_its_metric_with_its_statistic_threshold_and_missing_data(default: Synth) -> None:
    found = alarms(default)
    config = default.config
    function = default.ref(default.stack.function.function)
    gateway = [{"Name": "ApiName", "Value": config.stack_name}, {"Name": "Stage", "Value": "api"}]
    expected = {
        "LambdaErrors": ("AWS/Lambda", "Errors", [{"Name": "FunctionName", "Value": function}], "Sum", 300, 1, 1),
        "RekognitionThrottling": (
            catalogue.NAMESPACE,
            "RekognitionError",
            [{"Name": "ErrorType", "Value": "Throttled"}, SERVICE],
            "Sum",
            60,
            5,
            5,
        ),
        "LatencyP99": ("AWS/ApiGateway", "Latency", gateway, "p99", 300, 3000, 3),
        "ApiThrottling": (GATEWAY_NAMESPACE, GATEWAY_THROTTLED_METRIC, [], "Sum", 60, 10, 5),
    }
    assert set(found) == {
        *expected,
        "PassRateLow",
        "Api5xxRate",
        "ApiUnavailableRate",
        "EstimatedSpend",
        "FaceMatchErrorRate",
    }
    for name, (namespace, metric_name, dimensions, stat, period, threshold, periods) in expected.items():
        alarm = found[name]
        assert single_metric(alarm) == {
            "Namespace": namespace,
            "MetricName": metric_name,
            "Dimensions": dimensions,
            "Stat": stat,
            "Period": period,
        }, name
        assert alarm["Threshold"] == threshold, name
        assert alarm["EvaluationPeriods"] == periods, name
        assert alarm["TreatMissingData"] == "notBreaching", name
        assert alarm["ComparisonOperator"].startswith("GreaterThan"), name
    # The 5xx share leaves out the deliberate 503s, which have an alarm of their own; both over all requests.
    for name, expression, threshold in (
        ("Api5xxRate", "IF(requests > 0, 100 * (FILL(errors, 0) - FILL(later, 0)) / requests)", 5),
        ("ApiUnavailableRate", "IF(requests > 0, 100 * FILL(later, 0) / requests)", 5),
    ):
        alarm = found[name]
        (expression_metric,) = [m for m in alarm["Metrics"] if "Expression" in m]
        assert expression_metric["Expression"] == expression
        stats = {m["Id"]: m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m}
        inputs = {
            "requests": ("AWS/ApiGateway", "Count", "Sum", 300),
            "errors": ("AWS/ApiGateway", "5XXError", "Sum", 300),
            "later": (GATEWAY_NAMESPACE, RETRY_LATER_METRIC, "Sum", 300),
        }
        assert {
            metric_id: (stat["Metric"]["Namespace"], stat["Metric"]["MetricName"], stat["Stat"], stat["Period"])
            for metric_id, stat in stats.items()
            if metric_id in expression
        } == {metric_id: source for metric_id, source in inputs.items() if metric_id in expression}
        assert (alarm["Threshold"], alarm["EvaluationPeriods"], alarm["TreatMissingData"]) == (
            threshold,
            3,
            "notBreaching",
        )


def test_the_pass_rate_alarm_divides_live_by_every_verdict(default: Synth) -> None:
    alarm = alarms(default)["PassRateLow"]
    inputs = {m["Id"]: m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m}
    decisions = {stat["Metric"]["Dimensions"][0]["Value"]: metric_id for metric_id, stat in inputs.items()}
    assert set(decisions) == set(TERMINAL_VERDICTS)
    for stat in inputs.values():
        assert stat["Metric"]["MetricName"] == "LivenessCheckCompleted"
        assert stat["Stat"] == "Sum"
        assert stat["Period"] == 900
    expression = next(m["Expression"] for m in alarm["Metrics"] if "Expression" in m)
    assert f"100 * FILL({decisions['LIVE']}, 0) /" in expression
    assert ">= 10," in expression
    assert alarm["ComparisonOperator"] == "LessThanThreshold"
    assert alarm["Threshold"] == 50
    assert alarm["TreatMissingData"] == "notBreaching"


def test_thresholds_come_from_config(tuned: Synth) -> None:
    found = alarms(tuned)
    assert found["Api5xxRate"]["Threshold"] == 2
    assert found["Api5xxRate"]["EvaluationPeriods"] == 4
    assert found["LambdaErrors"]["Threshold"] == 3
    assert found["LatencyP99"]["Threshold"] == 1500
    assert found["LatencyP99"]["EvaluationPeriods"] == 4
    assert found["RekognitionThrottling"]["Threshold"] == 7
    assert found["RekognitionThrottling"]["EvaluationPeriods"] == 10
    assert found["ApiThrottling"]["Threshold"] == 30
    assert found["ApiThrottling"]["EvaluationPeriods"] == 3
    assert found["PassRateLow"]["Threshold"] == 70
    assert ">= 25," in found["PassRateLow"]["Metrics"][0]["Expression"]


def test_every_alarm_and_the_composite_notify_the_topic(synth: Synth) -> None:
    topic = synth.ref(synth.stack.observability.topic)
    composite = synth.only("AWS::CloudWatch::CompositeAlarm")["Properties"]
    for alarm in [*alarms(synth).values(), composite]:
        assert alarm["AlarmActions"] == [topic]
        assert alarm["OKActions"] == [topic]
    rule = composite["AlarmRule"]["Fn::Join"][1]
    watched = [part["Fn::GetAtt"][0] for part in rule if isinstance(part, dict)]
    # Every alarm but the spend one, the dead-letter alarms of settlement and events included: the service can be
    # healthy while it costs (test_infra_spend_alarm.py), not while verdicts or events wait in a dead-letter queue.
    spend = synth.logical_id(synth.stack.observability.estimated_spend)
    assert sorted(watched) == sorted(set(synth.resources("AWS::CloudWatch::Alarm")) - {spend})
    dead_letters = [synth.stack.settlement.alarm, *synth.stack.events.alarms]
    assert {synth.logical_id(alarm) for alarm in dead_letters} <= set(watched)
    assert all(part in {'(ALARM("', '") OR ALARM("', '"))'} for part in rule if isinstance(part, str))
    assert composite["AlarmName"] == f"{synth.config.stack_name}-ServiceUnhealthy"


def test_the_topic_is_encrypted_with_its_own_key_which_lets_only_the_stack_alarms_use_it(synth: Synth) -> None:
    topic = synth.only("AWS::SNS::Topic")["Properties"]
    topic_key = synth.stack.observability.topic_key
    assert topic["KmsMasterKeyId"] == synth.arn(topic_key)
    assert synth.logical_id(topic_key) != synth.logical_id(synth.stack.storage.key)
    key = synth.json["Resources"][synth.logical_id(topic_key)]
    assert key["Properties"]["EnableKeyRotation"] is True
    key_policy = key["Properties"]["KeyPolicy"]["Statement"]
    by_key_sid = {s["Sid"]: s for s in key_policy}
    assert set(by_key_sid) == {"AdministerKeyThroughIam", "LetStackAlarmsPublishToEncryptedTopic"}
    # Administered like the image key: the same explicit, non-cryptographic actions, for the account.
    admin = by_key_sid["AdministerKeyThroughIam"]
    assert admin["Principal"]["AWS"]["Fn::Join"][1][-1] == ":root"
    assert set(admin["Action"]) == set(KEY_ADMIN_ACTIONS)
    assert "Condition" not in admin
    statement = by_key_sid["LetStackAlarmsPublishToEncryptedTopic"]
    # CloudWatch is the key's only user, and may only Decrypt and GenerateDataKey (no wildcard).
    assert [s["Sid"] for s in key_policy if "Service" in s["Principal"]] == [statement["Sid"]]
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert statement["Effect"] == "Allow"
    assert set(statement["Condition"]) == {"StringEquals", "ArnLike"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    source_arn = statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Join"][1]
    assert source_arn[0] == f"arn:aws:cloudwatch:{synth.config.region}:"
    assert source_arn[-1] == f":alarm:{synth.config.stack_name}-*"
    policy = synth.only("AWS::SNS::TopicPolicy")["Properties"]["PolicyDocument"]["Statement"]
    by_sid = {s["Sid"]: s for s in policy}
    assert by_sid["AllowPublishThroughSSLOnly"]["Effect"] == "Deny"
    assert by_sid["LetStackAlarmsPublish"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert by_sid["LetStackAlarmsPublish"]["Condition"]["StringEquals"] == statement["Condition"]["StringEquals"]


def test_an_email_subscription_only_when_configured(default: Synth, tuned: Synth) -> None:
    default.template.resource_count_is("AWS::SNS::Subscription", 0)
    tuned.template.has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": "ops@example.com", "TopicArn": tuned.ref(tuned.stack.observability.topic)},
    )


def test_outputs_name_the_dashboard_and_the_topic(default: Synth) -> None:
    outputs = default.json["Outputs"]
    assert outputs["DashboardName"]["Value"] == default.ref(default.stack.observability.dashboard)
    assert outputs["AlarmTopicArn"]["Value"] == default.ref(default.stack.observability.topic)


# --- saved queries --------------------------------------------------------------------------------------------


def test_the_saved_queries_target_the_right_log_groups(synth: Synth) -> None:
    found = {q["Properties"]["Name"]: q["Properties"] for q in synth.resources("AWS::Logs::QueryDefinition").values()}
    prefix = synth.config.stack_name
    assert set(found) == {f"{prefix}/{q.name}" for q in QUERIES}
    function_logs = [synth.ref(synth.stack.function.log_group)]
    access_logs = [synth.ref(synth.stack.api.access_log_group)]
    errors = found[f"{prefix}/errors-by-type"]
    assert errors["LogGroupNames"] == function_logs
    assert "error_type" in errors["QueryString"]
    assert "stats count(*) as errors by kind" in errors["QueryString"]
    slowest = found[f"{prefix}/slowest-requests"]
    assert slowest["LogGroupNames"] == access_logs
    assert "sort responseLatency desc" in slowest["QueryString"]
    decisions = found[f"{prefix}/checks-by-decision"]
    assert decisions["LogGroupNames"] == function_logs
    assert 'message = "Liveness check completed"' in decisions["QueryString"]
    assert "by decision" in decisions["QueryString"]


def test_the_access_log_query_reads_only_fields_the_stage_writes(default: Synth) -> None:
    stage = default.only("AWS::ApiGateway::Stage")["Properties"]
    assert stage["AccessLogSetting"]["DestinationArn"] == default.arn(default.stack.api.access_log_group)
    written = set(json.loads(stage["AccessLogSetting"]["Format"]))
    access_queries = [q for q in QUERIES if q.log_group == "access"]
    assert access_queries
    for query in access_queries:
        fields = {
            field.strip()
            for line in query.query.splitlines()
            if line.startswith("fields ")
            for field in line.removeprefix("fields ").split(",")
        }
        assert fields - {"@timestamp"} <= written, query.name


def test_every_alarm_has_a_runbook_row(default: Synth, combos: Combos) -> None:
    runbook = (Path(PICTURE).parent / "operations.md").read_text()
    with_waf = combos[("COGNITO", "authenticated", True)]
    names = {*alarms(default), *alarms(with_waf), "ServiceUnhealthy"}
    assert "WafBlockedRequests" in names
    assert [name for name in sorted(names) if f"| `<stack>-{name}`" not in runbook] == []
