"""Warm requests: one variant in a process of its own, driven with POST /sessions events in a loop.

Run by bench.run as `python -P bench/warm_child.py <mode> <module> <requests> <warmup> <result.json>`. The
stand-ins are in-process. Mode `emulated`, as in the integration tests: moto for S3, KMS and DynamoDB, the Face
Liveness emulator attached at the Rekognition client's before-send. Mode `replayed`: canned happy-path replies
(Replayer), so that nothing but the variant's own code runs in the process.

Two more before-send hooks on every client the request uses (one first, one last) measure the time spent inside
the stand-ins, so that it can be reported apart from our own time, and a timer around each client's API calls
measures the time spent in the AWS SDK. Writes per-request nanoseconds (total, inside the stand-ins, inside SDK
calls) and the AWS operations each request called to the result file.
"""

import gc
import importlib
import json
import os
import sys
import time
import uuid
import zlib
from collections.abc import Callable
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from moto import mock_aws

from bench.cold_child import _Context
from infra.config import load_cdk_json_config
from liveness_local.embedded_aws import LocalResources, handler_environment, provision
from liveness_local.emulator import MOTO_CONFIG, FaceLivenessEmulator
from liveness_local.events import CallerIdentity, api_gateway_event
from liveness_local.wire import RawBody


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


class SdkClock:
    """Nanoseconds spent inside the AWS SDK calls the variant makes, X-Ray's subsegment around each included.

    Wraps the client instance's `_make_api_call`, which is what every operation method calls. The instance
    attribute shadows the class's method, which X-Ray's botocore patch has already wrapped: so the timer sits
    outside the patch, and a call's subsegment counts as SDK time."""

    def __init__(self) -> None:
        self.total_ns = 0
        self.operations: list[str] = []  # every call, in order

    def watch(self, client: Any) -> None:
        make_api_call = client._make_api_call
        service = client.meta.service_model.service_id

        def timed(operation_name: str, api_params: dict[str, Any]) -> Any:
            self.operations.append(f"{service} {operation_name}")
            started = time.perf_counter_ns()
            try:
                return make_api_call(operation_name, api_params)
            finally:
                self.total_ns += time.perf_counter_ns() - started

        client._make_api_call = timed


def _trace_header() -> str:
    # Lambda sets a new one for every invocation; X-Ray's Lambda context starts a new facade segment from it.
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=1"


