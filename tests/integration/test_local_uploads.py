"""The twin's S3 POST Object over HTTP: a presigned POST made by botocore (as the function makes the ID photo's),
sent as a browser sends a form, checked and stored as S3 would, and every refusal S3's XML error."""

from __future__ import annotations

import base64
import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from liveness_local.backend import LocalBackend

DEMO_ORIGIN = "http://127.0.0.1:3999"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"
MAX_BYTES = 1024


@pytest.fixture(scope="module")
def presigner(backend: LocalBackend) -> Any:
    """A client that presigns for the twin's upload endpoint with the function's (fake) credentials, as the
    function's own presigner does."""
    return boto3.client(
        "s3",
        region_name=backend.config.region,
        endpoint_url=backend.uploads.url,
        config=Config(signature_version="s3v4"),
    )


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def presigned(backend: LocalBackend, presigner: Any, key: str, *, expires_in: int = 300, **extra: Any) -> Any:
    fields = {
        "Content-Type": "image/jpeg",
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": backend.resources.key_arn,
        **extra.pop("fields", {}),
    }
    conditions = [{name: value} for name, value in fields.items()] + [["content-length-range", 1, MAX_BYTES]]
    return presigner.generate_presigned_post(
        backend.resources.bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
    )


def upload(
    http: requests.Session, post: Any, content: bytes = JPEG, *, fields: dict[str, str] | None = None, **kwargs: Any
) -> requests.Response:
    """The form a browser sends: every field in order, then `file` last."""
    data = {**post["fields"], **(fields or {})}
    return http.post(post["url"], data=data, files={"file": ("id.jpg", content, "image/jpeg")}, timeout=30, **kwargs)


def error_of(response: requests.Response) -> dict[str, str]:
    assert response.headers["Content-Type"] == "application/xml", response.headers
    root = ET.fromstring(response.content)  # noqa: S314 - the twin's own answer
    assert root.tag == "Error"
    return {child.tag: child.text or "" for child in root}


def stored(backend: LocalBackend, key: str) -> dict[str, Any] | None:
    listed = backend.s3.list_object_versions(Bucket=backend.resources.bucket, Prefix=key).get("Versions", [])
    if not listed:
        return None
    head: dict[str, Any] = backend.s3.head_object(Bucket=backend.resources.bucket, Key=key)
    head["Body"] = backend.s3.get_object(Bucket=backend.resources.bucket, Key=key)["Body"].read()
    return head


@pytest.fixture
def key() -> str:
    return f"sessions/{uuid.uuid4()}/document"


def test_a_presigned_post_stores_the_photo_encrypted_with_the_stack_s_key(
    backend: LocalBackend, presigner: Any, http: requests.Session, key: str
) -> None:
    response = upload(http, presigned(backend, presigner, key))

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert response.headers["x-amz-version-id"]
    assert response.headers["ETag"].strip('"')
    head = stored(backend, key)
    assert head is not None
    assert head["Body"] == JPEG
    assert head["ContentType"] == "image/jpeg"
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == backend.resources.key_arn


def test_a_form_that_names_no_encryption_gets_the_bucket_s_default_the_stack_s_key(
    backend: LocalBackend, presigner: Any, http: requests.Session, key: str
) -> None:
    post = presigner.generate_presigned_post(backend.resources.bucket, key, ExpiresIn=60)

    response = upload(http, post)

    assert response.status_code == 204, response.text
    head = stored(backend, key)
    assert head is not None
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", backend.resources.key_arn)
    assert head["ContentType"] == "binary/octet-stream"


def test_success_action_status_201_answers_s3_s_post_response(
    backend: LocalBackend, presigner: Any, http: requests.Session, key: str
) -> None:
    post = presigned(backend, presigner, key, fields={"success_action_status": "201"})

    response = upload(http, post)

    assert response.status_code == 201, response.text
    root = ET.fromstring(response.content)  # noqa: S314 - the twin's own answer
    assert root.tag == "PostResponse"
    assert root.findtext("Bucket") == backend.resources.bucket
    assert root.findtext("Key") == key
    assert root.findtext("ETag") == response.headers["ETag"]


