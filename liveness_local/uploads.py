"""S3's POST Object for the twin: where a browser (or a backend) uploads a session's ID photo with the presigned
POST that `POST /sessions` returns, checked as S3 checks it, stored in the twin's S3 (moto) as S3 would store it.

moto's own server is not in the twin, and moto's S3 takes a POST without checking its policy; so this endpoint is
S3's side of a browser upload, on a port of its own (S3 is another origin than the API, and so is this):

    POST /{bucket}     multipart/form-data: every field of the presigned POST, then `file` last
    OPTIONS /{bucket}  the browser's CORS preflight, answered for the demo's origins

What it checks, in S3's order, each refusal S3's XML error with S3's status:
- the body is multipart/form-data (412 PreconditionFailed), readable (400 MalformedPOSTRequest), with at most
  20 KB before the file (400 MaxPostPreDataLengthExceeded), a `key` and exactly one `file` (400 InvalidArgument);
- the SigV4 fields are all there (400 InvalidArgument; none at all is an anonymous request, 403 AccessDenied on
  this private bucket), the credential is well formed and for this region (400 InvalidArgument), its access key
  and session token are the twin's (403 InvalidAccessKeyId, 400 InvalidToken), and `x-amz-signature` is the
  policy's signature under that key (403 SignatureDoesNotMatch);
- the policy is readable (400 InvalidPolicyDocument), not expired by the machine's clock (which botocore signs
  with), every condition holds for the fields sent and every field is covered by a condition (403 AccessDenied
  "Invalid according to Policy"), and the file's size is in `content-length-range` (400 EntityTooLarge or
  EntityTooSmall).

On success the object is stored with the form's Content-Type, `x-amz-meta-*` and server-side encryption (the
bucket's default, the stack's KMS key, where the form names none), and the answer is 204, or what
`success_action_status` asks for (200, or 201 with S3's PostResponse), or the 303 of `success_action_redirect`.

AWS's definitions:
- POST Object: https://docs.aws.amazon.com/AmazonS3/latest/developerguide/RESTObjectPOST.html
- its form fields: https://docs.aws.amazon.com/AmazonS3/latest/developerguide/sigv4-HTTPPOSTForms.html
- the POST policy: https://docs.aws.amazon.com/AmazonS3/latest/developerguide/sigv4-HTTPPOSTConstructPolicy.html
- its signature: https://docs.aws.amazon.com/AmazonS3/latest/developerguide/sigv4-authentication-HTTPPOST.html
- the error codes: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
- CORS: https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
The policy's checks are in `uploads_policy`, the form's reading in `uploads_form`.
"""

from __future__ import annotations

import hmac
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import quote, unquote, urlencode, urlsplit
from xml.sax.saxutils import escape

from botocore.exceptions import ClientError

from liveness_local.gateway import HttpRequest, HttpResponse
from liveness_local.uploads_form import (
    MAX_PRE_DATA_BYTES,
    NOT_MULTIPART,
    PRE_DATA_TOO_LARGE,
    FormError,
    PostForm,
    parse_form,
)
from liveness_local.uploads_policy import ALGORITHM, S3Refusal, check_policy, decode_policy, policy_signature

# The most the twin reads of one request: more than any ID photo CompareFaces reads from S3 (15 MB) and the form.
MAX_REQUEST_BYTES: Final = 16 * 1024 * 1024
# The SigV4 fields of a POST, in the order S3 names the first one missing.
_SIGNED_FIELDS: Final = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Signature", "Policy")
_CORS_REFUSED: Final = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method "
    "/ Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
)
# The object headers a form field sets, by the field's lower-case name.
_OBJECT_FIELDS: Final = {
    "content-type": "ContentType",
    "cache-control": "CacheControl",
    "content-disposition": "ContentDisposition",
    "content-encoding": "ContentEncoding",
    "x-amz-server-side-encryption": "ServerSideEncryption",
    "x-amz-server-side-encryption-aws-kms-key-id": "SSEKMSKeyId",
}


