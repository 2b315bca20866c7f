"""`make bench`: cold start, warm overhead, size and synth time of the handler, beside a bare boto3 baseline.

    python -m bench.run [--cold-runs 15] [--warm-requests 2000] [--json bench/results.json] [--with-test-suite]

Every timed figure is measured in this run for both variants, through the same stand-ins, and printed with its
ratio to the baseline. docs/performance.md explains the method; this module is not a test and asserts nothing
about the numbers it prints.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from infra.config import LAMBDA_PYTHON_VERSION, load_cdk_json_config
from liveness_local.embedded_aws import handler_environment
from liveness_local.events import api_gateway_event

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LAMBDA_SRC = ROOT / "lambda_src"
# What the bench calls each variant, and the module Lambda would import for it.
VARIANTS = {"baseline": "baseline_handler", "handler": "liveness_api.handler"}
LAYER_EQUIVALENT = ("aws-lambda-powertools", "pydantic", "pydantic_core", "aws-xray-sdk")
TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
_CACHES = ("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", ".pytest_cache", ".ruff_cache")


# Figures ---------------------------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def p99(values: list[float]) -> float:
    """Nearest-rank 99th percentile."""
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)])


def ratio(value: float, baseline: float) -> float | None:
    return round(value / baseline, 3) if baseline > 0 else None


# The simulated Lambda environment ----------------------------------------------------------------------------


def task_roots(workdir: Path) -> dict[str, Path]:
    """Each variant's code as Lambda would unpack it in /var/task: source only, no bytecode caches. /var/task is
    read-only on Lambda, so Python compiles the function's own modules on every cold start; PYTHONDONTWRITEBYTECODE
    makes the children do the same."""
    handler_root = workdir / "task-handler"
    shutil.copytree(LAMBDA_SRC, handler_root, ignore=shutil.ignore_patterns(*_CACHES))
    baseline_root = workdir / "task-baseline"
    baseline_root.mkdir()
    shutil.copy2(BENCH / "baseline_handler.py", baseline_root / "baseline_handler.py")
    return {"handler": handler_root, "baseline": baseline_root}


def lambda_environment(function_env: dict[str, str], task_root: Path) -> dict[str, str]:
    """What Lambda's Python runtime sets, plus the function's own environment. LAMBDA_TASK_ROOT matters: with it
    the X-Ray SDK takes its Lambda path (facade segment, local sampler) instead of building sampling clients."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(ROOT)),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(task_root),
        "PYTHONPATH": str(task_root),
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_LAMBDA_FUNCTION_NAME": "face-liveness-api-bench",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/face-liveness-api-bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{LAMBDA_PYTHON_VERSION}",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",  # nothing listens: UDP datagrams are dropped harmlessly
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
        "_X_AMZN_TRACE_ID": TRACE_HEADER,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        **function_env,
    }


def post_sessions_event() -> dict[str, Any]:
    body = json.dumps({"auditImagesLimit": 2})
    return api_gateway_event("POST", "/sessions", body=body, headers={"Content-Type": "application/json"})


# Cold start ---------------------------------------------------------------------------------------------------


def measure_cold(runs: int, roots: dict[str, Path], workdir: Path) -> dict[str, Any]:
    from bench.standin import LoopbackStandIn

    config = load_cdk_json_config()
    standin = LoopbackStandIn(config)
    try:
        function_env = {
            **handler_environment(config, standin.resources),
            "AWS_ENDPOINT_URL_DYNAMODB": standin.endpoint,
            "AWS_ENDPOINT_URL_REKOGNITION": standin.endpoint,
        }
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
        for _ in range(runs):
            for name, module in VARIANTS.items():  # interleaved, so drift on the machine hits both alike
                event_path = workdir / f"event-{name}.json"
                event_path.write_text(json.dumps(post_sessions_event()))  # a new requestId: a new session
                env = lambda_environment(function_env, roots[name])
                command = [sys.executable, "-P", str(BENCH / "cold_child.py"), module, str(event_path)]
                started = time.perf_counter()
                done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd=workdir)
                wall_ms = (time.perf_counter() - started) * 1000
                lines = [line for line in done.stdout.splitlines() if line.startswith('{"import_ms"')]
                if done.returncode != 0 or not lines:
                    raise RuntimeError(f"cold start of {name} failed:\n{done.stdout}\n{done.stderr}")
                phases = json.loads(lines[-1])
                if phases["status"] != 201:
                    raise RuntimeError(f"cold start of {name} answered {phases['status']}:\n{done.stdout}")
                samples[name].append({"wall_ms": wall_ms, **{k: phases[k] for k in phases if k.endswith("_ms")}})
    finally:
        standin.stop()
    figures: dict[str, Any] = {"runs": runs, "variants": {}, "ratio_to_baseline": {}}
    for name, runs_of_variant in samples.items():
        figures["variants"][name] = {
            phase: round(median([sample[phase] for sample in runs_of_variant]), 1)
            for phase in ("import_ms", "first_request_ms", "total_ms", "wall_ms")
        }
    base, ours = figures["variants"]["baseline"], figures["variants"]["handler"]
    figures["ratio_to_baseline"] = {phase: ratio(ours[phase], base[phase]) for phase in base}
    figures["dynamodb_calls_in_first_request"] = {"baseline": 0, "handler": 2}
    return figures


