"""The deployed backend's twin in one process: moto for S3, KMS, DynamoDB and Secrets Manager, the Rekognition
emulator (Face Liveness and face matching, with the stack's collection) behind the function's own Rekognition
client, and the function itself, built by the runtime's own factories (`build_dependencies`, `create_app`,
`lambda_handler_for`) from the twin's clients and clock.

The twin's clients are botocore's own, as the function makes them (`LocalClients`), with the dependency faults and
the emulator attached to each as it is made: botocore's retries, error parsing and timeouts all run unchanged.
"""

from __future__ import annotations

import functools
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, cast

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsContext
from botocore.config import Config
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from infra.config import StackConfig
from liveness_api.dependencies import BotocoreClients, Dependencies, build_dependencies, client_config
from liveness_api.handler import create_app, lambda_handler_for
from liveness_api.identity import CallerMode
from liveness_api.settings import Settings
from liveness_local.embedded_aws import (
    FAKE_CREDENTIALS,
    LocalResources,
    function_settings,
    handler_environment,
    provision,
    provision_collection,
)
from liveness_local.emulator import MOTO_CONFIG, FaceLivenessEmulator
from liveness_local.faults import DependencyFaults
from liveness_local.uploads import S3PostObject, UploadEndpoint
from liveness_local.wire import was_answered_by_a_fault

FUNCTION_NAME = "face-liveness-api-local"


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that Powertools reads."""

    function_name: str = FUNCTION_NAME
    function_version: str = "$LATEST"
    invoked_function_arn: str = f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION_NAME}"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = f"/aws/lambda/{FUNCTION_NAME}"
    log_stream_name: str = "local"
    timeout_ms: int = 15_000

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_ms


class Clock:
    """Real time by default; tests move it forward to cross the 3-minute session lifetime."""

    def __init__(self) -> None:
        self._offset_seconds = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            offset = self._offset_seconds
        return datetime.fromtimestamp(datetime.now(UTC).timestamp() + offset, UTC)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset_seconds += seconds


_moto_lock = threading.Lock()


def _serialize_moto_requests() -> None:
    """Process one moto request at a time. DynamoDB applies each conditional or atomic update as one step;
    moto does not, so two threads could both pass the same condition. Serializing restores the service's
    per-request atomicity for the threaded local server and the concurrency tests.

    A request that an injected fault already answered never reaches moto: botocore calls every `before-send`
    handler, and moto would otherwise apply the write that the fault says failed."""
    if getattr(BotocoreStubber.process_request, "_serialized", False):
        return
    unlocked = BotocoreStubber.process_request

    @functools.wraps(unlocked)
    def process_request(self: BotocoreStubber, request: Any) -> Any:
        if was_answered_by_a_fault(request):
            return None
        with _moto_lock:
            return unlocked(self, request)

    process_request._serialized = True  # type: ignore[attr-defined]
    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]


# Powertools keeps the current event on its resolver class (`BaseRouter.current_event`), shared by every resolver
# in the process, and Lambda gives an environment one event at a time: so does the twin, whichever of its
# functions serves the event. Concurrent requests queue here, as they would for one environment; the domain
# underneath has no such state, and the tests race it directly where a race matters.
_ONE_EVENT_AT_A_TIME: Final = threading.Lock()
# The services whose faults `DependencyFaults` injects.
FAULTED_SERVICES: Final = ("dynamodb", "rekognition", "s3")


class LocalClients:
    """The twin's client factory (`dependencies.ClientFactory`): the function's own botocore clients, each with
    the dependency faults and, for Rekognition, the emulator attached as it is made. One client per service, as
    the function makes them, so a test can drive the very client the function uses."""

    def __init__(self, faults: DependencyFaults, emulator: FaceLivenessEmulator) -> None:
        self._faults = faults
        self._emulator = emulator
        self._botocore = BotocoreClients()
        self._made: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str, *, region: str, config: Config) -> Any:
        with self._lock:
            if service not in self._made:
                client = self._botocore(service, region=region, config=config)
                # Faults first: botocore runs `before-send` handlers in the order they were registered, and the
                # emulator leaves alone a request a fault answered.
                if service in FAULTED_SERVICES:
                    self._faults.attach(client)
                if service == "rekognition":
                    self._emulator.attach(client)
                self._made[service] = client
            return self._made[service]


class LocalFunction:
    """One deployment of the function: its dependencies and app, built from `settings` as `entry.py` builds them
    in Lambda, serving one event at a time."""

    def __init__(
        self,
        settings: Settings,
        clients: LocalClients,
        clock: Callable[[], datetime],
        upload_endpoint: str | None = None,
    ) -> None:
        self._clients = clients
        self.dependencies: Dependencies = build_dependencies(
            settings, clients, clock=clock, upload_endpoint=upload_endpoint
        )
        self.app = create_app(self.dependencies)
        self._handler = lambda_handler_for(self.app)

    @property
    def settings(self) -> Settings:
        return self.dependencies.settings

    def invoke(self, event: dict[str, Any], remaining_ms: int | None = None) -> dict[str, Any]:
        """Invoke the handler as Lambda would; `remaining_ms` is the time the invocation has left."""
        context = LambdaContext() if remaining_ms is None else LambdaContext(timeout_ms=remaining_ms)
        with _ONE_EVENT_AT_A_TIME:
            # Lambda's context object is duck-typed: this one has every attribute Powertools reads.
            return self._handler(event, cast(PowertoolsContext, context))

    def client(self, service: str) -> Any:
        """The function's own client of `service`, made now if the function has not needed it yet."""
        return self._clients(service, region=self.settings.region, config=client_config(self.settings, service))


