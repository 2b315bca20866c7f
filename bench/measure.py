"""The measuring half of `make bench`: cold start, warm overhead, size, synth time, each variant in the same run.

Every timed figure is measured for the baseline and for each compared variant, through the same stand-ins, and
returned with its difference and ratio to the baseline. Nothing here judges a figure (bench.targets does) or
formats one (bench.report does); docs/performance.md explains the method.
"""

from __future__ import annotations

import collections
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
import time
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

from infra.config import LAMBDA_PYTHON_VERSION, load_cdk_json_config
from liveness_api.contract import LAMBDA_HANDLER
from liveness_local.embedded_aws import handler_environment
from liveness_local.events import CallerIdentity, api_gateway_event

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LAMBDA_SRC = ROOT / "lambda_src"  # the code as deployed; `--lambda-src` measures another copy (an A/B trial)


class Variant(NamedTuple):
    module: str  # what Lambda would import for it
    task_root: str  # which code it runs: the bare baseline, or lambda_src as deployed
    environment: dict[str, str]  # on top of the function's own


BASELINE = "baseline"
# The deployed handler, and the same code with Powertools' Tracer switched off by its documented setting, so that
# the cost of keeping tracing is measured rather than estimated.
VARIANTS: dict[str, Variant] = {
    BASELINE: Variant("baseline_handler", "baseline", {}),
    "handler": Variant(LAMBDA_HANDLER.rpartition(".")[0], "handler", {}),
    "handler_untraced": Variant(LAMBDA_HANDLER.rpartition(".")[0], "handler", {"POWERTOOLS_TRACE_DISABLED": "true"}),
}
COMPARED = [name for name in VARIANTS if name != BASELINE]
LAYER_EQUIVALENT = ("aws-lambda-powertools", "pydantic", "pydantic_core", "aws-xray-sdk")
TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
_CACHES = ("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", ".pytest_cache", ".ruff_cache")
COLD_PHASES = ("cold_start_ms", "startup_ms", "import_ms", "first_request_ms", "total_ms", "wall_ms")
WARM_FIGURES = (
    "median_us",
    "p99_us",
    "standin_median_us",
    "own_median_us",
    "own_p99_us",
    "own_in_sdk_median_us",
    "own_outside_sdk_median_us",
)


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


def task_roots(workdir: Path, lambda_src: Path = LAMBDA_SRC) -> dict[str, Path]:
    """Each variant's code as Lambda would unpack it in /var/task: source only, no bytecode caches. /var/task is
    read-only on Lambda, so Python compiles the function's own modules on every cold start; PYTHONDONTWRITEBYTECODE
    makes the children do the same."""
    handler_root = workdir / "task-handler"
    shutil.copytree(lambda_src, handler_root, ignore=shutil.ignore_patterns(*_CACHES))
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


def post_sessions_event(caller: str) -> dict[str, Any]:
    """A create from `caller`: each cold start is another user's first request, as no caller may hold more than
    a few sessions open at once."""
    body = json.dumps({"auditImagesLimit": 2})
    return api_gateway_event(
        "POST",
        "/sessions",
        body=body,
        headers={"Content-Type": "application/json"},
        identity=CallerIdentity.iam(caller),
    )


# Cold start ---------------------------------------------------------------------------------------------------


# perf_counter clocks that one process can compare with another's: each child's readings are subtracted from the
# parent's moment of starting it.
_SHARED_CLOCKS = ("CLOCK_MONOTONIC", "mach_absolute_time")


