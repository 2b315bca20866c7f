"""The performance table in docs/performance.md is a `make bench` output pasted verbatim.

Nothing here runs the benchmark, and nothing pins a verdict or a sentence of prose: it checks that the pasted
table is one the current bench prints (same rows, same columns), that the table's differences and ratios follow
from its own figures (so no number was edited by hand), and that its verdict lines are what the targets in
bench/targets.py make of its figures. When performance changes, a new `make bench` output pasted there passes.
"""

import re
from pathlib import Path
from typing import Any

import pytest

from bench import measure, report, targets

REPO = Path(__file__).parents[2]


def pasted_table(document: Path, after_heading: str) -> str:
    text = document.read_text()
    section = text[text.index(after_heading) :]
    match = re.search(r"```text\n(.*?)\n```", section, re.DOTALL)
    assert match, f"no ```text block after {after_heading!r} in {document.name}"
    return match.group(1)


def synthetic_results() -> dict[str, Any]:
    """Figures of the right shape with placeholder values, to ask the bench which rows and columns it prints."""
    cold_variants = {name: dict.fromkeys(measure.COLD_PHASES, 1.0) for name in measure.VARIANTS}
    warm_variants = {name: dict.fromkeys(measure.WARM_FIGURES, 1.0) for name in measure.VARIANTS}
    calls = {name: [{"calls": ["Service Operation"], "requests": 1}] for name in measure.VARIANTS}
    warm = {"requests": 1, "rounds": 1, "warmup_requests_per_round": 1, "aws_calls_per_request": calls}
    results: dict[str, Any] = {
        "machine": {"cpus": 2, "cpu_model": "x", "python": "3", "lambda_python": "3", "platform": "x"},
        "cold_start": {"runs": 1, "variants": cold_variants, **measure.compare(cold_variants, measure.COLD_PHASES)},
        "warm": {**warm, "variants": warm_variants, **measure.compare(warm_variants, measure.WARM_FIGURES)},
        "warm_replayed": {**warm, "variants": warm_variants, **measure.compare(warm_variants, measure.WARM_FIGURES)},
        "size": {"code_asset_zip_bytes": 1, "layer_equivalent_installed_bytes": 1},
        "synth": {"cdk_synth_s": 1.0, "cdk_synth_status": "", "test_suite_s": 1.0, "test_suite_status": ""},
    }
    results["targets"] = report.judge(results)
    return results


def rows(table: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines() if line.startswith("|")
    ]


PASTED_TABLE = pasted_table(REPO / "docs" / "performance.md", "## Last measured")


def test_the_pasted_table_has_the_rows_and_columns_the_bench_prints() -> None:
    printed = rows(report.table(synthetic_results()))
    pasted = rows(PASTED_TABLE)

    assert pasted[0] == printed[0]  # the header: the same variants in the same order
    assert [row[0] for row in pasted] == [row[0] for row in printed]


def test_every_difference_and_ratio_follows_from_the_figures() -> None:
    checked = 0
    for row in rows(PASTED_TABLE)[2:]:
        if not re.fullmatch(r"-?\d+(\.\d+)?", row[1]):
            continue  # size, synth and test-suite rows carry no comparison
        baseline = float(row[1])
        for value, versus in zip(row[2::2], row[3::2], strict=True):
            match = re.fullmatch(r"([+-]\d+\.\d) \((\d+(?:\.\d+)?)x\)", versus)
            assert match, row
            assert float(match.group(1)) == pytest.approx(round(float(value) - baseline, 1), abs=1e-9), row
            assert float(match.group(2)) == round(float(value) / baseline, 3), row
            checked += 1
    assert checked >= 2 * len(report.ROWS)


def reading_in_table(table: dict[str, list[str]], target: targets.Target, column: int) -> float:
    """The figure a target is about, read from the pasted table: the variant's value, difference or ratio."""
    label = {**report.ROWS, **report.SINGLE_ROWS}[(target.section, target.figure)].strip()  # cells are stripped
    row = table[label]
    if target.reading == "value":
        return float(row[2])  # single-figure rows: the handler's value only
    match = re.fullmatch(r"([+-]\d+\.\d) \((\d+(?:\.\d+)?)x\)", row[column + 1])
    assert match, row
    return float(match.group(2) if target.reading == "ratio" else match.group(1))


def test_the_verdict_lines_are_the_targets_judged_on_the_pasted_figures() -> None:
    table = {row[0]: row for row in rows(PASTED_TABLE)[2:]}
    lines = PASTED_TABLE.splitlines()
    for index, name in enumerate(measure.COMPARED):
        column = 2 + 2 * index
        for prefix, judged in ((report.TARGETS_PREFIX, True), (report.REFERENCE_PREFIX, False)):
            line = next(line for line in lines if line.startswith(f"{prefix}, {report.LABELS[name]}: "))
            expected = [target for target in targets.TARGETS if target.judged is judged]
            assert line.count("; ") == len(expected) - 1, line
            for target in expected:
                verdict = "met" if target.met(reading_in_table(table, target, column)) else "NOT met"
                assert f"{target.title}: {verdict} (" in line, (target.key, line)


def test_the_report_derives_its_verdicts_from_the_targets() -> None:
    # Whatever the figures, each verdict line lists every target once, judged by its definition.
    results = synthetic_results()
    for name in measure.COMPARED:
        results["cold_start"]["ratio_to_baseline"][name]["cold_start_ms"] = 1.4
        results["warm_replayed"]["difference"][name]["median_us"] = 1000.1
    judged = report.judge(results)
    for name in measure.COMPARED:
        assert set(judged[name]) == {target.key for target in targets.TARGETS}
        assert judged[name]["cold_start_ratio_le_1_4"]["met"] is True  # at the limit: met
        assert judged[name]["warm_replayed_overhead_median_le_1000_us"]["met"] is False
    lines = report.verdict_lines(judged)
    assert len(lines) == 2 * len(measure.COMPARED)
    for target in targets.TARGETS:
        assert sum(line.count(f"{target.title}: ") for line in lines) == len(measure.COMPARED)


def test_the_judged_targets_are_the_issues() -> None:
    # Issue 10: cold start at most 1.4x, warm overhead with AWS replies replayed at most 1 ms, asset under 100 KB.
    judged = {
        target.key: (target.section, target.figure, target.reading, target.comparison, target.limit)
        for target in targets.TARGETS
        if target.judged
    }
    assert judged == {
        "cold_start_ratio_le_1_4": ("cold_start", "cold_start_ms", "ratio", "<=", 1.4),
        "warm_replayed_overhead_median_le_1000_us": ("warm_replayed", "median_us", "difference", "<=", 1000),
        "code_asset_lt_100_kb": ("size", "code_asset_zip_bytes", "value", "<", 100 * 1024),
    }
