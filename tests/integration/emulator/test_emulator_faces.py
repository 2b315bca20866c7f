"""CompareFaces on the emulator, in its scripted world: a session's live face and its ID photo match by default, and
each session's script (its face, its document's face, a similarity) decides otherwise; every call goes through a
real boto3 client."""

from typing import Any

import pytest
from botocore.exceptions import ClientError

from liveness_local.emulated_session import SUCCESS, UnknownSessionError
from liveness_local.emulator import FaceLivenessEmulator
from liveness_local.face_scripts import DEFAULT_FACE, DIFFERENT_FACE_SIMILARITY, SAME_FACE_SIMILARITY, FaceScript
from liveness_local.jpeg import reference_jpeg
from tests.integration.emulator.conftest import create, error_of
from tests.integration.emulator.face_world import (
    PHOTO,
    live_session,
    reference,
    s3_image,
    similarity,
    upload_document,
)


def test_a_sessions_live_face_matches_its_id_photo_by_default(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any, bucket: str
) -> None:
    session_id = live_session(rekognition, liveness, bucket)
    document = upload_document(s3, bucket, session_id)

    response = rekognition.compare_faces(SourceImage=reference(bucket, session_id), TargetImage=document)

    assert [match["Similarity"] for match in response["FaceMatches"]] == [SAME_FACE_SIMILARITY]
    assert response["UnmatchedFaces"] == []
    face = response["FaceMatches"][0]["Face"]
    assert set(face) == {"BoundingBox", "Confidence", "Landmarks", "Pose", "Quality"}
    assert set(response["SourceImageFace"]) == {"BoundingBox", "Confidence"}
    assert liveness.calls[-1].operation == "CompareFaces"
    assert liveness.calls[-1].outcome == SUCCESS
    assert liveness.faces.script_of(session_id) == FaceScript(DEFAULT_FACE, DEFAULT_FACE, None)


def test_every_session_shows_the_same_default_face(
    rekognition: Any, liveness: FaceLivenessEmulator, bucket: str
) -> None:
    first, second = (live_session(rekognition, liveness, bucket) for _ in range(2))

    assert similarity(rekognition, reference(bucket, first), reference(bucket, second)) == SAME_FACE_SIMILARITY


def test_an_id_photo_of_someone_else_is_unmatched_at_the_default_threshold(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any, bucket: str
) -> None:
    session_id = live_session(rekognition, liveness, bucket, face="alice", document_face="mallory")
    document = upload_document(s3, bucket, session_id, name="document.jpg")

    response = rekognition.compare_faces(SourceImage=reference(bucket, session_id), TargetImage=document)

    assert response["FaceMatches"] == []
    assert len(response["UnmatchedFaces"]) == 1
    assert similarity(rekognition, reference(bucket, session_id), document) == DIFFERENT_FACE_SIMILARITY


def test_the_threshold_decides_what_is_a_match(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any, bucket: str
) -> None:
    session_id = live_session(rekognition, liveness, bucket, similarity=98.5)
    document = upload_document(s3, bucket, session_id)
    source = reference(bucket, session_id)

    above = rekognition.compare_faces(SourceImage=source, TargetImage=document, SimilarityThreshold=98.5)
    below = rekognition.compare_faces(SourceImage=source, TargetImage=document, SimilarityThreshold=99)

    assert [match["Similarity"] for match in above["FaceMatches"]] == [98.5]
    assert (below["FaceMatches"], len(below["UnmatchedFaces"])) == ([], 1)


def test_a_scripted_similarity_wins_over_the_labels(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any, bucket: str
) -> None:
    same = live_session(rekognition, liveness, bucket, similarity=12.5)
    different = live_session(rekognition, liveness, bucket, face="alice", document_face="bob", similarity=99.6)

    assert similarity(rekognition, reference(bucket, same), upload_document(s3, bucket, same)) == 12.5
    assert similarity(rekognition, reference(bucket, different), upload_document(s3, bucket, different)) == 99.6
    # Either image may be the source: the document is the session's too.
    assert similarity(rekognition, upload_document(s3, bucket, same), reference(bucket, same)) == 12.5


def test_scripting_again_replaces_the_previous_script(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any, bucket: str
) -> None:
    session_id = live_session(rekognition, liveness, bucket, face="alice", document_face=None, similarity=3)
    liveness.faces.script(session_id, face="alice")

    assert liveness.faces.script_of(session_id) == FaceScript("alice", "alice", None)
    document = upload_document(s3, bucket, session_id)
    assert similarity(rekognition, reference(bucket, session_id), document) == SAME_FACE_SIMILARITY


