"""The bench's performance targets, in one place.

Both are judged on the handler as deployed (`handler`: Lambda's environment, tracing on), against the bare boto3
baseline measured in the same run, from the figures of the run the report prints and nothing else. The other
variant (tracing off) is measured for comparison and judged against nothing. docs/performance.md states the
targets but never a verdict of its own; to change a target, change it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# The variant the targets are about.
JUDGED = "handler"


@dataclass(frozen=True)
class Target:
    key: str  # its name in the JSON results
    title: str  # what the verdict line calls it (no ':' or ';', which separate the verdicts)
    section: str  # the results section holding the figure: cold_start or warm_replayed
    figure: str  # the figure within the section
    # Which reading of the figure: the judged variant's ratio to the baseline, or its difference from it.
    reading: Literal["ratio", "difference"]
    limit: float  # the reading must be at most this
    unit: str  # of a difference, as the verdict line prints it

    def reading_of(self, results: dict[str, Any]) -> float | None:
        """The reading this target is about, for the judged variant, from a run's results."""
        section = results[self.section]["ratio_to_baseline" if self.reading == "ratio" else "difference"]
        value = section[JUDGED][self.figure]
        return None if value is None else float(value)

    def met(self, value: float | None) -> bool:
        return value is not None and value <= self.limit

    def describe(self, value: float | None) -> str:
        """The reading as the verdict line prints it."""
        if value is None:
            return "no reading"
        return f"{value}x" if self.reading == "ratio" else f"{value:+.1f} {self.unit}"


TARGETS: tuple[Target, ...] = (
    Target(
        key="cold_start_ratio",
        title="cold start, process start to first response, median, at most 1.1x the baseline",
        section="cold_start",
        figure="cold_start_ms",
        reading="ratio",
        limit=1.1,
        unit="x",
    ),
    # On the replayed reading: on Lambda the waits between AWS calls are network waits, and with canned replies
    # nothing but the variants' own code runs between them (docs/performance.md, "Two stand-ins").
    Target(
        key="warm_overhead",
        title="warm overhead, AWS replies replayed, median, at most 2000 us (2.0 ms) above the baseline",
        section="warm_replayed",
        figure="median_us",
        reading="difference",
        limit=2000,
        unit="us",
    ),
)


def judge(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every target, judged from a run's figures (never from anything else)."""
    judged: dict[str, dict[str, Any]] = {}
    for target in TARGETS:
        value = target.reading_of(results)
        judged[target.key] = {
            "value": value,
            "limit": target.limit,
            "reading": target.reading,
            "met": target.met(value),
        }
    return judged
