"""The bench's arithmetic and its report, on figures given here: nothing is measured, timed or run."""

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bench import measure, report, run, targets
from bench.standin import error_payload

UNTRACED = next(name for name in measure.COMPARED if name != targets.JUDGED)


def cold_samples(cold_start_ms: dict[str, list[float]]) -> dict[str, list[dict[str, float]]]:
    """Cold-start samples whose every phase is the given figure."""
    return {
        name: [dict.fromkeys(measure.COLD_PHASES, value) for value in values] for name, values in cold_start_ms.items()
    }


def warm_round(total_ns: list[int], standin_ns: int = 0, sdk_ns: int = 0) -> dict[str, Any]:
    """One warm round's result file: per request its nanoseconds and the calls it made."""
    count = len(total_ns)
    return {
        "total_ns": total_ns,
        "standin_ns": [standin_ns] * count,
        "sdk_ns": [sdk_ns] * count,
        "calls": [["Rekognition CreateFaceLivenessSession"]] * count,
    }


def results_of(cold_start_ms: dict[str, list[float]], warm_total_ns: dict[str, list[int]]) -> dict[str, Any]:
    """A run's results, built by the bench's own summaries from the samples given."""
    warm = {"stand_in": "emulated", "requests": 2, "rounds": 1, "warmup_requests_per_round": 5}
    warm |= measure.summarize_warm({name: [warm_round(ns)] for name, ns in warm_total_ns.items()})
    results: dict[str, Any] = {
        "machine": {"cpus": 2, "cpu_model": "a CPU", "python": "3.11", "lambda_python": "3.14", "platform": "Linux"},
        "cold_start": measure.summarize_cold(cold_samples(cold_start_ms)),
        "warm": warm,
        "warm_replayed": warm,
        "size": {"code_asset_zip_bytes": 40000, "layer_equivalent_installed_bytes": 16000000},
        "synth": {
            "cdk_synth_s": 6.5,
            "cdk_synth_status": "measured",
            "test_suite_s": None,
            "test_suite_status": "skip",
        },
    }
    results["targets"] = targets.judge(results)
    return results


def test_the_p99_is_the_nearest_rank_and_a_ratio_needs_a_baseline() -> None:
    assert measure.p99([float(value) for value in range(200, 0, -1)]) == 198.0
    assert measure.p99([7.0]) == 7.0
    assert measure.ratio(3.0, 2.0) == 1.5
    assert measure.ratio(1.0, 3.0) == 0.333
    assert measure.ratio(3.0, 0.0) is None


def test_each_variant_is_compared_with_the_baseline_of_the_same_run() -> None:
    variants = {measure.BASELINE: {"x": 100.0}, targets.JUDGED: {"x": 130.25}, UNTRACED: {"x": 90.0}}

    assert measure.compare(variants, ("x",)) == {
        "difference": {targets.JUDGED: {"x": 30.2}, UNTRACED: {"x": -10.0}},
        "ratio_to_baseline": {targets.JUDGED: {"x": 1.302}, UNTRACED: {"x": 0.9}},
    }


def test_cold_starts_are_summarized_by_each_phases_median_over_the_runs() -> None:
    cold = measure.summarize_cold(
        cold_samples(
            {measure.BASELINE: [300.0, 100.0, 200.0], targets.JUDGED: [260.0, 240.0, 900.0], UNTRACED: [1.0] * 3}
        )
    )

    assert cold["runs"] == 3
    assert cold["variants"][measure.BASELINE] == dict.fromkeys(measure.COLD_PHASES, 200.0)
    assert cold["variants"][targets.JUDGED]["cold_start_ms"] == 260.0
    assert cold["ratio_to_baseline"][targets.JUDGED]["cold_start_ms"] == 1.3


def test_warm_rounds_are_pooled_before_the_median_and_each_request_is_split_in_parts() -> None:
    # Pooled, the median is 1 us; a median of the rounds' medians would be 3 us.
    rounds = [
        warm_round([1000, 1000, 1000], standin_ns=400, sdk_ns=700),
        warm_round([5000], standin_ns=400, sdk_ns=700),
    ]
    rounds[1]["calls"] = [["DynamoDB PutItem"]]
    summary = measure.summarize_warm(dict.fromkeys(measure.VARIANTS, rounds))

    figures = summary["variants"][targets.JUDGED]
    assert (figures["median_us"], figures["p99_us"]) == (1.0, 5.0)
    assert (figures["standin_median_us"], figures["own_median_us"], figures["own_p99_us"]) == (0.4, 0.6, 4.6)
    assert (figures["own_in_sdk_median_us"], figures["own_outside_sdk_median_us"]) == (0.3, 0.3)
    assert summary["aws_calls_per_request"][targets.JUDGED] == [
        {"calls": ["Rekognition CreateFaceLivenessSession"], "requests": 3},
        {"calls": ["DynamoDB PutItem"], "requests": 1},
    ]