@pytest.mark.parametrize("document_is", ["source", "target"])
def test_an_id_photo_without_a_face_is_an_invalid_parameter(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any, bucket: str, document_is: str
) -> None:
    session_id = live_session(rekognition, liveness, bucket, document_face=None)
    images = [reference(bucket, session_id), upload_document(s3, bucket, session_id)]
    source, target = images if document_is == "target" else images[::-1]

    with pytest.raises(ClientError) as raised:
        rekognition.compare_faces(SourceImage=source, TargetImage=target)

    assert error_of(raised) == ("InvalidParameterException", 400)
    assert liveness.calls[-1].outcome == "InvalidParameterException"


def test_images_outside_any_session_are_alike_only_when_they_are_the_same_picture(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="elsewhere/a.jpg", Body=PHOTO)

    assert similarity(rekognition, {"Bytes": PHOTO}, s3_image(bucket, "elsewhere/a.jpg")) == SAME_FACE_SIMILARITY
    assert similarity(rekognition, {"Bytes": PHOTO}, {"Bytes": reference_jpeg()}) == DIFFERENT_FACE_SIMILARITY


def test_a_sessions_other_objects_are_not_its_document(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any, bucket: str
) -> None:
    session_id = live_session(rekognition, liveness, bucket, face="alice")
    other = upload_document(s3, bucket, session_id, name="documents-archive.jpg")

    # Not `document` itself: a picture outside the script, so another person.
    assert similarity(rekognition, reference(bucket, session_id), other) == DIFFERENT_FACE_SIMILARITY


def test_a_session_without_an_output_bucket_has_no_placed_images(
    rekognition: Any, liveness: FaceLivenessEmulator
) -> None:
    session_id = create(rekognition)
    liveness.complete(session_id, confidence=99)
    liveness.faces.script(session_id, similarity=1.0)
    inline = rekognition.get_face_liveness_session_results(SessionId=session_id)["ReferenceImage"]["Bytes"]

    # Inline bytes belong to no session's script: the same picture is the same face.
    assert similarity(rekognition, {"Bytes": inline}, {"Bytes": reference_jpeg()}) == SAME_FACE_SIMILARITY


def test_a_given_version_of_the_photo_is_read(
    rekognition: Any, liveness: FaceLivenessEmulator, s3: Any, bucket: str
) -> None:
    session_id = live_session(rekognition, liveness, bucket)
    document = upload_document(s3, bucket, session_id)
    version = s3.head_object(Bucket=bucket, Key=document["S3Object"]["Name"])["VersionId"]
    upload_document(s3, bucket, session_id, body=b"not an image any more")
    versioned = s3_image(bucket, document["S3Object"]["Name"], Version=version)

    assert similarity(rekognition, reference(bucket, session_id), versioned) == SAME_FACE_SIMILARITY
    with pytest.raises(ClientError) as raised:
        rekognition.compare_faces(SourceImage=reference(bucket, session_id), TargetImage=document)
    assert error_of(raised) == ("InvalidImageFormatException", 400)


@pytest.mark.parametrize(
    ("script", "match"),
    [
        ({"face": "has space"}, "a face label must match"),
        ({"face": "x" * 65}, "a face label must match"),
        ({"document_face": ""}, "a face label must match"),
        ({"similarity": 100.01}, "similarity must be 0-100"),
        ({"similarity": float("nan")}, "similarity must be 0-100"),
    ],
)
def test_script_refuses_what_could_not_be_a_face(
    rekognition: Any, liveness: FaceLivenessEmulator, bucket: str, script: dict[str, Any], match: str
) -> None:
    session_id = live_session(rekognition, liveness, bucket)

    with pytest.raises(ValueError, match=match):
        liveness.faces.script(session_id, **script)
    assert liveness.faces.script_of(session_id) == FaceScript()


def test_script_refuses_a_session_never_created(liveness: FaceLivenessEmulator) -> None:
    with pytest.raises(UnknownSessionError):
        liveness.faces.script("no-such-session", face="alice")


def test_reset_forgets_the_scripts(rekognition: Any, liveness: FaceLivenessEmulator, bucket: str) -> None:
    session_id = live_session(rekognition, liveness, bucket, face="alice")

    liveness.reset()

    assert liveness.faces.script_of(session_id) == FaceScript()
