"""The face match a session's create asks for, decided on the server with its liveness verdict.

The images are always the server's: the session's reference image, from the session's own Face Liveness result,
and, for DOCUMENT, the ID photo at the session's fixed key (`adapters.documents`); for ENROLLED_PERSON, the user of
the caller's own person in the stack's collection. No request names a key, a face or a person.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from liveness_api.decision import match_outcome
from liveness_api.errors import DomainError
from liveness_api.models import DocumentUpload, ImageReference, MatchRequest, MatchResult
from liveness_api.ports import DocumentUploads, Enrolments, FaceMatching, NoComparableFace, StoredImage
from liveness_api.vocabulary import MatchOutcome, MatchTarget, Verdict


def person_user_id(owner: str) -> str:
    """The collection's UserId of the owner's person: a pseudonym (SHA-256 hex fits UserId's `[a-zA-Z0-9_.\\-:]+`,
    1-128), so the collection never holds an identity in clear, and each owner has exactly one person. Never logged
    nor put in a metric."""
    return hashlib.sha256(f"person\n{owner}".encode()).hexdigest()


def reference_of(image: ImageReference | None) -> StoredImage | None:
    return None if image is None else StoredImage(key=image.key, version=image.version)


class FaceMatches:
    def __init__(
        self,
        *,
        threshold: float,
        upload_seconds: int,
        matching: FaceMatching,
        documents: DocumentUploads,
        enrolments: Enrolments,
    ) -> None:
        self.threshold = threshold
        self._upload_lifetime = timedelta(seconds=upload_seconds)
        self._matching = matching
        self._documents = documents
        self._enrolments = enrolments

    def check_request(self, match: MatchRequest | None, person_refusal: DomainError | None) -> MatchTarget | None:
        """The target a create asks for; refused where the caller is no person to match against."""
        if match is None:
            return None
        if match.against is MatchTarget.ENROLLED_PERSON and person_refusal is not None:
            raise person_refusal
        return match.against

    def upload_target(self, session_id: str, match: MatchRequest, now: datetime) -> DocumentUpload | None:
        """Where a DOCUMENT match's ID photo goes; None for any other target."""
        if match.against is not MatchTarget.DOCUMENT:
            return None
        return self._documents.upload_target(session_id, match.document_content_type, now + self._upload_lifetime, now)

    def decide(
        self, owner: str, session_id: str, target: MatchTarget, verdict: Verdict, reference: ImageReference | None
    ) -> MatchResult:
        """The match of a decided session. Faults (FaceMatchFailed, DependencyFailed) propagate: nothing is decided
        on them, so the next read tries again."""
        if verdict is not Verdict.LIVE:
            return self._result(target, MatchOutcome.NOT_ATTEMPTED)
        live_face = reference_of(reference)
        if target is MatchTarget.DOCUMENT:
            return self._against_document(session_id, live_face)
        return self._against_person(owner, live_face)

    def _against_document(self, session_id: str, live_face: StoredImage | None) -> MatchResult:
        document = self._documents.uploaded(session_id)
        if document is None:
            return self._result(MatchTarget.DOCUMENT, MatchOutcome.NOT_UPLOADED)
        if live_face is None:
            return self._result(MatchTarget.DOCUMENT, MatchOutcome.NO_FACE)
        try:
            # The photo is the source: CompareFaces answers a source without a face with an error, and compares its
            # largest face (the portrait) with every face of the target.
            similarity = self._matching.compare(document, live_face)
        except NoComparableFace:
            return self._result(MatchTarget.DOCUMENT, MatchOutcome.NO_FACE)
        return self._compared(MatchTarget.DOCUMENT, similarity)

    def _against_person(self, owner: str, live_face: StoredImage | None) -> MatchResult:
        person = self._enrolments.get_person(owner)
        if person is None or not person.enrolled:
            return self._result(MatchTarget.ENROLLED_PERSON, MatchOutcome.NOT_ENROLLED)
        if live_face is None:
            return self._result(MatchTarget.ENROLLED_PERSON, MatchOutcome.NO_FACE)
        try:
            # Every user's similarity is learnt (threshold 0) and only the owner's own user is read: the threshold is
            # this deployment's, applied here, and no other user's answer is ever used or returned.
            users = self._matching.search_users(live_face, threshold=0.0)
        except NoComparableFace:
            return self._result(MatchTarget.ENROLLED_PERSON, MatchOutcome.NO_FACE)
        return self._compared(MatchTarget.ENROLLED_PERSON, users.get(person_user_id(owner)))

    def _compared(self, target: MatchTarget, similarity: float | None) -> MatchResult:
        return self._result(target, match_outcome(similarity, self.threshold), similarity)

    def _result(self, target: MatchTarget, outcome: MatchOutcome, similarity: float | None = None) -> MatchResult:
        return MatchResult(against=target, outcome=outcome, similarity=similarity, threshold=self.threshold)
