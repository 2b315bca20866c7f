"""How the face-matching emulator reads an `Image` (its bytes, or an S3 object of the twin's S3) and how it writes
the faces it finds, as Rekognition's image operations do.

What it enforces, each from AWS's documentation:
- an image is given as `Bytes` or as an `S3Object`, not both and not neither;
- `Bytes` up to 5 MB (the model's `ImageBlob` max) and an S3 object up to 15 MB, else ImageTooLargeException
  ("Maximum image size stored as an Amazon S3 object is limited to 15 MB", "Maximum image size as raw bytes passed
  in as parameter to an API is 5 MB": https://docs.aws.amazon.com/rekognition/latest/dg/limits.html);
- only PNG and JPEG, told apart by their signatures, else InvalidImageFormatException (same page: "Amazon
  Rekognition supports the PNG and JPEG image formats");
- an S3 object Rekognition cannot read (no such bucket, key or version, or a bucket in another region: the service
  reads only from its own region) is InvalidS3ObjectException ("Amazon Rekognition is unable to access the S3
  object specified in the request", https://docs.aws.amazon.com/rekognition/latest/APIReference/API_CompareFaces.html).

The faces are written with the members every detected face has (bounding box, confidence, the five default
landmarks, pose, quality); attributes that only `DetectionAttributes=["ALL"]` adds are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import ClientError

from liveness_local.emulated_session import bounding_box
from liveness_local.refusal import FaceErrorCode, Refused

MAX_S3_IMAGE_BYTES: Final = 15 * 1024 * 1024
MAX_INLINE_IMAGE_BYTES: Final = 5 * 1024 * 1024
# The face model a collection made today is associated with ("the latest version of the face model").
FACE_MODEL_VERSION: Final = "7.0"
# The request members that hold an `Image`, in the operations the emulator answers.
IMAGE_MEMBERS: Final = ("Image", "SourceImage", "TargetImage")

_SIGNATURES: Final = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")  # JPEG's SOI marker, PNG's file signature
_FACE_CONFIDENCE: Final = 99.99
# Where the five default landmarks sit inside a face's bounding box (fractions of its width and height).
_LANDMARKS: Final = {
    "eyeLeft": (0.3, 0.38),
    "eyeRight": (0.7, 0.38),
    "nose": (0.5, 0.58),
    "mouthLeft": (0.35, 0.77),
    "mouthRight": (0.65, 0.77),
}


@dataclass(frozen=True)
class LoadedImage:
    """An image's bytes, and where they came from when they came from S3."""

    data: bytes
    bucket: str | None = None
    key: str | None = None


def refuse_inline_images_too_large(params: Mapping[str, Any]) -> None:
    """Refuse image bytes over 5 MB as the service does, before the model check would call them a bad parameter."""
    for member in IMAGE_MEMBERS:
        image = params.get(member)
        data = image.get("Bytes") if isinstance(image, Mapping) else None
        if isinstance(data, bytes | bytearray) and len(data) > MAX_INLINE_IMAGE_BYTES:
            raise Refused(FaceErrorCode.IMAGE_TOO_LARGE, "Image size is too large.")


def load_image(s3: Any, region: str, image: Mapping[str, Any]) -> LoadedImage:
    """The image's bytes, read as the service reads them, refused as it refuses them."""
    if ("Bytes" in image) == ("S3Object" in image):
        raise Refused(FaceErrorCode.INVALID_PARAMETER, "Requested image should either contain bytes or s3 object.")
    loaded = LoadedImage(bytes(image["Bytes"])) if "Bytes" in image else _read_s3(s3, region, image["S3Object"])
    if not loaded.data.startswith(_SIGNATURES):
        raise Refused(FaceErrorCode.INVALID_IMAGE_FORMAT, "Request has invalid image format")
    return loaded


def _read_s3(s3: Any, region: str, location: Mapping[str, Any]) -> LoadedImage:
    if "Bucket" not in location or "Name" not in location:
        raise Refused(FaceErrorCode.INVALID_PARAMETER, "An S3Object needs a Bucket and a Name.")
    bucket, key = location["Bucket"], location["Name"]
    unreadable = Refused(
        FaceErrorCode.INVALID_S3_OBJECT,
        "Unable to get object metadata from S3. Check object key, region and/or access permissions.",
    )
    request = {"Bucket": bucket, "Key": key}
    if "Version" in location:
        request["VersionId"] = location["Version"]
    try:
        if s3.head_bucket(Bucket=bucket).get("BucketRegion") != region:
            raise unreadable
        stored = s3.get_object(**request)
    except ClientError as error:
        raise unreadable from error
    if stored["ContentLength"] > MAX_S3_IMAGE_BYTES:
        stored["Body"].close()
        raise Refused(FaceErrorCode.IMAGE_TOO_LARGE, "Image size is too large.")
    return LoadedImage(stored["Body"].read(), bucket, key)


def box(index: int) -> dict[str, float]:
    """The bounding box of the `index`th face of an image, as the service writes one."""
    found = bounding_box(index)
    outline = {"Width": found.width, "Height": found.height, "Left": found.left, "Top": found.top}
    return {name: value for name, value in outline.items() if value is not None}


def compared_face(index: int) -> dict[str, Any]:
    """A `ComparedFace` (CompareFaces' matched and unmatched faces)."""
    outline = box(index)
    landmarks = [
        {"Type": name, "X": outline["Left"] + x * outline["Width"], "Y": outline["Top"] + y * outline["Height"]}
        for name, (x, y) in _LANDMARKS.items()
    ]
    return {
        "BoundingBox": outline,
        "Confidence": _FACE_CONFIDENCE,
        "Landmarks": landmarks,
        "Pose": {"Roll": 0.4, "Yaw": -1.8, "Pitch": 2.1},
        "Quality": {"Brightness": 82.0, "Sharpness": 86.9},
    }


def face_detail(index: int) -> dict[str, Any]:
    """A `FaceDetail` with the default attributes (IndexFaces, SearchUsersByImage); the same members as above."""
    return compared_face(index)


def source_face(index: int) -> dict[str, Any]:
    """A `ComparedSourceImageFace`: the face of CompareFaces' source image that was compared."""
    return {"BoundingBox": box(index), "Confidence": _FACE_CONFIDENCE}


def indexed_face(index: int, face_id: str, image_id: str, external_image_id: str | None) -> dict[str, Any]:
    """A `Face` as IndexFaces reports it."""
    face: dict[str, Any] = {
        "FaceId": face_id,
        "BoundingBox": box(index),
        "ImageId": image_id,
        "Confidence": _FACE_CONFIDENCE,
        "IndexFacesModelVersion": FACE_MODEL_VERSION,
    }
    if external_image_id is not None:
        face["ExternalImageId"] = external_image_id
    return face
