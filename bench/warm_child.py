"""Warm requests: one variant in a process of its own, driven with POST /sessions events in a loop.

Run by bench.run as `python -P bench/warm_child.py <module> <requests> <warmup> <result.json>`. The stand-in is
in-process, as in the integration tests: moto for S3, KMS and DynamoDB, the Face Liveness emulator attached at
the Rekognition client's before-send. Two more before-send hooks on every client the request uses (one first,
one last) measure the time spent inside the stand-ins, so that it can be reported apart from our own time.
Writes per-request nanoseconds (total and inside the stand-ins) to the result file.
"""

import importlib
import json
import os
import sys
import time
import uuid
from typing import Any

import boto3
from moto import mock_aws

from bench.cold_child import _Context
from infra.config import load_cdk_json_config
from liveness_local.embedded_aws import handler_environment, provision
from liveness_local.emulator import MOTO_CONFIG, FaceLivenessEmulator
from liveness_local.events import api_gateway_event


class StandInClock:
    """Nanoseconds spent between the first and the last before-send hook of each AWS call."""

    def __init__(self) -> None:
        self.total_ns = 0
        self._entered = 0

    def enter(self, **_kwargs: Any) -> None:
        self._entered = time.perf_counter_ns()

    def leave(self, **_kwargs: Any) -> None:
        self.total_ns += time.perf_counter_ns() - self._entered

    def watch(self, client: Any) -> None:
        # botocore runs handlers of the most specific event name first: the emulator registers on
        # before-send.rekognition, so the entry hook goes there too, ahead of it (call this before attaching).
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register_first(f"before-send.{service}", self.enter, unique_id="bench-standin-enter")
        client.meta.events.register_last("before-send", self.leave, unique_id="bench-standin-leave")


def _trace_header() -> str:
    # Lambda sets a new one for every invocation; X-Ray's Lambda context starts a new facade segment from it.
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=1"


def main() -> None:
    module_name, requests, warmup, result_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    config = load_cdk_json_config()
    mock = mock_aws(config=MOTO_CONFIG)
    mock.start()
    session = boto3.session.Session(region_name=config.region)
    os.environ.update(handler_environment(config, provision(config, session)))
    module = importlib.import_module(module_name)
    if module_name == "baseline_handler":
        used = [module.rekognition]
    else:
        used = [module.dependencies.rekognition, module.dependencies.dynamodb]
    clock = StandInClock()
    for client in used:
        clock.watch(client)  # before the emulator attaches, so that its time counts as the stand-in's
    FaceLivenessEmulator(session.client("s3"), region=config.region).attach(used[0])

    body = json.dumps({"auditImagesLimit": 2})
    events = [
        (
            api_gateway_event("POST", "/sessions", body=body, headers={"Content-Type": "application/json"}),
            _trace_header(),
        )
        for _ in range(warmup + requests)
    ]
    context = _Context()
    handler = module.lambda_handler
    totals: list[int] = []
    standins: list[int] = []
    statuses: set[int] = set()
    for index, (event, trace_header) in enumerate(events):
        os.environ["_X_AMZN_TRACE_ID"] = trace_header
        standin_before = clock.total_ns
        started = time.perf_counter_ns()
        response = handler(event, context)
        elapsed = time.perf_counter_ns() - started
        statuses.add(response["statusCode"])
        if index >= warmup:
            totals.append(elapsed)
            standins.append(clock.total_ns - standin_before)
    mock.stop()
    with open(result_path, "w") as sink:
        json.dump({"total_ns": totals, "standin_ns": standins, "statuses": sorted(statuses)}, sink)


if __name__ == "__main__":
    main()