def measure_cold(runs: int, roots: dict[str, Path], workdir: Path) -> dict[str, Any]:
    from bench.standin import LoopbackStandIn

    clock = time.get_clock_info("perf_counter").implementation
    if not any(shared in clock for shared in _SHARED_CLOCKS):
        raise RuntimeError(f"perf_counter is {clock}, not a clock shared by processes: cold starts cannot be timed")

    config = load_cdk_json_config()
    standin = LoopbackStandIn(config)
    try:
        function_env = {
            **handler_environment(config, standin.resources),
            "AWS_ENDPOINT_URL_DYNAMODB": standin.endpoint,
            "AWS_ENDPOINT_URL_REKOGNITION": standin.endpoint,
        }
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
        for run in range(runs):
            for name, variant in VARIANTS.items():  # interleaved, so drift on the machine hits every variant alike
                event_path = workdir / f"event-{name}.json"
                event_path.write_text(json.dumps(post_sessions_event(f"bench-cold-{name}-{run}")))
                env = {**lambda_environment(function_env, roots[variant.task_root]), **variant.environment}
                command = [sys.executable, "-P", str(BENCH / "cold_child.py"), variant.module, str(event_path)]
                started = time.perf_counter()
                done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd=workdir)
                wall_ms = (time.perf_counter() - started) * 1000
                lines = [line for line in done.stdout.splitlines() if line.startswith('{"import_ms"')]
                if done.returncode != 0 or not lines:
                    raise RuntimeError(f"cold start of {name} failed:\n{done.stdout}\n{done.stderr}")
                phases = json.loads(lines[-1])
                if phases["status"] != 201:
                    raise RuntimeError(f"cold start of {name} answered {phases['status']}:\n{done.stdout}")
                samples[name].append(
                    {
                        # The targeted figure: from a fresh process to the first response, interpreter start-up
                        # included, as Lambda's init duration includes the runtime's start.
                        "cold_start_ms": (phases["answered_at"] - started) * 1000,
                        "startup_ms": (phases["first_line_at"] - started) * 1000,
                        "wall_ms": wall_ms,
                        **{key: phases[key] for key in ("import_ms", "first_request_ms", "total_ms")},
                    }
                )
    finally:
        standin.stop()
    return summarize_cold(samples)


def summarize_cold(samples: dict[str, list[dict[str, float]]]) -> dict[str, Any]:
    """The cold-start section: each variant's median of every phase over its runs, compared with the baseline."""
    variants = {
        name: {phase: round(median([sample[phase] for sample in taken]), 1) for phase in COLD_PHASES}
        for name, taken in samples.items()
    }
    return {"runs": len(samples[BASELINE]), "variants": variants, **compare(variants, COLD_PHASES)}


def compare(variants: dict[str, dict[str, float]], figures: tuple[str, ...]) -> dict[str, Any]:
    """Each variant against the baseline measured in the same run: the difference and the ratio, per figure."""
    base = variants[BASELINE]
    return {
        "difference": {name: {key: round(variants[name][key] - base[key], 1) for key in figures} for name in COMPARED},
        "ratio_to_baseline": {
            name: {key: ratio(variants[name][key], base[key]) for key in figures} for name in COMPARED
        },
    }


# Warm overhead ------------------------------------------------------------------------------------------------