class S3PostObject:
    """POST Object on one bucket, as a function of the request: no sockets (`UploadEndpoint` serves it).

    `credentials` maps each access key the twin knows to its secret and session token (None for none). `clock`
    judges the policy's expiration: the machine's, by default, because botocore writes the expiration from the
    machine's clock whatever the twin's clock says (tests move the twin's forward)."""

    def __init__(
        self,
        s3: Any,
        *,
        bucket: str,
        region: str,
        credentials: Mapping[str, tuple[str, str | None]],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._s3 = s3
        self.bucket = bucket
        self.region = region
        self._credentials = dict(credentials)
        self._clock = clock
        self._origins: set[str] = set()
        self.base_url = ""

    def allow_origins(self, origins: Iterable[str]) -> None:
        """The bucket's CORS rule: these origins may POST (the demo's, once its server knows its port)."""
        self._origins.update(origin.rstrip("/") for origin in origins if origin)

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex[:16].upper()
        origin = request.header("Origin")
        cors = (("Access-Control-Allow-Origin", origin), ("Vary", "Origin")) if origin in self._origins else ()
        try:
            if request.method == "OPTIONS":
                return self._preflight(request, request_id)
            status, headers, body = self._post(request)
        except S3Refusal as refusal:
            status, headers, body = refusal.status, (), _error_xml(refusal, request_id)
        if body:
            headers = (("Content-Type", "application/xml"), *headers)
        return HttpResponse(status, (*headers, *cors, ("x-amz-request-id", request_id)), body)

    def _preflight(self, request: HttpRequest, request_id: str) -> HttpResponse:
        origin = request.header("Origin")
        method = request.header("Access-Control-Request-Method")
        if not origin or not method:
            message = "Insufficient information. Origin request header needed."
            return HttpResponse(
                400,
                (("Content-Type", "application/xml"),),
                _error_xml(S3Refusal(400, "BadRequest", message), request_id),
            )
        if origin.rstrip("/") not in self._origins or method != "POST":
            refusal = S3Refusal(403, "AccessForbidden", _CORS_REFUSED, Method=method, ResourceType="BUCKET")
            return HttpResponse(403, (("Content-Type", "application/xml"),), _error_xml(refusal, request_id))
        headers = [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Methods", "POST"),
            ("Access-Control-Max-Age", "3000"),
            ("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"),
        ]
        if request.header("Access-Control-Request-Headers"):
            headers.append(("Access-Control-Allow-Headers", request.header("Access-Control-Request-Headers") or ""))
        return HttpResponse(200, tuple(headers))

    def _post(self, request: HttpRequest) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
        path = unquote(urlsplit(request.target).path)
        name = path.strip("/").split("/", 1)[0]
        if request.method != "POST" or "/" in path.strip("/"):
            raise S3Refusal(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        if name != self.bucket:
            raise S3Refusal(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=name)
        form = _read_form(request)
        self._authenticate(form)
        check_policy(decode_policy(form.get("Policy") or ""), form, bucket=self.bucket, now=self._clock())
        return self._store(form)

    def _authenticate(self, form: PostForm) -> None:
        if form.get("key") is None:
            raise _missing_field("key")
        if form.get("X-Amz-Algorithm") is None and (form.get("AWSAccessKeyId") or form.get("Signature")):
            # Signature Version 2: what S3 answers in every region opened since 2014.
            message = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
            raise S3Refusal(400, "InvalidRequest", message)
        if not any(form.get(name) is not None for name in _SIGNED_FIELDS):
            # No policy, no signature: an anonymous request, which this private bucket refuses.
            raise S3Refusal(403, "AccessDenied", "Access Denied")
        for name in _SIGNED_FIELDS:
            if form.get(name) is None:
                raise _missing_field(name)
        if form.file_parts != 1:
            message = "POST requires exactly one file upload per request."
            raise S3Refusal(400, "InvalidArgument", message, ArgumentName="file", ArgumentValue=str(form.file_parts))
        if form.get("X-Amz-Algorithm") != ALGORITHM:
            raise _invalid_argument("X-Amz-Algorithm", form, f'X-Amz-Algorithm only supports "{ALGORITHM}"')
        credential = form.get("X-Amz-Credential") or ""
        access_key, date, region = self._credential_scope(credential, form)
        try:
            datetime.strptime(form.get("X-Amz-Date") or "", "%Y%m%dT%H%M%SZ")
        except ValueError:
            raise _invalid_argument("X-Amz-Date", form, "X-Amz-Date must be formated via ISO8601 Long format") from None
        known = self._credentials.get(access_key)
        token = form.get("X-Amz-Security-Token")
        if known is None or (known[1] is not None and token is None):
            message = "The AWS Access Key Id you provided does not exist in our records."
            raise S3Refusal(403, "InvalidAccessKeyId", message, AWSAccessKeyId=access_key)
        secret, expected_token = known
        if token is not None and token != expected_token:
            raise S3Refusal(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
        policy = form.get("Policy") or ""
        provided = form.get("X-Amz-Signature") or ""
        if not hmac.compare_digest(policy_signature(secret, date, region, policy), provided):
            raise S3Refusal(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your key and "
                "signing method.",
                AWSAccessKeyId=access_key,
                StringToSign=policy,
                SignatureProvided=provided,
                StringToSignBytes=" ".join(f"{byte:02x}" for byte in policy.encode()),
            )

    def _credential_scope(self, credential: str, form: PostForm) -> tuple[str, str, str]:
        parts = credential.split("/")
        if len(parts) != 5 or parts[3] != "s3" or parts[4] != "aws4_request" or not parts[1].isdigit():
            message = 'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
            raise _invalid_argument("X-Amz-Credential", form, message)
        access_key, date, region = parts[0], parts[1], parts[2]
        if not access_key:
            raise _invalid_argument(
                "X-Amz-Credential", form, "a non-empty Access Key (AKID) must be provided in the credential."
            )
        if region != self.region:
            message = f"the region '{region}' is wrong; expecting '{self.region}'"
            raise S3Refusal(
                400,
                "InvalidArgument",
                message,
                ArgumentName="X-Amz-Credential",
                ArgumentValue=credential,
                Region=self.region,
            )
        return access_key, date, region

    def _store(self, form: PostForm) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
        key = form.get("key") or ""
        if form.filename is not None:
            # "only the text following the last slash (/) or backslash (\) is used"
            key = key.replace("${filename}", form.filename.replace("\\", "/").rsplit("/", 1)[-1])
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Body": form.file or b""}
        arguments["ContentType"] = "binary/octet-stream"
        for name, value in form.fields:
            lowered = name.lower()
            if lowered in _OBJECT_FIELDS:
                arguments[_OBJECT_FIELDS[lowered]] = form.get(name)
            elif lowered.startswith("x-amz-meta-"):
                arguments.setdefault("Metadata", {})[lowered.removeprefix("x-amz-meta-")] = value
            elif lowered == "x-amz-server-side-encryption-bucket-key-enabled":
                arguments["BucketKeyEnabled"] = value.lower() == "true"
        try:
            stored = self._s3.put_object(**arguments)
        except ClientError as error:
            details = error.response.get("Error", {})
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
            raise S3Refusal(status, str(details.get("Code")), str(details.get("Message"))) from None
        return _success(form, self.bucket, key, stored, location=f"{self.base_url}/{self.bucket}/{quote(key, safe='')}")


def _read_form(request: HttpRequest) -> PostForm:
    try:
        return parse_form(request.header("Content-Type"), request.body)
    except FormError as error:
        if error.reason == NOT_MULTIPART:
            message = "At least one of the pre-conditions you specified did not hold"
            condition = "Bucket POST must be of the enclosure-type multipart/form-data"
            raise S3Refusal(412, "PreconditionFailed", message, Condition=condition) from None
        if error.reason == PRE_DATA_TOO_LARGE:
            message = "Your POST request fields preceeding the upload file was too large."
            raise S3Refusal(
                400, "MaxPostPreDataLengthExceeded", message, MaxPostPreDataLengthBytes=str(MAX_PRE_DATA_BYTES)
            ) from None
        message = "The body of your POST request is not well-formed multipart/form-data."
        raise S3Refusal(400, "MalformedPOSTRequest", message) from None


def _missing_field(name: str) -> S3Refusal:
    message = (
        f"Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."
    )
    return S3Refusal(400, "InvalidArgument", message, ArgumentName=name, ArgumentValue="")


def _invalid_argument(name: str, form: PostForm, message: str) -> S3Refusal:
    return S3Refusal(400, "InvalidArgument", message, ArgumentName=name, ArgumentValue=form.get(name) or "")


def _success(
    form: PostForm, bucket: str, key: str, stored: Mapping[str, Any], *, location: str
) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
    etag = str(stored.get("ETag", ""))
    headers = [("ETag", etag), ("Location", location)]
    for header, field in (
        ("x-amz-version-id", "VersionId"),
        ("x-amz-server-side-encryption", "ServerSideEncryption"),
        ("x-amz-server-side-encryption-aws-kms-key-id", "SSEKMSKeyId"),
    ):
        if stored.get(field):
            headers.append((header, str(stored[field])))
    redirect = form.get("success_action_redirect") or form.get("redirect")
    if redirect and urlsplit(redirect).scheme in ("http", "https"):
        query = urlencode({"bucket": bucket, "key": key, "etag": etag})
        headers[1] = ("Location", f"{redirect}{'&' if '?' in redirect else '?'}{query}")
        return 303, tuple(headers), b""
    status = form.get("success_action_status")
    if status == "201":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>'
            f"<Location>{escape(location)}</Location><Bucket>{escape(bucket)}</Bucket>"
            f"<Key>{escape(key)}</Key><ETag>{escape(etag)}</ETag></PostResponse>"
        ).encode()
        return 201, tuple(headers), body
    return (200 if status == "200" else 204), tuple(headers), b""


def _error_xml(refusal: S3Refusal, request_id: str) -> bytes:
    elements = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in refusal.elements.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(refusal.code)}</Code><Message>{escape(refusal.message)}</Message>{elements}"
        f"<RequestId>{request_id}</RequestId><HostId>local</HostId></Error>"
    ).encode()


