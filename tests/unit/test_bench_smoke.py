"""`make bench` cannot rot: its script runs end to end with tiny counts. Nothing here looks at a timing value."""

import json
import subprocess
import sys
from pathlib import Path

from bench import run

REPO = Path(__file__).parents[2]


def test_bench_writes_every_figure_for_both_variants(tmp_path: Path) -> None:
    output = tmp_path / "results.json"

    # A process of its own: the bench starts its own embedded AWS, which must not meet this worker's.
    command = [sys.executable, "-m", "bench.run", "--cold-runs", "1", "--warm-requests", "5", "--no-synth"]
    subprocess.run([*command, "--json", str(output)], cwd=REPO, check=True, capture_output=True, timeout=120)

    results = json.loads(output.read_text())
    cold, warm = results["cold_start"], results["warm"]
    for phase in ("import_ms", "first_request_ms", "total_ms", "wall_ms"):
        base, ours = cold["variants"]["baseline"][phase], cold["variants"]["handler"][phase]
        assert cold["ratio_to_baseline"][phase] == run.ratio(ours, base)
    for figure in ("median_us", "p99_us", "standin_median_us", "own_median_us", "own_p99_us"):
        base, ours = warm["variants"]["baseline"][figure], warm["variants"]["handler"][figure]
        assert warm["difference_us"][figure] == round(ours - base, 1)
        assert warm["ratio_to_baseline"][figure] == run.ratio(ours, base)
    assert results["size"]["code_asset_zip_bytes"] > 0
    assert set(results["size"]["layer_equivalent_packages"]) == set(run.LAYER_EQUIVALENT)
    assert results["synth"]["cdk_synth_status"] == "skipped (--no-synth)"
    assert results["synth"]["test_suite_status"] == "skipped (pass --with-test-suite)"
    assert set(results["targets"]) == {
        "cold_start_ratio_le_1_5",
        "warm_overhead_median_le_1000_us",
        "warm_own_overhead_median_le_1000_us",
        "code_asset_lt_100_kb",
    }
