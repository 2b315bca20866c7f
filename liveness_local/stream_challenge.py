"""What the local streaming endpoint tells the detector: the challenge, the oval, the thresholds and the colours.

Two profiles (the `localStreaming` knob: cdk.json's context, or `python -m liveness_local -c localStreaming=lenient`):

- `strict` (the default): what the real service sends, as far as public sources show it. A check that passes
  locally then asks of the person what the service would ask: start far enough from the camera, then move
  close enough to fill the oval.
- `lenient`: a smaller oval and loose thresholds, so that a still face passes (a webcam demo on a laptop).

Sources for `strict`, all in aws-amplify/amplify-ui at `@aws-amplify/ui-react-liveness@3.6.8` (the pinned detector)
unless said otherwise, under packages/react-liveness/src/components/FaceLivenessDetector/:
- the oval: `service/utils/__mocks__/testUtils.ts` (`mockOvalDetails`: 288 x 465 centred in a 640 x 480 video),
  which is the detector's own static oval (`getStaticLivenessOvalDetails` in `service/utils/liveness.ts`: 0.8 of a
  3:4 crop of the frame, 1.618 times as high as wide); the same rule scales it to other video sizes;
- the face-distance thresholds: `service/utils/constants.ts` at 3.3.9, the last version that hard-coded what the
  service now sends (`FACE_DISTANCE_THRESHOLD = 0.32` to start, `REDUCED_THRESHOLD = 0.4` once recording);
- the IoU thresholds, the oval ratio and BlazeFace's: `mockFaceMovementAndLightServerSessionInfo` in testUtils.ts;
- the colours: `service/utils/ColorSequenceDisplay/__tests__/ColorSequenceDisplay.test.ts`, "sequence values from
  service": black for 75 ms, then seven colours of 475 ms each;
- `OvalFitTimeout`: packages/e2e/cypress/integration/common/liveness.ts, "the current value returned by the service
  is 15000".
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from liveness_api.vocabulary import ChallengeType
from liveness_local.vocabulary import CHALLENGE_VERSIONS, DEFAULT_CHALLENGE

OVAL_RATIO: Final = 1.618


class StreamingProfile(enum.StrEnum):
    STRICT = "strict"
    LENIENT = "lenient"


class ChallengeRefused(ValueError):
    """None of the session's challenges is one the client offers."""


@dataclass(frozen=True)
class _Settings:
    # The oval's width as a share of the frame's width, or of a 3:4 crop of a landscape frame.
    oval_share: float
    config: Mapping[str, float]
    # (RGB, DownscrollDuration, FlatDisplayDuration) for each colour, in order.
    colours: tuple[tuple[tuple[int, int, int], int, int], ...]


_STRICT: Final = _Settings(
    oval_share=0.8,
    config={
        "BlazeFaceDetectionThreshold": 0.75,
        # Face distance is pupil distance / oval width: below Min the face is far enough to start.
        "FaceDistanceThresholdMin": 0.32,
        "FaceDistanceThreshold": 0.4,
        # The detector does not read it; the mocked service information has 0.
        "FaceDistanceThresholdMax": 0,
        "OvalIouThreshold": 0.6,
        "OvalHeightWidthRatio": OVAL_RATIO,
        "OvalIouWidthThreshold": 0.25,
        "OvalIouHeightThreshold": 0.25,
        "FaceIouWidthThreshold": 0.15,
        "FaceIouHeightThreshold": 0.15,
        "OvalFitTimeout": 15000,
    },
    colours=(
        ((0, 0, 0), 0, 75),
        ((0, 255, 0), 475, 0),
        ((255, 0, 255), 475, 0),
        ((255, 0, 0), 475, 0),
        ((0, 0, 255), 475, 0),
        ((255, 0, 0), 475, 0),
        ((0, 255, 0), 475, 0),
        ((255, 0, 0), 475, 0),
    ),
)

_LENIENT: Final = _Settings(
    oval_share=0.55,
    config={
        "BlazeFaceDetectionThreshold": 0.75,
        "FaceDistanceThresholdMin": 0.9,
        "FaceDistanceThreshold": 0.95,
        "FaceDistanceThresholdMax": 1.0,
        # Any face overlapping the oval by a tenth counts as fitting it: a still face passes.
        "OvalIouThreshold": 0.1,
        "OvalHeightWidthRatio": OVAL_RATIO,
        "OvalIouWidthThreshold": 0.1,
        "OvalIouHeightThreshold": 0.1,
        "FaceIouWidthThreshold": 0.15,
        "FaceIouHeightThreshold": 0.15,
        "OvalFitTimeout": 15000,
    },
    colours=(((0, 0, 0), 1, 200), ((255, 255, 255), 200, 100), ((255, 0, 0), 200, 100), ((0, 0, 255), 200, 100)),
)

_PROFILES: Final = {StreamingProfile.STRICT: _STRICT, StreamingProfile.LENIENT: _LENIENT}


def offered_challenges(challenge_versions: str) -> dict[str, str]:
    """`FaceMovementAndLightChallenge_2.0.0,FaceMovementChallenge_1.0.0` as {type: version}."""
    offered: dict[str, str] = {}
    for item in challenge_versions.split(","):
        name, _, version = item.strip().rpartition("_")
        if name:
            offered[name] = version
    return offered


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def choose_challenge(settings: Mapping[str, Any], challenge_versions: str) -> ChallengeType:
    """The first of the session's preferences (the service's default when it has none) the client offers."""
    offered = offered_challenges(challenge_versions)
    preferences = settings.get("ChallengePreferences") or [{"Type": DEFAULT_CHALLENGE}]
    for preference in preferences:
        kind = preference.get("Type")
        if kind not in CHALLENGE_VERSIONS or kind not in offered:
            continue
        version = _version(offered[kind])
        bounds = preference.get("Versions") or {}
        if "Minimum" in bounds and version < _version(bounds["Minimum"]):
            continue
        if "Maximum" in bounds and version > _version(bounds["Maximum"]):
            continue
        return ChallengeType(kind)
    raise ChallengeRefused(f"None of the session's challenges is among the client's: {challenge_versions}")


def session_information(
    challenge: ChallengeType,
    video_width: int,
    video_height: int,
    profile: StreamingProfile = StreamingProfile.STRICT,
) -> dict[str, Any]:
    """The ServerSessionInformationEvent body: a centred oval in video pixels, the thresholds and the colours."""
    settings = _PROFILES[profile]
    # As the detector sizes its static oval: a landscape frame counts as its 3:4 crop.
    base = 0.75 * video_height if video_width >= video_height else video_width
    width = max(1, math.floor(settings.oval_share * base))
    oval = {
        "Width": width,
        "Height": max(1, math.floor(OVAL_RATIO * width)),
        "CenterX": max(1, round(video_width / 2)),
        "CenterY": max(1, round(video_height / 2)),
    }
    body: dict[str, Any] = {"OvalParameters": oval, "ChallengeConfig": dict(settings.config)}
    if challenge is ChallengeType.FACE_MOVEMENT_AND_LIGHT:
        body["LightChallengeType"] = "SEQUENTIAL"
        body["ColorSequences"] = [
            {"FreshnessColor": {"RGB": list(rgb)}, "DownscrollDuration": down, "FlatDisplayDuration": flat}
            for rgb, down, flat in settings.colours
        ]
    return {"SessionInformation": {"Challenge": {challenge.value: body}}}
