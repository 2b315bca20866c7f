"""`make bench`: cold start, warm overhead, size and synth time of the handler, beside a bare boto3 baseline.

    python -m bench.run [--cold-runs 15] [--warm-requests 2000] [--warm-rounds 4] [--json bench/results.json]
                        [--with-test-suite] [--no-synth] [--lambda-src lambda_src] [--publish]

The command line only: bench.measure measures every figure for every variant in this run, bench.targets holds
the targets and judges them from the figures, bench.report prints the table (and with --publish writes the run
into docs/). docs/performance.md explains the method; nothing here asserts anything about the numbers it prints.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import measure, report, targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--cold-runs", type=int, default=15, help="fresh processes per variant (default 15)")
    parser.add_argument("--warm-requests", type=int, default=2000, help="timed requests per variant (default 2000)")
    parser.add_argument("--warm-rounds", type=int, default=4, help="processes per variant they are split over")
    parser.add_argument("--json", type=Path, default=measure.BENCH / "results.json", help="where to write the figures")
    parser.add_argument("--with-test-suite", action="store_true", help="also time the whole test suite")
    parser.add_argument("--no-synth", action="store_true", help="do not time cdk synth")
    parser.add_argument(
        "--lambda-src",
        type=Path,
        default=measure.LAMBDA_SRC,
        help="the function's code to measure (default: lambda_src; another copy for an A/B trial)",
    )
    parser.add_argument(
        "--publish",
        action="store_true",
        help=f"also write the figures to {report.PUBLISHED_RESULTS.relative_to(measure.ROOT)} and their table into "
        f"{report.PUBLISHED_PAGE.relative_to(measure.ROOT)}",
    )
    args = parser.parse_args(argv)
    if min(args.cold_runs, args.warm_requests, args.warm_rounds) < 1:
        parser.error("--cold-runs, --warm-requests and --warm-rounds must be at least 1")
    if not (args.lambda_src / "liveness_api").is_dir():
        parser.error(f"--lambda-src {args.lambda_src} holds no liveness_api package")

    with tempfile.TemporaryDirectory(prefix="bench-") as temporary:
        workdir = Path(temporary)
        roots = measure.task_roots(workdir, args.lambda_src)
        results: dict[str, Any] = {"machine": measure.machine()}
        results["cold_start"] = measure.measure_cold(args.cold_runs, roots, workdir)
        results["warm"] = measure.measure_warm("emulated", args.warm_requests, args.warm_rounds, roots, workdir)
        results["warm_replayed"] = measure.measure_warm(
            "replayed", args.warm_requests, args.warm_rounds, roots, workdir
        )
        results["size"] = measure.measure_size(args.lambda_src)
        results["synth"] = measure.measure_synth(not args.no_synth, args.with_test_suite, workdir)
    results["targets"] = targets.judge(results)
    report.write_json(results, args.json)
    print(report.table(results))
    print(f"\nFigures written to {args.json}")
    if args.publish:
        report.publish(results)
        print(f"Published to {report.PUBLISHED_RESULTS} and {report.PUBLISHED_PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
