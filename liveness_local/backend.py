"""The deployed backend's twin in one process: moto for S3, KMS and DynamoDB, the Face Liveness emulator
behind the handler's own boto3 client, and the Lambda handler itself, unmodified."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import boto3
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from infra.config import StackConfig
from liveness_api.adapters.address_key import HmacAddressKeys
from liveness_api.identity import CallerMode
from liveness_local.embedded_aws import LocalResources, handler_environment, provision
from liveness_local.emulator import MOTO_CONFIG, FaceLivenessEmulator
from liveness_local.faults import DependencyFaults
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


class LocalBackend:
    def __init__(self, config: StackConfig, clock: Callable[[], datetime] | None = None) -> None:
        self.config = config
        self.clock = clock or Clock()
        _serialize_moto_requests()
        self._mock = mock_aws(config=MOTO_CONFIG)
        self._mock.start()
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            os.environ.setdefault(name, "testing")
        session = boto3.session.Session(region_name=config.region)
        self._session = session
        self.resources: LocalResources = provision(config, session)
        os.environ.update(handler_environment(config, self.resources))
        # The handler builds its clients at import, exactly as in a Lambda container.
        self.handler: ModuleType = importlib.import_module("liveness_api.handler")
        self.s3 = session.client("s3")
        self.dynamodb = session.client("dynamodb")
        # Every dependency's faults, on the handler's own clients (S3's is made here rather than on first erase).
        # Attached first: botocore runs `before-send` handlers in the order they were registered.
        self.faults = DependencyFaults()
        for client in (
            self.handler.dependencies.rekognition,
            self.handler.dependencies.dynamodb,
            self.handler.dependencies.image_store().client,
        ):
            self.faults.attach(client)
        self.emulator = FaceLivenessEmulator(self.s3, clock=self.clock, region=config.region)
        self.emulator.attach(self.handler.dependencies.rekognition)
        self.handler.dependencies.sessions.clock = self.clock

    def invoke(self, event: dict[str, Any], remaining_ms: int | None = None) -> dict[str, Any]:
        """Invoke the handler as Lambda would; `remaining_ms` is the time the invocation has left."""
        context = LambdaContext() if remaining_ms is None else LambdaContext(timeout_ms=remaining_ms)
        response: dict[str, Any] = self.handler.lambda_handler(event, context)
        return response

    @property
    def caller_mode(self) -> CallerMode:
        """The mode the handler binds owners by (from its settings, as deployed from the config)."""
        mode: CallerMode = self.handler.dependencies.settings.caller_mode
        return mode

    @contextlib.contextmanager
    def in_caller_mode(self, mode: CallerMode) -> Iterator[None]:
        """Run the handler as if deployed in `mode`, for tests: its settings name the mode (and, where addresses
        count, the local address-key secret) and its domain hashes addresses with the real adapter, on moto. One
        handler serves the process, so this is for one test at a time; the previous mode is restored after."""
        dependencies = self.handler.dependencies
        secret = self.resources.address_key_secret if mode.limits_addresses else ""
        settings = dependencies.settings.model_copy(update={"caller_mode": mode, "address_key_secret": secret})
        sessions = dependencies.sessions
        previous_keys = sessions.address_keys
        sessions.address_keys = (
            HmacAddressKeys.from_secret(self._session.client("secretsmanager"), secret) if secret else None
        )
        # The routes read the module's `dependencies` on every request.
        self.handler.__dict__["dependencies"] = dataclasses.replace(dependencies, settings=settings)
        try:
            yield
        finally:
            self.handler.__dict__["dependencies"] = dependencies
            sessions.address_keys = previous_keys

    def stop(self) -> None:
        self._mock.stop()
