"""The scripted world in which the emulator matches faces. It cannot see a face, so every image shows the face of a
label, and how alike two faces are follows from their labels, or from a session's script:

- Every emulated liveness session has a face label, DEFAULT_FACE unless scripted. Its reference and audit images
  (`{S3KeyPrefix}{SessionId}/reference.jpg` and `.../audit_images/{n}.jpg`) show that face.
- An image under `{S3KeyPrefix}{SessionId}/document` (with any extension, or anything below a `document/` folder)
  shows the session's document face: the session's own face unless scripted, or no face at all when scripted so.
  By default a session's document and its live face are the same person, so the happy path matches.
- Any other image (bytes, or an object outside every session) shows one face labelled by a digest of its bytes:
  the same picture is the same person, two different pictures are two people.
- Two faces with the same label are SAME_FACE_SIMILARITY alike, two others DIFFERENT_FACE_SIMILARITY. A session's
  scripted similarity replaces both in every comparison whose probe is one of its images: CompareFaces' source
  image (else its target), the image SearchUsersByImage searches with, the face AssociateFaces adds to a user.
- A face indexed into a collection keeps the label and the session it had when it was indexed, so
  SearchUsersByImage finds a user by the label of the faces enrolled for it.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Final

from liveness_local.emulated_session import EmulatedSession, UnknownSessionError
from liveness_local.face_images import LoadedImage

DEFAULT_FACE: Final = "default-face"
SAME_FACE_SIMILARITY: Final = 99.2
DIFFERENT_FACE_SIMILARITY: Final = 8.5
# A face label: short, and safe in a URL, a log line and an S3 key.
FACE_LABEL_PATTERN: Final = r"[A-Za-z0-9_.:\-]{1,64}"

_LIVE_IMAGES: Final = re.compile(r"reference\.jpg|audit_images/[^/]+")
_DOCUMENT: Final = "document"


class SameAsFace(Enum):
    """The one value that says "the session's own face" where a label or None is expected."""

    SAME_AS_FACE = "same-as-face"


# "The document shows the session's own face" (the default), where a label or None is expected.
SAME_AS_FACE: Final = SameAsFace.SAME_AS_FACE


@dataclass(frozen=True)
class FaceScript:
    """What a session's images show: its live face, its document's face (None: no face), and a similarity that
    replaces the derived one when set."""

    face: str = DEFAULT_FACE
    document_face: str | None = DEFAULT_FACE
    similarity: float | None = None

    def __post_init__(self) -> None:
        for label in (self.face, self.document_face):
            if label is not None and re.fullmatch(FACE_LABEL_PATTERN, label) is None:
                raise ValueError(f"a face label must match {FACE_LABEL_PATTERN}, got {label!r}")
        if self.similarity is not None and not (math.isfinite(self.similarity) and 0 <= self.similarity <= 100):
            raise ValueError(f"similarity must be 0-100, got {self.similarity}")


@dataclass(frozen=True)
class SeenFace:
    """A face the emulator detected in an image: its label, and the session whose image it is (None: no session's)."""

    label: str
    session_id: str | None = None


class FaceScripts:
    """Each session's script, and what it makes of images. Not locked: its owner's lock guards it.

    `sessions` is the liveness emulator's own table of sessions, read as it stands at each call."""

    def __init__(self, sessions: Mapping[str, EmulatedSession]) -> None:
        self._sessions = sessions
        self._scripts: dict[str, FaceScript] = {}

    def set(self, session_id: str, script: FaceScript) -> None:
        """Script the session's faces, replacing what was scripted before; UnknownSessionError for a session the
        emulator never created."""
        if session_id not in self._sessions:
            raise UnknownSessionError(session_id)
        self._scripts[session_id] = script

    def of(self, session_id: str) -> FaceScript:
        """The session's script; the default one when it has none."""
        return self._scripts.get(session_id, FaceScript())

    def clear(self) -> None:
        self._scripts.clear()

    def faces_in(self, image: LoadedImage) -> list[SeenFace]:
        """The faces the image shows, largest first (here: at most one)."""
        placed = self._place(image)
        if placed is None:
            return [SeenFace(f"image-{hashlib.sha256(image.data).hexdigest()[:16]}")]
        session_id, is_document = placed
        script = self.of(session_id)
        label = script.document_face if is_document else script.face
        return [] if label is None else [SeenFace(label, session_id)]

    def similarity(self, probe: SeenFace, other: SeenFace, *, fallback: SeenFace | None = None) -> float:
        """How alike two faces are (0-100): the probe's session's scripted similarity, else the fallback's, else
        what their labels say."""
        for face in (probe, fallback):
            if face is not None and face.session_id is not None:
                scripted = self.of(face.session_id).similarity
                if scripted is not None:
                    return scripted
        return SAME_FACE_SIMILARITY if probe.label == other.label else DIFFERENT_FACE_SIMILARITY

    def _place(self, image: LoadedImage) -> tuple[str, bool] | None:
        """The session whose image this S3 object is, and whether it is its document; None when it is no session's
        live image or document."""
        if image.bucket is None or image.key is None:
            return None
        for session_id, session in self._sessions.items():
            output = session.settings.get("OutputConfig")
            if output is None or output["S3Bucket"] != image.bucket:
                continue
            prefix = f"{output.get('S3KeyPrefix', '')}{session_id}/"
            if not image.key.startswith(prefix):
                continue
            rest = image.key.removeprefix(prefix)
            if rest.split("/", 1)[0].split(".", 1)[0] == _DOCUMENT:
                return session_id, True
            if _LIVE_IMAGES.fullmatch(rest):
                return session_id, False
        return None
