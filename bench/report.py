"""The reporting half of `make bench`: the table, the verdict line and the JSON, from measured figures only.

Nothing here measures (bench.measure does) or sets a target (bench.targets does): the verdict line is built from
the target definitions and the figures of the run it reports. A published run is its JSON in docs/ and the table
rendered from it in docs/performance.md, both written here (`python -m bench.run --publish`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bench import targets
from bench.measure import BASELINE, COMPARED, ROOT

LABELS = {BASELINE: "Baseline (bare boto3)", "handler": "Handler", "handler_untraced": "Handler, tracing off"}

# The table's timed rows: (results section, figure) -> the row's label, in the order printed.
ROWS: dict[tuple[str, str], str] = {
    ("cold_start", "cold_start_ms"): "Cold start: process start to first response (ms, median)",
    ("cold_start", "startup_ms"): "  interpreter start-up (ms)",
    ("cold_start", "import_ms"): "  import phase (ms)",
    ("cold_start", "first_request_ms"): "  first POST /sessions (ms)",
    ("cold_start", "total_ms"): "  import + first request (ms)",
    ("cold_start", "wall_ms"): "  process wall time, exit included (ms)",
    ("warm", "median_us"): "Warm request (us, median)",
    ("warm", "p99_us"): "Warm request (us, p99)",
    ("warm", "standin_median_us"): "  of which inside the stand-ins (us, median)",
    ("warm", "own_median_us"): "  own time, stand-ins excluded (us, median)",
    ("warm", "own_p99_us"): "  own time, stand-ins excluded (us, p99)",
    ("warm", "own_in_sdk_median_us"): "    in AWS SDK calls, X-Ray included (us, median)",
    ("warm", "own_outside_sdk_median_us"): "    outside them: routing, validation, logs, metrics (us, median)",
    ("warm_replayed", "median_us"): "Warm, AWS replies replayed (us, median)",
    ("warm_replayed", "p99_us"): "Warm, AWS replies replayed (us, p99)",
    ("warm_replayed", "own_in_sdk_median_us"): "  in AWS SDK calls, X-Ray included (us, median)",
    ("warm_replayed", "own_outside_sdk_median_us"): "  outside them: routing, validation, logs, metrics (us, median)",
}
# Rows of one figure for the handler alone: (results section, figure) -> label.
SINGLE_ROWS: dict[tuple[str, str], str] = {
    ("size", "code_asset_zip_bytes"): "Code asset, zipped (bytes)",
    ("size", "layer_equivalent_installed_bytes"): "Layer equivalent, pip-installed (bytes)",
    ("synth", "cdk_synth_s"): "cdk synth --quiet (wall)",
    ("synth", "test_suite_s"): "Test suite (wall)",
}
TARGETS_PREFIX = "Targets"  # the verdict line: "Targets, <label>: <title>: met (<reading>); ..."


def verdict_line(judged: dict[str, Any]) -> str:
    """The targets, each judged as `targets.judge` judged it, for the variant they are about."""
    verdicts = []
    for target in targets.TARGETS:
        verdict = judged[target.key]
        met = "met" if verdict["met"] else "NOT met"
        verdicts.append(f"{target.title}: {met} ({target.describe(verdict['value'])})")
    return f"{TARGETS_PREFIX}, {LABELS[targets.JUDGED]}: {'; '.join(verdicts)}."


def calls_made(warm: dict[str, Any]) -> str:
    """Each variant's most common sequence of AWS calls per request, as the warm run recorded it."""
    described = []
    for name in (BASELINE, targets.JUDGED):
        made = warm["aws_calls_per_request"][name][0]["calls"]
        described.append(f"{LABELS[name].split(' (')[0].lower()} {len(made)} ({', '.join(made)})")
    return "; ".join(described)


def comparison_cells(section: dict[str, Any], figure: str) -> list[str]:
    """One timed row's cells after its label: the baseline's figure, then each variant's with its difference and
    ratio to the baseline."""
    cells = [f"{section['variants'][BASELINE][figure]}"]
    for name in COMPARED:
        difference, ratio = section["difference"][name][figure], section["ratio_to_baseline"][name][figure]
        cells += [f"{section['variants'][name][figure]}", f"{difference:+.1f} ({ratio}x)"]
    return cells


def single_cells(results: dict[str, Any], section: str, figure: str) -> list[str]:
    """A row of the handler's figure alone: no baseline, no comparison; a time not taken says why."""
    value = results[section][figure]
    if section == "size":
        return ["-", f"{value}"]
    return ["", f"{value} s" if value is not None else results[section][f"{figure.removesuffix('_s')}_status"]]


def table(results: dict[str, Any]) -> str:
    cold, warm, info = results["cold_start"], results["warm"], results["machine"]
    header = ["Figure", LABELS[BASELINE]]
    for name in COMPARED:
        header += [LABELS[name], "vs baseline"]
    rows = [header, ["---"] + ["---:"] * (len(header) - 1)]
    rows += [[label, *comparison_cells(results[section], figure)] for (section, figure), label in ROWS.items()]
    blank = [""] * (len(header) - 3)
    rows += [[label, *single_cells(results, *where), *blank] for where, label in SINGLE_ROWS.items()]
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines += [
        "",
        f"Cold start: {cold['runs']} fresh processes per variant, interleaved. Warm: {warm['requests']} requests per "
        f"variant in {warm['rounds']} rounds taken in turn, each after {warm['warmup_requests_per_round']} warm-up "
        "requests, stand-ins in-process: moto and the Face Liveness emulator; replayed: canned happy-path replies, "
        f"the same for every variant. AWS calls per POST /sessions, as made: {calls_made(warm)}. Tracing off: the "
        "same code with POWERTOOLS_TRACE_DISABLED=true.",
        f"Machine: {info['cpus']} CPUs, {info['cpu_model']}, Python {info['python']} (Lambda runs "
        f"{info['lambda_python']}), {info['platform']}.",
        verdict_line(results["targets"]),
    ]
    return "\n".join(lines)


def write_json(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


# Publishing a run: its figures next to docs/performance.md, and its table in that page, rendered from them.
PUBLISHED_RESULTS = ROOT / "docs" / "performance.json"
PUBLISHED_PAGE = ROOT / "docs" / "performance.md"
# The first ```text block of the section (maybe empty), which may not lie in a later section.
_PUBLISHED_BLOCK = re.compile(r"(## Last measured\n(?:(?!\n## ).)*?```text\n)(.*?)\n?```", re.DOTALL)


def published_table(page: str) -> str:
    """The table pasted in the page's "Last measured" section; ValueError if it has no place for one."""
    found = _PUBLISHED_BLOCK.search(page)
    if found is None:
        raise ValueError('no ```text block in a "## Last measured" section')
    return found.group(2)


def with_table(page: str, printed: str) -> str:
    """The page with the table of its "Last measured" section replaced by `printed`."""
    published_table(page)  # the same error when there is no place for it
    return _PUBLISHED_BLOCK.sub(lambda found: f"{found.group(1)}{printed}\n```", page, count=1)


def publish(results: dict[str, Any]) -> None:
    page = with_table(PUBLISHED_PAGE.read_text(), table(results))  # first: a page with no place writes nothing
    write_json(results, PUBLISHED_RESULTS)
    PUBLISHED_PAGE.write_text(page)
