"""The errors the face-matching operations answer, as the service does: a missing collection or user, an image that
cannot be read, is not JPEG or PNG, or is too large, a request the model forbids, a user with too many faces; and
faults injected in front of them, retried by botocore like the service's own."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from liveness_local.emulated_session import SUCCESS
from liveness_local.emulator import FaceLivenessEmulator
from liveness_local.faults import DependencyFaults
from liveness_local.vocabulary import FaultCode
from tests.integration.emulator.conftest import error_of
from tests.integration.emulator.face_world import PHOTO, live_session, new_collection, reference, s3_image

MISSING = "no-such-collection"
A_FACE_ID = str(uuid.uuid4())
# One call of each operation that names a collection, with an image where it takes one (filled in by the test).
COLLECTION_CALLS: dict[str, Callable[[Any, str, dict[str, Any]], Any]] = {
    "IndexFaces": lambda client, collection, image: client.index_faces(CollectionId=collection, Image=image),
    "CreateUser": lambda client, collection, _: client.create_user(CollectionId=collection, UserId="u"),
    "AssociateFaces": lambda client, collection, _: client.associate_faces(
        CollectionId=collection, UserId="u", FaceIds=[A_FACE_ID]
    ),
    "SearchUsersByImage": lambda client, collection, image: client.search_users_by_image(
        CollectionId=collection, Image=image
    ),
    "DeleteFaces": lambda client, collection, _: client.delete_faces(CollectionId=collection, FaceIds=[A_FACE_ID]),
    "DeleteUser": lambda client, collection, _: client.delete_user(CollectionId=collection, UserId="u"),
    "ListUsers": lambda client, collection, _: client.list_users(CollectionId=collection),
    "DescribeCollection": lambda client, collection, _: client.describe_collection(CollectionId=collection),
    "DeleteCollection": lambda client, collection, _: client.delete_collection(CollectionId=collection),
}
# One call of each operation that reads an image.
IMAGE_CALLS: dict[str, Callable[[Any, str, dict[str, Any]], Any]] = {
    "CompareFaces": lambda client, _, image: client.compare_faces(SourceImage=image, TargetImage={"Bytes": PHOTO}),
    "IndexFaces": COLLECTION_CALLS["IndexFaces"],
    "SearchUsersByImage": COLLECTION_CALLS["SearchUsersByImage"],
}


def refusal(call: Callable[[], Any]) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call()
    return error_of(raised)


@pytest.mark.parametrize("operation", list(COLLECTION_CALLS))
def test_a_missing_collection_is_not_found(rekognition: Any, liveness: FaceLivenessEmulator, operation: str) -> None:
    call = COLLECTION_CALLS[operation]

    assert refusal(lambda: call(rekognition, MISSING, {"Bytes": PHOTO})) == ("ResourceNotFoundException", 400)
    assert liveness.calls[-1].outcome == "ResourceNotFoundException"


@pytest.mark.parametrize("operation", ["AssociateFaces", "DeleteUser"])
def test_a_missing_user_is_not_found(rekognition: Any, liveness: FaceLivenessEmulator, operation: str) -> None:
    collection_id = new_collection(rekognition)

    assert refusal(lambda: COLLECTION_CALLS[operation](rekognition, collection_id, {})) == (
        "ResourceNotFoundException",
        400,
    )


@pytest.mark.parametrize("operation", list(IMAGE_CALLS))
@pytest.mark.parametrize("where", ["missing key", "missing bucket", "missing version", "bucket in another region"])
def test_an_s3_object_the_service_cannot_read_is_an_invalid_s3_object(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any, bucket: str, operation: str, where: str
) -> None:
    collection_id = new_collection(rekognition)
    s3.put_object(Bucket=bucket, Key="photo.jpg", Body=PHOTO)
    if where == "bucket in another region":
        bucket = f"elsewhere-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_object(Bucket=bucket, Key="photo.jpg", Body=PHOTO)
    image = {
        "missing key": s3_image(bucket, "no-such-photo.jpg"),
        "missing bucket": s3_image(f"missing-{uuid.uuid4().hex[:12]}", "photo.jpg"),
        "missing version": s3_image(bucket, "photo.jpg", Version="no-such-version"),
        "bucket in another region": s3_image(bucket, "photo.jpg"),
    }[where]

    assert refusal(lambda: IMAGE_CALLS[operation](rekognition, collection_id, image)) == (
        "InvalidS3ObjectException",
        400,
    )


@pytest.mark.parametrize("operation", list(IMAGE_CALLS))
def test_an_image_that_is_neither_jpeg_nor_png_is_an_invalid_format(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any, bucket: str, operation: str
) -> None:
    collection_id = new_collection(rekognition)
    s3.put_object(Bucket=bucket, Key="photo.gif", Body=b"GIF89a" + bytes(64))
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)

    def read(image: dict[str, Any]) -> Any:
        return IMAGE_CALLS[operation](rekognition, collection_id, image)

    assert refusal(lambda: read({"Bytes": b"%PDF-1.7"})) == ("InvalidImageFormatException", 400)
    assert refusal(lambda: read(s3_image(bucket, "photo.gif"))) == ("InvalidImageFormatException", 400)
    read({"Bytes": png})  # a PNG is read


def test_images_over_the_size_limits_are_too_large(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="exact.jpg", Body=PHOTO.ljust(15 * 1024 * 1024, b"\0"))
    s3.put_object(Bucket=bucket, Key="huge.jpg", Body=PHOTO.ljust(15 * 1024 * 1024 + 1, b"\0"))

    def compare(image: dict[str, Any]) -> Any:
        return rekognition.compare_faces(SourceImage=image, TargetImage={"Bytes": PHOTO})

    assert refusal(lambda: compare(s3_image(bucket, "huge.jpg"))) == ("ImageTooLargeException", 400)
    assert refusal(lambda: compare({"Bytes": PHOTO.ljust(5 * 1024 * 1024 + 1, b"\0")})) == (
        "ImageTooLargeException",
        400,
    )
    compare(s3_image(bucket, "exact.jpg"))
    compare({"Bytes": PHOTO.ljust(5 * 1024 * 1024, b"\0")})


@pytest.mark.parametrize(
    ("call", "member"),
    [
        (lambda c, i: c.compare_faces(SourceImage=i, TargetImage=i, SimilarityThreshold=100.5), "SimilarityThreshold"),
        (lambda c, i: c.compare_faces(SourceImage=i, TargetImage=i, QualityFilter="BEST"), "QualityFilter"),
        (
            lambda c, i: c.compare_faces(
                SourceImage={**i, "S3Object": {"Bucket": "b b b", "Name": "k"}}, TargetImage=i
            ),
            "Bucket",
        ),
        (lambda c, i: c.create_user(CollectionId="no spaces", UserId="u"), "CollectionId"),
        (lambda c, i: c.create_user(CollectionId="c", UserId="u" * 129), "UserId"),
        (lambda c, i: c.create_user(CollectionId="c", UserId="u", ClientRequestToken="no.dots"), "ClientRequestToken"),
        (lambda c, i: c.index_faces(CollectionId="c", Image=i, ExternalImageId="has space"), "ExternalImageId"),
        (lambda c, i: c.associate_faces(CollectionId="c", UserId="u", FaceIds=[A_FACE_ID] * 101), "FaceIds"),
        (lambda c, i: c.search_users_by_image(CollectionId="c", Image=i, MaxUsers=501), "MaxUsers"),
        (lambda c, i: c.delete_faces(CollectionId="c", FaceIds=["not-a-face-id"]), "FaceIds[0]"),
        (lambda c, i: c.list_users(CollectionId="c", MaxResults=501), "MaxResults"),
    ],
)
def test_what_the_model_forbids_is_an_invalid_parameter_naming_the_member(
    rekognition: Any, liveness: FaceLivenessEmulator, call: Callable[[Any, dict[str, Any]], Any], member: str
) -> None:
    with pytest.raises(ClientError) as raised:
        call(rekognition, {"Bytes": PHOTO})

    assert error_of(raised) == ("InvalidParameterException", 400)
    assert member in raised.value.response["Error"]["Message"]


@pytest.mark.parametrize("image", [{}, {"Bytes": PHOTO, "S3Object": {"Bucket": "bucket", "Name": "photo.jpg"}}])
def test_an_image_needs_exactly_one_of_bytes_and_s3_object(
    rekognition: Any, liveness: FaceLivenessEmulator, image: dict[str, Any]
) -> None:
    assert refusal(lambda: rekognition.compare_faces(SourceImage=image, TargetImage={"Bytes": PHOTO})) == (
        "InvalidParameterException",
        400,
    )


def test_a_user_holds_at_most_a_hundred_faces(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    collection_id = new_collection(rekognition)
    rekognition.create_user(CollectionId=collection_id, UserId="many")
    face_ids = [
        rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": PHOTO})["FaceRecords"][0]["Face"]["FaceId"]
        for _ in range(101)
    ]
    rekognition.associate_faces(CollectionId=collection_id, UserId="many", FaceIds=face_ids[:100])

    assert refusal(
        lambda: rekognition.associate_faces(CollectionId=collection_id, UserId="many", FaceIds=face_ids[100:])
    ) == ("ServiceQuotaExceededException", 400)


FACE_OPERATIONS = [
    "CompareFaces",
    "IndexFaces",
    "CreateUser",
    "AssociateFaces",
    "SearchUsersByImage",
    "DeleteFaces",
    "DeleteUser",
    "ListUsers",
]


@pytest.mark.parametrize("operation", FACE_OPERATIONS)
def test_a_throttled_face_operation_is_retried_and_then_answered(
    rekognition: Any, liveness: FaceLivenessEmulator, faults: DependencyFaults, bucket: str, operation: str
) -> None:
    collection_id = new_collection(rekognition)
    image = reference(bucket, live_session(rekognition, liveness, bucket))
    if operation in ("AssociateFaces", "DeleteUser"):
        rekognition.create_user(CollectionId=collection_id, UserId="u")
    faults.inject("rekognition", operation, FaultCode.THROTTLING)

    call = {**COLLECTION_CALLS, **IMAGE_CALLS}[operation]
    response = call(rekognition, collection_id, image)

    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert [call.outcome for call in liveness.calls if call.operation == operation] == [FaultCode.THROTTLING, SUCCESS]


def test_a_face_operation_refused_by_a_fault_changes_nothing(
    rekognition: Any, liveness: FaceLivenessEmulator, faults: DependencyFaults
) -> None:
    collection_id = new_collection(rekognition)
    faults.inject("rekognition", "CreateUser", FaultCode.ACCESS_DENIED)

    assert refusal(lambda: rekognition.create_user(CollectionId=collection_id, UserId="u")) == (
        "AccessDeniedException",
        400,
    )
    assert rekognition.list_users(CollectionId=collection_id)["Users"] == []
    faults.inject("rekognition", "CompareFaces", FaultCode.INTERNAL_SERVER_ERROR, times=3)
    assert refusal(lambda: rekognition.compare_faces(SourceImage={"Bytes": PHOTO}, TargetImage={"Bytes": PHOTO})) == (
        "InternalServerError",
        500,
    )
