// What the page tells a person: the verdict, the face match and the detector's errors, each in plain words.
import type { Feedback, MatchOutcome, Verdict } from './api';
import type { TroubleshootingTopic } from './streaming';

export const VERDICT_WORDS: Record<Verdict, { title: string; text: string }> = {
  LIVE: { title: 'LIVE', text: 'A live person was in front of the camera.' },
  NOT_LIVE: { title: 'NOT_LIVE', text: 'The check did not see a live person (a photo, a screen or a mask, say).' },
  FAILED: { title: 'FAILED', text: 'The service could not decide. Please try again in good light.' },
  EXPIRED: { title: 'EXPIRED', text: 'The check was not finished in time. Start a new one.' },
  PENDING: { title: 'PENDING', text: 'The check is still being analysed.' },
};

// The server's decision on the face match, one sentence each.
export const MATCH_WORDS: Record<MatchOutcome, string> = {
  MATCH: 'The live face matches the face on the ID photo.',
  NO_MATCH: 'The live face does not match the face on the ID photo.',
  NO_FACE: 'No face could be found on the ID photo. Use a sharp, well-lit photo of the whole document.',
  NOT_UPLOADED: 'The ID photo did not arrive, so there was nothing to compare the live face with.',
  NOT_ENROLLED: 'There is no enrolled face to compare the live face with.',
  NOT_ATTEMPTED: 'The faces were not compared, because the liveness check did not pass.',
};

// Why a check failed (the results' feedback codes): what happened, and what to do about it next time.
const FEEDBACK_WORDS: Record<string, { text: string; hint: string }> = {
  FACE_NOT_VISIBLE: {
    text: 'Your face could not be seen clearly.',
    hint: 'Keep your whole face in the oval and try again.',
  },
  FACE_OBSTRUCTION_DETECTED: {
    text: 'Something was covering part of your face.',
    hint: 'Take off anything covering your face (a mask, sunglasses, a hand or hair) and try again.',
  },
  LOW_VIDEO_QUALITY_DETECTED: {
    text: 'The video was not clear enough.',
    hint: 'Wipe the camera lens, hold the device still and try again.',
  },
  FACE_NOT_ALIGNED: {
    text: 'Your face was not in the middle of the oval.',
    hint: 'Look straight at the camera with your face in the oval and try again.',
  },
  EYES_CLOSED_DETECTED: {
    text: 'Your eyes seemed to be closed.',
    hint: 'Keep your eyes open and look at the screen, then try again.',
  },
  LOW_LIGHTING_DETECTED: {
    text: 'It was too dark to see your face well.',
    hint: 'Find better lighting and try again.',
  },
  HIGH_LIGHTING_DETECTED: {
    text: 'There was too much light on your face, or behind you.',
    hint: 'Move away from bright light or a window behind you and try again.',
  },
};

// A code the service added after this page was written: its own message, and a plain retry.
export function describeFeedback(feedback: Feedback): { text: string; hint: string } {
  return FEEDBACK_WORDS[feedback.code] ?? { text: feedback.message, hint: 'Please try again.' };
}

// The detector's error states (LivenessErrorState) in plain words.
const DETECTOR_ERRORS: Record<string, string> = {
  CONNECTION_TIMEOUT: 'The connection to the liveness service timed out. Check your connection and try again.',
  TIMEOUT: 'Your face did not fit the oval in time. Try again, a little closer to the camera.',
  FRESHNESS_TIMEOUT: 'The check could not finish in time. Please try again.',
  RUNTIME_ERROR: 'Something went wrong in the browser. Please reload the page and try again.',
  SERVER_ERROR: 'The liveness service could not run this check. Please start a new one.',
  CAMERA_ACCESS_ERROR: 'The camera could not be used. Allow camera access in your browser and try again.',
  CAMERA_FRAMERATE_ERROR: 'Your camera is too slow for the check (at least 15 frames per second are needed).',
  DEFAULT_CAMERA_NOT_FOUND_ERROR: 'The selected camera was not found.',
  FACE_DISTANCE_ERROR: 'Please move back a little: your face is too close to the camera.',
  MULTIPLE_FACES_ERROR: 'More than one face is in view. Only one person should be in front of the camera.',
  MOBILE_LANDSCAPE_ERROR: 'Please turn your phone upright (portrait) for the check.',
};

export function describeDetectorError(state: string, error: Error | undefined): string {
  const name = error?.name ?? '';
  if (name === 'SessionNotFoundException') {
    return 'This check has expired or was already used. Start a new check.';
  }
  if (name === 'ValidationException' && /already/i.test(error?.message ?? '')) {
    return 'This check was already used. Start a new check.';
  }
  if (name === 'ThrottlingException' || name === 'ServiceQuotaExceededException') {
    return 'The liveness service is busy right now. Please wait a moment and start a new check.';
  }
  return DETECTOR_ERRORS[state] ?? 'The check stopped because of an error. Please start a new one.';
}

/** The troubleshooting section for a detector error, when one explains it. */
export function detectorTopic(state: string, error: Error | undefined): TroubleshootingTopic | undefined {
  const name = error?.name ?? '';
  if (name === 'SessionNotFoundException') return 'sessionNotFound';
  if (name === 'AccessDeniedException' || /credential/i.test(error?.message ?? '')) return 'credentials';
  if (['CAMERA_ACCESS_ERROR', 'CAMERA_FRAMERATE_ERROR', 'DEFAULT_CAMERA_NOT_FOUND_ERROR'].includes(state)) return 'camera';
  return undefined;
}
