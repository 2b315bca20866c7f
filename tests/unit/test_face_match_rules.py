"""Pure rules of the face match: the outcome at the threshold, which outcomes count as failures, who is a person,
the person's pseudonym, how a face-matching fault is answered, and the match decided over in-memory ports."""

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from liveness_api.adapters.faults import failure
from liveness_api.decision import is_match_failure, match_outcome
from liveness_api.dependencies import presigning_client
from liveness_api.errors import FaceMatchFailed, FaceMatchUnavailable, PersonRequired, RequestInvalid
from liveness_api.face_match import FaceMatches, person_user_id
from liveness_api.identity import CallerMode, resolve_caller
from liveness_api.models import DocumentUpload, ImageReference
from liveness_api.ports import EnrolledFace, NoComparableFace, Person, StoredImage
from liveness_api.vocabulary import Dependency, MatchOutcome, MatchTarget, Verdict

POOL = "us-east-1:pool"


@pytest.mark.parametrize(
    ("similarity", "expected"),
    [(99.0, "MATCH"), (100.0, "MATCH"), (98.999, "NO_MATCH"), (0.0, "NO_MATCH"), (None, "NO_MATCH")],
)
def test_a_match_needs_the_threshold_or_more(similarity, expected) -> None:
    assert match_outcome(similarity, threshold=99.0) == expected


def test_only_no_match_and_no_face_count_as_failures() -> None:
    assert {outcome for outcome in MatchOutcome if is_match_failure(outcome)} == {
        MatchOutcome.NO_MATCH,
        MatchOutcome.NO_FACE,
    }


def identity(**fields: str) -> dict[str, Any]:
    return {"identity": {"sourceIp": "192.0.2.1", **fields}}


def test_who_is_a_person_to_enrol_or_match() -> None:
    iam = identity(userArn="arn:aws:iam::1:user/backend")
    refusal = resolve_caller(iam, CallerMode.IAM).person_refusal()
    assert isinstance(refusal, RequestInvalid)
    assert list(refusal.field_errors) == ["x-end-user"]
    assert resolve_caller(iam, CallerMode.IAM, end_user="u-1").person_refusal() is None
    user_pool = {"authorizer": {"claims": {"sub": "abc"}}}
    assert resolve_caller(user_pool, CallerMode.USER_POOL).person_refusal() is None
    signed_in = identity(
        cognitoIdentityId="id-1", cognitoIdentityPoolId=POOL, cognitoAuthenticationType="authenticated"
    )
    for mode in (CallerMode.IDENTITY_POOL, CallerMode.IDENTITY_POOL_GUESTS):
        assert resolve_caller(signed_in, mode, identity_pool_id=POOL).person_refusal() is None
    guest = identity(cognitoIdentityId="id-2", cognitoIdentityPoolId=POOL, cognitoAuthenticationType="unauthenticated")
    caller = resolve_caller(guest, CallerMode.IDENTITY_POOL_GUESTS, identity_pool_id=POOL)
    assert isinstance(caller.person_refusal(), PersonRequired)


def test_the_persons_user_id_fits_rekognitions_rule_and_hides_the_owner() -> None:
    owner = "iam:arn:aws:iam::1:role/backend end-user:abc"
    user_id = person_user_id(owner)

    assert re.fullmatch(r"[a-zA-Z0-9_.\-:]{1,128}", user_id)
    assert "backend" not in user_id
    assert user_id == person_user_id(owner)
    assert user_id != person_user_id(owner + "d")


