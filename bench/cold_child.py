"""One cold start: a fresh interpreter imports a variant, then serves its first POST /sessions.

Run by bench.run as `python -P bench/cold_child.py <module> <event.json>` with a Lambda-like environment whose
AWS endpoints point at the parent's loopback stand-in, so this process imports exactly what Lambda would:
nothing of moto, and boto3 only through the variant. Prints one JSON line: phase timings (milliseconds), and the
monotonic clock's readings at this script's first line and at the answer, from which the parent measures the
whole cold start from the moment it started this process.
"""

import time

_START = time.perf_counter()

import importlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402


class _Context:
    """The attributes of Lambda's context object that Powertools reads."""

    function_name = "face-liveness-api-bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:face-liveness-api-bench"
    memory_limit_in_mb = 512
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/face-liveness-api-bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


def main() -> None:
    module_name, event_path = sys.argv[1], sys.argv[2]
    module = importlib.import_module(module_name)
    imported = time.perf_counter()
    with open(event_path) as source:
        event = json.load(source)
    started = time.perf_counter()
    response = module.lambda_handler(event, _Context())
    answered = time.perf_counter()
    print(
        json.dumps(
            {
                "import_ms": (imported - _START) * 1000,
                "first_request_ms": (answered - started) * 1000,
                "total_ms": (imported - _START + answered - started) * 1000,
                # perf_counter is CLOCK_MONOTONIC, one clock for every process on the machine: the parent
                # subtracts the moment it started this process to get start-up and the whole cold start.
                "first_line_at": _START,
                "answered_at": answered,
                "status": response["statusCode"],
            }
        ),
        file=sys.__stdout__,
    )


if __name__ == "__main__":
    main()
