"""`make bench` cannot rot: its script runs end to end with tiny counts. Nothing here looks at a timing value."""

import json
import subprocess
import sys
from pathlib import Path

from bench import run

REPO = Path(__file__).parents[2]


def test_bench_writes_every_figure_for_every_variant(tmp_path: Path) -> None:
    output = tmp_path / "results.json"

    # A process of its own: the bench starts its own embedded AWS, which must not meet this worker's.
    command = [sys.executable, "-m", "bench.run", "--cold-runs", "1", "--warm-requests", "6", "--warm-rounds", "2"]
    done = subprocess.run(
        [*command, "--no-synth", "--json", str(output)],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=180,
        text=True,
    )

    results = json.loads(output.read_text())
    cold, warm, replayed = results["cold_start"], results["warm"], results["warm_replayed"]
    assert set(cold["variants"]) == set(warm["variants"]) == set(replayed["variants"]) == set(run.VARIANTS)
    assert set(run.VARIANTS) == {run.BASELINE, *run.COMPARED}
    assert (warm["stand_in"], replayed["stand_in"]) == ("emulated", "replayed")
    assert (warm["requests"], warm["rounds"]) == (replayed["requests"], replayed["rounds"]) == (6, 2)
    for name in run.VARIANTS:
        # The whole cold start, timed from the parent's side, contains the child's own phases.
        phases = cold["variants"][name]
        assert phases["cold_start_ms"] >= phases["total_ms"] >= phases["import_ms"]
        assert phases["cold_start_ms"] >= phases["startup_ms"] > 0
    for name in run.COMPARED:
        for phase in run.COLD_PHASES:
            base, ours = cold["variants"][run.BASELINE][phase], cold["variants"][name][phase]
            assert cold["difference"][name][phase] == round(ours - base, 1)
            assert cold["ratio_to_baseline"][name][phase] == run.ratio(ours, base)
        for section in (warm, replayed):
            for figure in run.WARM_FIGURES:
                base, ours = section["variants"][run.BASELINE][figure], section["variants"][name][figure]
                assert section["difference"][name][figure] == round(ours - base, 1)
                assert section["ratio_to_baseline"][name][figure] == run.ratio(ours, base)
        assert set(results["targets"][name]) == {
            "cold_start_ratio_le_1_5",
            "warm_overhead_median_le_1000_us",
            "warm_own_overhead_median_le_1000_us",
            "warm_replayed_overhead_median_le_1000_us",
            "code_asset_lt_100_kb",
        }
        assert f"Targets, {run.LABELS[name]}:" in done.stdout
    # The calls are counted as they are made, not written into the report.
    for section in (warm, replayed):
        made = {name: section["aws_calls_per_request"][name] for name in run.VARIANTS}
        assert made[run.BASELINE] == [{"calls": ["Rekognition CreateFaceLivenessSession"], "requests": 6}]
        for name in run.COMPARED:
            assert made[name] == [
                {
                    "calls": ["DynamoDB GetItem", "Rekognition CreateFaceLivenessSession", "DynamoDB PutItem"],
                    "requests": 6,
                }
            ]
    assert "handler 3 (DynamoDB GetItem, Rekognition CreateFaceLivenessSession, DynamoDB PutItem)" in done.stdout
    assert results["size"]["code_asset_zip_bytes"] > 0
    assert set(results["size"]["layer_equivalent_packages"]) == set(run.LAYER_EQUIVALENT)
    assert results["synth"]["cdk_synth_status"] == "skipped (--no-synth)"
    assert results["synth"]["test_suite_status"] == "skipped (pass --with-test-suite)"


def test_the_bench_imports_what_lambda_imports() -> None:
    # The handler variants run the module the stack deploys as the function's handler, not a stand-in for it.
    assert run.VARIANTS["handler"].module == run.VARIANTS["handler_untraced"].module == "liveness_api.entry"
    assert run.VARIANTS["handler_untraced"].environment == {"POWERTOOLS_TRACE_DISABLED": "true"}
