"""Still frames of the video a client streamed, as JPEG: the reference and audit images the service would keep.

The detector records with the browser's `MediaRecorder` (WebM, VP8 or VP9 in Chromium) and sends the recording in
chunks; the chunks joined are one WebM file. PyAV (FFmpeg's decoders, shipped inside its wheel) decodes it and
Pillow writes the JPEGs, so a frame stored here is a real picture of the person who sat in front of the camera.

Which frames: the service does not say how it picks them. The reference image is the last frame, since the
detector records until its challenge is done, with the face in the oval; audit images are spread evenly over
the video, one per whole second of it at most, because AWS calls the audit image limit "best effort and based on
the duration of the selfie-video" (CreateFaceLivenessSession, `AuditImagesLimit`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Final

import av
from av.error import FFmpegError
from PIL import Image

from liveness_local.emulated_session import VideoFrames

JPEG_QUALITY: Final = 90


class UnreadableVideoError(ValueError):
    """The bytes are not a video FFmpeg can decode (the service answers such a stream with ValidationException)."""


def stills(video: bytes, *, audit_limit: int) -> VideoFrames:
    """The reference JPEG (the last frame) and up to `audit_limit` audit JPEGs, at most one per second of video."""
    if audit_limit < 0:
        raise ValueError(f"audit_limit must be 0 or more, got {audit_limit}")
    # Two passes, so that only the chosen frames are ever held: a minute of video is thousands of frames.
    times = [frame.time for frame in _frames(video)]
    if not times:
        raise UnreadableVideoError("the video has no frame")
    known = [time for time in times if time is not None]
    # A live WebM has no duration in its header: the span of the frames' timestamps is what it lasted.
    seconds = (max(known) - min(known)) if len(known) > 1 else 0.0
    count = min(audit_limit, int(seconds))
    last = len(times) - 1
    # Evenly spaced, never the reference frame itself.
    picks = [round(index * last / (count + 1)) for index in range(1, count + 1)]
    chosen = {index: _jpeg(frame) for index, frame in enumerate(_frames(video)) if index in picks or index == last}
    return VideoFrames(reference=chosen[last], audit=tuple(chosen[pick] for pick in picks))


def _frames(video: bytes) -> Iterator[av.VideoFrame]:
    try:
        with av.open(io.BytesIO(video), mode="r") as container:
            if not container.streams.video:
                raise UnreadableVideoError("the file has no video track")
            yield from container.decode(container.streams.video[0])
    except (FFmpegError, UnicodeDecodeError) as error:
        raise UnreadableVideoError(f"the video cannot be decoded: {error}") from error


def _jpeg(frame: av.VideoFrame) -> bytes:
    rgb = frame.reformat(format="rgb24")
    plane = rgb.planes[0]
    # A plane's rows may be padded past width * 3 bytes: the stride tells Pillow where each row starts.
    image = Image.frombuffer("RGB", (rgb.width, rgb.height), bytes(plane), "raw", "RGB", plane.line_size, 1)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()
