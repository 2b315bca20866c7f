"""FaceMatching on botocore's Rekognition client: CompareFaces, and the stack's collection of enrolled persons (its
users). The only module that knows these operations' wire shapes; every call's faults are answered by
`adapters.faults` (counted as FaceMatchError), except the answers that are outcomes, not faults (no face in an
image, a user that exists already or no longer does).

CreateUser, AssociateFaces and DeleteUser take no ClientRequestToken from here: botocore fills in a fresh one per
call (the model marks it an idempotency token) and keeps it across its retries. A token derived from the user would
make a user created again after its erasure look like a replay of the first creation.

Images are always S3 objects in the stack's bucket under keys the domain chose, so no image bytes pass through the
function (https://docs.aws.amazon.com/rekognition/latest/APIReference/API_CompareFaces.html).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

from botocore.exceptions import ClientError

from liveness_api.adapters.faults import guarded
from liveness_api.metrics_catalogue import REKOGNITION_LATENCY
from liveness_api.observability import logger, record_metric
from liveness_api.ports import NoComparableFace, StoredImage
from liveness_api.vocabulary import Dependency, FaceOperation

# What Rekognition answers for an image it cannot compare: no face in it (InvalidParameterException, as the
# service documents for a source image without one), not a JPEG or PNG, too large, or an object it cannot read.
_NO_COMPARABLE_FACE: Final = frozenset(
    {
        "InvalidParameterException",
        "InvalidImageFormatException",
        "ImageTooLargeException",
        "InvalidS3ObjectException",
    }
)
_UNREADABLE_OBJECT: Final = "InvalidS3ObjectException"
# Low enough that every face Rekognition compares comes back with its similarity: the threshold is the domain's.
_REPORT_EVERY_SIMILARITY: Final = 0.0
# The most users one search answers: the person's own user ranks first when it matches at all, and the duplicate
# check needs only to know that some other user matches.
_MAX_USERS: Final = 10


class RekognitionFaces:
    def __init__(self, client: Any, *, bucket: str, collection_id: str) -> None:
        self._client = client
        self._bucket = bucket
        self._collection = collection_id

    def _image(self, image: StoredImage) -> dict[str, Any]:
        s3_object: dict[str, str] = {"Bucket": self._bucket, "Name": image.key}
        if image.version is not None:
            s3_object["Version"] = image.version
        return {"S3Object": s3_object}

    def compare(self, source: StoredImage, target: StoredImage) -> float | None:
        with self._call(FaceOperation.COMPARE_FACES), _comparable(FaceOperation.COMPARE_FACES):
            response = self._client.compare_faces(
                SourceImage=self._image(source),
                TargetImage=self._image(target),
                SimilarityThreshold=_REPORT_EVERY_SIMILARITY,
                QualityFilter="AUTO",
            )
        similarities = [float(match["Similarity"]) for match in response.get("FaceMatches", [])]
        return max(similarities) if similarities else None

    def search_users(self, image: StoredImage, threshold: float) -> Mapping[str, float]:
        with self._call(FaceOperation.SEARCH_USERS_BY_IMAGE), _comparable(FaceOperation.SEARCH_USERS_BY_IMAGE):
            response = self._client.search_users_by_image(
                CollectionId=self._collection,
                Image=self._image(image),
                UserMatchThreshold=threshold,
                MaxUsers=_MAX_USERS,
                QualityFilter="AUTO",
            )
        if "SearchedFace" not in response:
            # The service answers an image without a valid face with no SearchedFace (and no matches), not an error.
            raise NoComparableFace("no face searched")
        return {
            match["User"]["UserId"]: float(match["Similarity"])
            for match in response.get("UserMatches", [])
            if "UserId" in match.get("User", {}) and "Similarity" in match
        }

    def create_user(self, user_id: str) -> None:
        with self._call(FaceOperation.CREATE_USER), _tolerating(FaceOperation.CREATE_USER, "ConflictException"):
            self._client.create_user(CollectionId=self._collection, UserId=user_id)

    def index_face(self, image: StoredImage, external_image_id: str) -> str | None:
        with self._call(FaceOperation.INDEX_FACES):
            response = self._client.index_faces(
                CollectionId=self._collection,
                Image=self._image(image),
                ExternalImageId=external_image_id,
                MaxFaces=1,
                QualityFilter="AUTO",
            )
        records = response.get("FaceRecords", [])
        return str(records[0]["Face"]["FaceId"]) if records else None

    def associate_face(self, user_id: str, face_id: str, threshold: float) -> bool:
        with self._call(FaceOperation.ASSOCIATE_FACES):
            response = self._client.associate_faces(
                CollectionId=self._collection,
                UserId=user_id,
                FaceIds=[face_id],
                UserMatchThreshold=threshold,
            )
        refused = [entry.get("Reasons", []) for entry in response.get("UnsuccessfulFaceAssociations", [])]
        if refused:
            # The reasons are the service's fixed words (LOW_MATCH_CONFIDENCE, ...): never an id.
            logger.info("Face association refused", extra={"reasons": sorted({r for rs in refused for r in rs})})
        return any(face.get("FaceId") == face_id for face in response.get("AssociatedFaces", []))

    def delete_faces(self, face_ids: tuple[str, ...]) -> None:
        if not face_ids:
            return
        with self._call(FaceOperation.DELETE_FACES):
            # Faces deleted already come back as UnsuccessfulFaceDeletions: erasure is done all the same.
            self._client.delete_faces(CollectionId=self._collection, FaceIds=list(face_ids))

    def delete_user(self, user_id: str) -> None:
        # A user that does not exist (erased already, or never created) is erased.
        with self._call(FaceOperation.DELETE_USER), _tolerating(FaceOperation.DELETE_USER, "ResourceNotFoundException"):
            self._client.delete_user(CollectionId=self._collection, UserId=user_id)

    @contextmanager
    def _call(self, operation: FaceOperation) -> Iterator[None]:
        started = time.perf_counter()
        try:
            with guarded(Dependency.FACE_MATCHING, operation):
                yield
        finally:
            record_metric(REKOGNITION_LATENCY, (time.perf_counter() - started) * 1000, operation)


@contextmanager
def _comparable(operation: FaceOperation) -> Iterator[None]:
    """Turn Rekognition's "no face I can compare" answers into NoComparableFace; every other error is a fault."""
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code not in _NO_COMPARABLE_FACE:
            raise
        # The code only: the message may quote the key, and with it the session id.
        where = {"operation": operation, "error_code": code}
        if code == _UNREADABLE_OBJECT:
            # Also what a role without kms:Decrypt (or s3:GetObjectVersion) on the images gets: worth a look if
            # it repeats, though a photo that is no image at all reads the same.
            logger.warning(
                "Rekognition could not read an image; if this repeats, check the role's image grants", extra=where
            )
        else:
            logger.info("No comparable face in an image", extra=where)
        raise NoComparableFace(code) from None


@contextmanager
def _tolerating(operation: FaceOperation, code: str) -> Iterator[None]:
    """An answer that means the call's purpose holds already (the user exists, or is gone): no fault."""
    try:
        yield
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != code:
            raise
        logger.debug("Face collection call answered as done already", extra={"operation": operation, "code": code})
