"""The POST policy of an S3 POST Object request: its SigV4 signature, its document and its conditions.

AWS's definitions, followed here:
- the signature: "the Base64-encoded security policy ... is the string you sign", an HMAC-SHA256 under the SigV4
  signing key of the credential's date, region and `s3`, hex-encoded
  (https://docs.aws.amazon.com/AmazonS3/latest/developerguide/sigv4-authentication-HTTPPOST.html);
- the document: `expiration` (ISO 8601 UTC) and `conditions`, each an exact match (`{"field": "value"}` or
  `["eq", "$field", "value"]`), a prefix (`["starts-with", "$field", "prefix"]`, where a Content-Type list must
  match in every item) or `["content-length-range", min, max]`; "Each form field that you specify in a form
  (except x-amz-signature, file, policy, and field names that have an x-ignore- prefix) must appear in the list of
  conditions" (https://docs.aws.amazon.com/AmazonS3/latest/developerguide/sigv4-HTTPPOSTConstructPolicy.html).

S3's answers where a check fails are S3's own, as recorded against it: a failed condition or an expired policy is
403 AccessDenied "Invalid according to Policy: ...", a policy it cannot read 400 InvalidPolicyDocument
"Invalid Policy: ...", a file outside the range 400 EntityTooLarge or EntityTooSmall.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from liveness_local.uploads_form import PostForm

ALGORITHM: Final = "AWS4-HMAC-SHA256"
# Fields that no condition needs to name (the coverage rule's exemptions).
_EXEMPT: Final = frozenset({"x-amz-signature", "file", "policy"})
_EXPIRATION_FORMATS: Final = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ")


class S3Refusal(Exception):
    """A refusal in S3's terms: its status, its error code and message, and the XML error's further elements."""

    def __init__(self, status: int, code: str, message: str, **elements: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.elements = elements


def _invalid_policy(reason: str) -> S3Refusal:
    return S3Refusal(400, "InvalidPolicyDocument", f"Invalid Policy: {reason}")


def _denied(reason: str) -> S3Refusal:
    return S3Refusal(403, "AccessDenied", f"Invalid according to Policy: {reason}")


def signing_key(secret: str, date: str, region: str, service: str = "s3") -> bytes:
    """SigV4's signing key: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html"""
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def policy_signature(secret: str, date: str, region: str, policy: str) -> str:
    return hmac.new(signing_key(secret, date, region), policy.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Condition:
    operator: str  # "eq", "starts-with" or "content-length-range"
    # The field's name as the policy spells it ("$" removed), "" for a range.
    name: str = ""
    value: str = ""
    low: int = 0
    high: int = 0
    # As S3 prints it in "Policy Condition failed: [...]": simple conditions as `eq` arrays, in the policy's spelling.
    text: str = ""


@dataclass(frozen=True)
class PostPolicy:
    expiration: datetime
    conditions: tuple[Condition, ...] = field(default=())

    @property
    def length_range(self) -> tuple[int, int] | None:
        ranges = [(c.low, c.high) for c in self.conditions if c.operator == "content-length-range"]
        return (max(low for low, _ in ranges), min(high for _, high in ranges)) if ranges else None


def decode_policy(encoded: str) -> PostPolicy:
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise _invalid_policy("invalid Base64 encoding.") from None
    try:
        # A float or a NaN is no JSON S3 takes (a float bound drew "Invalid JSON." from S3).
        document = json.loads(raw.decode("utf-8"), parse_float=_no_float, parse_constant=_no_float)
    except (ValueError, UnicodeDecodeError):
        raise _invalid_policy("Invalid JSON.") from None
    if not isinstance(document, dict):
        raise _invalid_policy("Invalid JSON.")
    for member in document:
        if member not in ("expiration", "conditions"):
            raise _invalid_policy(f"Unexpected: '{member.lower()}'")
    if "expiration" not in document:
        raise _invalid_policy("Policy missing expiration.")
    if "conditions" not in document:
        raise _invalid_policy("Policy missing conditions.")
    conditions = document["conditions"]
    if not isinstance(conditions, list):
        raise _invalid_policy("Invalid 'conditions' value: must be a List.")
    return PostPolicy(_expiration(document["expiration"]), tuple(_condition(item) for item in conditions))


def _no_float(text: str) -> Any:
    raise ValueError(text)


def _expiration(value: Any) -> datetime:
    for pattern in _EXPIRATION_FORMATS:
        try:
            return datetime.strptime(str(value), pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise _invalid_policy(f"Invalid 'expiration' value: '{value}'")


def _condition(item: Any) -> Condition:
    if isinstance(item, dict):
        if len(item) != 1:
            raise _invalid_policy(
                "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."
            )
        [(name, value)] = item.items()
        if not isinstance(value, str):
            raise _invalid_policy("Invalid Simple-Condition: value must be a string.")
        return Condition("eq", name, value, text=json.dumps(["eq", f"${name}", value], ensure_ascii=False))
    if not isinstance(item, list):
        raise _invalid_policy("Invalid condition test: must be a List or Object.")
    if not item or not isinstance(item[0], str):
        raise _invalid_policy("Invalid Condition: missing operation identifier.")
    operator = item[0].lower()
    text = json.dumps(item, ensure_ascii=False)
    if operator not in ("eq", "starts-with", "content-length-range"):
        raise _invalid_policy(f"Invalid Condition: unknown operation '{item[0]}'.")
    if len(item) != 3:
        raise _invalid_policy(f"Invalid {item[0]}: wrong number of arguments.")
    if operator == "content-length-range":
        low, high = (_bound(bound, text) for bound in item[1:])
        return Condition(operator, low=low, high=high, text=text)
    name, value = item[1], item[2]
    if not isinstance(name, str) or not isinstance(value, str):
        raise _invalid_policy("Invalid JSON.")
    # A name without its "$" names no field: the condition can never hold (S3 answers the condition failed).
    return Condition(operator, name[1:] if name.startswith("$") else "\0" + name, value, text=text)


def _bound(bound: Any, text: str) -> int:
    if isinstance(bound, bool) or not isinstance(bound, int | str):
        raise _invalid_policy("Invalid JSON.")
    if isinstance(bound, str) and not bound.isdigit():
        raise _denied(f"Policy Condition failed: {text}")
    return int(bound)


def check_policy(policy: PostPolicy, form: PostForm, *, bucket: str, now: datetime) -> None:
    """Raise `S3Refusal` unless the form meets the policy: not expired, every condition met, every field
    covered, and the file's size in range."""
    if now >= policy.expiration:
        raise _denied("Policy expired.")

    def value_of(name: str) -> str | None:
        # The bucket is the URL's, whatever a `bucket` field says (a field of that name must be covered too).
        return bucket if name.lower() == "bucket" else form.get(name)

    for condition in policy.conditions:
        if condition.operator != "content-length-range" and not _holds(condition, value_of(condition.name)):
            raise _denied(f"Policy Condition failed: {condition.text}")
    covered = {condition.name.lower() for condition in policy.conditions}
    for name in form.names():
        lowered = name.lower()
        if lowered not in _EXEMPT and not lowered.startswith("x-ignore-") and lowered not in covered:
            raise _denied(f"Extra input fields: {name}")
    size = len(form.file or b"")
    bounds = policy.length_range
    if bounds is not None and size > bounds[1]:
        message = "Your proposed upload exceeds the maximum allowed size"
        raise S3Refusal(400, "EntityTooLarge", message, ProposedSize=str(size), MaxSizeAllowed=str(bounds[1]))
    if bounds is not None and size < bounds[0]:
        message = "Your proposed upload is smaller than the minimum allowed size"
        raise S3Refusal(400, "EntityTooSmall", message, ProposedSize=str(size), MinSizeAllowed=str(bounds[0]))


def _holds(condition: Condition, value: str | None) -> bool:
    if value is None:
        return False
    if condition.operator == "eq":
        return value == condition.value
    if condition.name.lower() == "content-type" and "," in value:
        # "Content-Types values for a starts-with condition that include commas are interpreted as lists."
        return all(item.strip().startswith(condition.value) for item in value.split(","))
    return value.startswith(condition.value)
