"""The event-stream encoder against botocore's decoder, and the decoder against frames the real detector sent."""

import base64
import binascii
import json
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from liveness_local import eventstream

RECORDED = Path(__file__).parent / "data" / "eventstream"


def _botocore(data: bytes):
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def test_an_empty_message_is_the_format_s_sixteen_bytes() -> None:
    # The prelude says 16 bytes, no headers; both CRCs are CRC32 (the format's smallest message).
    data = eventstream.encode({})

    total, headers_length, prelude_crc = struct.unpack("!III", data[:12])
    assert (total, headers_length, len(data)) == (16, 0, 16)
    assert prelude_crc == binascii.crc32(data[:8])
    assert struct.unpack("!I", data[12:])[0] == binascii.crc32(data[:12])
    assert data == b"\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2H\xeb}\x98\xc8\xff"


def test_every_header_type_the_encoder_writes_decodes_in_botocore() -> None:
    when = datetime(2026, 12, 1, 12, 0, 0, 250_000, tzinfo=UTC)
    headers: dict[str, eventstream.HeaderValue] = {
        ":event-type": "VideoEvent",
        ":chunk-signature": b"\x00\x01\xfe\xff",
        ":date": when,
        "true": True,
        "false": False,
        "int32": -7,
        "int64": 2**40,
        "unicode": "Grüße",
    }

    [message] = _botocore(eventstream.encode(headers, b"payload"))

    assert message.payload == b"payload"
    assert message.headers == {
        ":event-type": "VideoEvent",
        ":chunk-signature": b"\x00\x01\xfe\xff",
        ":date": int(when.timestamp() * 1000),
        "true": True,
        "false": False,
        "int32": -7,
        "int64": 2**40,
        "unicode": "Grüße",
    }


def test_events_and_exceptions_carry_the_headers_the_sdk_reads() -> None:
    [event] = eventstream.decode(eventstream.event("DisconnectionEvent", {"TimestampMillis": 5}))
    [error] = eventstream.decode(eventstream.exception("SessionNotFoundException", "Session not found: x"))

    assert event.headers == {
        ":event-type": "DisconnectionEvent",
        ":message-type": "event",
        ":content-type": "application/json",
    }
    assert event.json() == {"TimestampMillis": 5}
    assert error.headers[":message-type"] == "exception"
    assert error.headers[":exception-type"] == "SessionNotFoundException"
    assert error.json() == {"Message": "Session not found: x"}


def test_a_signed_envelope_unwraps_to_its_event() -> None:
    inner = eventstream.event("VideoEvent", {"VideoChunk": base64.b64encode(b"webm").decode(), "TimestampMillis": 1})
    frame = eventstream.signed_envelope(inner, date=datetime.now(UTC), signature=b"\x11" * 32)

    message = eventstream.unwrap(frame)

    assert message.event_type == "VideoEvent"
    assert message.json()["VideoChunk"] == "d2VibQ=="


def test_the_decoder_splits_concatenated_messages_and_checks_crcs() -> None:
    one, two = eventstream.event("A", {}), eventstream.event("B", {"x": 1})
    assert [m.event_type for m in eventstream.decode(one + two)] == ["A", "B"]

    corrupt = bytearray(two)
    corrupt[-6] ^= 0xFF
    with pytest.raises(ChecksumMismatch):
        eventstream.decode(bytes(corrupt))
    with pytest.raises(ValueError, match="expected one"):
        eventstream.decode_one(one + two)


def test_header_limits_are_enforced() -> None:
    with pytest.raises(ValueError, match="name too long"):
        eventstream.encode({"x" * 256: "v"})
    with pytest.raises(ValueError, match="65535"):
        eventstream.encode({"big": "v" * 70_000})


@pytest.mark.parametrize("path", sorted(RECORDED.glob("*.bin")), ids=lambda path: path.stem)
def test_frames_recorded_from_the_real_detector_decode_and_reencode(path: Path) -> None:
    """Frames Chromium sent while the Amplify detector (3.6.8) streamed to the local endpoint, kept verbatim."""
    frame = path.read_bytes()
    outer = eventstream.decode_one(frame)
    expected = json.loads(path.with_suffix(".json").read_text())

    assert set(outer.headers) == {":date", ":chunk-signature"}
    assert len(outer.headers[":chunk-signature"]) == 32
    inner = eventstream.unwrap(frame)
    assert inner.event_type == expected["event_type"]
    assert dict(inner.headers) == expected["headers"]
    assert sorted(inner.json()) == expected["body_keys"]
    # The encoder reproduces the detector's bytes exactly, given the same headers in the same order.
    envelope = {
        name: datetime.fromtimestamp(value / 1000, UTC) if name == ":date" else value
        for name, value in outer.headers.items()
    }
    rebuilt = eventstream.encode(envelope, eventstream.encode(inner.headers, inner.payload))
    assert rebuilt == frame
