"""Helpers for the face-matching tests: collections, sessions with their images in S3, ID photos, enrolments, all
made through the real boto3 clients of the emulator's tests (tests/integration/emulator/conftest.py)."""

import uuid
from typing import Any, Final

from liveness_local.emulator import FaceLivenessEmulator
from liveness_local.jpeg import solid_grey_jpeg
from tests.integration.emulator.conftest import create

PREFIX: Final = "liveness/"
PHOTO: Final = solid_grey_jpeg(24, 32, 90)  # an ID photo: any JPEG other than the reference image


def new_collection(rekognition: Any) -> str:
    collection_id = f"faces-{uuid.uuid4().hex[:12]}"
    rekognition.create_collection(CollectionId=collection_id)
    return collection_id


def live_session(rekognition: Any, liveness: FaceLivenessEmulator, bucket: str, **script: Any) -> str:
    """A SUCCEEDED session whose images are in `bucket`, its faces scripted with `script` when given."""
    session_id = create(rekognition, Settings={"OutputConfig": {"S3Bucket": bucket, "S3KeyPrefix": PREFIX}})
    liveness.complete(session_id, confidence=99)
    if script:
        liveness.faces.script(session_id, **script)
    return session_id


def s3_image(bucket: str, key: str, **extra: str) -> dict[str, Any]:
    return {"S3Object": {"Bucket": bucket, "Name": key, **extra}}


def reference(bucket: str, session_id: str) -> dict[str, Any]:
    return s3_image(bucket, f"{PREFIX}{session_id}/reference.jpg")


def upload_document(
    s3: Any, bucket: str, session_id: str, body: bytes = PHOTO, name: str = "document"
) -> dict[str, Any]:
    key = f"{PREFIX}{session_id}/{name}"
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return s3_image(bucket, key)


def enrol(rekognition: Any, collection_id: str, user_id: str, image: dict[str, Any]) -> str:
    """The person `user_id`, created with the one face of `image`: that face's id."""
    rekognition.create_user(CollectionId=collection_id, UserId=user_id)
    face_id: str = rekognition.index_faces(CollectionId=collection_id, Image=image, MaxFaces=1)["FaceRecords"][0][
        "Face"
    ]["FaceId"]
    rekognition.associate_faces(CollectionId=collection_id, UserId=user_id, FaceIds=[face_id])
    return face_id


def similarity(rekognition: Any, source: dict[str, Any], target: dict[str, Any]) -> float:
    """CompareFaces' similarity of the two images' faces, whatever it is (threshold 0)."""
    response = rekognition.compare_faces(SourceImage=source, TargetImage=target, SimilarityThreshold=0)
    value: float = response["FaceMatches"][0]["Similarity"]
    return value
