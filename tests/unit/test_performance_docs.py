"""The performance table in the README is a `make bench` output pasted verbatim, and the prose agrees with it.

Nothing here runs the benchmark: it checks that the pasted table is one the current bench prints (same rows,
same columns), that its differences and ratios follow from its own figures (so no number was edited by hand),
that docs/performance.md shows the same run, and that what the README says about each target is what the
table's verdict line says.
"""

import re
from pathlib import Path
from typing import Any

import pytest

from bench import run

REPO = Path(__file__).parents[2]


def pasted_table(document: Path, after_heading: str) -> str:
    text = document.read_text()
    section = text[text.index(after_heading) :]
    match = re.search(r"```text\n(.*?)\n```", section, re.DOTALL)
    assert match, f"no ```text block after {after_heading!r} in {document.name}"
    return match.group(1)


def synthetic_results() -> dict[str, Any]:
    """Figures of the right shape with placeholder values, to ask the bench which rows and columns it prints."""
    cold_variants = {name: dict.fromkeys(run.COLD_PHASES, 1.0) for name in run.VARIANTS}
    warm_variants = {name: dict.fromkeys(run.WARM_FIGURES, 1.0) for name in run.VARIANTS}
    calls = {name: [{"calls": ["Service Operation"], "requests": 1}] for name in run.VARIANTS}
    warm = {"requests": 1, "rounds": 1, "warmup_requests_per_round": 1, "aws_calls_per_request": calls}
    results: dict[str, Any] = {
        "machine": {"cpus": 2, "cpu_model": "x", "python": "3", "lambda_python": "3", "platform": "x"},
        "cold_start": {"runs": 1, "variants": cold_variants, **run.compare(cold_variants, run.COLD_PHASES)},
        "warm": {**warm, "variants": warm_variants, **run.compare(warm_variants, run.WARM_FIGURES)},
        "warm_replayed": {**warm, "variants": warm_variants, **run.compare(warm_variants, run.WARM_FIGURES)},
        "size": {"code_asset_zip_bytes": 1, "layer_equivalent_installed_bytes": 1},
        "synth": {"cdk_synth_s": 1.0, "cdk_synth_status": "", "test_suite_s": 1.0, "test_suite_status": ""},
    }
    results["targets"] = run.targets(results)
    return results


def rows(table: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines() if line.startswith("|")
    ]


README_TABLE = pasted_table(REPO / "README.md", "## Performance")


def test_the_readme_and_docs_show_the_same_run() -> None:
    assert pasted_table(REPO / "docs" / "performance.md", "## Last measured") == README_TABLE


def test_the_pasted_table_has_the_rows_and_columns_the_bench_prints() -> None:
    printed = rows(run.table(synthetic_results()))
    pasted = rows(README_TABLE)

    assert pasted[0] == printed[0]  # the header: the same variants in the same order
    assert [row[0] for row in pasted] == [row[0] for row in printed]


def test_every_difference_and_ratio_follows_from_the_figures() -> None:
    checked = 0
    for row in rows(README_TABLE)[2:]:
        if not re.fullmatch(r"-?\d+(\.\d+)?", row[1]):
            continue  # size, synth and test-suite rows carry no comparison
        baseline = float(row[1])
        for value, versus in zip(row[2::2], row[3::2], strict=True):
            match = re.fullmatch(r"([+-]\d+\.\d) \((\d+(?:\.\d+)?)x\)", versus)
            assert match, row
            assert float(match.group(1)) == pytest.approx(round(float(value) - baseline, 1), abs=1e-9), row
            assert float(match.group(2)) == round(float(value) / baseline, 3), row
            checked += 1
    assert checked >= 2 * 15


def verdicts(label: str) -> dict[str, str]:
    line = next(line for line in README_TABLE.splitlines() if line.startswith(f"Targets, {label}:"))
    return dict(re.findall(r"(\w+): (met|NOT met)", line))


def test_the_verdicts_follow_from_the_figures() -> None:
    table = {row[0]: row for row in rows(README_TABLE)}
    for index, name in enumerate(run.COMPARED):
        value_column = 2 + 2 * index
        cold = float(
            table["Cold start: process start to first response (ms, median)"][value_column + 1].split("(")[1][:-2]
        )
        warm = float(table["Warm, AWS replies replayed (us, median)"][value_column + 1].split()[0])
        found = verdicts(run.LABELS[name])
        assert found["cold_start_ratio_le_1_5"] == ("met" if cold <= 1.5 else "NOT met")
        assert found["warm_replayed_overhead_median_le_1000_us"] == ("met" if warm <= 1000 else "NOT met")


def test_the_readme_prose_says_what_the_verdicts_say() -> None:
    readme = " ".join((REPO / "README.md").read_text().split())  # prose may wrap anywhere
    handler, untraced = verdicts(run.LABELS["handler"]), verdicts(run.LABELS["handler_untraced"])

    cold = "met" if handler["cold_start_ratio_le_1_5"] == "met" else "not met"
    assert f"**Cold start within 1.5x of the baseline: {cold}.**" in readme
    assert handler["code_asset_lt_100_kb"] == "met"
    assert "**Code asset under 100 KB zipped: met.**" in readme
    warm_targets = [target for target in handler if target.startswith("warm_")]
    assert all(handler[target] == "NOT met" for target in warm_targets)
    assert "**Warm overhead within 1 ms of the baseline: not met with tracing on**" in readme
    replayed = "within the target" if untraced["warm_replayed_overhead_median_le_1000_us"] == "met" else "above it"
    assert f"With tracing off, the overhead with canned replies is {replayed}." in readme
