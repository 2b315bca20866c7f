"""Y4M videos for Chromium's fake camera (--use-file-for-fake-video-capture), made from a still image.

Chromium reads `YUV4MPEG2 W.. H.. F.. C420` files with planar 4:2:0 frames; its reader wants the plain `C420`
colour-space tag (not ffmpeg's default `C420mpeg2`). The file loops.

`write_y4m` holds the picture still. `write_approaching_y4m` plays a person who sits at arm's length and then moves
closer until the face fills the oval, as the service's strict oval asks (liveness_local/stream_challenge.py): the
detector starts only when the face is far enough, then waits (up to the oval-fit timeout, 15 s) for it to fill the
oval, then flashes its colours (about 4.4 s with its one-second pause) while the face holds still.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from PIL import Image

WIDTH, HEIGHT, FPS = 640, 480, 30
# Where the test face's eyes-and-nose centre is in the picture scaled to the frame (tests/browser/data/face.jpg),
# the point the detector centres its face box on, and how much nearer the person comes: at 1.8 times the size the
# face box overlaps the 288 x 465 oval by about 0.75 (the strict threshold is 0.6).
FACE_CENTRE = (322, 200)
NEAR_ZOOM = 1.8
# Seconds of each phase of one loop: far, moving closer, near. The near phase outlasts the pause and the colours.
FAR_SECONDS, APPROACH_SECONDS, NEAR_SECONDS = 1.5, 0.3, 6.0


def _planes(frame: Image.Image) -> bytes:
    y, cb, cr = frame.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    return y.tobytes() + cb.resize(half, Image.Resampling.BILINEAR).tobytes() + cr.resize(half).tobytes()


def _write(out: BinaryIO, planes: bytes, seconds: float) -> None:
    for _ in range(max(1, round(seconds * FPS))):
        out.write(b"FRAME\n")
        out.write(planes)


def _header() -> bytes:
    return f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420\n".encode()


def _picture(image_path: Path) -> Image.Image:
    return Image.open(image_path).convert("RGB").resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)


def write_y4m(image_path: Path, out_path: Path, *, seconds: float = 1.0) -> Path:
    with out_path.open("wb") as out:
        out.write(_header())
        _write(out, _planes(_picture(image_path)), seconds)
    return out_path


def _zoomed(picture: Image.Image, zoom: float) -> Image.Image:
    """The picture `zoom` times nearer, the face's centre moving towards the frame's centre as it grows."""
    progress = (zoom - 1) / (NEAR_ZOOM - 1)
    target_x = FACE_CENTRE[0] + (WIDTH / 2 - FACE_CENTRE[0]) * progress
    target_y = FACE_CENTRE[1] + (HEIGHT / 2 - FACE_CENTRE[1]) * progress
    left, top = FACE_CENTRE[0] - target_x / zoom, FACE_CENTRE[1] - target_y / zoom
    box = (left, top, left + WIDTH / zoom, top + HEIGHT / zoom)
    return picture.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR, box=box)


def write_approaching_y4m(image_path: Path, out_path: Path) -> Path:
    picture = _picture(image_path)
    steps = max(1, round(APPROACH_SECONDS * FPS))
    with out_path.open("wb") as out:
        out.write(_header())
        _write(out, _planes(picture), FAR_SECONDS)
        for step in range(1, steps + 1):
            _write(out, _planes(_zoomed(picture, 1 + (NEAR_ZOOM - 1) * step / steps)), 1 / FPS)
        _write(out, _planes(_zoomed(picture, NEAR_ZOOM)), NEAR_SECONDS)
    return out_path