# Warm overhead ------------------------------------------------------------------------------------------------


def measure_warm(requests: int, roots: dict[str, Path], workdir: Path) -> dict[str, Any]:
    warmup = max(5, min(100, requests // 10))
    figures: dict[str, Any] = {"requests": requests, "warmup_requests": warmup, "variants": {}}
    for name, module in VARIANTS.items():
        result_path = workdir / f"warm-{name}.json"
        env = lambda_environment({}, roots[name])
        env["PYTHONPATH"] = f"{roots[name]}{os.pathsep}{ROOT}"
        env.pop("PYTHONDONTWRITEBYTECODE")
        command = [
            sys.executable,
            "-P",
            str(BENCH / "warm_child.py"),
            module,
            str(requests),
            str(warmup),
            str(result_path),
        ]
        done = subprocess.run(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False, cwd=workdir
        )
        if done.returncode != 0:
            raise RuntimeError(f"warm run of {name} failed:\n{done.stderr}")
        result = json.loads(result_path.read_text())
        if result["statuses"] != [201]:
            raise RuntimeError(f"warm run of {name} answered {result['statuses']}")
        totals = [ns / 1000 for ns in result["total_ns"]]
        own = [
            (total - standin) / 1000 for total, standin in zip(result["total_ns"], result["standin_ns"], strict=True)
        ]
        figures["variants"][name] = {
            "median_us": round(median(totals), 1),
            "p99_us": round(p99(totals), 1),
            "standin_median_us": round(median([ns / 1000 for ns in result["standin_ns"]]), 1),
            "own_median_us": round(median(own), 1),
            "own_p99_us": round(p99(own), 1),
        }
    base, ours = figures["variants"]["baseline"], figures["variants"]["handler"]
    figures["difference_us"] = {key: round(ours[key] - base[key], 1) for key in base}
    figures["ratio_to_baseline"] = {key: ratio(ours[key], base[key]) for key in base}
    figures["aws_calls_per_request"] = {"baseline": 1, "handler": 3}
    return figures


# Size --------------------------------------------------------------------------------------------------------


def code_asset_bytes() -> int:
    """lambda_src zipped as Code.from_asset packages it (deflate), without bytecode or tool caches."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(LAMBDA_SRC.rglob("*")):
            relative = path.relative_to(LAMBDA_SRC)
            if path.is_file() and not any(
                relative.match(pattern) or part in _CACHES for part in relative.parts for pattern in _CACHES
            ):
                archive.write(path, relative.as_posix())
    return len(buffer.getvalue())


def installed_bytes(distribution: str) -> int:
    files = importlib.metadata.distribution(distribution).files or []
    return sum(located.stat().st_size for file in files if (located := Path(str(file.locate()))).is_file())


def measure_size() -> dict[str, Any]:
    packages = {name: installed_bytes(name) for name in LAYER_EQUIVALENT}
    return {
        "code_asset_zip_bytes": code_asset_bytes(),
        "layer_equivalent_installed_bytes": sum(packages.values()),
        "layer_equivalent_packages": packages,
        "layer_note": "AWS-published Powertools layer; its equivalent content measured as pip-installed size",
    }


# Synth and the test suite ------------------------------------------------------------------------------------


def timed_command(command: list[str], timeout: int) -> tuple[float | None, str]:
    env = {
        **os.environ,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_DISABLE_VERSION_CHECK": "true",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"not measured: {type(error).__name__}: {error}"
    elapsed = round(time.perf_counter() - started, 1)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        return None, f"not measured: exit {done.returncode}: {tail[0][:200]}"
    return elapsed, "measured"


def measure_synth(run_synth: bool, with_test_suite: bool, workdir: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    if run_synth:
        command = ["npx", "--no-install", "cdk", "synth", "--quiet", "--output", str(workdir / "cdk.out")]
        figures["cdk_synth_s"], figures["cdk_synth_status"] = timed_command(command, timeout=600)
    else:
        figures["cdk_synth_s"], figures["cdk_synth_status"] = None, "skipped (--no-synth)"
    if with_test_suite:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadfile"]
        figures["test_suite_s"], figures["test_suite_status"] = timed_command(command, timeout=1800)
    else:
        figures["test_suite_s"], figures["test_suite_status"] = None, "skipped (pass --with-test-suite)"
    return figures


# Report ------------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "lambda_python": LAMBDA_PYTHON_VERSION,
        "platform": platform.platform(),
    }


def targets(results: dict[str, Any]) -> dict[str, Any]:
    cold = results["cold_start"]["ratio_to_baseline"]["total_ms"]
    warm = results["warm"]["difference_us"]
    size = results["size"]["code_asset_zip_bytes"]
    return {
        "cold_start_ratio_le_1_5": {"value": cold, "met": cold is not None and cold <= 1.5},
        "warm_overhead_median_le_1000_us": {"value": warm["median_us"], "met": warm["median_us"] <= 1000},
        "warm_own_overhead_median_le_1000_us": {"value": warm["own_median_us"], "met": warm["own_median_us"] <= 1000},
        "code_asset_lt_100_kb": {"value": size, "met": size < 100 * 1024},
    }


def table(results: dict[str, Any]) -> str:
    cold, warm = results["cold_start"], results["warm"]
    size, synth, info = results["size"], results["synth"], results["machine"]
    cb, ch, cr = cold["variants"]["baseline"], cold["variants"]["handler"], cold["ratio_to_baseline"]
    wb, wh, wd, wr = (
        warm["variants"]["baseline"],
        warm["variants"]["handler"],
        warm["difference_us"],
        warm["ratio_to_baseline"],
    )

    def seconds(value: float | None, status: str) -> str:
        return f"{value} s" if value is not None else status

    rows = [
        ("Figure", "Baseline (bare boto3)", "Handler", "Difference", "Ratio"),
        ("---", "---:", "---:", "---:", "---:"),
    ]
    for label, key in (
        ("Cold start: import + first request (ms, median)", "total_ms"),
        ("  import phase (ms)", "import_ms"),
        ("  first POST /sessions (ms)", "first_request_ms"),
        ("  parent-observed process wall time (ms)", "wall_ms"),
    ):
        rows.append((label, f"{cb[key]}", f"{ch[key]}", f"{ch[key] - cb[key]:+.1f}", f"{cr[key]}x"))
    for label, key in (
        ("Warm request (us, median)", "median_us"),
        ("Warm request (us, p99)", "p99_us"),
        ("  of which inside the stand-ins (us, median)", "standin_median_us"),
        ("  own time, stand-ins excluded (us, median)", "own_median_us"),
        ("  own time, stand-ins excluded (us, p99)", "own_p99_us"),
    ):
        rows.append((label, f"{wb[key]}", f"{wh[key]}", f"{wd[key]:+.1f}", f"{wr[key]}x"))
    rows += [
        ("Code asset, zipped (bytes)", "-", f"{size['code_asset_zip_bytes']}", "", ""),
        ("Layer equivalent, pip-installed (bytes)", "-", f"{size['layer_equivalent_installed_bytes']}", "", ""),
        ("cdk synth --quiet (wall)", "", seconds(synth["cdk_synth_s"], synth["cdk_synth_status"]), "", ""),
        ("Test suite (wall)", "", seconds(synth["test_suite_s"], synth["test_suite_status"]), "", ""),
    ]
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    met = ", ".join(f"{name}: {'met' if target['met'] else 'NOT met'}" for name, target in results["targets"].items())
    lines += [
        "",
        f"Cold start: {cold['runs']} fresh processes per variant, interleaved. Warm: {warm['requests']} requests per "
        f"variant after {warm['warmup_requests']} warm-up requests. AWS calls per POST /sessions: baseline 1 "
        "(Rekognition), handler 3 (DynamoDB GetItem, Rekognition, DynamoDB PutItem).",
        f"Machine: {info['cpus']} CPUs, {info['cpu_model']}, Python {info['python']} (Lambda runs "
        f"{info['lambda_python']}), {info['platform']}.",
        f"Targets: {met}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--cold-runs", type=int, default=15, help="fresh processes per variant (default 15)")
    parser.add_argument("--warm-requests", type=int, default=2000, help="timed requests per variant (default 2000)")
    parser.add_argument("--json", type=Path, default=BENCH / "results.json", help="where to write the figures")
    parser.add_argument("--with-test-suite", action="store_true", help="also time the whole test suite")
    parser.add_argument("--no-synth", action="store_true", help="do not time cdk synth (used by the smoke test)")
    args = parser.parse_args(argv)
    if args.cold_runs < 1 or args.warm_requests < 1:
        parser.error("--cold-runs and --warm-requests must be at least 1")

    with tempfile.TemporaryDirectory(prefix="bench-") as temporary:
        workdir = Path(temporary)
        roots = task_roots(workdir)
        results: dict[str, Any] = {"machine": machine()}
        results["cold_start"] = measure_cold(args.cold_runs, roots, workdir)
        results["warm"] = measure_warm(args.warm_requests, roots, workdir)
        results["size"] = measure_size()
        results["synth"] = measure_synth(not args.no_synth, args.with_test_suite, workdir)
    results["targets"] = targets(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nFigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
