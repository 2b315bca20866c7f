"""Every performance target of the handler, in one place (issue 10).

The report judges each target from the figures of the run it prints, and its verdict lines are built from the
definitions below; the README and docs/performance.md state the targets but never a verdict of their own. To
change a target, change it here: the report, its JSON and the documentation tests follow.

The targets are judged on the handler as deployed (tracing on). The report also judges the same code with
tracing off against them, for comparison. Targets marked `judged=False` are the same limit read on another
figure, reported for reference only: the warm target is judged on the reading with AWS replies replayed,
because that reading isolates this code from the stand-ins' own cost.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

# Which reading of a figure a target is about: the variant's ratio to the baseline, its difference from the
# baseline, or its own value (for figures the baseline has none of).
Reading = Literal["ratio", "difference", "value"]

_COMPARISONS: dict[str, Callable[[float, float], bool]] = {"<=": operator.le, "<": operator.lt}


@dataclass(frozen=True)
class Target:
    key: str  # its name in the JSON results
    title: str  # what the verdict line calls it (no ':' or ';', which separate the verdicts)
    section: str  # the results section holding the figure: cold_start, warm, warm_replayed or size
    figure: str  # the figure within the section
    reading: Reading
    comparison: Literal["<=", "<"]
    limit: float
    unit: str  # of the reading, as the verdict line prints it
    judged: bool = True  # False: the same limit on another reading, for reference only

    def reading_of(self, results: dict[str, Any], variant: str) -> float | None:
        """The reading this target is about, for one compared variant, from a run's results."""
        section = results[self.section]
        if self.reading == "value":
            value = section[self.figure]
        elif self.reading == "ratio":
            value = section["ratio_to_baseline"][variant][self.figure]
        else:
            value = section["difference"][variant][self.figure]
        return None if value is None else float(value)

    def met(self, value: float | None) -> bool:
        return value is not None and _COMPARISONS[self.comparison](value, self.limit)

    def describe(self, value: float | None) -> str:
        """The reading as the verdict line prints it."""
        if value is None:
            return "no reading"
        if self.reading == "ratio":
            return f"{value}x"
        if self.reading == "difference":
            return f"{value:+.1f} {self.unit}"
        return f"{value:g} {self.unit}"


TARGETS: tuple[Target, ...] = (
    Target(
        key="cold_start_ratio_le_1_4",
        title="cold start, process start to first response, median <= 1.4x the baseline",
        section="cold_start",
        figure="cold_start_ms",
        reading="ratio",
        comparison="<=",
        limit=1.4,
        unit="x",
    ),
    Target(
        key="warm_replayed_overhead_median_le_1000_us",
        title="warm overhead, AWS replies replayed, median <= 1000 us above the baseline",
        section="warm_replayed",
        figure="median_us",
        reading="difference",
        comparison="<=",
        limit=1000,
        unit="us",
    ),
    Target(
        key="code_asset_lt_100_kb",
        title="code asset zipped < 102400 bytes (100 KB)",
        section="size",
        figure="code_asset_zip_bytes",
        reading="value",
        comparison="<",
        limit=100 * 1024,
        unit="bytes",
    ),
    # The same 1 ms limit on the readings with moto and the Face Liveness emulator in-process, for reference.
    Target(
        key="warm_overhead_median_le_1000_us",
        title="warm overhead, stand-ins emulated, median <= 1000 us above the baseline",
        section="warm",
        figure="median_us",
        reading="difference",
        comparison="<=",
        limit=1000,
        unit="us",
        judged=False,
    ),
    Target(
        key="warm_own_overhead_median_le_1000_us",
        title="warm own time, stand-ins emulated and excluded, median <= 1000 us above the baseline",
        section="warm",
        figure="own_median_us",
        reading="difference",
        comparison="<=",
        limit=1000,
        unit="us",
        judged=False,
    ),
)

BY_KEY: dict[str, Target] = {target.key: target for target in TARGETS}
if len(BY_KEY) != len(TARGETS):  # pragma: no cover - a definition error, caught on import
    raise RuntimeError("two targets share a key")


def judge(results: dict[str, Any], variant: str) -> dict[str, dict[str, Any]]:
    """Every target, judged for one compared variant from a run's figures (never from anything else)."""
    judged: dict[str, dict[str, Any]] = {}
    for target in TARGETS:
        value = target.reading_of(results, variant)
        judged[target.key] = {
            "value": value,
            "limit": target.limit,
            "comparison": target.comparison,
            "reading": target.reading,
            "judged": target.judged,
            "met": target.met(value),
        }
    return judged
