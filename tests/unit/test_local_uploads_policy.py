"""The twin's reading of an S3 POST: the form (multipart/form-data) and the POST policy, without sockets or AWS."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from liveness_local.uploads_form import (
    MALFORMED,
    NOT_MULTIPART,
    PRE_DATA_TOO_LARGE,
    FormError,
    PostForm,
    parse_form,
)
from liveness_local.uploads_policy import S3Refusal, check_policy, decode_policy, policy_signature

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
BOUNDARY = "----formboundary7MA4YWxk"


def multipart(parts: list[tuple[str, bytes, str | None]], boundary: str = BOUNDARY) -> bytes:
    """A body as a browser's FormData sends it: each part `(name, content, filename)`."""
    chunks = []
    for name, content, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        chunks.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(chunks) + f"--{boundary}--\r\n".encode()


def form_of(fields: dict[str, str], file: bytes = b"photo") -> PostForm:
    return PostForm(fields=list(fields.items()), file=file, filename="id.jpg", file_parts=1)


def encoded(document: Any) -> str:
    return base64.b64encode(json.dumps(document).encode()).decode()


def policy(*conditions: Any, expires: datetime = NOW + timedelta(minutes=5)) -> str:
    return encoded({"expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"), "conditions": list(conditions)})


def test_the_signature_is_aws_s_own_example() -> None:
    # AWS's worked example of a browser upload with SigV4: its policy, credentials and signature, as published on
    # https://docs.aws.amazon.com/AmazonS3/latest/developerguide/sigv4-post-example.html
    document = (
        '{ "expiration": "2015-12-30T12:00:00.000Z",\r\n  "conditions": [\r\n    {"bucket": "sigv4examplebucket"},\r\n'
        '    ["starts-with", "$key", "user/user1/"],\r\n    {"acl": "public-read"},\r\n'
        '    {"success_action_redirect": "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"},\r\n'
        '    ["starts-with", "$Content-Type", "image/"],\r\n    {"x-amz-meta-uuid": "14365123651274"},\r\n'
        '    {"x-amz-server-side-encryption": "AES256"},\r\n    ["starts-with", "$x-amz-meta-tag", ""],\r\n\r\n'
        '    {"x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"},\r\n'
        '    {"x-amz-algorithm": "AWS4-HMAC-SHA256"},\r\n    {"x-amz-date": "20151229T000000Z" }\r\n  ]\r\n}'
    )
    string_to_sign = base64.b64encode(document.encode()).decode()
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # AWS's published example key

    signature = policy_signature(secret, "20151229", "us-east-1", string_to_sign)

    assert signature == "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
    assert len(decode_policy(string_to_sign).conditions) == 11


def test_the_form_keeps_fields_before_the_file_and_ignores_what_follows_it() -> None:
    body = multipart(
        [
            ("key", b"sessions/s1/document", None),
            ("Content-Type", b"image/png", None),
            ("file", b"\x89PNG", "a.png"),
            ("after", b"ignored", None),
        ]
    )

    form = parse_form(f"multipart/form-data; boundary={BOUNDARY}", b"preamble\r\n" + body)

    assert form.fields == [("key", "sessions/s1/document"), ("Content-Type", "image/png")]
    assert (form.file, form.filename, form.file_parts) == (b"\x89PNG", "a.png", 1)
    assert form.get("CONTENT-type") == "image/png"


@pytest.mark.parametrize(
    ("content_type", "body", "reason"),
    [
        ("application/x-www-form-urlencoded", b"key=a", NOT_MULTIPART),
        ("multipart/form-data", multipart([("key", b"a", None)]), MALFORMED),
        (f"multipart/form-data; boundary={BOUNDARY}", b"no delimiter here", MALFORMED),
        (f"multipart/form-data; boundary={BOUNDARY}", multipart([("x", b"a" * 21_000, None)]), PRE_DATA_TOO_LARGE),
    ],
)
def test_a_body_s3_cannot_read_is_refused_with_its_reason(content_type: str, body: bytes, reason: str) -> None:
    with pytest.raises(FormError) as refused:
        parse_form(content_type, body)
    assert refused.value.reason == reason


