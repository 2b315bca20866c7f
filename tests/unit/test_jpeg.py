"""The JPEG the emulator stores as every reference and audit image, and the solid grey frames of any size."""

import struct

import pytest

from liveness_local.jpeg import reference_jpeg, solid_grey_jpeg


def jpeg_markers(data: bytes) -> dict[int, bytes]:
    """Each marker segment's payload, walking the segment headers up to the entropy-coded data."""
    assert data[:2] == b"\xff\xd8"
    segments, offset = {}, 2
    while data[offset] == 0xFF and data[offset + 1] != 0xDA:
        marker = data[offset + 1]
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        segments[marker] = data[offset + 4 : offset + 2 + length]
        offset += 2 + length
    segments[0xDA] = data[offset + 4 :]
    return segments


def test_the_reference_image_is_a_baseline_jfif_jpeg() -> None:
    data = reference_jpeg()
    segments = jpeg_markers(data)

    assert data.endswith(b"\xff\xd9")
    assert segments[0xE0].startswith(b"JFIF\x00")
    height, width, components = struct.unpack(">HHB", segments[0xC0][1:6])
    assert (width, height, components) == (16, 16, 1)
    assert {0xDB, 0xC4} <= segments.keys()  # quantisation and Huffman tables


@pytest.mark.parametrize(("width", "height"), [(1, 1), (17, 9), (640, 480)])
def test_a_solid_grey_jpeg_declares_its_size(width: int, height: int) -> None:
    segments = jpeg_markers(solid_grey_jpeg(width, height, 200))

    assert struct.unpack(">HH", segments[0xC0][1:5]) == (height, width)


@pytest.mark.parametrize(("width", "height", "level"), [(0, 8, 128), (8, 70000, 128), (8, 8, 256), (8, 8, -1)])
def test_a_solid_grey_jpeg_rejects_what_jpeg_cannot_hold(width: int, height: int, level: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        solid_grey_jpeg(width, height, level)
