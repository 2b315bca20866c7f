"""The dashboard's "Why checks fail" row: every feedback code, Other included, next to the failed checks."""

from __future__ import annotations

from infra.constructs.observability import ROW_TITLES
from liveness_api import metrics_catalogue as catalogue
from liveness_api.contract import SERVICE_NAME
from liveness_api.vocabulary import FeedbackCode
from tests.infrastructure.conftest import Synth
from tools.dashboard_picture import dashboard_body

ROW = "Why checks fail"


def test_the_row_follows_the_verdicts_and_plots_every_code_and_other(default: Synth) -> None:
    widgets = dashboard_body(default.json)["widgets"]
    header = next(
        i for i, w in enumerate(widgets) if w["type"] == "text" and f"## {ROW}" in w["properties"]["markdown"]
    )
    row_y = widgets[header + 1]["y"]
    row = [w for w in widgets if w["y"] == row_y]

    assert ROW_TITLES.index(ROW) == ROW_TITLES.index("Business") + 1
    by_code, failed = row
    plotted = [
        dict(zip(metric[2:-1:2], metric[3:-1:2], strict=True))
        for metric in by_code["properties"]["metrics"]
        if metric[1] == catalogue.LIVENESS_FEEDBACK.name
    ]
    assert [dims["Feedback"] for dims in plotted] == [*FeedbackCode, catalogue.OTHER_FEEDBACK]
    assert all(dims["service"] == SERVICE_NAME for dims in plotted)
    assert by_code["properties"]["stacked"] is True
    decisions = [metric[3] for metric in failed["properties"]["metrics"]]
    assert sorted(decisions) == ["FAILED", "NOT_LIVE"]
    assert {metric[1] for metric in failed["properties"]["metrics"]} == {catalogue.LIVENESS_CHECK_COMPLETED.name}
