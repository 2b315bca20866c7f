"""The twin's face matching: the stack's collection exists for the function's own Rekognition client (as `make local`
starts it), and a session created through the API matches its ID photo by default, or not when scripted, in the
stack's own bucket and prefix."""

from typing import Any

import pytest
from botocore.exceptions import ClientError

from liveness_api.vocabulary import FaceOperation
from liveness_local.backend import LocalBackend
from liveness_local.emulator import FaceLivenessEmulator
from liveness_local.face_scripts import SAME_FACE_SIMILARITY
from liveness_local.faults import DependencyFaults
from liveness_local.jpeg import solid_grey_jpeg
from liveness_local.vocabulary import FaultCode
from tests.integration.conftest import Api


def compare(backend: LocalBackend, session_id: str) -> dict[str, Any]:
    """The function's own CompareFaces of the session's reference image and its ID photo, in the stack's bucket."""
    prefix = f"{backend.settings.image_key_prefix}{session_id}/"
    backend.s3.put_object(Bucket=backend.settings.image_bucket, Key=f"{prefix}document", Body=solid_grey_jpeg(8, 8, 40))
    response: dict[str, Any] = backend.function.client("rekognition").compare_faces(
        SourceImage={"S3Object": {"Bucket": backend.settings.image_bucket, "Name": f"{prefix}reference.jpg"}},
        TargetImage={"S3Object": {"Bucket": backend.settings.image_bucket, "Name": f"{prefix}document"}},
        SimilarityThreshold=backend.settings.match_threshold,
    )
    return response


def new_live_session(api: Api, emulator: FaceLivenessEmulator) -> str:
    session_id = str(api.create().body["sessionId"])
    emulator.complete(session_id, confidence=99.0)
    return session_id


def test_the_stacks_collection_exists_for_the_function(backend: LocalBackend, emulator: FaceLivenessEmulator) -> None:
    collection_id = backend.settings.face_collection_id

    described = backend.function.client("rekognition").describe_collection(CollectionId=collection_id)

    assert described["CollectionARN"].endswith(f":collection/{collection_id}")
    assert emulator.faces.collection(collection_id) is not None


def test_a_sessions_id_photo_matches_its_live_face_by_default(
    api: Api, backend: LocalBackend, emulator: FaceLivenessEmulator
) -> None:
    session_id = new_live_session(api, emulator)

    response = compare(backend, session_id)  # at the stack's match threshold: the demo's happy path is a MATCH

    assert [match["Similarity"] for match in response["FaceMatches"]] == [SAME_FACE_SIMILARITY]


def test_a_scripted_session_does_not_match_its_id_photo(
    api: Api, backend: LocalBackend, emulator: FaceLivenessEmulator
) -> None:
    session_id = new_live_session(api, emulator)
    emulator.faces.script(session_id, similarity=backend.settings.match_threshold - 0.1)

    response = compare(backend, session_id)

    assert response["FaceMatches"] == []


def test_faults_reach_the_functions_face_matching_calls(
    api: Api, backend: LocalBackend, emulator: FaceLivenessEmulator, faults: DependencyFaults
) -> None:
    session_id = new_live_session(api, emulator)
    faults.inject("rekognition", FaceOperation.COMPARE_FACES, FaultCode.ACCESS_DENIED)

    with pytest.raises(ClientError) as raised:
        compare(backend, session_id)

    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert [call.outcome for call in emulator.calls if call.operation == FaceOperation.COMPARE_FACES] == [
        FaultCode.ACCESS_DENIED
    ]
