"""Faults of DynamoDB, S3 (and of KMS behind them) and Rekognition, injected at botocore's `before-send` on the
handler's own clients, so botocore's retries, error parsing and timeouts run exactly as against the real services.

moto answers DynamoDB's and S3's calls and the emulator Rekognition's; this sits in front of both for the next N
attempts of one operation (or of those of its calls whose body contains a marker, to tell apart the several
UpdateItem calls of one request). Each attempt botocore makes consumes one,
retries included. The emulator's own `inject_fault` stays the way `POST /_local/faults` injects Rekognition's
error codes; this adds what it cannot: timeouts, and the same faults for every service. A timeout is botocore's
own `ReadTimeoutError`, raised where the HTTP send would have raised it.

A request a fault answered is marked (liveness_local.wire), so neither moto nor the emulator applies it.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final
from xml.sax.saxutils import escape

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

from liveness_local.wire import RawBody, mark_answered


class Fault(StrEnum):
    """The ways a dependency fails that a client cannot cause by what it sends."""

    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"
    TIMEOUT = "timeout"
    ACCESS_DENIED = "access-denied"
    MISSING = "missing"
    KMS_KEY_UNUSABLE = "kms-key-unusable"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class _Answer:
    status: int
    code: str
    message: str


# What each service sends for each fault: (HTTP status, error code, message), from the services' error references.
_ANSWERS: Final[dict[str, dict[Fault, _Answer]]] = {
    "dynamodb": {
        Fault.THROTTLED: _Answer(
            400,
            "ProvisionedThroughputExceededException",
            "The level of configured provisioned throughput for the table was exceeded.",
        ),
        Fault.UNAVAILABLE: _Answer(500, "InternalServerError", "Internal server error"),
        Fault.ACCESS_DENIED: _Answer(400, "AccessDeniedException", "User is not authorized to perform this action"),
        Fault.MISSING: _Answer(400, "ResourceNotFoundException", "Requested resource not found"),
        Fault.KMS_KEY_UNUSABLE: _Answer(400, "KMSAccessDeniedException", "The KMS key is disabled or inaccessible"),
        Fault.UNKNOWN: _Answer(400, "SomethingNewException", "An error this backend does not know"),
    },
    "s3": {
        Fault.THROTTLED: _Answer(503, "SlowDown", "Please reduce your request rate."),
        Fault.UNAVAILABLE: _Answer(500, "InternalError", "We encountered an internal error. Please try again."),
        Fault.ACCESS_DENIED: _Answer(403, "AccessDenied", "Access Denied"),
        Fault.MISSING: _Answer(404, "NoSuchBucket", "The specified bucket does not exist"),
        Fault.KMS_KEY_UNUSABLE: _Answer(400, "KMS.DisabledException", "The KMS key is disabled."),
        Fault.UNKNOWN: _Answer(400, "SomethingNew", "An error this backend does not know"),
    },
    "rekognition": {
        Fault.THROTTLED: _Answer(400, "ThrottlingException", "Rate exceeded"),
        Fault.UNAVAILABLE: _Answer(500, "InternalServerError", "Internal server error"),
        Fault.ACCESS_DENIED: _Answer(400, "AccessDeniedException", "User is not authorized to perform this action"),
        Fault.UNKNOWN: _Answer(400, "SomethingNewException", "An error this backend does not know"),
    },
}
_JSON_ERROR_TYPE: Final = {"dynamodb": "com.amazonaws.dynamodb.v20120810#", "rekognition": ""}
_JSON_CONTENT_TYPE: Final = {"dynamodb": "application/x-amz-json-1.0", "rekognition": "application/x-amz-json-1.1"}


@dataclass
class _Pending:
    service: str
    operation: str
    fault: Fault
    remaining: int
    marker: bytes | None

    def matches(self, service: str, operation: str, body: bytes) -> bool:
        return (self.service, self.operation) == (service, operation) and (self.marker is None or self.marker in body)


class DependencyFaults:
    """Injects faults into the botocore clients it is attached to. One lock guards the pending faults, so a
    threaded server may drive it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[_Pending] = []
        self.injected: list[tuple[str, str, Fault]] = []

    def attach(self, client: Any) -> None:
        service = client.meta.service_model.service_id.hyphenize()
        if service not in _ANSWERS:
            raise ValueError(f"faults are injected into {', '.join(_ANSWERS)} clients, not {service}")
        # First, so the fault answers before moto would.
        client.meta.events.register_first(
            f"before-send.{service}", self._before_send, unique_id=f"dependency-faults-{id(self)}"
        )

    def inject(
        self, service: str, operation: str, fault: Fault, times: int = 1, body_contains: str | None = None
    ) -> None:
        """Fail the next `times` attempts of `operation` (its API name, such as `PutItem`) on `service`; with
        `body_contains`, only attempts whose request body contains it (`SET verdict` picks one UpdateItem)."""
        if fault not in _ANSWERS.get(service, {}) and fault is not Fault.TIMEOUT:
            raise ValueError(f"{service} has no {fault} fault to inject")
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}")
        marker = None if body_contains is None else body_contains.encode()
        with self._lock:
            self._pending.append(_Pending(service, operation, Fault(fault), times, marker))

    @property
    def pending(self) -> int:
        """How many injected attempts are still to come."""
        with self._lock:
            return sum(p.remaining for p in self._pending)

    def reset(self) -> None:
        with self._lock:
            self._pending.clear()
            self.injected.clear()

    def _before_send(self, request: Any, event_name: str, **_kwargs: Any) -> AWSResponse | None:
        _, service, operation = event_name.split(".", 2)
        with self._lock:
            body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
            pending = next((p for p in self._pending if p.matches(service, operation, body)), None)
            if pending is None:
                return None
            pending.remaining -= 1
            if pending.remaining == 0:
                self._pending.remove(pending)
            self.injected.append((service, operation, pending.fault))
        mark_answered(request)
        if pending.fault is Fault.TIMEOUT:
            raise ReadTimeoutError(endpoint_url=request.url)
        answer = _ANSWERS[service][pending.fault]
        return _xml_error(request.url, answer) if service == "s3" else _json_error(request.url, service, answer)


def _json_error(url: str, service: str, answer: _Answer) -> AWSResponse:
    body = json.dumps({"__type": _JSON_ERROR_TYPE[service] + answer.code, "message": answer.message})
    headers = {"Content-Type": _JSON_CONTENT_TYPE[service], "x-amzn-RequestId": str(uuid.uuid4())}
    return AWSResponse(url, answer.status, headers, RawBody(body.encode()))


def _xml_error(url: str, answer: _Answer) -> AWSResponse:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(answer.code)}</Code>'
        f"<Message>{escape(answer.message)}</Message><RequestId>{uuid.uuid4().hex}</RequestId></Error>"
    )
    return AWSResponse(url, answer.status, {"Content-Type": "application/xml"}, RawBody(body.encode()))