def readings_at(limits: dict[str, float]) -> dict[str, Any]:
    """A run whose judged readings are the given ones, and whose untraced variant is far off every target."""
    cold, warm = (
        next(t for t in targets.TARGETS if t.section == section) for section in ("cold_start", "warm_replayed")
    )
    return results_of(
        {measure.BASELINE: [100.0], targets.JUDGED: [100.0 * limits[cold.key]], UNTRACED: [1000.0]},
        {
            measure.BASELINE: [1_000_000],
            targets.JUDGED: [1_000_000 + round(limits[warm.key] * 1000)],
            UNTRACED: [9_000_000],
        },
    )


def test_a_target_is_met_at_its_limit_and_missed_just_above_it() -> None:
    at_limit = readings_at({target.key: target.limit for target in targets.TARGETS})
    above = readings_at({target.key: target.limit * 1.01 for target in targets.TARGETS})

    assert all(verdict["met"] for verdict in at_limit["targets"].values())
    assert not any(verdict["met"] for verdict in above["targets"].values())
    assert {key: verdict["value"] for key, verdict in at_limit["targets"].items()} == {
        target.key: target.limit for target in targets.TARGETS
    }


def test_a_missing_reading_meets_no_target() -> None:
    (target, *_) = targets.TARGETS
    assert not target.met(None)
    assert target.describe(None) == "no reading"


def rows(table: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines() if line.startswith("|")
    ]


def test_the_table_shows_every_figure_of_every_variant_beside_the_baseline() -> None:
    results = readings_at({target.key: target.limit for target in targets.TARGETS})
    printed = rows(report.table(results))

    assert printed[0] == ["Figure", report.LABELS[measure.BASELINE]] + [
        cell for name in measure.COMPARED for cell in (report.LABELS[name], "vs baseline")
    ]
    labels = [row[0] for row in printed[2:]]
    assert labels == [label.strip() for label in (*report.ROWS.values(), *report.SINGLE_ROWS.values())]
    by_label = {row[0]: row for row in printed[2:]}
    cold = by_label[report.ROWS[("cold_start", "cold_start_ms")]]
    assert cold[1:4] == [
        "100.0",
        f"{results['cold_start']['variants'][targets.JUDGED]['cold_start_ms']}",
        "+10.0 (1.1x)",
    ]
    assert by_label[report.SINGLE_ROWS[("synth", "test_suite_s")]][2] == "skip"  # a time not taken says why
    assert by_label[report.SINGLE_ROWS[("synth", "cdk_synth_s")]][2] == "6.5 s"
    assert {len(row) for row in printed} == {len(printed[0])}


def test_the_verdict_line_judges_each_target_on_the_tracing_on_handler() -> None:
    at_limit = report.table(readings_at({target.key: target.limit for target in targets.TARGETS}))
    above = report.table(readings_at({target.key: target.limit * 1.01 for target in targets.TARGETS}))

    for printed, verdict in ((at_limit, "met"), (above, "NOT met")):
        line = printed.splitlines()[-1]
        assert line.startswith(f"{report.TARGETS_PREFIX}, {report.LABELS[targets.JUDGED]}: ")
        for target in targets.TARGETS:
            assert f"{target.title}: {verdict} (" in line


def test_the_bench_refuses_a_lambda_src_without_the_package(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as refused:
        run.main(["--lambda-src", str(tmp_path)])
    assert refused.value.code == 2


def test_the_standin_passes_on_the_item_a_failed_condition_returns() -> None:
    # Without it the ledger's slot reservation could not retry, and every cold start's create answered 500.
    item = {"pk": {"S": "CALLER#bench"}}
    error = ClientError(
        {"Error": {"Code": "ConditionalCheckFailedException", "Message": "failed"}, "Item": item}, "UpdateItem"
    )

    assert error_payload(error) == {"__type": "ConditionalCheckFailedException", "message": "failed", "Item": item}
    assert "Item" not in error_payload(ClientError({"Error": {"Code": "ValidationException"}}, "UpdateItem"))
