"""The run published in docs/performance.md is one the bench made: its table is the bench's rendering of the figures
published next to it, whose comparisons and verdicts follow from their own measurements. Nothing here runs the
bench or pins a figure, a target or a verdict: a new run published with `python -m bench.run --publish` passes."""

import json
from typing import Any

import pytest

from bench import measure, report, targets

PAGE = """# Performance

## Last measured

Printed verbatim:

```text
| old | table |
```

## How it is measured

```text
another block
```
"""


def published_results() -> dict[str, Any]:
    results: dict[str, Any] = json.loads(report.PUBLISHED_RESULTS.read_text())
    return results


def test_the_published_table_is_the_bench_rendering_of_the_published_figures() -> None:
    assert report.published_table(report.PUBLISHED_PAGE.read_text()) == report.table(published_results())


@pytest.mark.parametrize(
    ("section", "figures"),
    [("cold_start", measure.COLD_PHASES), ("warm", measure.WARM_FIGURES), ("warm_replayed", measure.WARM_FIGURES)],
)
def test_the_published_comparisons_follow_from_the_published_figures(section: str, figures: tuple[str, ...]) -> None:
    published = published_results()[section]

    assert set(published["variants"]) == set(measure.VARIANTS)
    compared = measure.compare(published["variants"], figures)
    assert {key: published[key] for key in compared} == compared


def test_the_published_verdicts_are_the_current_targets_judged_on_the_published_figures() -> None:
    results = published_results()
    assert results["targets"] == targets.judge(results)


def test_publishing_replaces_the_last_measured_table_and_nothing_else() -> None:
    replaced = report.with_table(PAGE, "| new |\n| table |")

    assert report.published_table(replaced) == "| new |\n| table |"
    assert replaced == PAGE.replace("| old | table |", "| new |\n| table |")
    never_published = PAGE.replace("| old | table |\n", "")
    assert report.published_table(never_published) == ""
    assert report.with_table(never_published, "| new |") == PAGE.replace("| old | table |", "| new |")


@pytest.mark.parametrize(
    "without",
    [PAGE.replace("## Last measured", "## Measured once"), PAGE.replace("```text\n| old | table |\n```", "None yet.")],
)
def test_a_page_without_a_last_measured_table_is_refused(without: str) -> None:
    with pytest.raises(ValueError, match="Last measured"):
        report.with_table(without, "| new |")
