"""The reporting half of `make bench`: the table, the verdict lines and the JSON, from measured figures only.

Nothing here measures (bench.measure does) or sets a target (bench.targets does): every verdict line is built
from the target definitions and the figures of the run it reports.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import targets
from bench.measure import BASELINE, COMPARED

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
TARGETS_PREFIX = "Targets"  # verdict lines: "Targets, <label>: <title>: met (<reading>); ..."
REFERENCE_PREFIX = "For reference"  # the same, for the targets that are not judged


def judge(results: dict[str, Any]) -> dict[str, Any]:
    """Every target, judged for each compared variant from the run's figures."""
    return {name: targets.judge(results, name) for name in COMPARED}


def calls_made(warm: dict[str, Any]) -> str:
    """Each variant's most common sequence of AWS calls per request, as the warm run recorded it."""
    described = []
    for name in (BASELINE, "handler"):
        made = warm["aws_calls_per_request"][name][0]["calls"]
        described.append(f"{LABELS[name].split(' (')[0].lower()} {len(made)} ({', '.join(made)})")
    return "; ".join(described)


def verdict_lines(judged: dict[str, Any]) -> list[str]:
    """One line per compared variant for the targets, one for the reference readings, from `judge`'s output."""
    lines = []
    for prefix, judged_only in ((TARGETS_PREFIX, True), (REFERENCE_PREFIX, False)):
        for name in COMPARED:
            verdicts = []
            for target in targets.TARGETS:
                if target.judged is not judged_only:
                    continue
                verdict = judged[name][target.key]
                met = "met" if verdict["met"] else "NOT met"
                verdicts.append(f"{target.title}: {met} ({target.describe(verdict['value'])})")
            lines.append(f"{prefix}, {LABELS[name]}: {'; '.join(verdicts)}.")
    return lines


def table(results: dict[str, Any]) -> str:
    cold, warm, info = results["cold_start"], results["warm"], results["machine"]
    size, synth = results["size"], results["synth"]

    def seconds(value: float | None, status: str) -> str:
        return f"{value} s" if value is not None else status

    header = ["Figure", LABELS[BASELINE]]
    for name in COMPARED:
        header += [LABELS[name], "vs baseline"]
    rows = [header, ["---"] + ["---:"] * (len(header) - 1)]
    for (section_name, key), label in ROWS.items():
        section = results[section_name]
        row = [label, f"{section['variants'][BASELINE][key]}"]
        for name in COMPARED:
            versus = f"{section['difference'][name][key]:+.1f} ({section['ratio_to_baseline'][name][key]}x)"
            row += [f"{section['variants'][name][key]}", versus]
        rows.append(row)
    blank = [""] * (len(header) - 3)
    single = {
        ("size", "code_asset_zip_bytes"): ("-", f"{size['code_asset_zip_bytes']}"),
        ("size", "layer_equivalent_installed_bytes"): ("-", f"{size['layer_equivalent_installed_bytes']}"),
        ("synth", "cdk_synth_s"): ("", seconds(synth["cdk_synth_s"], synth["cdk_synth_status"])),
        ("synth", "test_suite_s"): ("", seconds(synth["test_suite_s"], synth["test_suite_status"])),
    }
    rows += [[label, *single[where], *blank] for where, label in SINGLE_ROWS.items()]
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
        *verdict_lines(results["targets"]),
    ]
    return "\n".join(lines)


def write_json(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