@pytest.mark.parametrize(
    ("change", "status", "code", "detail"),
    [
        ({"key": "sessions/someone-else/document"}, 403, "AccessDenied", 'Policy Condition failed: ["eq", "$key"'),
        ({"Content-Type": "image/png"}, 403, "AccessDenied", 'Policy Condition failed: ["eq", "$Content-Type"'),
        ({"x-amz-server-side-encryption": "AES256"}, 403, "AccessDenied", "Policy Condition failed"),
        ({"x-amz-meta-note": "hi"}, 403, "AccessDenied", "Extra input fields: x-amz-meta-note"),
        ({"x-amz-signature": "0" * 64}, 403, "SignatureDoesNotMatch", "does not match the signature"),
        ({"x-amz-security-token": "another"}, 400, "InvalidToken", "malformed or otherwise invalid"),
        ({"x-amz-date": "yesterday"}, 400, "InvalidArgument", "ISO8601"),
    ],
)
def test_a_form_that_strays_from_its_policy_is_refused_and_nothing_is_stored(
    backend: LocalBackend,
    presigner: Any,
    http: requests.Session,
    key: str,
    change: dict[str, str],
    status: int,
    code: str,
    detail: str,
) -> None:
    response = upload(http, presigned(backend, presigner, key), fields=change)

    assert response.status_code == status, response.text
    error = error_of(response)
    assert error["Code"] == code
    assert detail in error["Message"]
    assert stored(backend, key) is None
    assert stored(backend, change.get("key", key)) is None


def test_a_policy_with_a_wider_range_is_no_longer_the_signed_one(
    backend: LocalBackend, presigner: Any, http: requests.Session, key: str
) -> None:
    post = presigned(backend, presigner, key)
    document = json.loads(base64.b64decode(post["fields"]["policy"]))
    document["conditions"] = [
        ["content-length-range", 1, 10 * MAX_BYTES] if isinstance(c, list) else c for c in document["conditions"]
    ]
    widened = base64.b64encode(json.dumps(document).encode()).decode()

    response = upload(http, post, JPEG * 20, fields={"policy": widened})

    assert response.status_code == 403
    assert error_of(response)["Code"] == "SignatureDoesNotMatch"
    assert error_of(response)["StringToSign"] == widened
    assert stored(backend, key) is None


@pytest.mark.parametrize(
    ("content", "code", "bound"),
    [
        (b"\xff" * (MAX_BYTES + 1), "EntityTooLarge", ("MaxSizeAllowed", str(MAX_BYTES))),
        (b"", "EntityTooSmall", ("MinSizeAllowed", "1")),
    ],
)
def test_a_photo_outside_the_size_range_is_refused(
    backend: LocalBackend,
    presigner: Any,
    http: requests.Session,
    key: str,
    content: bytes,
    code: str,
    bound: tuple[str, str],
) -> None:
    response = upload(http, presigned(backend, presigner, key), content)

    assert response.status_code == 400
    error = error_of(response)
    assert error["Code"] == code
    assert error["ProposedSize"] == str(len(content))
    assert error[bound[0]] == bound[1]
    assert stored(backend, key) is None


def test_an_expired_policy_is_refused(backend: LocalBackend, presigner: Any, http: requests.Session, key: str) -> None:
    response = upload(http, presigned(backend, presigner, key, expires_in=-1))

    assert response.status_code == 403
    assert error_of(response) | {"RequestId": ""} == {
        "Code": "AccessDenied",
        "Message": "Invalid according to Policy: Policy expired.",
        "RequestId": "",
        "HostId": "local",
    }
    assert stored(backend, key) is None


def test_credentials_for_another_region_are_refused(backend: LocalBackend, http: requests.Session, key: str) -> None:
    elsewhere = "eu-west-3" if backend.config.region != "eu-west-3" else "eu-west-1"
    client = boto3.client(
        "s3", region_name=elsewhere, endpoint_url=backend.uploads.url, config=Config(signature_version="s3v4")
    )
    post = client.generate_presigned_post(backend.resources.bucket, key, ExpiresIn=60)

    response = upload(http, post)

    assert response.status_code == 400
    error = error_of(response)
    assert (error["Code"], error["ArgumentName"], error["Region"]) == (
        "InvalidArgument",
        "X-Amz-Credential",
        backend.config.region,
    )


