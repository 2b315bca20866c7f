"""Matching the live face against an ID photo (DOCUMENT), through the handler, botocore, moto's S3 and the emulator:
every outcome, the upload target, the record that never changes, the abuse limit, the metrics and erasure."""

import base64
import hashlib
import json
from typing import Any

import pytest

from liveness_api.contract import DOCUMENT_OBJECT_NAME
from liveness_local.backend import LocalBackend
from liveness_local.emulator import FaceLivenessEmulator
from tests.integration.conftest import Api, emitted_metrics
from tests.integration.face_match_world import MATCH_THRESHOLD, PHOTO, create, live_session, upload


def face_calls(emulator: FaceLivenessEmulator, operation: str) -> list[Any]:
    return [call for call in emulator.calls if call.operation == operation]


def failures_of(backend: LocalBackend, api: Api) -> dict[str, Any]:
    """The abuse limit's failure count of the caller, as the ledger holds it."""
    owner = api.owner(backend.settings)
    key = "CALLER#" + hashlib.sha256(owner.encode()).hexdigest()
    item = backend.dynamodb.get_item(TableName=backend.resources.table, Key={"pk": {"S": key}}).get("Item", {})
    return dict(item.get("failures", {}).get("M", {}))


def test_the_same_face_on_the_photo_is_a_match(api: Api, emulator, backend, capfd) -> None:
    session_id = live_session(api, emulator, "DOCUMENT")
    capfd.readouterr()

    response = api.results(session_id)

    assert response.status == 200
    assert response.body["decision"] == "LIVE"
    # Exactly the outcome, the similarity and the threshold: no face ids, boxes or keys of the photo.
    assert response.body["match"] == {
        "against": "DOCUMENT",
        "outcome": "MATCH",
        "similarity": pytest.approx(99.2),
        "threshold": MATCH_THRESHOLD,
    }
    compared = face_calls(emulator, "CompareFaces")
    assert len(compared) == 1
    prefix = f"{backend.settings.image_key_prefix}{session_id}/"
    # The photo is the source and the session's reference image the target, both the server's own keys.
    assert compared[0].params["SourceImage"]["S3Object"]["Name"] == prefix + DOCUMENT_OBJECT_NAME
    assert compared[0].params["TargetImage"]["S3Object"]["Name"] == prefix + "reference.jpg"
    assert {compared[0].params[side]["S3Object"]["Bucket"] for side in ("SourceImage", "TargetImage")} == {
        backend.resources.bucket
    }
    metrics = emitted_metrics(capfd.readouterr().out)
    assert [(m.dimensions["Target"], m.dimensions["Outcome"]) for m in metrics if m.name == "FaceMatchCompleted"] == [
        ("DOCUMENT", "MATCH")
    ]
    assert [m.value for m in metrics if m.name == "FaceMatchSimilarity"] == [pytest.approx(99.2)]
    assert failures_of(backend, api) == {}


def test_a_similarity_below_the_threshold_is_no_match_and_counts_as_a_failure(api: Api, emulator, backend) -> None:
    session_id = live_session(api, emulator, "DOCUMENT", similarity=MATCH_THRESHOLD - 0.1)

    match = api.results(session_id).body["match"]

    assert match["outcome"] == "NO_MATCH"
    assert match["similarity"] == pytest.approx(MATCH_THRESHOLD - 0.1)
    assert set(failures_of(backend, api)) == {session_id}


def test_a_similarity_at_the_threshold_matches(api: Api, emulator) -> None:
    session_id = live_session(api, emulator, "DOCUMENT", similarity=MATCH_THRESHOLD)

    assert api.results(session_id).body["match"]["outcome"] == "MATCH"


def test_another_persons_photo_is_no_match(api: Api, emulator, backend) -> None:
    session_id = live_session(api, emulator, "DOCUMENT", face="alice", document_face="bob")

    match = api.results(session_id).body["match"]

    assert (match["outcome"], match["similarity"] < MATCH_THRESHOLD) == ("NO_MATCH", True)
    assert set(failures_of(backend, api)) == {session_id}


@pytest.mark.parametrize(
    ("photo", "script"),
    [(PHOTO, {"document_face": None}), (b"this is not a picture", {})],
    ids=["no-face-on-the-photo", "not-an-image"],
)
def test_a_photo_without_a_comparable_face_is_no_face_and_counts_as_a_failure(
    api: Api, emulator, backend, photo, script
) -> None:
    session_id = live_session(api, emulator, "DOCUMENT", photo=photo, **script)

    match = api.results(session_id).body["match"]

    assert match == {"against": "DOCUMENT", "outcome": "NO_FACE", "similarity": None, "threshold": MATCH_THRESHOLD}
    assert set(failures_of(backend, api)) == {session_id}