def client_error(code: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


@pytest.mark.parametrize(
    ("code", "status", "answer", "retry_after"),
    [
        ("ThrottlingException", 400, FaceMatchUnavailable, 1),
        ("ProvisionedThroughputExceededException", 400, FaceMatchUnavailable, 1),
        ("InternalServerError", 500, FaceMatchUnavailable, 5),
        ("AccessDeniedException", 400, FaceMatchFailed, None),
        ("ResourceNotFoundException", 400, FaceMatchFailed, None),
        ("SomethingNewException", 400, FaceMatchFailed, None),
    ],
)
def test_face_matching_faults_are_503_when_transient_and_500_otherwise(code, status, answer, retry_after) -> None:
    answered = failure(Dependency.FACE_MATCHING, "CompareFaces", client_error(code, status))

    assert type(answered) is answer
    assert isinstance(answered, FaceMatchFailed)
    assert answered.status == (503 if retry_after else 500)
    assert answered.retry_after_seconds == retry_after


class InMemoryFaces:
    """FaceMatching, DocumentUploads and Enrolments as plain values, recording the calls made."""

    def __init__(self, *, document: StoredImage | None = None, person: Person | None = None) -> None:
        self.document = document
        self.person = person
        self.similarity: float | None = 99.5
        self.users: dict[str, float] = {}
        self.no_face = False
        self.calls: list[str] = []

    def compare(self, source: StoredImage, target: StoredImage) -> float | None:
        self.calls.append(f"compare {source.key} {target.key}")
        if self.no_face:
            raise NoComparableFace()
        return self.similarity

    def search_users(self, image: StoredImage, threshold: float) -> Mapping[str, float]:
        self.calls.append(f"search {image.key}")
        return self.users

    def upload_target(self, session_id: str, content_type: Any, expires_at: datetime, now: datetime) -> DocumentUpload:
        raise AssertionError("no upload in these tests")

    def uploaded(self, session_id: str) -> StoredImage | None:
        self.calls.append(f"uploaded {session_id}")
        return self.document

    def get_person(self, owner: str) -> Person | None:
        self.calls.append("person")
        return self.person


REFERENCE = ImageReference(bucket="b", key="p/s-1/reference.jpg", version="v1")


def matches(faces: InMemoryFaces) -> FaceMatches:
    return FaceMatches(threshold=99.0, upload_seconds=300, matching=faces, documents=faces, enrolments=faces)  # type: ignore[arg-type]


@pytest.mark.parametrize("verdict", [Verdict.NOT_LIVE, Verdict.FAILED, Verdict.EXPIRED])
def test_no_call_is_made_unless_the_verdict_is_live(verdict) -> None:
    faces = InMemoryFaces(document=StoredImage("p/s-1/document"))

    for target in MatchTarget:
        result = matches(faces).decide("o", "s-1", target, verdict, REFERENCE)
        assert (result.outcome, result.similarity) == (MatchOutcome.NOT_ATTEMPTED, None)
    assert faces.calls == []


def test_the_photo_is_compared_with_the_sessions_own_reference_image() -> None:
    faces = InMemoryFaces(document=StoredImage("p/s-1/document", "d1"))

    result = matches(faces).decide("o", "s-1", MatchTarget.DOCUMENT, Verdict.LIVE, REFERENCE)

    assert (result.outcome, result.similarity, result.threshold) == (MatchOutcome.MATCH, 99.5, 99.0)
    assert faces.calls == ["uploaded s-1", "compare p/s-1/document p/s-1/reference.jpg"]


@pytest.mark.parametrize(
    ("document", "reference", "no_face", "expected"),
    [
        (None, REFERENCE, False, MatchOutcome.NOT_UPLOADED),
        (StoredImage("p/s-1/document"), REFERENCE, True, MatchOutcome.NO_FACE),
        (StoredImage("p/s-1/document"), None, False, MatchOutcome.NO_FACE),
    ],
)
def test_document_outcomes_without_a_comparison(document, reference, no_face, expected) -> None:
    faces = InMemoryFaces(document=document)
    faces.no_face = no_face

    assert matches(faces).decide("o", "s-1", MatchTarget.DOCUMENT, Verdict.LIVE, reference).outcome == expected


def test_only_the_owners_own_user_decides_an_enrolled_person_match() -> None:
    enrolled = Person(faces={"s-0": EnrolledFace("f-0", associated=True)}, enrolled_at=datetime.now(UTC))
    faces = InMemoryFaces(person=enrolled)
    faces.users = {person_user_id("someone else"): 100.0}

    assert matches(faces).decide("o", "s-1", MatchTarget.ENROLLED_PERSON, Verdict.LIVE, REFERENCE).outcome == (
        MatchOutcome.NO_MATCH
    )
    faces.users[person_user_id("o")] = 99.1
    assert matches(faces).decide("o", "s-1", MatchTarget.ENROLLED_PERSON, Verdict.LIVE, REFERENCE).outcome == (
        MatchOutcome.MATCH
    )


def test_a_person_whose_faces_were_never_associated_is_not_enrolled() -> None:
    faces = InMemoryFaces(person=Person(faces={"s-0": EnrolledFace("f-0", associated=False)}))

    result = matches(faces).decide("o", "s-1", MatchTarget.ENROLLED_PERSON, Verdict.LIVE, REFERENCE)

    assert result.outcome == MatchOutcome.NOT_ENROLLED
    assert faces.calls == ["person"]


def test_the_presigning_client_signs_for_the_buckets_region_and_sends_nothing(monkeypatch) -> None:
    # What Lambda gives the function: its role's temporary credentials, in its environment.
    for name, value in {"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}.items():
        monkeypatch.setenv(name, value)
    client = presigning_client("eu-west-1", None)

    assert client.generate_presigned_post("bucket", "k")["url"] == "https://bucket.s3.eu-west-1.amazonaws.com/"
    with pytest.raises(RuntimeError, match="sends no requests"):
        client.head_object(Bucket="bucket", Key="k")
    local = presigning_client("us-east-1", "http://127.0.0.1:9/_local/s3")
    assert local.generate_presigned_post("bucket", "k")["url"] == "http://127.0.0.1:9/_local/s3/bucket"
