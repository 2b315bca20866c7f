"""What the local stand-ins (the emulator, injected faults, the bench's replayer) share at botocore's `before-send`:
the responses they answer with, in each service's own protocol, and the mark an injected fault leaves.

botocore calls every `before-send` handler of a client, even after one has answered: a request that an injected
fault answered is marked with the error code, and the emulator and the local backend's moto hook leave marked
requests alone, so the call that "failed" has no effect.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final
from xml.sax.saxutils import escape

from botocore.awsrequest import AWSResponse

_ANSWERED: Final = "_answered_by_injected_fault"

# The JSON-protocol services the stand-ins answer for: the content type and the prefix of `__type` each one sends,
# and how it spells the message (botocore reads `message` or `Message`).
_JSON_PROTOCOLS: Final = {
    "rekognition": ("application/x-amz-json-1.1", "", "Message"),
    "dynamodb": ("application/x-amz-json-1.0", "com.amazonaws.dynamodb.v20120810#", "message"),
}


@dataclass(frozen=True)
class ServiceError:
    """An error answer, as a service sends it: the HTTP status, the error code and its message."""

    status: int
    code: str
    message: str


class RawBody:
    """The `raw` object of an AWSResponse: botocore reads the body through `stream()`."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self._data


def json_response(
    url: str, status: int, body: Mapping[str, Any], content_type: str, headers: Mapping[str, str] | None = None
) -> AWSResponse:
    data = json.dumps(body, default=_base64_blob).encode()
    all_headers = {
        "content-type": content_type,
        "content-length": str(len(data)),
        "x-amzn-RequestId": str(uuid.uuid4()),
        **(headers or {}),
    }
    return AWSResponse(url, status, all_headers, RawBody(data))


def error_response(url: str, service: str, error: ServiceError) -> AWSResponse:
    """`error` as `service` writes it: XML for S3, JSON for the others (Rekognition names it in a header too)."""
    if service == "s3":
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(error.code)}</Code>'
            f"<Message>{escape(error.message)}</Message><RequestId>{uuid.uuid4().hex}</RequestId></Error>"
        )
        return AWSResponse(url, error.status, {"Content-Type": "application/xml"}, RawBody(body.encode()))
    content_type, type_prefix, message_key = _JSON_PROTOCOLS[service]
    headers = {"x-amzn-ErrorType": error.code} if service == "rekognition" else None
    body_json = {"__type": type_prefix + error.code, message_key: error.message}
    return json_response(url, error.status, body_json, content_type, headers)


def mark_answered(request: Any, code: str) -> None:
    setattr(request, _ANSWERED, code)


def fault_code(request: Any) -> str | None:
    """The error code an injected fault answered `request` with, or None."""
    code = getattr(request, _ANSWERED, None)
    return code if isinstance(code, str) else None


def was_answered_by_a_fault(request: Any) -> bool:
    return fault_code(request) is not None


def _base64_blob(value: object) -> str:
    """JSON 1.0 and 1.1 send blobs as base64 text."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
