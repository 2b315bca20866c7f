"""The function's dependencies, built from its settings: the AWS clients and the domain service over them.

`entry.py` builds them once per container, with botocore's own clients (`BotocoreClients`). The local twin and the
bench pass a `ClientFactory` of their own, which makes the same clients and attaches their stand-ins (an emulator,
injected faults, timers) to each as it is made; the domain's clock is an argument too. Whatever the factory, every
client gets the same configuration and the same deadline check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any, Protocol

import botocore.session
from botocore.config import Config
from botocore.loaders import Loader

from liveness_api import deadline
from liveness_api.adapters.address_key import HmacAddressKeys
from liveness_api.adapters.documents import S3DocumentUploads, refuse_to_send
from liveness_api.adapters.enrolments import DynamoEnrolments
from liveness_api.adapters.faces import RekognitionFaces
from liveness_api.adapters.images import S3ImageStore
from liveness_api.adapters.ledger import DynamoSessionLedger
from liveness_api.adapters.rekognition import RekognitionLiveness
from liveness_api.adapters.streaming_credentials import StsStreamingCredentials
from liveness_api.admission import Limits
from liveness_api.enrolment import PersonEnrolment
from liveness_api.face_match import FaceMatches
from liveness_api.ports import DocumentUploads, Enrolments, FaceMatching
from liveness_api.sessions import Clock, LivenessSessions, utc_now
from liveness_api.settings import Settings
from liveness_api.vocabulary import CallerLimit


@dataclass(frozen=True)
class Dependencies:
    """What the routes use."""

    settings: Settings
    sessions: LivenessSessions
    enrolment: PersonEnrolment


class ClientFactory(Protocol):
    def __call__(self, service: str, *, region: str, config: Config) -> Any:
        """A botocore client of `service` (one of SERVICES) in `region`, with `config`."""
        ...


def _config(connect_timeout: float, read_timeout: float, max_attempts: int) -> Config:
    # Standard mode: a bounded number of attempts with jittered backoff; every attempt and backoff together fit
    # inside the Lambda timeout (checked for every client at synth: infra/config/capacity.py), and each attempt
    # starts only if it can finish before the request's deadline (deadline.py).
    # No client-side parameter validation: botocore checks only types, required members and minimum lengths and
    # values, and every parameter sent is either built by the adapters from fixed shapes or already validated by
    # the API's models against the service's whole model (lengths, patterns, enums, ranges). The tests check each
    # call against more than botocore would: the emulator validates every Rekognition request against the full
    # service model, and moto validates DynamoDB's and S3's. Saves about 0.6 M instructions per create (~90 us).
    return Config(
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        parameter_validation=False,
    )


# Every AWS service this function calls.
SERVICES = ("dynamodb", "rekognition", "s3", "secretsmanager", "sts")


class KnownServicesLoader(Loader):  # type: ignore[misc]  # botocore ships no type hints
    """botocore's data loader, told which services the function uses.

    Before it loads a model, botocore checks the service name against every service it ships, listing some 450
    directories once per kind of model, on every cold start (docs/performance.md has the cost). Clients here
    are only ever made for SERVICES, so the check is answered from that list. Everything else about loading
    (which files, which API version, caching) stays botocore's own, and any other service is still refused.
    """

    def __init__(self, services: tuple[str, ...]) -> None:
        super().__init__()
        self._services = sorted(services)

    def list_available_services(self, type_name: str) -> list[str]:
        return list(self._services)


def aws_session() -> botocore.session.Session:
    # botocore's session rather than boto3's: the function uses neither resources nor s3transfer, which
    # importing boto3 would load on every cold start.
    session = botocore.session.get_session()
    session.register_component("data_loader", KnownServicesLoader(SERVICES))
    return session


class BotocoreClients:
    """The function's own clients: botocore's, from one session that knows which services the function uses."""

    def __init__(self) -> None:
        self._session = aws_session()

    def __call__(self, service: str, *, region: str, config: Config) -> Any:
        return self._session.create_client(service, region_name=region, config=config)


def client_config(settings: Settings, service: str) -> Config:
    """The configuration of the function's client of `service`: its timeouts and attempts from the settings."""
    if service == "rekognition":
        return _config(
            settings.rekognition_connect_timeout, settings.rekognition_read_timeout, settings.rekognition_max_attempts
        )
    if service == "s3":
        return _config(settings.s3_connect_timeout, settings.s3_read_timeout, settings.s3_max_attempts)
    if service == "secretsmanager":
        return _config(
            settings.secretsmanager_connect_timeout,
            settings.secretsmanager_read_timeout,
            settings.secretsmanager_max_attempts,
        )
    if service == "sts":
        return _config(settings.sts_connect_timeout, settings.sts_read_timeout, settings.sts_max_attempts)
    if service != "dynamodb":
        raise ValueError(f"the function uses no {service} client")
    return _config(settings.dynamodb_connect_timeout, settings.dynamodb_read_timeout, settings.dynamodb_max_attempts)


