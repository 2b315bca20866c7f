"""Enrolment: the face of one of the caller's own LIVE sessions becomes its person's, in the stack's collection; and
its erasure. The person is always the caller's owner (`face_match.person_user_id`): a request names a session of its
own, never a person, a face or an image.

Enrolling: CreateUser (idempotent), IndexFaces on the session's reference image, the face id recorded in the ledger
(so that erasure finds it whatever fails next), AssociateFaces at the match threshold (a face that does not match the
person's earlier faces is refused, deleted again, and answered 409). With the duplicate check on, a face that
already matches another person is refused first, without saying whose. Enrolling the same session again changes
nothing.
"""

from __future__ import annotations

from datetime import datetime

from liveness_api.errors import (
    DomainError,
    EnrolmentNoReferenceImage,
    EnrolmentSessionNotLive,
    EnrolmentSessionStale,
    FaceAlreadyEnrolled,
    FaceNotThisPerson,
)
from liveness_api.face_match import person_user_id, reference_of
from liveness_api.metrics_catalogue import ENROLMENT_ERASED, PERSON_ENROLLED
from liveness_api.models import EnrolmentResponse
from liveness_api.observability import logger, record_metric
from liveness_api.ports import Enrolments, FaceMatching, NoComparableFace, StoredImage
from liveness_api.sessions import Clock, LivenessSessions
from liveness_api.vocabulary import CallerLimit, Verdict


class PersonEnrolment:
    def __init__(
        self,
        *,
        sessions: LivenessSessions,
        threshold: float,
        duplicate_check: bool,
        matching: FaceMatching,
        enrolments: Enrolments,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._threshold = threshold
        self._duplicate_check = duplicate_check
        self._matching = matching
        self._enrolments = enrolments
        self._clock = clock

    def enrol(
        self, owner: str, session_id: str, backend: str | None = None, person_refusal: DomainError | None = None
    ) -> EnrolmentResponse:
        """Counted as a create (it adds to the collection); `person_refusal` as for LivenessSessions.create."""
        if person_refusal is not None:
            raise person_refusal
        results, stale = self._sessions.recorded_results(owner, session_id, CallerLimit.CREATES, backend)
        if results is None or results.decision is not Verdict.LIVE:
            raise EnrolmentSessionNotLive()
        if stale:
            raise EnrolmentSessionStale()
        live_face = reference_of(results.reference_image)
        if live_face is None:
            raise EnrolmentNoReferenceImage()
        user_id = person_user_id(owner)
        person = self._enrolments.get_person(owner)
        face = person.faces.get(session_id) if person is not None else None
        if face is not None and face.associated and person is not None and person.enrolled_at is not None:
            return EnrolmentResponse(session_id=session_id, enrolled_at=person.enrolled_at)  # enrolled already
        if face is None:
            if self._duplicate_check:
                self._refuse_anothers_face(live_face, user_id)
            if person is None:
                self._matching.create_user(user_id)
            face_id = self._matching.index_face(live_face, external_image_id=session_id)
            if face_id is None:
                raise EnrolmentNoReferenceImage()
            self._enrolments.record_face(owner, session_id, face_id)
        else:
            face_id = face.face_id  # indexed by an earlier attempt that failed before its association
        if not self._matching.associate_face(user_id, face_id, self._threshold):
            self._matching.delete_faces((face_id,))
            self._enrolments.forget_face(owner, session_id)
            raise FaceNotThisPerson()
        enrolled = self._enrolments.mark_associated(owner, session_id, self._clock())
        record_metric(PERSON_ENROLLED)
        logger.info("Person enrolled", extra={"session_id": session_id})
        return EnrolmentResponse(session_id=session_id, enrolled_at=enrolled.enrolled_at or self._now())

    def erase(self, owner: str, backend: str | None = None, person_refusal: DomainError | None = None) -> None:
        """Every face and the user, then the ledger's record of them; idempotent. A failure midway leaves the
        record, so a repeated DELETE finishes the job."""
        if person_refusal is not None:
            raise person_refusal
        self._sessions.admit(owner, CallerLimit.READS, backend)
        person = self._enrolments.get_person(owner)
        # The user first: deleting it disassociates its faces, and Rekognition deletes no face still associated.
        # Also without a record: a user created by an enrolment that failed before recording its first face.
        self._matching.delete_user(person_user_id(owner))
        if person is None:
            return
        self._matching.delete_faces(tuple(face.face_id for face in person.faces.values()))
        self._enrolments.delete_person(owner)
        record_metric(ENROLMENT_ERASED)
        logger.info("Enrolment erased", extra={"faces_deleted": len(person.faces)})

    def _refuse_anothers_face(self, live_face: StoredImage, user_id: str) -> None:
        try:
            matches = self._matching.search_users(live_face, threshold=self._threshold)
        except NoComparableFace:
            raise EnrolmentNoReferenceImage() from None
        if any(other != user_id for other in matches):
            # Whose face it is stays unsaid, as does how similar.
            raise FaceAlreadyEnrolled()

    def _now(self) -> datetime:
        return self._clock()
