"""Collections, faces and users on the emulator: enrolling a session's face for a person, finding the person again
by a later session's face, and removing both, through a real boto3 client."""

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from liveness_local.emulator import FaceLivenessEmulator
from liveness_local.face_scripts import DIFFERENT_FACE_SIMILARITY, SAME_FACE_SIMILARITY
from tests.integration.conftest import race
from tests.integration.emulator.conftest import START, error_of
from tests.integration.emulator.face_world import (
    enrol,
    live_session,
    new_collection,
    reference,
    upload_document,
)


def test_a_collection_is_created_described_and_deleted(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    created = rekognition.create_collection(CollectionId="faces-local")

    assert created["StatusCode"] == 200
    assert created["CollectionArn"] == "arn:aws:rekognition:us-east-1:123456789012:collection/faces-local"
    described = rekognition.describe_collection(CollectionId="faces-local")
    assert (described["FaceCount"], described["UserCount"]) == (0, 0)
    assert described["CreationTimestamp"] == START
    assert described["FaceModelVersion"] == created["FaceModelVersion"]
    with pytest.raises(ClientError) as again:
        rekognition.create_collection(CollectionId="faces-local")
    assert error_of(again) == ("ResourceAlreadyExistsException", 400)
    assert rekognition.delete_collection(CollectionId="faces-local")["StatusCode"] == 200
    assert liveness.faces.collection("faces-local") is None


def test_a_sessions_face_is_indexed_with_its_label_and_external_id(
    rekognition: Any, liveness: FaceLivenessEmulator, bucket: str
) -> None:
    collection_id = new_collection(rekognition)
    session_id = live_session(rekognition, liveness, bucket, face="alice")

    response = rekognition.index_faces(
        CollectionId=collection_id, Image=reference(bucket, session_id), ExternalImageId=session_id, MaxFaces=1
    )

    [record] = response["FaceRecords"]
    assert record["Face"]["ExternalImageId"] == session_id
    assert response["UnindexedFaces"] == []
    view = liveness.faces.collection(collection_id)
    assert view is not None
    indexed = view.faces[record["Face"]["FaceId"]]
    assert (indexed.face.label, indexed.face.session_id, indexed.user_id) == ("alice", session_id, None)
    assert rekognition.describe_collection(CollectionId=collection_id)["FaceCount"] == 1


def test_an_image_without_a_face_indexes_nothing(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any, bucket: str
) -> None:
    collection_id = new_collection(rekognition)
    session_id = live_session(rekognition, liveness, bucket, document_face=None)

    response = rekognition.index_faces(CollectionId=collection_id, Image=upload_document(s3, bucket, session_id))

    assert (response["FaceRecords"], response["UnindexedFaces"]) == ([], [])


def test_a_person_is_enrolled_and_found_again_by_a_later_session(
    rekognition: Any, liveness: FaceLivenessEmulator, bucket: str
) -> None:
    collection_id = new_collection(rekognition)
    enrolled = live_session(rekognition, liveness, bucket, face="alice")
    rekognition.create_user(CollectionId=collection_id, UserId="owner-1")
    assert rekognition.list_users(CollectionId=collection_id)["Users"] == [
        {"UserId": "owner-1", "UserStatus": "CREATED"}
    ]
    face_id = rekognition.index_faces(CollectionId=collection_id, Image=reference(bucket, enrolled))["FaceRecords"][0][
        "Face"
    ]["FaceId"]

    associated = rekognition.associate_faces(CollectionId=collection_id, UserId="owner-1", FaceIds=[face_id])

    assert associated["AssociatedFaces"] == [{"FaceId": face_id}]
    assert (associated["UnsuccessfulFaceAssociations"], associated["UserStatus"]) == ([], "ACTIVE")
    later = live_session(rekognition, liveness, bucket, face="alice")
    found = rekognition.search_users_by_image(CollectionId=collection_id, Image=reference(bucket, later))
    assert found["UserMatches"] == [
        {"Similarity": SAME_FACE_SIMILARITY, "User": {"UserId": "owner-1", "UserStatus": "ACTIVE"}}
    ]
    assert "FaceDetail" in found["SearchedFace"]
    stranger = live_session(rekognition, liveness, bucket, face="bob")
    assert (
        rekognition.search_users_by_image(CollectionId=collection_id, Image=reference(bucket, stranger))["UserMatches"]
        == []
    )


def test_search_honours_the_threshold_max_users_and_the_probes_scripted_similarity(
    rekognition: Any, liveness: FaceLivenessEmulator, bucket: str
) -> None:
    collection_id = new_collection(rekognition)
    for user_id in ("person-a", "person-b"):
        enrol(rekognition, collection_id, user_id, reference(bucket, live_session(rekognition, liveness, bucket)))
    probe = reference(bucket, live_session(rekognition, liveness, bucket, similarity=42.0))

    def matches(**params: Any) -> list[tuple[str, float]]:
        response = rekognition.search_users_by_image(CollectionId=collection_id, Image=probe, **params)
        return [(match["User"]["UserId"], match["Similarity"]) for match in response["UserMatches"]]

    assert matches() == []  # 42 is under the default 80
    assert sorted(matches(UserMatchThreshold=42)) == [("person-a", 42.0), ("person-b", 42.0)]
    assert len(matches(UserMatchThreshold=0, MaxUsers=1)) == 1


def test_a_search_with_a_faceless_image_finds_nobody_and_no_searched_face(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any, bucket: str
) -> None:
    collection_id = new_collection(rekognition)
    session_id = live_session(rekognition, liveness, bucket, document_face=None)
    enrol(rekognition, collection_id, "someone", reference(bucket, session_id))

    response = rekognition.search_users_by_image(
        CollectionId=collection_id, Image=upload_document(s3, bucket, session_id), UserMatchThreshold=0
    )

    assert response["UserMatches"] == []
    assert "SearchedFace" not in response


def test_associate_reports_each_face_it_cannot_associate(
    rekognition: Any, liveness: FaceLivenessEmulator, bucket: str
) -> None:
    collection_id = new_collection(rekognition)
    alice_face = enrol(
        rekognition,
        collection_id,
        "alice",
        reference(bucket, live_session(rekognition, liveness, bucket, face="alice")),
    )
    bob_face = enrol(
        rekognition, collection_id, "bob", reference(bucket, live_session(rekognition, liveness, bucket, face="bob"))
    )
    other = live_session(rekognition, liveness, bucket, face="carol")
    carol_face = rekognition.index_faces(CollectionId=collection_id, Image=reference(bucket, other))["FaceRecords"][0][
        "Face"
    ]["FaceId"]
    missing = str(uuid.uuid4())

    response = rekognition.associate_faces(
        CollectionId=collection_id, UserId="alice", FaceIds=[alice_face, bob_face, carol_face, missing]
    )

    assert response["AssociatedFaces"] == []  # alice's own face is ignored
    assert response["UnsuccessfulFaceAssociations"] == [
        {"FaceId": bob_face, "UserId": "bob", "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]},
        {
            "FaceId": carol_face,
            "UserId": "alice",
            "Confidence": DIFFERENT_FACE_SIMILARITY,
            "Reasons": ["LOW_MATCH_CONFIDENCE"],
        },
        {"FaceId": missing, "Reasons": ["FACE_NOT_FOUND"]},
    ]
    lenient = rekognition.associate_faces(
        CollectionId=collection_id, UserId="alice", FaceIds=[carol_face], UserMatchThreshold=5
    )
    assert lenient["AssociatedFaces"] == [{"FaceId": carol_face}]
    view = liveness.faces.collection(collection_id)
    assert view is not None
    assert view.users["alice"] == (alice_face, carol_face)


def test_create_user_is_idempotent_per_token_and_conflicts_otherwise(
    rekognition: Any, liveness: FaceLivenessEmulator
) -> None:
    collection_id = new_collection(rekognition)
    rekognition.create_user(CollectionId=collection_id, UserId="owner-1", ClientRequestToken="token-1")

    rekognition.create_user(CollectionId=collection_id, UserId="owner-1", ClientRequestToken="token-1")
    with pytest.raises(ClientError) as conflict:
        rekognition.create_user(CollectionId=collection_id, UserId="owner-1")  # botocore makes a new token
    with pytest.raises(ClientError) as mismatch:
        rekognition.create_user(CollectionId=collection_id, UserId="owner-2", ClientRequestToken="token-1")

    assert error_of(conflict) == ("ConflictException", 400)
    assert error_of(mismatch) == ("IdempotentParameterMismatchException", 400)
    assert [user["UserId"] for user in rekognition.list_users(CollectionId=collection_id)["Users"]] == ["owner-1"]


def test_deleting_a_person_frees_its_faces_for_deletion(
    rekognition: Any, liveness: FaceLivenessEmulator, bucket: str
) -> None:
    collection_id = new_collection(rekognition)
    face_id = enrol(
        rekognition, collection_id, "owner-1", reference(bucket, live_session(rekognition, liveness, bucket))
    )

    refused = rekognition.delete_faces(CollectionId=collection_id, FaceIds=[face_id])
    rekognition.delete_user(CollectionId=collection_id, UserId="owner-1", ClientRequestToken="erase-1")
    rekognition.delete_user(CollectionId=collection_id, UserId="owner-1", ClientRequestToken="erase-1")  # a retry
    deleted = rekognition.delete_faces(CollectionId=collection_id, FaceIds=[face_id])

    assert "DeletedFaces" not in refused
    assert refused["UnsuccessfulFaceDeletions"] == [
        {"FaceId": face_id, "UserId": "owner-1", "Reasons": ["ASSOCIATED_TO_AN_EXISTING_USER"]}
    ]
    assert (deleted["DeletedFaces"], deleted["UnsuccessfulFaceDeletions"]) == ([face_id], [])
    assert rekognition.delete_faces(CollectionId=collection_id, FaceIds=[face_id])["UnsuccessfulFaceDeletions"] == [
        {"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]}
    ]
    with pytest.raises(ClientError) as gone:
        rekognition.delete_user(CollectionId=collection_id, UserId="owner-1")
    assert error_of(gone) == ("ResourceNotFoundException", 400)
    described = rekognition.describe_collection(CollectionId=collection_id)
    assert (described["FaceCount"], described["UserCount"]) == (0, 0)


def test_list_users_pages_with_its_token(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    collection_id = new_collection(rekognition)
    for index in range(5):
        rekognition.create_user(CollectionId=collection_id, UserId=f"user-{index}")

    first = rekognition.list_users(CollectionId=collection_id, MaxResults=2)
    second = rekognition.list_users(CollectionId=collection_id, MaxResults=2, NextToken=first["NextToken"])
    last = rekognition.list_users(CollectionId=collection_id, MaxResults=2, NextToken=second["NextToken"])

    listed = [user["UserId"] for page in (first, second, last) for user in page["Users"]]
    assert sorted(listed) == [f"user-{index}" for index in range(5)]
    assert len(set(listed)) == 5
    assert "NextToken" not in last
    with pytest.raises(ClientError) as bad_token:
        rekognition.list_users(CollectionId=collection_id, NextToken="not-a-token")
    assert error_of(bad_token) == ("InvalidPaginationTokenException", 400)


def test_reset_empties_collections_but_keeps_them(
    rekognition: Any, liveness: FaceLivenessEmulator, bucket: str
) -> None:
    collection_id = new_collection(rekognition)
    enrol(rekognition, collection_id, "owner-1", reference(bucket, live_session(rekognition, liveness, bucket)))

    liveness.reset()

    described = rekognition.describe_collection(CollectionId=collection_id)
    assert (described["FaceCount"], described["UserCount"]) == (0, 0)


def test_concurrent_creates_of_one_user_make_it_once(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    collection_id = new_collection(rekognition)

    def create_user() -> str:
        try:
            rekognition.create_user(CollectionId=collection_id, UserId="raced")
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return "created"

    outcomes = race([create_user] * 8)

    assert sorted(outcomes) == ["ConflictException"] * 7 + ["created"]
    assert rekognition.describe_collection(CollectionId=collection_id)["UserCount"] == 1
