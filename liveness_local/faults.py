"""Every fault the twin injects, one way: DynamoDB's, S3's (and KMS's behind them) and Rekognition's.

`DependencyFaults` answers at botocore's `before-send` on the handler's own clients, so botocore's retries, error
parsing and timeouts run exactly as against the real services; moto answers DynamoDB's and S3's calls and the
emulator Rekognition's, and this sits in front of both. The one call that is not botocore's, the browser's
StartFaceLivenessSession stream (liveness_local.streaming), asks the same injector with `take` before it opens.

A fault is named by its kind (`Fault`), which each service answers with its own error code, or for Rekognition by
the exact code (`FaultCode`, what `POST /_local/faults` takes). It fails the next N attempts of one operation (of
every operation of the service when none is named), or of those of its calls whose body contains a marker, to
tell apart the several UpdateItem calls of one request. Each attempt botocore makes consumes one, retries
included. A timeout is botocore's own `ReadTimeoutError`, raised where the HTTP send would have raised it.

A request a fault answered is marked with its error code (liveness_local.wire), so neither moto nor the emulator
applies it; the emulator records the attempt, as the service would have received it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from types import MappingProxyType
from typing import Any, Final

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

from liveness_local.vocabulary import STREAMING_OPERATION, FaultCode
from liveness_local.wire import ServiceError, error_response, mark_answered


class Fault(StrEnum):
    """The ways a dependency fails that a client cannot cause by what it sends."""

    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"
    TIMEOUT = "timeout"
    ACCESS_DENIED = "access-denied"
    MISSING = "missing"
    KMS_KEY_UNUSABLE = "kms-key-unusable"
    UNKNOWN = "unknown"


# What Rekognition sends for each error code `POST /_local/faults` injects (the Errors of
# https://docs.aws.amazon.com/rekognition/latest/APIReference/API_CreateFaceLivenessSession.html).
REKOGNITION_ERRORS: Final[Mapping[FaultCode, ServiceError]] = MappingProxyType(
    {
        FaultCode.THROTTLING: ServiceError(400, FaultCode.THROTTLING, "Rate exceeded"),
        FaultCode.PROVISIONED_THROUGHPUT_EXCEEDED: ServiceError(
            400, FaultCode.PROVISIONED_THROUGHPUT_EXCEEDED, "Provisioned rate exceeded"
        ),
        FaultCode.INTERNAL_SERVER_ERROR: ServiceError(500, FaultCode.INTERNAL_SERVER_ERROR, "Internal server error"),
        FaultCode.ACCESS_DENIED: ServiceError(
            400, FaultCode.ACCESS_DENIED, "User is not authorized to perform this action"
        ),
    }
)
# What each service sends for each kind of fault, from the services' error references.
_ANSWERS: Final[Mapping[str, Mapping[Fault, ServiceError]]] = MappingProxyType(
    {
        "dynamodb": {
            Fault.THROTTLED: ServiceError(
                400,
                "ProvisionedThroughputExceededException",
                "The level of configured provisioned throughput for the table was exceeded.",
            ),
            Fault.UNAVAILABLE: ServiceError(500, "InternalServerError", "Internal server error"),
            Fault.ACCESS_DENIED: ServiceError(
                400, "AccessDeniedException", "User is not authorized to perform this action"
            ),
            Fault.MISSING: ServiceError(400, "ResourceNotFoundException", "Requested resource not found"),
            Fault.KMS_KEY_UNUSABLE: ServiceError(
                400, "KMSAccessDeniedException", "The KMS key is disabled or inaccessible"
            ),
            Fault.UNKNOWN: ServiceError(400, "SomethingNewException", "An error this backend does not know"),
        },
        "s3": {
            Fault.THROTTLED: ServiceError(503, "SlowDown", "Please reduce your request rate."),
            Fault.UNAVAILABLE: ServiceError(
                500, "InternalError", "We encountered an internal error. Please try again."
            ),
            Fault.ACCESS_DENIED: ServiceError(403, "AccessDenied", "Access Denied"),
            Fault.MISSING: ServiceError(404, "NoSuchBucket", "The specified bucket does not exist"),
            Fault.KMS_KEY_UNUSABLE: ServiceError(400, "KMS.DisabledException", "The KMS key is disabled."),
            Fault.UNKNOWN: ServiceError(400, "SomethingNew", "An error this backend does not know"),
        },
        "rekognition": {
            Fault.THROTTLED: REKOGNITION_ERRORS[FaultCode.THROTTLING],
            Fault.UNAVAILABLE: REKOGNITION_ERRORS[FaultCode.INTERNAL_SERVER_ERROR],
            Fault.ACCESS_DENIED: REKOGNITION_ERRORS[FaultCode.ACCESS_DENIED],
            Fault.UNKNOWN: ServiceError(400, "SomethingNewException", "An error this backend does not know"),
        },
    }
)
# Operations of a service that no botocore client calls, and so that only `take` can fail.
_NOT_BOTOCORE: Final = {"rekognition": frozenset({STREAMING_OPERATION})}


@dataclass
class _Pending:
    service: str
    operation: str | None  # None: any of the service's operations
    fault: Fault | FaultCode
    answer: ServiceError | None  # None: a read timeout
    remaining: int
    marker: bytes | None

    def matches(self, service: str, operation: str, body: bytes) -> bool:
        return (
            self.service == service
            and self.operation in (None, operation)
            and (self.marker is None or self.marker in body)
        )


class DependencyFaults:
    """Injects faults into the botocore clients it is attached to, and into the calls that ask it (`take`). One
    lock guards the pending faults, so a threaded server may drive it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[_Pending] = []
        self.injected: list[tuple[str, str, Fault | FaultCode]] = []

    def attach(self, client: Any) -> None:
        """Answer this client's calls from now on, ahead of the emulator and moto whenever they were attached."""
        service = client.meta.service_model.service_id.hyphenize()
        if service not in _ANSWERS:
            raise ValueError(f"faults are injected into {', '.join(_ANSWERS)} clients, not {service}")
        # botocore runs the handlers of the most specific event name first: one level below the service's, where
        # the emulator and moto register, a fault answers before either of them.
        client.meta.events.register(
            f"before-send.{service}.*", self._before_send, unique_id=f"dependency-faults-{id(self)}"
        )

    def inject(
        self,
        service: str,
        operation: str | None,
        fault: Fault | FaultCode | str,
        times: int = 1,
        body_contains: str | None = None,
    ) -> None:
        """Fail the next `times` attempts of `operation` (its API name, such as `PutItem`; None for every operation
        of `service`) with `fault`: a `Fault`, or one of Rekognition's `FaultCode`s. With `body_contains`, only
        attempts whose request body contains it (`SET verdict` picks one UpdateItem)."""
        kind = _fault(fault)
        answer = self._answer(service, kind)
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}")
        if operation is not None and operation not in _operation_names(service) | _NOT_BOTOCORE.get(service, set()):
            raise ValueError(f"operation must be one of {service}'s operations, got {operation}")
        if answer is None and operation in (None, *_NOT_BOTOCORE.get(service, ())):
            raise ValueError("a timeout is botocore's: the operation must be one its client calls")
        marker = None if body_contains is None else body_contains.encode()
        with self._lock:
            self._pending.append(_Pending(service, operation, kind, answer, times, marker))

    def take(self, service: str, operation: str) -> ServiceError | None:
        """Consume the next fault of a call that is not botocore's (the streaming endpoint's): its answer, or None."""
        pending = self._consume(service, operation, b"")
        return None if pending is None else pending.answer

    @property
    def pending(self) -> int:
        """How many injected attempts are still to come."""
        with self._lock:
            return sum(p.remaining for p in self._pending)

    def reset(self) -> None:
        with self._lock:
            self._pending.clear()
            self.injected.clear()

    def _answer(self, service: str, fault: Fault | FaultCode) -> ServiceError | None:
        if isinstance(fault, FaultCode):
            if service != "rekognition":
                raise ValueError(f"error codes are injected into rekognition, not {service}: name a Fault")
            return REKOGNITION_ERRORS[fault]
        if fault is Fault.TIMEOUT and service in _ANSWERS:
            return None
        answer = _ANSWERS.get(service, {}).get(fault)
        if answer is None:
            raise ValueError(f"{service} has no {fault} fault to inject")
        return answer

    def _consume(self, service: str, operation: str, body: bytes) -> _Pending | None:
        with self._lock:
            pending = next((p for p in self._pending if p.matches(service, operation, body)), None)
            if pending is None:
                return None
            pending.remaining -= 1
            if pending.remaining == 0:
                self._pending.remove(pending)
            self.injected.append((service, operation, pending.fault))
        return pending

    def _before_send(self, request: Any, event_name: str, **_kwargs: Any) -> AWSResponse | None:
        _, service, operation = event_name.split(".", 2)
        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        pending = self._consume(service, operation, body)
        if pending is None:
            return None
        if pending.answer is None:
            raise ReadTimeoutError(endpoint_url=request.url)
        mark_answered(request, pending.answer.code)
        return error_response(request.url, service, pending.answer)


def _fault(fault: Fault | FaultCode | str) -> Fault | FaultCode:
    """A fault's kind or Rekognition error code, from either or from its value."""
    if isinstance(fault, Fault | FaultCode):
        return fault
    for kind in (Fault, FaultCode):
        try:
            return kind(fault)
        except ValueError:
            continue
    raise ValueError(f"fault must be one of {', '.join([*Fault, *FaultCode])}, got {fault}")


@cache
def _operation_names(service: str) -> frozenset[str]:
    """The service's operations, from botocore's own model: a fault may be injected before the function makes
    the client it will answer (the S3 client is made on the first erase)."""
    names: list[str] = botocore.session.get_session().get_service_model(service).operation_names
    return frozenset(names)
