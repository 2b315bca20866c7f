"""AWS event-stream framing for the local streaming endpoint: botocore's decoder and one small encoder.

A message is a prelude (total length, headers length, the prelude's CRC32), the headers, the payload and the
message's CRC32, all big-endian (https://docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html
describes the same framing). botocore ships the decoder (`botocore.eventstream.EventStreamBuffer`); it has no
encoder, so `encode` below writes the header types the streaming service and the browser SDK use.

Client to server, every WebSocket message is a signed envelope (`:date`, `:chunk-signature`) whose payload is
the event message itself; server to client, messages are plain events or exceptions.
"""

from __future__ import annotations

import binascii
import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from botocore.eventstream import EventStreamBuffer, EventStreamMessage, ParserError

__all__ = [
    "Message",
    "ParserError",
    "decode",
    "decode_one",
    "encode",
    "event",
    "exception",
    "signed_envelope",
    "unwrap",
]

# Header value types of the event-stream format.
_TRUE: Final = 0
_FALSE: Final = 1
_INT32: Final = 4
_INT64: Final = 5
_BYTES: Final = 6
_STRING: Final = 7
_TIMESTAMP: Final = 8
_PRELUDE_LENGTH: Final = 12
_CRC_LENGTH: Final = 4

HeaderValue = str | bytes | bool | int | datetime


@dataclass(frozen=True)
class Message:
    """One decoded message: its headers (timestamps as epoch milliseconds, as botocore decodes them) and payload."""

    headers: Mapping[str, Any]
    payload: bytes

    @property
    def event_type(self) -> str | None:
        value = self.headers.get(":event-type")
        return value if isinstance(value, str) else None

    def json(self) -> Any:
        return json.loads(self.payload or b"{}")


def _encode_header(name: str, value: HeaderValue) -> bytes:
    encoded_name = name.encode()
    if len(encoded_name) > 255:
        raise ValueError(f"header name too long: {name}")
    head = struct.pack("!B", len(encoded_name)) + encoded_name
    # bool before int: a bool is an int in Python.
    if isinstance(value, bool):
        return head + struct.pack("!B", _TRUE if value else _FALSE)
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return head + struct.pack("!Bi", _INT32, value)
        return head + struct.pack("!Bq", _INT64, value)
    if isinstance(value, datetime):
        return head + struct.pack("!Bq", _TIMESTAMP, round(value.timestamp() * 1000))
    data, kind = (value, _BYTES) if isinstance(value, bytes) else (value.encode(), _STRING)
    if len(data) > 0xFFFF:
        raise ValueError(f"header {name} is longer than 65535 bytes")
    return head + struct.pack("!BH", kind, len(data)) + data


def encode(headers: Mapping[str, HeaderValue], payload: bytes = b"") -> bytes:
    """One event-stream message with these headers, in order, and this payload."""
    encoded_headers = b"".join(_encode_header(name, value) for name, value in headers.items())
    total = _PRELUDE_LENGTH + len(encoded_headers) + len(payload) + _CRC_LENGTH
    prelude = struct.pack("!II", total, len(encoded_headers))
    prelude += struct.pack("!I", binascii.crc32(prelude))
    body = prelude + encoded_headers + payload
    return body + struct.pack("!I", binascii.crc32(body))


def decode(data: bytes) -> list[Message]:
    """Every whole message in `data`, checked by botocore (lengths and both CRCs); raises botocore's ParserError."""
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    messages = [_message(raw) for raw in buffer]
    return messages


def decode_one(data: bytes) -> Message:
    """`data` must hold exactly one message (a WebSocket frame does)."""
    messages = decode(data)
    if len(messages) != 1:
        raise ValueError(f"expected one event-stream message, found {len(messages)}")
    return messages[0]


def _message(raw: EventStreamMessage) -> Message:
    return Message(headers=dict(raw.headers), payload=bytes(raw.payload))


def event(event_type: str, body: Any) -> bytes:
    """A server-to-client event with a JSON body."""
    return encode(
        {":event-type": event_type, ":message-type": "event", ":content-type": "application/json"},
        json.dumps(body, separators=(",", ":")).encode(),
    )


def exception(exception_type: str, message: str) -> bytes:
    """A server-to-client exception: the SDK throws it, named `exception_type`."""
    return encode(
        {":exception-type": exception_type, ":message-type": "exception", ":content-type": "application/json"},
        json.dumps({"Message": message}).encode(),
    )


def signed_envelope(inner: bytes, *, date: datetime, signature: bytes) -> bytes:
    """What a client sends: the event inside a message carrying `:date` and `:chunk-signature` (for tests)."""
    return encode({":date": date, ":chunk-signature": signature}, inner)


def unwrap(frame: bytes) -> Message:
    """The event inside one client frame. A frame without `:chunk-signature` is taken to be the event itself."""
    outer = decode_one(frame)
    if ":chunk-signature" not in outer.headers:
        return outer
    if not outer.payload:
        # The SDK's last, empty signed frame: the request stream has ended.
        return Message(headers={}, payload=b"")
    return decode_one(outer.payload)
