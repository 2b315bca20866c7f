"""The estimated-spend alarm against denial of wallet: sessions created, projected to an hour, times the price."""

from __future__ import annotations

from typing import Any

import pytest

from liveness_api import metrics_catalogue as catalogue
from liveness_api.contract import SERVICE_NAME
from tests.infrastructure.conftest import Synth, synthesize
from tests.infrastructure.test_infra_observability import alarms

PRICED = {"stackName": "FaceLivenessPriced", "priceUsdPerCheck": 0.01, "alarmSpendUsdPerHour": 12.5}


@pytest.fixture(scope="module")
def priced(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(PRICED, tmp_path_factory.mktemp("cdk-priced"))


def spend(synth: Synth) -> dict[str, Any]:
    return alarms(synth)["EstimatedSpend"]


def test_the_spend_is_sessions_created_per_hour_times_the_price(default: Synth) -> None:
    alarm = spend(default)
    expression, created = (next(m for m in alarm["Metrics"] if key in m) for key in ("Expression", "MetricStat"))
    assert expression["Expression"] == f"FILL(created, 0) * 12 * {default.config.price_usd_per_check:g}"
    assert expression["ReturnData"] is True
    assert created["Id"] == "created"
    assert created["MetricStat"] == {
        "Metric": {
            "Namespace": catalogue.NAMESPACE,
            "MetricName": catalogue.SESSION_CREATED.name,
            "Dimensions": [{"Name": catalogue.SERVICE_DIMENSION, "Value": SERVICE_NAME}],
        },
        "Period": 300,
        "Stat": "Sum",
    }
    assert alarm["Threshold"] == default.config.alarm_spend_usd_per_hour
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["EvaluationPeriods"] == 1
    assert alarm["TreatMissingData"] == "notBreaching"


def test_the_defaults_price_a_check_at_the_published_rate(default: Synth) -> None:
    assert (default.config.price_usd_per_check, default.config.alarm_spend_usd_per_hour) == (0.015, 50.0)


def test_the_price_and_the_threshold_are_knobs(priced: Synth) -> None:
    alarm = spend(priced)
    assert next(m for m in alarm["Metrics"] if "Expression" in m)["Expression"].endswith("* 12 * 0.01")
    assert alarm["Threshold"] == 12.5
    assert alarm["AlarmName"] == "FaceLivenessPriced-EstimatedSpend"


def test_the_spend_alarm_notifies_the_topic(default: Synth) -> None:
    topic = default.ref(default.stack.observability.topic)
    assert spend(default)["AlarmActions"] == [topic]
    assert spend(default)["OKActions"] == [topic]
