"""A tiny but real baseline JPEG, encoded without an imaging library.

The emulator stores it as the reference and audit images, so whatever reads them back (a viewer, a decoder,
a content-type check) gets a genuine JFIF file. A solid grey image keeps the encoder short: each 8x8 block is
constant, so its AC coefficients are all zero and only the DC coefficient needs coding.
"""

import functools
import struct

_SOI = b"\xff\xd8"
_EOI = b"\xff\xd9"
_APP0, _DQT, _SOF0, _DHT, _SOS = 0xE0, 0xDB, 0xC0, 0xC4, 0xDA
# The forward DCT of a constant 8x8 block of level-shifted value s has DC coefficient 8*s; quantising it by 8
# makes the coded DC exactly s, with no rounding.
_DC_QUANTISER = 8


def solid_grey_jpeg(width: int, height: int, level: int) -> bytes:
    """A greyscale baseline (SOF0) JFIF image of `width` x `height` pixels, every pixel at `level` (0-255)."""
    if not (1 <= width <= 0xFFFF and 1 <= height <= 0xFFFF):
        raise ValueError(f"image size must be 1-65535 pixels a side, got {width}x{height}")
    if not 0 <= level <= 255:
        raise ValueError(f"grey level must be 0-255, got {level}")
    blocks = -(-width // 8) * -(-height // 8)
    first_dc = level - 128
    # DC is coded as the difference from the previous block: the first block carries the value, the rest 0.
    dc_categories = sorted({_category(first_dc), 0})
    # Every DC category gets a 2-bit code (at most two of them), EOB a 1-bit one: none is all ones, which
    # JPEG reserves and libjpeg rejects.
    dc_codes = {category: (index, 2) for index, category in enumerate(dc_categories)}
    eob = (0, 1)

    bits = _BitWriter()
    for difference in [first_dc] + [0] * (blocks - 1):
        category = _category(difference)
        bits.write(*dc_codes[category])
        # Negative differences are sent as the low `category` bits of difference - 1 (one's complement).
        bits.write(difference if difference >= 0 else difference - 1, category)
        bits.write(*eob)

    return b"".join(
        (
            _SOI,
            _segment(_APP0, b"JFIF\x00" + bytes((1, 1, 0)) + struct.pack(">HH", 1, 1) + bytes((0, 0))),
            _segment(_DQT, bytes((0, _DC_QUANTISER)) + bytes((1,)) * 63),
            _segment(_SOF0, struct.pack(">BHHB", 8, height, width, 1) + bytes((1, 0x11, 0))),
            _segment(_DHT, bytes((0x00,)) + _code_lengths({2: len(dc_categories)}) + bytes(dc_categories)),
            _segment(_DHT, bytes((0x10,)) + _code_lengths({1: 1}) + bytes((0x00,))),
            _segment(_SOS, bytes((1, 1, 0x00, 0, 63, 0))),
            bits.flush(),
            _EOI,
        )
    )


@functools.cache
def reference_jpeg() -> bytes:
    """The 16x16 light-grey JPEG the emulator stores for every reference and audit image."""
    return solid_grey_jpeg(16, 16, 160)


def _category(value: int) -> int:
    return abs(value).bit_length()


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _code_lengths(counts: dict[int, int]) -> bytes:
    """The 16 counts of a DHT segment: how many codes have each length 1-16."""
    return bytes(counts.get(length, 0) for length in range(1, 17))


class _BitWriter:
    def __init__(self) -> None:
        self._value = 0
        self._length = 0

    def write(self, value: int, length: int) -> None:
        self._value = (self._value << length) | (value & ((1 << length) - 1))
        self._length += length

    def flush(self) -> bytes:
        """The bits written so far, padded with 1 bits to a byte boundary and byte-stuffed."""
        padding = -self._length % 8
        self.write((1 << padding) - 1, padding)
        data = self._value.to_bytes(self._length // 8, "big")
        # A 0xFF byte in entropy-coded data must be followed by 0x00, or it would read as a marker.
        return data.replace(b"\xff", b"\xff\x00")