class UploadEndpoint:
    """`S3PostObject` over HTTP on a port of its own, in a daemon thread: `start()`, then `url`, then `stop()`."""

    def __init__(self, post_object: S3PostObject, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.post_object = post_object
        self._server = ThreadingHTTPServer((host, port), _UploadHandler)
        self._server.daemon_threads = True
        self._server.post_object = post_object  # type: ignore[attr-defined]
        bound_host, bound_port = self._server.server_address[:2]
        self.url = f"http://{bound_host if isinstance(bound_host, str) else bound_host.decode()}:{bound_port}"
        post_object.base_url = self.url
        self._thread: threading.Thread | None = None

    def start(self) -> UploadEndpoint:
        self._thread = threading.Thread(target=self._server.serve_forever, name="liveness-uploads", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()


class _UploadHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        post_object: S3PostObject = self.server.post_object  # type: ignore[attr-defined]
        length = self.headers.get("Content-Length")
        if self.command == "POST" and (length is None or not length.isdigit()):
            refusal = S3Refusal(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
            self._send(HttpResponse(411, (("Content-Type", "application/xml"),), _error_xml(refusal, "local")))
            return
        if int(length or 0) > MAX_REQUEST_BYTES:
            self.close_connection = True
            message = "Your proposed upload exceeds the maximum allowed size"
            refusal = S3Refusal(400, "EntityTooLarge", message, MaxSizeAllowed=str(MAX_REQUEST_BYTES))
            self._send(HttpResponse(400, (("Content-Type", "application/xml"),), _error_xml(refusal, "local")))
            return
        body = self.rfile.read(int(length or 0))
        request = HttpRequest(self.command, self.path, tuple(self.headers.items()), body)
        self._send(post_object.handle(request))

    def __getattr__(self, name: str) -> Any:
        # Every method reaches S3PostObject, which answers what S3 does (405 for all but POST and OPTIONS).
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _send(self, response: HttpResponse) -> None:
        response.send(self)

    def log_message(self, format: str, *args: Any) -> None:
        # No access log: the twin's console shows the handler's own lines, as CloudWatch would.
        pass