def presigning_client(region: str, upload_endpoint: str | None) -> Any:
    """An S3 client that only signs ID-photo uploads: SigV4 (KMS-encrypted uploads need it), for S3's regional
    endpoint (the bucket's own region, so the browser's POST is never redirected) or `upload_endpoint`, path-style
    there. It refuses to send any request: presigning is local."""
    s3: dict[str, str] = (
        {"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"}
        if upload_endpoint is None
        else {"addressing_style": "path"}
    )
    client = aws_session().create_client(
        "s3", region_name=region, endpoint_url=upload_endpoint, config=Config(signature_version="s3v4", s3=s3)
    )
    client.meta.events.register("before-send", refuse_to_send)
    return client


def build_dependencies(
    settings: Settings,
    clients: ClientFactory | None = None,
    *,
    clock: Clock = utc_now,
    upload_endpoint: str | None = None,
) -> Dependencies:
    """The routes' dependencies. `clients` makes the AWS clients (botocore's by default); `clock` is the domain's;
    `upload_endpoint` is where ID photos are uploaded (None: S3's own endpoint; the twin passes its local one)."""
    make = BotocoreClients() if clients is None else clients

    @cache
    def client(service: str) -> Any:
        # One client per service, shared by every adapter of it: each botocore client made costs cold-start time.
        made = make(service, region=settings.region, config=client_config(settings, service))
        deadline.guard_client(made)
        return made

    @cache
    def image_store() -> S3ImageStore:
        return S3ImageStore(client("s3"), bucket=settings.image_bucket, key_prefix=settings.image_key_prefix)

    @cache
    def presigner() -> Any:
        return presigning_client(settings.region, upload_endpoint)

    faces = FacePorts(
        matching=RekognitionFaces(
            client("rekognition"), bucket=settings.image_bucket, collection_id=settings.face_collection_id
        ),
        documents=S3DocumentUploads(
            lambda: image_store().client,
            presigner,
            bucket=settings.image_bucket,
            key_prefix=settings.image_key_prefix,
            kms_key_arn=settings.kms_key_arn,
            max_bytes=settings.document_max_bytes,
        ),
        enrolments=DynamoEnrolments(client("dynamodb"), settings.ledger_table),
    )
    sessions = LivenessSessions(
        region=settings.region,
        threshold=settings.liveness_threshold,
        max_audit_images_limit=settings.max_audit_images_limit,
        liveness=RekognitionLiveness(
            client("rekognition"),
            bucket=settings.image_bucket,
            key_prefix=settings.image_key_prefix,
            kms_key_arn=settings.kms_key_arn,
        ),
        ledger=DynamoSessionLedger(
            client("dynamodb"),
            settings.ledger_table,
            retention=timedelta(days=settings.retention_days),
            max_failures=settings.abuse_max_failures,
            failure_window=timedelta(seconds=settings.abuse_window_seconds),
            cooldown=timedelta(seconds=settings.abuse_cooldown_seconds),
        ),
        # The S3 side, built on first use: only erasure needs it.
        images=image_store,
        # Only where addresses count (guest mode): one GetSecretValue at init, none per request.
        address_keys=HmacAddressKeys.from_secret(client("secretsmanager"), settings.address_key_secret)
        if settings.caller_mode.limits_addresses
        else None,
        # Only where the stack hands out streaming credentials: no STS client otherwise.
        streaming_credentials=StsStreamingCredentials(client("sts"), settings.streaming_role_arn)
        if settings.streaming_role_arn
        else None,
        limits=Limits(
            per_minute={
                CallerLimit.CREATES: settings.caller_creates_per_minute,
                CallerLimit.READS: settings.caller_reads_per_minute,
            },
            max_open_sessions=settings.max_open_sessions,
            address_creates_per_minute=settings.address_creates_per_minute,
        ),
        verdict_max_age=timedelta(seconds=settings.verdict_max_age_seconds),
        matches=face_matches(settings, faces),
        clock=clock,
    )
    return Dependencies(
        settings=settings, sessions=sessions, enrolment=person_enrolment(settings, sessions, faces, clock)
    )


@dataclass(frozen=True)
class FacePorts:
    """What the face match and enrolment use: Rekognition's face operations, the ID-photo uploads, the enrolments."""

    matching: FaceMatching
    documents: DocumentUploads
    enrolments: Enrolments


def face_matches(settings: Settings, ports: FacePorts) -> FaceMatches:
    return FaceMatches(
        threshold=settings.match_threshold,
        upload_seconds=settings.document_upload_seconds,
        matching=ports.matching,
        documents=ports.documents,
        enrolments=ports.enrolments,
    )


def person_enrolment(settings: Settings, sessions: LivenessSessions, ports: FacePorts, clock: Clock) -> PersonEnrolment:
    return PersonEnrolment(
        sessions=sessions,
        threshold=settings.match_threshold,
        duplicate_check=settings.enrolment_duplicate_check,
        matching=ports.matching,
        enrolments=ports.enrolments,
        clock=clock,
    )