def warm_round(
    mode: str, name: str, requests: int, warmup: int, roots: dict[str, Path], workdir: Path
) -> dict[str, Any]:
    variant = VARIANTS[name]
    result_path = workdir / f"warm-{name}.json"
    root = roots[variant.task_root]
    env = {**lambda_environment({}, root), **variant.environment, "PYTHONPATH": f"{root}{os.pathsep}{ROOT}"}
    env.pop("PYTHONDONTWRITEBYTECODE")
    command = [sys.executable, "-P", str(BENCH / "warm_child.py"), mode, variant.module, str(requests), str(warmup)]
    done = subprocess.run(
        [*command, str(result_path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        cwd=workdir,
    )
    if done.returncode != 0:
        raise RuntimeError(f"warm run of {name} ({mode}) failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(result_path.read_text())
    if result["statuses"] != [201]:
        raise RuntimeError(f"warm run of {name} ({mode}) answered {result['statuses']}")
    return result


def measure_warm(mode: str, requests: int, rounds: int, roots: dict[str, Path], workdir: Path) -> dict[str, Any]:
    """Each variant serves `requests` in `rounds` processes, the variants taking turns, so that a machine that
    slows down or speeds up during the run weighs on all of them alike; the samples of the rounds are pooled.
    `mode` is the stand-in: "emulated" (moto and the Face Liveness emulator) or "replayed" (canned replies)."""
    rounds = max(1, min(rounds, requests))
    per_round = [requests // rounds + (1 if index < requests % rounds else 0) for index in range(rounds)]
    warmup = max(5, min(100, per_round[0] // 10))
    taken: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
    for count in per_round:
        for name in VARIANTS:
            taken[name].append(warm_round(mode, name, count, warmup, roots, workdir))
    return {
        "stand_in": mode,
        "requests": requests,
        "rounds": rounds,
        "warmup_requests_per_round": warmup,
        **summarize_warm(taken),
    }


def summarize_warm(taken: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Each variant's figures over the pooled samples of its rounds (per request: `total_ns`, `standin_ns` and
    `sdk_ns`, and the `calls` it made), compared with the baseline."""
    variants: dict[str, dict[str, float]] = {}
    calls: dict[str, collections.Counter[tuple[str, ...]]] = {}
    for name, rounds in taken.items():
        total_us = [ns / 1000 for result in rounds for ns in result["total_ns"]]
        standin_us = [ns / 1000 for result in rounds for ns in result["standin_ns"]]
        sdk_us = [ns / 1000 for result in rounds for ns in result["sdk_ns"]]
        own_us = [total - standin for total, standin in zip(total_us, standin_us, strict=True)]
        variants[name] = {
            "median_us": round(median(total_us), 1),
            "p99_us": round(p99(total_us), 1),
            "standin_median_us": round(median(standin_us), 1),
            "own_median_us": round(median(own_us), 1),
            "own_p99_us": round(p99(own_us), 1),
            # Our time split in two: botocore's work (and X-Ray's, around each call) for the AWS calls we make,
            # and everything else (routing, validation, logging, metrics, the domain).
            "own_in_sdk_median_us": round(
                median([sdk - standin for sdk, standin in zip(sdk_us, standin_us, strict=True)]), 1
            ),
            "own_outside_sdk_median_us": round(
                median([total - sdk for total, sdk in zip(total_us, sdk_us, strict=True)]), 1
            ),
        }
        calls[name] = collections.Counter(tuple(made) for result in rounds for made in result["calls"])
    return {
        "variants": variants,
        **compare(variants, WARM_FIGURES),
        # What each variant's requests actually called, most common sequence first (all of them alike, normally).
        "aws_calls_per_request": {
            name: [{"calls": list(made), "requests": count} for made, count in counted.most_common()]
            for name, counted in calls.items()
        },
    }


# Size --------------------------------------------------------------------------------------------------------


def code_asset_bytes(lambda_src: Path = LAMBDA_SRC) -> int:
    """lambda_src zipped as Code.from_asset packages it (deflate), without bytecode or tool caches."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(lambda_src.rglob("*")):
            relative = path.relative_to(lambda_src)
            if path.is_file() and not any(
                relative.match(pattern) or part in _CACHES for part in relative.parts for pattern in _CACHES
            ):
                archive.write(path, relative.as_posix())
    return len(buffer.getvalue())


def installed_bytes(distribution: str) -> int:
    files = importlib.metadata.distribution(distribution).files or []
    return sum(located.stat().st_size for file in files if (located := Path(str(file.locate()))).is_file())


def measure_size(lambda_src: Path = LAMBDA_SRC) -> dict[str, Any]:
    packages = {name: installed_bytes(name) for name in LAYER_EQUIVALENT}
    return {
        "code_asset_zip_bytes": code_asset_bytes(lambda_src),
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


# The machine ------------------------------------------------------------------------------------------------


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
