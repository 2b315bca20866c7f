"""A Y4M video for Chromium's fake camera (--use-file-for-fake-video-capture), made from a still image.

Chromium reads `YUV4MPEG2 W.. H.. F.. C420` files with planar 4:2:0 frames; its reader wants the plain `C420`
colour-space tag (not ffmpeg's default `C420mpeg2`). The file loops, so a second of frames is enough.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

WIDTH, HEIGHT, FPS = 640, 480, 30


def write_y4m(image_path: Path, out_path: Path, *, seconds: float = 1.0) -> Path:
    frame = Image.open(image_path).convert("RGB").resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    y, cb, cr = frame.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    planes = y.tobytes() + cb.resize(half, Image.Resampling.BILINEAR).tobytes() + cr.resize(half).tobytes()
    with out_path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420\n".encode())
        for _ in range(max(1, round(seconds * FPS))):
            out.write(b"FRAME\n")
            out.write(planes)
    return out_path