def test_no_photo_uploaded_is_not_uploaded_and_no_failure(api: Api, emulator, backend) -> None:
    session_id = live_session(api, emulator, "DOCUMENT", photo=None)

    match = api.results(session_id).body["match"]

    assert match["outcome"] == "NOT_UPLOADED"
    assert face_calls(emulator, "CompareFaces") == []
    assert failures_of(backend, api) == {}


@pytest.mark.parametrize("drive", ["not-live", "failed", "expired"])
def test_no_match_is_attempted_unless_the_check_is_live(api: Api, emulator, backend, drive) -> None:
    created = create(api, "DOCUMENT")
    session_id = created["sessionId"]
    assert upload(created["documentUpload"]) == 204
    {
        "not-live": lambda: emulator.complete(session_id, confidence=10.0),
        "failed": lambda: emulator.fail(session_id),
        "expired": lambda: emulator.expire(session_id),
    }[drive]()

    match = api.results(session_id).body["match"]

    assert (match["outcome"], match["similarity"]) == ("NOT_ATTEMPTED", None)
    assert face_calls(emulator, "CompareFaces") == []


def test_while_the_check_is_pending_there_is_no_match_yet(api: Api, emulator) -> None:
    session_id = create(api, "DOCUMENT")["sessionId"]

    response = api.results(session_id)

    assert (response.body["decision"], response.body["match"]) == ("PENDING", None)


def test_the_match_is_decided_once_and_returned_unchanged_after_the_session_expires(
    api: Api, emulator, backend
) -> None:
    session_id = live_session(api, emulator, "DOCUMENT")
    first = api.results(session_id).body
    # Whatever the photo or the service would say now, the recorded result stands.
    emulator.faces.script(session_id, similarity=3.0)
    backend.clock.advance(3600)

    later = api.results(session_id).body

    assert later["match"] == first["match"]
    assert later["decidedAt"] == first["decidedAt"]
    assert len(face_calls(emulator, "CompareFaces")) == 1


def test_the_upload_target_is_a_presigned_post_for_the_sessions_own_key(api: Api, backend) -> None:
    created = create(api, "DOCUMENT", content_type="image/png")
    target = created["documentUpload"]
    fields = target["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    settings = backend.settings

    key = f"{settings.image_key_prefix}{created['sessionId']}/{DOCUMENT_OBJECT_NAME}"
    assert fields["key"] == key
    assert {"key": key} in policy["conditions"]  # an exact match: no `starts-with`, so no other key
    assert not any(isinstance(c, list) and c[0] == "starts-with" for c in policy["conditions"])
    assert ["content-length-range", 1, settings.document_max_bytes] in policy["conditions"]
    assert {"Content-Type": "image/png"} in policy["conditions"]
    assert {"x-amz-server-side-encryption": "aws:kms"} in policy["conditions"]
    assert {"x-amz-server-side-encryption-aws-kms-key-id": settings.kms_key_arn} in policy["conditions"]
    assert {"bucket": backend.resources.bucket} in policy["conditions"]
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert (target["maxBytes"], target["contentType"]) == (settings.document_max_bytes, "image/png")
    assert target["url"] == f"https://{backend.resources.bucket}.s3.{settings.region}.amazonaws.com/"


def test_a_create_without_a_match_has_no_upload_target_and_no_match(api: Api, emulator) -> None:
    created = api.create({})
    emulator.complete(created.body["sessionId"], confidence=99.0)

    assert "documentUpload" not in created.body or created.body["documentUpload"] is None
    assert api.results(created.body["sessionId"]).body["match"] is None


@pytest.mark.parametrize(
    "match",
    [{"against": "SOMEONE"}, {"against": "DOCUMENT", "documentContentType": "image/gif"}, {"documentKey": "x"}],
)
def test_a_client_can_name_no_key_and_no_other_target(api: Api, match) -> None:
    response = api.create({"match": match})

    assert response.status == 422
    assert response.problem["type"].endswith(":validation-error")


def test_erasing_the_session_erases_its_uploaded_photo(api: Api, emulator, backend) -> None:
    session_id = live_session(api, emulator, "DOCUMENT")
    api.results(session_id)
    key = f"{backend.settings.image_key_prefix}{session_id}/{DOCUMENT_OBJECT_NAME}"
    assert backend.s3.list_object_versions(Bucket=backend.resources.bucket, Prefix=key).get("Versions")

    assert api.erase(session_id).status == 204

    left = backend.s3.list_object_versions(Bucket=backend.resources.bucket, Prefix=key)
    assert left.get("Versions", []) + left.get("DeleteMarkers", []) == []
