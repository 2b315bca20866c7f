"""`make bench` cannot rot: its script runs end to end with tiny counts. Nothing here looks at a timing value."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import measure, report, run, targets

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
    assert set(cold["variants"]) == set(warm["variants"]) == set(replayed["variants"]) == set(measure.VARIANTS)
    assert set(measure.VARIANTS) == {measure.BASELINE, *measure.COMPARED}
    assert (warm["stand_in"], replayed["stand_in"]) == ("emulated", "replayed")
    assert (warm["requests"], warm["rounds"]) == (replayed["requests"], replayed["rounds"]) == (6, 2)
    for name in measure.VARIANTS:
        # The whole cold start, timed from the parent's side, contains the child's own phases.
        phases = cold["variants"][name]
        assert phases["cold_start_ms"] >= phases["total_ms"] >= phases["import_ms"]
        assert phases["cold_start_ms"] >= phases["startup_ms"] > 0
    for name in measure.COMPARED:
        for phase in measure.COLD_PHASES:
            base, ours = cold["variants"][measure.BASELINE][phase], cold["variants"][name][phase]
            assert cold["difference"][name][phase] == round(ours - base, 1)
            assert cold["ratio_to_baseline"][name][phase] == measure.ratio(ours, base)
        for section in (warm, replayed):
            for figure in measure.WARM_FIGURES:
                base, ours = section["variants"][measure.BASELINE][figure], section["variants"][name][figure]
                assert section["difference"][name][figure] == round(ours - base, 1)
                assert section["ratio_to_baseline"][name][figure] == measure.ratio(ours, base)
        assert set(results["targets"][name]) == {target.key for target in targets.TARGETS}
        assert f"{report.TARGETS_PREFIX}, {report.LABELS[name]}: " in done.stdout
        assert f"{report.REFERENCE_PREFIX}, {report.LABELS[name]}: " in done.stdout
    # The calls are counted as they are made, not written into the report.
    for section in (warm, replayed):
        made = {name: section["aws_calls_per_request"][name] for name in measure.VARIANTS}
        assert made[measure.BASELINE] == [{"calls": ["Rekognition CreateFaceLivenessSession"], "requests": 6}]
        for name in measure.COMPARED:
            assert made[name] == [
                {
                    "calls": ["DynamoDB UpdateItem", "Rekognition CreateFaceLivenessSession", "DynamoDB PutItem"],
                    "requests": 6,
                }
            ]
    assert "handler 3 (DynamoDB UpdateItem, Rekognition CreateFaceLivenessSession, DynamoDB PutItem)" in done.stdout
    assert results["size"]["code_asset_zip_bytes"] > 0
    assert set(results["size"]["layer_equivalent_packages"]) == set(measure.LAYER_EQUIVALENT)
    assert results["synth"]["cdk_synth_status"] == "skipped (--no-synth)"
    assert results["synth"]["test_suite_status"] == "skipped (pass --with-test-suite)"


def test_the_bench_imports_what_lambda_imports() -> None:
    # The handler variants run the module the stack deploys as the function's handler, not a stand-in for it.
    assert measure.VARIANTS["handler"].module == measure.VARIANTS["handler_untraced"].module == "liveness_api.entry"
    assert measure.VARIANTS["handler_untraced"].environment == {"POWERTOOLS_TRACE_DISABLED": "true"}


def test_the_bench_refuses_a_lambda_src_without_the_package(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as refused:
        run.main(["--lambda-src", str(tmp_path)])
    assert refused.value.code == 2
