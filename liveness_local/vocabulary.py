"""The closed sets only the local twin and the tests name: the emulator, the streaming endpoint, the fault injector
and the control routes import them from here. The deployed function never uses them, so they stay out of
`liveness_api.vocabulary` (and out of the Lambda asset); the sets both sides share stay there.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from liveness_api.vocabulary import ChallengeType, FaceOperation, FeedbackCode, LivenessOperation, RekognitionErrorCode

# What a session without ChallengePreferences runs: "if no parameter is provided, then the
# 'FaceMovementAndLightChallenge' settings is applied by default"
# (https://docs.aws.amazon.com/rekognition/latest/APIReference/API_CreateFaceLivenessSession.html).
DEFAULT_CHALLENGE: Final = ChallengeType.FACE_MOVEMENT_AND_LIGHT
# The newest version of each challenge that the service runs and Amplify's detector offers: the detector sends its
# supported challenges as StartFaceLivenessSession's ChallengeVersions, `challenge-versions=
# FaceMovementAndLightChallenge_2.0.0,FaceMovementChallenge_1.0.0` (SUPPORTED_CHALLENGES in
# https://github.com/aws-amplify/amplify-ui/blob/main/packages/react-liveness/src/components/FaceLivenessDetector/service/utils/constants.ts;
# https://docs.aws.amazon.com/rekognition/latest/APIReference/API_rekognitionstreaming_StartFaceLivenessSession.html).
CHALLENGE_VERSIONS: Final[Mapping[ChallengeType, str]] = MappingProxyType(
    {ChallengeType.FACE_MOVEMENT_AND_LIGHT: "2.0.0", ChallengeType.FACE_MOVEMENT: "1.0.0"}
)

# The streaming operation the browser calls (liveness_local.streaming); the handler never calls it.
STREAMING_OPERATION: Final = "StartFaceLivenessSession"
# Every Rekognition operation the handler or the browser calls, which the twin answers and so can fail on request.
FAULTABLE_OPERATIONS: Final = (*LivenessOperation, *FaceOperation, STREAMING_OPERATION)


class FaultCode(StrEnum):
    """The Rekognition errors `POST /_local/faults` injects: those a caller cannot cause by what it sends. The
    others follow from the request or the session's state, so the emulation produces them."""

    THROTTLING = RekognitionErrorCode.THROTTLING.value
    PROVISIONED_THROUGHPUT_EXCEEDED = RekognitionErrorCode.PROVISIONED_THROUGHPUT_EXCEEDED.value
    INTERNAL_SERVER_ERROR = RekognitionErrorCode.INTERNAL_SERVER_ERROR.value
    ACCESS_DENIED = RekognitionErrorCode.ACCESS_DENIED.value


# What the emulator says a streaming client claims to be (`Metadata.SDKType`) unless a script says otherwise. The
# service reports what the client says of itself, unverified; this value says it came from the twin.
EMULATED_SDK_TYPE: Final = "FaceLivenessEmulator"
# The emulator's message for each feedback code. AWS documents the codes, not the service's wording ("the message
# text can change": https://docs.aws.amazon.com/rekognition/latest/APIReference/API_FeedbackItem.html), so these are
# the twin's own; a script may give others.
FEEDBACK_MESSAGES: Final[Mapping[FeedbackCode, str]] = MappingProxyType(
    {
        FeedbackCode.FACE_NOT_VISIBLE: "Your face was not visible in the video.",
        FeedbackCode.FACE_OBSTRUCTION_DETECTED: "Something covered part of your face.",
        FeedbackCode.LOW_VIDEO_QUALITY_DETECTED: "The video quality was too low.",
        FeedbackCode.FACE_NOT_ALIGNED: "Your face was not centred in the oval.",
        FeedbackCode.EYES_CLOSED_DETECTED: "Your eyes were closed.",
        FeedbackCode.LOW_LIGHTING_DETECTED: "The lighting was too dark.",
        FeedbackCode.HIGH_LIGHTING_DETECTED: "The lighting was too bright.",
    }
)