@pytest.mark.parametrize(
    ("drop", "status", "code"),
    [
        ("key", 400, "InvalidArgument"),
        ("x-amz-signature", 400, "InvalidArgument"),
        ("x-amz-algorithm", 400, "InvalidArgument"),
    ],
)
def test_a_form_missing_a_required_field_names_it(
    backend: LocalBackend, presigner: Any, http: requests.Session, key: str, drop: str, status: int, code: str
) -> None:
    post = presigned(backend, presigner, key)
    del post["fields"][drop]

    response = upload(http, post)

    assert response.status_code == status
    error = error_of(response)
    assert error["Code"] == code
    assert error["ArgumentName"].lower() == drop


def test_an_unsigned_form_is_anonymous_and_this_bucket_is_private(
    backend: LocalBackend, http: requests.Session, key: str
) -> None:
    url = f"{backend.uploads.url}/{backend.resources.bucket}"
    response = http.post(url, data={"key": key}, files={"file": ("id.jpg", JPEG)}, timeout=30)

    assert response.status_code == 403
    assert error_of(response)["Code"] == "AccessDenied"
    assert stored(backend, key) is None


def test_a_body_that_is_no_form_is_a_failed_precondition(backend: LocalBackend, http: requests.Session) -> None:
    url = f"{backend.uploads.url}/{backend.resources.bucket}"
    response = http.post(url, data=b'{"key": "x"}', headers={"Content-Type": "application/json"}, timeout=30)

    assert response.status_code == 412
    assert error_of(response)["Code"] == "PreconditionFailed"


def test_another_bucket_does_not_exist(backend: LocalBackend, presigner: Any, http: requests.Session) -> None:
    post = presigner.generate_presigned_post("someone-elses-bucket", "k", ExpiresIn=60)

    response = upload(http, post)

    assert response.status_code == 404
    assert error_of(response)["Code"] == "NoSuchBucket"


def test_the_demo_s_origin_passes_cors_and_another_origin_does_not(
    backend: LocalBackend, presigner: Any, http: requests.Session, key: str
) -> None:
    backend.uploads.post_object.allow_origins([DEMO_ORIGIN])
    url = f"{backend.uploads.url}/{backend.resources.bucket}"
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}

    allowed = http.options(url, headers={"Origin": DEMO_ORIGIN, **preflight}, timeout=30)
    refused = http.options(url, headers={"Origin": "https://evil.example", **preflight}, timeout=30)
    response = upload(http, presigned(backend, presigner, key), headers={"Origin": DEMO_ORIGIN})

    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == DEMO_ORIGIN
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert refused.status_code == 403
    assert error_of(refused)["Code"] == "AccessForbidden"
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == DEMO_ORIGIN


def test_the_create_response_s_upload_target_is_this_endpoint_bound_to_the_session_s_key(
    backend: LocalBackend, api: Any, http: requests.Session
) -> None:
    created = api.create({"match": {"against": "DOCUMENT", "documentContentType": "image/jpeg"}})
    assert created.status == 201, created.body
    target = created.body["documentUpload"]
    own_key = f"{backend.settings.image_key_prefix}{created.body['sessionId']}/document"

    elsewhere = upload(http, target, fields={"key": f"{backend.settings.image_key_prefix}another-session/document"})
    response = upload(http, target)

    assert target["url"] == f"{backend.uploads.url}/{backend.resources.bucket}"
    assert elsewhere.status_code == 403
    assert error_of(elsewhere)["Code"] == "AccessDenied"
    assert response.status_code == 204, response.text
    head = stored(backend, own_key)
    assert head is not None
    assert (head["Body"], head["SSEKMSKeyId"]) == (JPEG, backend.settings.kms_key_arn)
