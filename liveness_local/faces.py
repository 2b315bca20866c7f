"""Rekognition's face matching (collections, faces, users and CompareFaces), emulated for the twin and the tests.

moto has no users and answers CompareFaces with a canned result, so `FaceMatchEmulator` answers these operations
itself, behind the same `before-send` hook as the Face Liveness emulator (`FaceLivenessEmulator.faces`), under its
lock. Every request is checked against botocore's service model; images are read from the twin's S3
(`liveness_local.face_images`); what an image shows, and how alike two faces are, is scripted per session
(`liveness_local.face_scripts`).

What each operation does, from the API reference (https://docs.aws.amazon.com/rekognition/latest/APIReference/):
- CompareFaces (API_CompareFaces.html): the source image's largest face against each target face; FaceMatches at
  or above SimilarityThreshold (default 80), the rest UnmatchedFaces. No face in the source or the target image is
  InvalidParameterException ("If no faces are detected in the source or target images, CompareFaces returns an
  InvalidParameterException error").
- IndexFaces (API_IndexFaces.html): each face found is added with a new FaceId; an image without a face indexes
  nothing and is no error; faces beyond MaxFaces are UnindexedFaces with EXCEEDS_MAX_FACES.
- CreateUser (API_CreateUser.html): an existing UserId is ConflictException ("A User with the same Id already
  exists within the collection"); the same ClientRequestToken returns the same response.
- AssociateFaces (API_AssociateFaces.html): a face already the user's is ignored; one not found, associated to a
  different user, or below UserMatchThreshold (default 75) against the user's faces is an
  UnsuccessfulFaceAssociation with that reason; a user may have 100 faces, more is ServiceQuotaExceededException.
- SearchUsersByImage (API_SearchUsersByImage.html): users at or above UserMatchThreshold (default 80), most alike
  first; "If no valid face is detected in the image, the response will contain an empty UserMatches list and no
  SearchedFace object".
- DeleteFaces (API_DeleteFaces.html, API_UnsuccessfulFaceDeletion.html): a face not found, or associated to a user,
  is an UnsuccessfulFaceDeletion (FACE_NOT_FOUND, ASSOCIATED_TO_AN_EXISTING_USER).
- DeleteUser (API_DeleteUser.html): disassociates the user's faces, then deletes it; "If the specified Collection
  or UserID is already deleted or not found, a ResourceNotFoundException will be thrown".
- ListUsers (API_ListUsers.html), CreateCollection, DescribeCollection, DeleteCollection. A missing collection is
  ResourceNotFoundException everywhere; a reused ClientRequestToken with other parameters is
  IdempotentParameterMismatchException (the model's documentation of that error).

Where the service's behaviour is not documented, the emulator assumes (each in one place, here or in
`liveness_local.face_collection`): every change is complete when its call returns (a user with faces is ACTIVE at
once, never UPDATING); a DeleteFaces that deletes nothing leaves out DeletedFaces (the model's `FaceIdList` has a
minimum length of 1); an UnsuccessfulFaceAssociation names the user a face already belongs to; ListUsers and
SearchUsersByImage return up to 500 users when not told otherwise (the model's maximum); users are listed in the
order of a key made at their creation (the NextToken is the last key listed); a ClientRequestToken is remembered
for as long as the emulator runs; the collection's ARN has moto's account.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

from liveness_api.vocabulary import FaceOperation
from liveness_local.emulated_session import EmulatedSession
from liveness_local.face_collection import ACTIVE, CollectionView, FaceCollection
from liveness_local.face_images import (
    FACE_MODEL_VERSION,
    compared_face,
    face_detail,
    indexed_face,
    load_image,
    refuse_inline_images_too_large,
    source_face,
)
from liveness_local.face_scripts import DEFAULT_FACE, SAME_AS_FACE, FaceScript, FaceScripts, SameAsFace, SeenFace
from liveness_local.refusal import FaceErrorCode, Refused
from liveness_local.service_model import operation_model, validate

_SERVICE: Final = "rekognition"
_ACCOUNT: Final = "123456789012"  # moto's account, as the twin's other ARNs
_COMPARE_THRESHOLD: Final = 80.0
_SEARCH_THRESHOLD: Final = 80.0
_ASSOCIATE_THRESHOLD: Final = 75.0
_MAX_USERS: Final = 500


class FaceMatchEmulator:
    """Collections, faces, users and CompareFaces, answered from the scripted world of `face_scripts`.

    `operations` are called by the Face Liveness emulator's hook with `lock` held; the control methods take it."""

    def __init__(
        self,
        s3_client: Any,
        *,
        lock: threading.Lock,
        sessions: Mapping[str, EmulatedSession],
        clock: Callable[[], datetime],
        region: str,
    ) -> None:
        self._s3 = s3_client
        self._lock = lock
        self._clock = clock
        self._region = region
        self._scripts = FaceScripts(sessions)
        self._collections: dict[str, FaceCollection] = {}
        self._tokens: dict[tuple[str, str], tuple[Mapping[str, Any], dict[str, Any]]] = {}
        self.operations: Mapping[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = MappingProxyType(
            {
                FaceOperation.COMPARE_FACES: self._compare_faces,
                FaceOperation.INDEX_FACES: self._index_faces,
                FaceOperation.CREATE_USER: self._create_user,
                FaceOperation.ASSOCIATE_FACES: self._associate_faces,
                FaceOperation.SEARCH_USERS_BY_IMAGE: self._search_users_by_image,
                FaceOperation.DELETE_FACES: self._delete_faces,
                FaceOperation.DELETE_USER: self._delete_user,
                FaceOperation.LIST_USERS: self._list_users,
                "CreateCollection": self._create_collection,
                "DescribeCollection": self._describe_collection,
                "DeleteCollection": self._delete_collection,
            }
        )

    def script(
        self,
        session_id: str,
        *,
        face: str = DEFAULT_FACE,
        document_face: str | SameAsFace | None = SAME_AS_FACE,
        similarity: float | None = None,
    ) -> FaceScript:
        """Script what the session's images show, replacing its previous script: its live `face`, its document's
        face (the live face by default; None: no face), and a `similarity` that replaces the derived one.
        Raises UnknownSessionError for a session never created, ValueError for a bad label or similarity."""
        document = face if document_face is SAME_AS_FACE else document_face
        script = FaceScript(face, document, None if similarity is None else float(similarity))
        with self._lock:
            self._scripts.set(session_id, script)
        return script

    def script_of(self, session_id: str) -> FaceScript:
        """The session's script; the default one when it has none."""
        with self._lock:
            return self._scripts.of(session_id)

    def collection(self, collection_id: str) -> CollectionView | None:
        """The collection as it stands; None when it does not exist."""
        with self._lock:
            found = self._collections.get(collection_id)
            return None if found is None else found.view()

    def reset(self) -> None:
        """Forget scripts and tokens, and empty every collection; the collections themselves stay, as the stack's
        resources do."""
        with self._lock:
            self._scripts.clear()
            self._tokens.clear()
            for collection in self._collections.values():
                collection.empty()

    def _compare_faces(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _require_valid(FaceOperation.COMPARE_FACES, params)
        sources = self._faces_in(params["SourceImage"])
        targets = self._faces_in(params["TargetImage"])
        if not sources or not targets:
            raise Refused(FaceErrorCode.INVALID_PARAMETER, "Request has invalid parameters")
        probe, threshold = sources[0], params.get("SimilarityThreshold", _COMPARE_THRESHOLD)
        scored = sorted(
            ((self._scripts.similarity(probe, face, fallback=face), index) for index, face in enumerate(targets)),
            reverse=True,
        )
        return {
            "SourceImageFace": source_face(0),
            "FaceMatches": [
                {"Similarity": similarity, "Face": compared_face(index)}
                for similarity, index in scored
                if similarity >= threshold
            ],
            "UnmatchedFaces": [compared_face(index) for similarity, index in scored if similarity < threshold],
        }

    def _index_faces(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _require_valid(FaceOperation.INDEX_FACES, params)
        collection = self._collection(params["CollectionId"])
        faces = self._faces_in(params["Image"])
        limit = params.get("MaxFaces", len(faces))
        image_id, external_image_id = str(uuid.uuid4()), params.get("ExternalImageId")
        records = []
        for index, face in enumerate(faces[:limit]):
            indexed = collection.index(face, image_id, external_image_id)
            records.append(
                {
                    "Face": indexed_face(index, indexed.face_id, image_id, external_image_id),
                    "FaceDetail": face_detail(index),
                }
            )
        unindexed = [
            {"Reasons": ["EXCEEDS_MAX_FACES"], "FaceDetail": face_detail(index)} for index in range(limit, len(faces))
        ]
        return {"FaceRecords": records, "FaceModelVersion": FACE_MODEL_VERSION, "UnindexedFaces": unindexed}

    def _create_user(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _require_valid(FaceOperation.CREATE_USER, params)

        def create() -> dict[str, Any]:
            self._collection(params["CollectionId"]).create_user(params["UserId"])
            return {}

        return self._once(FaceOperation.CREATE_USER, params, create)

    def _associate_faces(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _require_valid(FaceOperation.ASSOCIATE_FACES, params)
        return self._once(
            FaceOperation.ASSOCIATE_FACES,
            params,
            lambda: self._collection(params["CollectionId"]).associate(
                params["UserId"],
                params["FaceIds"],
                params.get("UserMatchThreshold", _ASSOCIATE_THRESHOLD),
                self._scripts.similarity,
            ),
        )

    def _search_users_by_image(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _require_valid(FaceOperation.SEARCH_USERS_BY_IMAGE, params)
        collection = self._collection(params["CollectionId"])
        faces = self._faces_in(params["Image"])
        if not faces:
            return {"UserMatches": [], "FaceModelVersion": FACE_MODEL_VERSION, "UnsearchedFaces": []}
        probe, threshold = faces[0], params.get("UserMatchThreshold", _SEARCH_THRESHOLD)
        scored = [
            (collection.user_similarity(user_id, probe, self._scripts.similarity), user_id)
            for user_id in collection.searchable_users()
        ]
        matches = sorted((match for match in scored if match[0] >= threshold), key=lambda match: -match[0])
        return {
            "UserMatches": [
                {"Similarity": similarity, "User": {"UserId": user_id, "UserStatus": ACTIVE}}
                for similarity, user_id in matches[: params.get("MaxUsers", _MAX_USERS)]
            ],
            "FaceModelVersion": FACE_MODEL_VERSION,
            "SearchedFace": {"FaceDetail": face_detail(0)},
            "UnsearchedFaces": [
                {"FaceDetails": face_detail(index), "Reasons": ["FACE_NOT_LARGEST"]} for index in range(1, len(faces))
            ],
        }

    def _delete_faces(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _require_valid(FaceOperation.DELETE_FACES, params)
        return self._collection(params["CollectionId"]).delete_faces(params["FaceIds"])

    def _delete_user(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _require_valid(FaceOperation.DELETE_USER, params)

        def delete() -> dict[str, Any]:
            self._collection(params["CollectionId"]).delete_user(params["UserId"])
            return {}

        return self._once(FaceOperation.DELETE_USER, params, delete)

    def _list_users(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _require_valid(FaceOperation.LIST_USERS, params)
        collection = self._collection(params["CollectionId"])
        return collection.list_users(params.get("NextToken"), params.get("MaxResults", _MAX_USERS))

    def _create_collection(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _require_valid("CreateCollection", params)
        collection_id = params["CollectionId"]
        if collection_id in self._collections:
            raise Refused(FaceErrorCode.RESOURCE_ALREADY_EXISTS, f"The collection id: {collection_id} already exists")
        arn = f"arn:aws:rekognition:{self._region}:{_ACCOUNT}:collection/{collection_id}"
        self._collections[collection_id] = FaceCollection(collection_id, arn, self._clock())
        return {"StatusCode": 200, "CollectionArn": arn, "FaceModelVersion": FACE_MODEL_VERSION}

    def _describe_collection(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _require_valid("DescribeCollection", params)
        collection = self._collection(params["CollectionId"])
        return {
            "FaceCount": len(collection.faces),
            "FaceModelVersion": FACE_MODEL_VERSION,
            "CollectionARN": collection.arn,
            "CreationTimestamp": collection.created_at,
            "UserCount": len(collection.users),
        }

    def _delete_collection(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _require_valid("DeleteCollection", params)
        self._collection(params["CollectionId"])
        del self._collections[params["CollectionId"]]
        return {"StatusCode": 200}

    def _faces_in(self, image: Mapping[str, Any]) -> list[SeenFace]:
        return self._scripts.faces_in(load_image(self._s3, self._region, image))

    def _collection(self, collection_id: str) -> FaceCollection:
        found = self._collections.get(collection_id)
        if found is None:
            raise Refused(FaceErrorCode.RESOURCE_NOT_FOUND, f"The collection id: {collection_id} does not exist")
        return found

    def _once(self, operation: str, params: Mapping[str, Any], apply: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """`apply`, unless its ClientRequestToken was used before: then that call's response, if the parameters are
        the same. Only a call that succeeded is remembered: a refused one changed nothing."""
        token = params.get("ClientRequestToken")
        if token is not None and (operation, token) in self._tokens:
            remembered, response = self._tokens[(operation, token)]
            if remembered != params:
                raise Refused(
                    FaceErrorCode.IDEMPOTENT_PARAMETER_MISMATCH,
                    "ClientRequestToken was reused with different parameters",
                )
            return response
        response = apply()
        if token is not None:
            self._tokens[(operation, token)] = (dict(params), response)
        return response


def _require_valid(operation: str, params: Mapping[str, Any]) -> None:
    refuse_inline_images_too_large(params)
    problems = validate(operation_model(_SERVICE, operation).input_shape, params)
    if problems:
        raise Refused(FaceErrorCode.INVALID_PARAMETER, f"Request has invalid parameters: {'; '.join(problems)}")
