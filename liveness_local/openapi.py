"""The API's OpenAPI document, generated from the handler's own routes and models.

    python -m liveness_local.openapi --write openapi.json   # regenerate the committed file
    python -m liveness_local.openapi --check openapi.json   # exit 1 when the committed file is stale

The document needs the app's routes and models only: `documented_app` builds the app as a config deploys it, on
dependencies that serve no request (no AWS, no moto); a running local server passes the app it serves.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, NoReturn

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer, SecurityScheme, Server

from infra.config import StackConfig, load_cdk_json_config
from liveness_api.contract import DocumentContentType
from liveness_api.dependencies import Dependencies, FacePorts, face_matches, person_enrolment
from liveness_api.handler import create_app
from liveness_api.models import DocumentUpload
from liveness_api.ports import (
    AddressAdmission,
    Admission,
    LivenessResult,
    Person,
    RecordedSession,
    SessionRecord,
    SessionRequest,
    SlotClaim,
    StoredImage,
)
from liveness_api.sessions import Limits, LivenessSessions
from liveness_api.vocabulary import CallerLimit
from liveness_local.embedded_aws import LOCAL_BUCKET, LOCAL_TABLE, LocalResources, function_settings

TITLE: Final = "Face Liveness API"
VERSION: Final = "1.0.0"
SECURITY_SCHEME: Final = "sigv4"
USER_POOL_SCHEME: Final = "cognitoUserPool"
DESCRIPTION: Final = (
    "Create Amazon Rekognition Face Liveness sessions, read their verdicts and erase them. {auth} The caller's "
    "identity owns the sessions it creates. Errors are RFC 9457 problem+json."
)
# How requests authenticate, by the stack's `authorization` mode: the scheme's name, the scheme, and a sentence.
_AUTH: Final[dict[str, tuple[str, SecurityScheme, str]]] = {
    "IAM": (
        SECURITY_SCHEME,
        APIKey.model_validate(
            {
                "type": "apiKey",
                "in": APIKeyIn.header,
                "name": "Authorization",
                "description": "AWS SigV4 (service execute-api); API Gateway authorizes the caller with IAM.",
            }
        ),
        "Every request is signed with AWS Signature Version 4 (service `execute-api`): API Gateway authorizes it "
        "with IAM.",
    ),
    "COGNITO": (
        USER_POOL_SCHEME,
        HTTPBearer.model_validate(
            {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "A Cognito user-pool ID token in Authorization; its `sub` owns the sessions.",
            }
        ),
        "Every request carries a Cognito user-pool ID token: API Gateway's user-pool authorizer checks it.",
    ),
}
DEFAULT_PATH: Final = Path(__file__).resolve().parent.parent / "openapi.json"
_SCHEMA_REF: Final = "#/components/schemas/"


class _Unserved:
    """Every port the domain needs, refusing every call: the document is generated without serving a request."""

    def create_session(self, request: SessionRequest) -> str:
        _refuse()

    def get_results(self, session_id: str) -> LivenessResult:
        _refuse()

    def record_session(self, record: SessionRecord) -> RecordedSession:
        _refuse()

    def get_session(self, session_id: str) -> SessionRecord | None:
        _refuse()

    def record_verdict(self, session_id: str, verdict: str) -> SessionRecord:
        _refuse()

    def mark_counted(self, session_id: str) -> bool:
        _refuse()

    def consume_verdict(self, session_id: str, now: datetime) -> SessionRecord | None:
        _refuse()

    def delete_session(self, session_id: str) -> None:
        _refuse()

    def admit(self, owner: str, limit: CallerLimit, now: datetime) -> Admission:
        _refuse()

    def reserve_open_session(self, owner: str, slot: str, expires_at: datetime, now: datetime, cap: int) -> SlotClaim:
        _refuse()

    def admit_address_create(
        self, address_key: str, slot: str, expires_at: datetime, now: datetime, cap: int, creates_per_minute: int
    ) -> AddressAdmission:
        _refuse()

    def address_blocked_until(self, address_key: str, now: datetime) -> datetime | None:
        _refuse()

    def release_open_session(self, owner: str, slot: str, address_key: str | None = None) -> None:
        _refuse()

    def record_failure(self, owner: str, session_id: str, now: datetime, address_key: str | None = None) -> None:
        _refuse()

    def erase_session_images(self, session_id: str) -> int:
        _refuse()

    # Face matching (FaceMatching, DocumentUploads, Enrolments)

    def compare(self, source: StoredImage, target: StoredImage) -> float | None:
        _refuse()

    def search_users(self, image: StoredImage, threshold: float) -> dict[str, float]:
        _refuse()

    def create_user(self, user_id: str) -> None:
        _refuse()

    def index_face(self, image: StoredImage, external_image_id: str) -> str | None:
        _refuse()

    def associate_face(self, user_id: str, face_id: str, threshold: float) -> bool:
        _refuse()

    def delete_faces(self, face_ids: tuple[str, ...]) -> None:
        _refuse()

    def delete_user(self, user_id: str) -> None:
        _refuse()

    def upload_target(
        self, session_id: str, content_type: DocumentContentType, expires_at: datetime, now: datetime
    ) -> DocumentUpload:
        _refuse()

    def uploaded(self, session_id: str) -> StoredImage | None:
        _refuse()

    def get_person(self, owner: str) -> Person | None:
        _refuse()

    def record_face(self, owner: str, session_id: str, face_id: str) -> None:
        _refuse()

    def mark_associated(self, owner: str, session_id: str, now: datetime) -> Person:
        _refuse()

    def forget_face(self, owner: str, session_id: str) -> None:
        _refuse()

    def delete_person(self, owner: str) -> None:
        _refuse()


def _refuse() -> NoReturn:
    raise RuntimeError("the app built for the OpenAPI document serves no request")


def documented_app(config: StackConfig) -> APIGatewayRestResolver:
    """The function's app as `config` deploys it (its settings from the environment the stack sets), on
    dependencies that serve no request."""
    region = config.region
    resources = LocalResources(
        region=region,
        bucket=LOCAL_BUCKET,
        key_arn=f"arn:aws:kms:{region}:123456789012:key/documented",
        table=LOCAL_TABLE,
        address_key_secret=f"arn:aws:secretsmanager:{region}:123456789012:secret:documented",
    )
    settings = function_settings(config, resources)
    unserved = _Unserved()
    faces = FacePorts(matching=unserved, documents=unserved, enrolments=unserved)
    sessions = LivenessSessions(
        region=region,
        threshold=settings.liveness_threshold,
        max_audit_images_limit=settings.max_audit_images_limit,
        liveness=unserved,
        ledger=unserved,
        images=lambda: unserved,
        limits=Limits(per_minute={}, max_open_sessions=0, address_creates_per_minute=0),
        verdict_max_age=timedelta(seconds=settings.verdict_max_age_seconds),
        matches=face_matches(settings, faces),
    )
    enrolment = person_enrolment(settings, sessions, faces, clock=datetime.now)
    return create_app(Dependencies(settings=settings, sessions=sessions, enrolment=enrolment))


def openapi_document(app: APIGatewayRestResolver, authorization: str = "IAM") -> dict[str, Any]:
    """The document of `app` as a dict, declaring the security scheme of the `authorization` mode it is generated
    for."""
    name, scheme, sentence = _AUTH[authorization]
    schema = app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION.format(auth=sentence),
        servers=[Server(url="/", description="The stage URL (the stack's ApiUrl output), or the local server")],
        security_schemes={name: scheme},
        security=[{name: []}],
    )
    document: dict[str, Any] = json.loads(schema)
    if authorization == "IAM":
        document["components"]["securitySchemes"][SECURITY_SCHEME]["x-amazon-apigateway-authtype"] = "awsSigv4"
    else:
        _add_unauthorized(document)
    _drop_empty_content(document)
    _drop_unreferenced_schemas(document)
    return document


def _add_unauthorized(document: dict[str, Any]) -> None:
    """With a user-pool authorizer, API Gateway answers a missing, expired or forged token with its UNAUTHORIZED
    gateway response (401, problem+json like every other)."""
    for operations in document["paths"].values():
        for operation in operations.values():
            responses = operation["responses"]
            responses["401"] = {**responses["403"], "description": "No valid user-pool token (API Gateway)"}
            operation["responses"] = dict(sorted(responses.items()))


def _drop_empty_content(document: dict[str, Any]) -> None:
    """A response the handler declares with `content: {}` has no body (DELETE's 204). OpenAPI says so by leaving
    `content` out; Powertools would otherwise describe the function's return type as an application/json body."""
    for operations in document["paths"].values():
        for operation in operations.values():
            for response in operation["responses"].values():
                if response.get("content") == {}:
                    del response["content"]


def _drop_unreferenced_schemas(document: dict[str, Any]) -> None:
    """Only the schemas the operations use. Powertools always adds its own validation-error schemas, which this
    API never sends: its errors are problem+json."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    used: set[str] = set()
    pending = [document["paths"]]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(_SCHEMA_REF) and ref[len(_SCHEMA_REF) :] not in used:
                used.add(ref[len(_SCHEMA_REF) :])
                pending.append(schemas[ref[len(_SCHEMA_REF) :]])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    for name in set(schemas) - used:
        del schemas[name]


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m liveness_local.openapi", description=__doc__)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", metavar="FILE", nargs="?", const=str(DEFAULT_PATH), help="write the document")
    action.add_argument("--check", metavar="FILE", nargs="?", const=str(DEFAULT_PATH), help="fail if FILE is stale")
    args = parser.parse_args(argv)

    config = load_cdk_json_config()
    text = render(openapi_document(documented_app(config), config.authorization))
    if args.write:
        Path(args.write).write_text(text)
        print(f"wrote {args.write}")
        return 0
    committed = Path(args.check)
    if not committed.exists() or committed.read_text() != text:
        print(f"{committed} is stale: run `make openapi` and commit the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