def test_every_condition_and_the_range_hold_for_a_matching_form() -> None:
    document = decode_policy(
        policy(
            {"bucket": "b"},
            {"key": "sessions/s1/document"},
            ["starts-with", "$Content-Type", "image/"],
            ["content-length-range", 1, 5],
        )
    )
    form = form_of({"KEY": "sessions/s1/document", "content-type": "image/jpeg", "x-ignore-extra": "1"}, b"12345")

    check_policy(document, form, bucket="b", now=NOW)


@pytest.mark.parametrize(
    ("fields", "file", "code", "message"),
    [
        ({"key": "sessions/s2/document"}, b"123", "AccessDenied", 'Policy Condition failed: ["eq", "$key"'),
        ({"key": "sessions/s1/document", "acl": "public-read"}, b"123", "AccessDenied", "Extra input fields: acl"),
        ({"key": "sessions/s1/document"}, b"123456", "EntityTooLarge", "exceeds the maximum allowed size"),
        ({"key": "sessions/s1/document"}, b"", "EntityTooSmall", "smaller than the minimum allowed size"),
    ],
)
def test_a_form_outside_the_policy_is_refused_as_s3_refuses_it(
    fields: dict[str, str], file: bytes, code: str, message: str
) -> None:
    document = decode_policy(policy({"bucket": "b"}, {"key": "sessions/s1/document"}, ["content-length-range", 1, 5]))

    with pytest.raises(S3Refusal) as refused:
        check_policy(document, form_of(fields, file), bucket="b", now=NOW)

    assert refused.value.code == code
    assert message in refused.value.message


def test_the_bucket_condition_is_checked_against_the_bucket_posted_to() -> None:
    document = decode_policy(policy({"bucket": "b"}))
    with pytest.raises(S3Refusal, match="Policy Condition failed"):
        check_policy(document, form_of({}), bucket="another", now=NOW)


def test_a_content_type_list_passes_starts_with_only_when_every_item_does() -> None:
    document = decode_policy(policy(["starts-with", "$Content-Type", "image/"]))
    check_policy(document, form_of({"Content-Type": "image/jpeg,image/png"}), bucket="b", now=NOW)
    with pytest.raises(S3Refusal):
        check_policy(document, form_of({"Content-Type": "image/jpeg,text/plain"}), bucket="b", now=NOW)


def test_a_policy_is_expired_from_its_expiration_on() -> None:
    document = decode_policy(policy(expires=NOW))
    with pytest.raises(S3Refusal, match="Policy expired") as refused:
        check_policy(document, form_of({}), bucket="b", now=NOW)
    assert refused.value.status == 403
    check_policy(document, form_of({}), bucket="b", now=NOW - timedelta(seconds=1))


@pytest.mark.parametrize(
    ("encoded_policy", "message"),
    [
        ("not base64!", "invalid Base64 encoding."),
        (base64.b64encode(b"{not json").decode(), "Invalid JSON."),
        (encoded({"conditions": []}), "Policy missing expiration."),
        (encoded({"expiration": "2026-12-05T12:00:00Z"}), "Policy missing conditions."),
        (encoded({"expiration": "2026-12-05 12:00:00", "conditions": []}), "Invalid 'expiration' value"),
        (encoded({"expiration": "2026-12-05T12:00:00Z", "conditions": {}}), "must be a List."),
        (encoded({"expiration": "2026-12-05T12:00:00Z", "conditions": [], "Statement": []}), "Unexpected: 'statement'"),
        (policy({"bucket": "b", "key": "k"}), "Simple-Conditions must have exactly one property specified."),
        (policy({"Content-Length": 5}), "value must be a string."),
        (policy(["content-length-range", 0, 512.0]), "Invalid JSON."),
        (policy(["ends-with", "$key", "x"]), "unknown operation 'ends-with'."),
        (policy(["eq", "$key"]), "Invalid eq: wrong number of arguments."),
        (policy([]), "missing operation identifier."),
        (policy("key"), "must be a List or Object."),
    ],
)
def test_a_policy_s3_cannot_read_is_an_invalid_policy_document(encoded_policy: str, message: str) -> None:
    with pytest.raises(S3Refusal) as refused:
        decode_policy(encoded_policy)
    assert (refused.value.status, refused.value.code) == (400, "InvalidPolicyDocument")
    assert message in refused.value.message
