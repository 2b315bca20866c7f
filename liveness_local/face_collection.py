"""One emulated Rekognition collection: its faces and users, and the rules that change them (`liveness_local.faces`
answers the requests; the rules' sources are cited there).

Not locked: the face-matching emulator's lock (the Face Liveness emulator's) guards every collection.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

from liveness_local.face_scripts import SeenFace
from liveness_local.refusal import FaceErrorCode, Refused

MAX_FACES_PER_USER: Final = 100
ACTIVE, CREATED = "ACTIVE", "CREATED"

# How alike a probe face is to a face of the collection (`FaceScripts.similarity`).
Similarity = Callable[[SeenFace, SeenFace], float]


@dataclass(frozen=True)
class IndexedFace:
    """A face in a collection: the face it was (label and session), its image, and the user it belongs to."""

    face_id: str
    image_id: str
    face: SeenFace
    external_image_id: str | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class CollectionView:
    """A collection as it stands: its faces by id, and each user's face ids in the order they were associated."""

    collection_id: str
    faces: Mapping[str, IndexedFace]
    users: Mapping[str, tuple[str, ...]]


@dataclass
class _User:
    key: str  # the "system generated" id ListUsers sorts by
    face_ids: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        # Every change is complete when its call returns: a user with faces is ACTIVE at once, never UPDATING.
        return ACTIVE if self.face_ids else CREATED


@dataclass
class FaceCollection:
    collection_id: str
    arn: str
    created_at: datetime
    faces: dict[str, IndexedFace] = field(default_factory=dict)
    users: dict[str, _User] = field(default_factory=dict)

    def view(self) -> CollectionView:
        return CollectionView(
            self.collection_id,
            MappingProxyType(dict(self.faces)),
            MappingProxyType({user_id: tuple(user.face_ids) for user_id, user in self.users.items()}),
        )

    def empty(self) -> None:
        self.faces.clear()
        self.users.clear()

    def index(self, face: SeenFace, image_id: str, external_image_id: str | None) -> IndexedFace:
        indexed = IndexedFace(str(uuid.uuid4()), image_id, face, external_image_id)
        self.faces[indexed.face_id] = indexed
        return indexed

    def create_user(self, user_id: str) -> None:
        if user_id in self.users:
            raise Refused(FaceErrorCode.CONFLICT, "A User with the same Id already exists within the collection")
        self.users[user_id] = _User(key=str(uuid.uuid4()))

    def user_similarity(self, user_id: str, probe: SeenFace, similarity: Similarity) -> float:
        """How alike the probe is to the user: to the most alike of its faces (0 for a user without faces)."""
        faces = [self.faces[face_id].face for face_id in self._user(user_id).face_ids]
        return max((similarity(probe, face) for face in faces), default=0.0)

    def associate(self, user_id: str, face_ids: list[str], threshold: float, similarity: Similarity) -> dict[str, Any]:
        """AssociateFaces' answer, the faces it could associate associated."""
        user = self._user(user_id)
        associating: list[str] = []
        unsuccessful: list[dict[str, Any]] = []
        for face_id in dict.fromkeys(face_ids):
            face = self.faces.get(face_id)
            if face is None:
                unsuccessful.append({"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]})
            elif face.user_id == user_id:
                continue  # "already associated with the given UserID, it will be ignored"
            elif face.user_id is not None:
                unsuccessful.append(
                    {"FaceId": face_id, "UserId": face.user_id, "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]}
                )
            elif user.face_ids and (confidence := self.user_similarity(user_id, face.face, similarity)) < threshold:
                unsuccessful.append(
                    {
                        "FaceId": face_id,
                        "UserId": user_id,
                        "Confidence": confidence,
                        "Reasons": ["LOW_MATCH_CONFIDENCE"],
                    }
                )
            else:
                associating.append(face_id)
        if len(user.face_ids) + len(associating) > MAX_FACES_PER_USER:
            raise Refused(FaceErrorCode.SERVICE_QUOTA_EXCEEDED, f"A user can have at most {MAX_FACES_PER_USER} faces")
        for face_id in associating:
            self.faces[face_id] = replace(self.faces[face_id], user_id=user_id)
            user.face_ids.append(face_id)
        return {
            "AssociatedFaces": [{"FaceId": face_id} for face_id in associating],
            "UnsuccessfulFaceAssociations": unsuccessful,
            "UserStatus": user.status,
        }

    def searchable_users(self) -> list[str]:
        """The users a search can find: those with at least one face."""
        return [user_id for user_id, user in self.users.items() if user.face_ids]

    def delete_faces(self, face_ids: list[str]) -> dict[str, Any]:
        """DeleteFaces' answer, the faces it could delete deleted."""
        deleted: list[str] = []
        unsuccessful: list[dict[str, Any]] = []
        for face_id in dict.fromkeys(face_ids):
            face = self.faces.get(face_id)
            if face is None:
                unsuccessful.append({"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]})
            elif face.user_id is not None:
                unsuccessful.append(
                    {"FaceId": face_id, "UserId": face.user_id, "Reasons": ["ASSOCIATED_TO_AN_EXISTING_USER"]}
                )
            else:
                del self.faces[face_id]
                deleted.append(face_id)
        response: dict[str, Any] = {"UnsuccessfulFaceDeletions": unsuccessful}
        # The model's FaceIdList has a minimum length of 1: a call that deletes nothing leaves the member out.
        if deleted:
            response["DeletedFaces"] = deleted
        return response

    def delete_user(self, user_id: str) -> None:
        """Disassociate the user's faces (they stay in the collection), then delete it."""
        for face_id in self._user(user_id).face_ids:
            self.faces[face_id] = replace(self.faces[face_id], user_id=None)
        del self.users[user_id]

    def list_users(self, after: str | None, limit: int) -> dict[str, Any]:
        """ListUsers' answer: users in the order of the key made at their creation, from after the `after` key."""
        ordered = sorted(self.users.items(), key=lambda item: item[1].key)
        if after is not None:
            if not _is_uuid(after):
                raise Refused(FaceErrorCode.INVALID_PAGINATION_TOKEN, "Pagination token in the request is not valid")
            ordered = [item for item in ordered if item[1].key > after]
        page = ordered[:limit]
        response: dict[str, Any] = {"Users": [{"UserId": user_id, "UserStatus": user.status} for user_id, user in page]}
        if len(ordered) > len(page):
            response["NextToken"] = page[-1][1].key
        return response

    def _user(self, user_id: str) -> _User:
        found = self.users.get(user_id)
        if found is None:
            raise Refused(FaceErrorCode.RESOURCE_NOT_FOUND, f"The user id: {user_id} does not exist")
        return found


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