class LocalBackend:
    def __init__(self, config: StackConfig, clock: Callable[[], datetime] | None = None) -> None:
        self.config = config
        self.clock = clock or Clock()
        _serialize_moto_requests()
        self._mock = mock_aws(config=MOTO_CONFIG)
        self._mock.start()
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            os.environ.setdefault(name, "testing")
        # The twin's own view of the resources, for setup, control routes and tests; never the function's clients.
        self.session = boto3.session.Session(region_name=config.region)
        self.resources: LocalResources = provision(config, self.session)
        # The process is the function's environment: what Lambda sets (fake credentials, the region) and the stack's
        # variables, which Powertools reads too.
        os.environ.update(handler_environment(config, self.resources))
        self.s3 = self.session.client("s3")
        self.dynamodb = self.session.client("dynamodb")
        self.faults = DependencyFaults()
        self.emulator = FaceLivenessEmulator(self.s3, clock=self.clock, region=config.region)
        # The twin's own Rekognition client, for setup only: the function's clients are its own (`LocalClients`).
        rekognition = self.session.client("rekognition")
        self.emulator.attach(rekognition)
        provision_collection(rekognition, self.resources.collection)
        # S3's POST Object on a port of its own, up before the function, whose presigned POSTs point at it.
        self.uploads = UploadEndpoint(
            S3PostObject(
                self.s3,
                bucket=self.resources.bucket,
                region=config.region,
                credentials={
                    FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]: (
                        FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                        FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
                    )
                },
            )
        ).start()
        self.function = self.deploy(function_settings(config, self.resources))
        self._by_mode = {self.function.settings.caller_mode: self.function}
        self._by_mode_lock = threading.Lock()

    def deploy(self, settings: Settings) -> LocalFunction:
        """The function deployed with `settings` (the configured ones, another caller mode, other limits), on these
        resources and stand-ins, with clients of its own."""
        return LocalFunction(settings, LocalClients(self.faults, self.emulator), self.clock, self.uploads.url)

    @property
    def settings(self) -> Settings:
        """The function's settings, as deployed from the config."""
        return self.function.settings

    @property
    def caller_mode(self) -> CallerMode:
        """The mode the function binds owners by."""
        return self.settings.caller_mode

    def invoke(self, event: dict[str, Any], remaining_ms: int | None = None) -> dict[str, Any]:
        """Invoke the function as configured; `remaining_ms` is the time the invocation has left."""
        return self.function.invoke(event, remaining_ms)

    def function_in_mode(self, mode: CallerMode) -> LocalFunction:
        """The function as if deployed in `mode`, for tests: its settings name the mode (and, where addresses count,
        the local address-key secret; where callers are identity-pool identities, the local pool). Made once per mode;
        each serves alongside the configured one."""
        with self._by_mode_lock:
            if mode not in self._by_mode:
                update = {
                    "caller_mode": mode,
                    "address_key_secret": self.resources.address_key_secret if mode.limits_addresses else "",
                    "identity_pool_id": self.resources.identity_pool_id if mode.identity_pool_callers else "",
                }
                self._by_mode[mode] = self.deploy(self.settings.model_copy(update=update))
            return self._by_mode[mode]

    def stop(self) -> None:
        self.uploads.stop()
        self._mock.stop()