class Replayer:
    """The other stand-in: every AWS call answered at before-send with the reply AWS gives on the happy path
    (a new SessionId; the caller's window for this minute open, no cool-down; the write accepted), built in
    microseconds. With no stand-in work between them, the variants' own code runs as it would between network
    waits, which is what this mode measures."""

    _CONTENT_TYPES = {"dynamodb": "application/x-amz-json-1.0", "rekognition": "application/x-amz-json-1.1"}

    def attach(self, client: Any) -> None:
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"before-send.{service}", self._reply, unique_id=f"bench-replay-{service}")

    def _reply(self, request: Any, **_kwargs: Any) -> AWSResponse:
        operation = request.headers["X-Amz-Target"].decode().rpartition(".")[2]
        body = json.dumps(self._happy_reply(operation, json.loads(request.body or b"{}"))).encode()
        service = "rekognition" if operation == "CreateFaceLivenessSession" else "dynamodb"
        headers = {
            "Content-Type": self._CONTENT_TYPES[service],
            "x-amzn-RequestId": str(uuid.uuid4()),
            "x-amz-crc32": str(zlib.crc32(body)),  # DynamoDB sends it and botocore checks it
        }
        return AWSResponse(request.url, 200, headers, RawBody(body))

    @staticmethod
    def _happy_reply(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation == "CreateFaceLivenessSession":
            return {"SessionId": str(uuid.uuid4())}
        if operation == "UpdateItem" and params.get("ReturnValues") == "ALL_NEW":
            # A counted request: the caller item as the update leaves it, this the only request so far; an
            # open-session slot taken: the item with it.
            names = params.get("ExpressionAttributeNames", {})
            if "#count" not in names:
                return {"Attributes": {**params["Key"]}}
            return {"Attributes": {**params["Key"], names["#count"]: {"N": "1"}}}
        return {}


Watch = Callable[[Any], None]
# The clients a POST /sessions uses; S3 (erasure) and Secrets Manager (guest mode) are not on this path.
WATCHED_SERVICES = ("rekognition", "dynamodb")


class WatchedClients:
    """The handler's client factory for the bench: botocore's own clients, each handed to `watch` as it is made,
    so that the timers and the stand-ins sit on exactly the clients the function uses."""

    def __init__(self, watch: Watch) -> None:
        # Imported here, so that the baseline's process never loads the handler's package.
        from liveness_api.dependencies import BotocoreClients

        self._make = BotocoreClients()
        self._watch = watch

    def __call__(self, service: str, *, region: str, config: Config) -> Any:
        client = self._make(service, region=region, config=config)
        if service in WATCHED_SERVICES:
            self._watch(client)
        return client


def build_variant(module_name: str, watch: Watch) -> Any:
    """The variant's Lambda handler, with `watch` called on each client its requests use: the only place that
    knows how each variant makes its clients. The handler is built as entry.py builds it, through the factory."""
    if module_name == "baseline_handler":
        module = importlib.import_module(module_name)
        watch(module.rekognition)
        return module.lambda_handler
    from liveness_api.dependencies import build_dependencies
    from liveness_api.handler import create_app, lambda_handler_for
    from liveness_api.settings import Settings

    return lambda_handler_for(create_app(build_dependencies(Settings.from_environ(), WatchedClients(watch))))


def main() -> None:
    mode, module_name, requests, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    result_path = sys.argv[5]
    config = load_cdk_json_config()
    mock = mock_aws(config=MOTO_CONFIG)
    session = boto3.session.Session(region_name=config.region)
    if mode == "emulated":
        mock.start()
        resources = provision(config, session)
    else:
        resources = LocalResources(
            config.region, "bench-images", f"arn:aws:kms:{config.region}:123456789012:key/bench", "bench"
        )
    os.environ.update(handler_environment(config, resources))
    # The stand-in's own heap (moto, the emulator) does not exist on Lambda: keep it out of the collector's
    # walks for both variants alike, so neither pays for it on every collection.
    gc.collect()
    gc.freeze()
    clock, sdk = StandInClock(), SdkClock()
    emulator = FaceLivenessEmulator(session.client("s3"), region=config.region) if mode == "emulated" else None
    replayer = Replayer()

    def watch(client: Any) -> None:
        clock.watch(client)  # before a stand-in attaches, so that its time counts as the stand-in's
        sdk.watch(client)
        if emulator is None:
            replayer.attach(client)
        elif client.meta.service_model.service_name == "rekognition":
            emulator.attach(client)

    handler = build_variant(module_name, watch)
    # As entry.py does after init: what the handler built lives as long as the container.
    gc.freeze()

    body = json.dumps({"auditImagesLimit": 2})
    events = [
        (
            # Each request from another caller, as from many users: one caller's thousands of creates a minute
            # would be refused by the per-caller limit.
            api_gateway_event(
                "POST",
                "/sessions",
                body=body,
                headers={"Content-Type": "application/json"},
                identity=CallerIdentity.iam(f"bench-user-{index}"),
            ),
            _trace_header(),
        )
        for index in range(warmup + requests)
    ]
    context = _Context()
    totals: list[int] = []
    standins: list[int] = []
    in_sdk: list[int] = []
    calls: list[list[str]] = []
    statuses: set[int] = set()
    for index, (event, trace_header) in enumerate(events):
        os.environ["_X_AMZN_TRACE_ID"] = trace_header
        standin_before, sdk_before, calls_before = clock.total_ns, sdk.total_ns, len(sdk.operations)
        started = time.perf_counter_ns()
        response = handler(event, context)
        elapsed = time.perf_counter_ns() - started
        statuses.add(response["statusCode"])
        if index >= warmup:
            totals.append(elapsed)
            standins.append(clock.total_ns - standin_before)
            in_sdk.append(sdk.total_ns - sdk_before)
            calls.append(sdk.operations[calls_before:])
    if mode == "emulated":
        mock.stop()
    with open(result_path, "w") as sink:
        json.dump(
            {
                "total_ns": totals,
                "standin_ns": standins,
                "sdk_ns": in_sdk,
                "calls": calls,
                "statuses": sorted(statuses),
            },
            sink,
        )


if __name__ == "__main__":
    main()
