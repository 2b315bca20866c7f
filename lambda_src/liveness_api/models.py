"""Pydantic models at the API boundary: what a request may carry and what a response promises.

The constraints mirror Rekognition's service model (botocore's service-2.json), which botocore itself
does not enforce client-side, so a bad value is a 422 here rather than an InvalidParameterException later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
    model_validator,
)

from liveness_api.contract import DocumentContentType
from liveness_api.vocabulary import ChallengeType, FeedbackCode, MatchOutcome, MatchTarget, SessionStatus, Verdict

# Rekognition's `Version` shape: 5-11 characters, three dot-separated numbers without leading zeros.
ChallengeVersion = Annotated[
    str,
    StringConstraints(min_length=5, max_length=11, pattern=r"^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$"),
]
SessionId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
IdempotencyKey = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# The end user a backend names (plain IAM mode): an opaque id of the backend's choosing, hashed before it is kept.
# Letters, digits and `.`, `_`, `:`, `-` fit UUIDs, hex and base64url digests and namespaced ids, not e-mail addresses.
EndUserId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]


def _json_integer(value: object) -> object:
    # Pydantic's lax mode would take `false` as 0 and "2" as 2; the document's `integer` is a whole number only
    # (2.0 included, as in JSON Schema).
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be a valid integer")
    return value


JsonInteger = Annotated[int, BeforeValidator(_json_integer)]


class ApiModel(BaseModel):
    # Validators are built on first use, so a cold start that creates a session never builds the results or
    # problem models.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class ChallengeVersions(ApiModel):
    minimum: ChallengeVersion | None = None
    maximum: ChallengeVersion | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ChallengeVersions:
        if self.minimum and self.maximum and _version_key(self.minimum) > _version_key(self.maximum):
            raise ValueError("minimum must not be above maximum")
        return self


class ChallengePreference(ApiModel):
    type: ChallengeType
    versions: ChallengeVersions | None = None


class MatchRequest(ApiModel):
    """Ask for the live face to be matched, on the server, once the check is LIVE."""

    against: MatchTarget = Field(
        description="DOCUMENT: an ID photo uploaded to the create response's `documentUpload`; ENROLLED_PERSON: the "
        "person this caller enrolled (POST /enrolment)."
    )
    document_content_type: DocumentContentType = Field(
        "image/jpeg",
        alias="documentContentType",
        description="DOCUMENT only: the ID photo's media type; the upload target accepts exactly this one.",
    )


class CreateSessionRequest(ApiModel):
    """Body of POST /sessions. Every field is optional; an absent body means all defaults."""

    audit_images_limit: JsonInteger = Field(
        0,
        alias="auditImagesLimit",
        ge=0,
        le=4,
        description="How many audit images Rekognition should keep (best effort), capped by the deployment.",
    )
    challenge_preferences: list[ChallengePreference] | None = Field(
        None, alias="challengePreferences", min_length=1, max_length=2
    )
    match: MatchRequest | None = Field(None, description="Match the live face against an ID photo or enrolled person.")


class DocumentUpload(ApiModel):
    """Where the ID photo goes: an S3 presigned POST, so the image never passes through this API. Send a
    multipart/form-data POST to `url` with every one of `fields`, then the file as the last field, `file`."""

    url: str
    fields: dict[str, str]
    expires_at: datetime = Field(alias="expiresAt", description="ISO-8601 UTC; the target refuses uploads after it.")
    max_bytes: int = Field(alias="maxBytes", description="The largest photo the target accepts.")
    content_type: DocumentContentType = Field(alias="contentType")


class StreamingCredentials(ApiModel):
    """AWS credentials for the app's detector (its credentials provider), named as Amplify's `AwsCredentials`: they
    allow `rekognition:StartFaceLivenessSession` and nothing else, and expire after 15 minutes. Never logged."""

    access_key_id: str = Field(alias="accessKeyId")
    # Kept out of reprs, so that no log line or traceback can carry them.
    secret_access_key: str = Field(alias="secretAccessKey", repr=False)
    session_token: str = Field(alias="sessionToken", repr=False)
    expiration: datetime = Field(description="ISO-8601 UTC; the credentials stop working then.")


class CreateSessionResponse(ApiModel):
    session_id: SessionId = Field(alias="sessionId")
    region: str = Field(description="Pass this to FaceLivenessDetector: the session exists only in this region.")
    expires_at: datetime = Field(alias="expiresAt", description="ISO-8601 UTC; Rekognition forgets the session then.")
    document_upload: DocumentUpload | None = Field(
        None, alias="documentUpload", description="Present when the create asked for a DOCUMENT match."
    )
    streaming_credentials: StreamingCredentials | None = Field(
        None,
        alias="streamingCredentials",
        description="Present only where the deployment hands out streaming credentials (`streamingCredentials=true`):"
        " for the app's detector, which may stream with them to any session until they expire.",
    )

    @model_serializer(mode="wrap")
    def _credentials_only_where_handed_out(self, serialize: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        # Absent, not null, where the deployment hands none out: a client sees the field only where it has a use.
        # (No return annotation: the document's schema stays the model's own.)
        document = serialize(self)
        if self.streaming_credentials is None:
            for name in ("streamingCredentials", "streaming_credentials"):
                document.pop(name, None)
        return document


class BoundingBox(ApiModel):
    """Ratios of the image's width and height, as Rekognition reports them."""

    width: float | None = None
    height: float | None = None
    left: float | None = None
    top: float | None = None


class ImageReference(ApiModel):
    """Where Rekognition stored an image. Image bytes never travel through this API."""

    bucket: str
    key: str
    version: str | None = None
    bounding_box: BoundingBox | None = Field(None, alias="boundingBox")


class Challenge(ApiModel):
    type: ChallengeType
    version: ChallengeVersion


class Feedback(ApiModel):
    """A condition Rekognition detected in the video that lowered its confidence: something the person can change
    before trying again (https://docs.aws.amazon.com/rekognition/latest/APIReference/API_FeedbackItem.html)."""

    # A code the service adds after this version is no FeedbackCode, yet passes through as a string: the verdict
    # never depends on feedback, so a new code must not break it.
    code: FeedbackCode | str = Field(
        description="One of FeedbackCode's values, or a code Rekognition added later: show `message` for a code "
        "you do not know."
    )
    message: str = Field(
        description="Rekognition's description of the condition, for the person. Its text can change: decide on `code`."
    )


class MatchResult(ApiModel):
    """The face match, decided once with the liveness verdict and recorded with it."""

    against: MatchTarget
    outcome: MatchOutcome
    similarity: float | None = Field(None, description="Rekognition's similarity (0-100) where a face was compared.")
    threshold: float = Field(description="The deployment's match threshold this outcome was decided with.")


class SessionResultsResponse(ApiModel):
    session_id: SessionId = Field(alias="sessionId")
    status: SessionStatus
    decision: Verdict
    confidence: float | None = None
    threshold: float = Field(description="The deployment's threshold this decision was made with.")
    challenge: Challenge | None = None
    reference_image: ImageReference | None = Field(None, alias="referenceImage")
    audit_images: list[ImageReference] = Field(default_factory=list, alias="auditImages")
    match: MatchResult | None = Field(None, description="Present when the create asked for a match.")
    feedback: list[Feedback] | None = Field(
        None,
        description="NOT_LIVE and FAILED only: what Rekognition saw that the person can change before retrying; "
        "empty when it reported nothing (it reports feedback for checks that ran to the end, so a FAILED check's "
        "is empty). null for other decisions.",
    )
    created_at: datetime = Field(alias="createdAt", description="ISO-8601 UTC; when the session was created.")
    decided_at: datetime | None = Field(
        None,
        alias="decidedAt",
        description="ISO-8601 UTC; when the verdict was first recorded. Absent while PENDING, and for verdicts "
        "recorded before the API kept it.",
    )
    stale: bool = Field(
        False,
        description="The verdict is older than the deployment's verdictMaxAgeSeconds, counted from createdAt "
        "(the check itself can only happen within the session's 3 minutes): never act on it.",
    )
    consumed: bool = Field(False, description="Whether the verdict was consumed: it can be consumed once.")
    consumed_at: datetime | None = Field(
        None,
        alias="consumedAt",
        description="ISO-8601 UTC; when the verdict was consumed (POST .../consume). Absent until then.",
    )


class EnrolmentRequest(ApiModel):
    """Body of POST /enrolment: the caller's LIVE session whose reference face becomes the enrolled person's."""

    session_id: SessionId = Field(alias="sessionId")


class EnrolmentResponse(ApiModel):
    session_id: SessionId = Field(alias="sessionId")
    enrolled_at: datetime = Field(alias="enrolledAt", description="ISO-8601 UTC.")


class FieldError(ApiModel):
    field: str
    message: str


class Problem(ApiModel):
    """RFC 9457 problem details, the one error format of the API (API Gateway's own errors included)."""

    type: str
    title: str
    status: int
    detail: str
    request_id: str = Field(alias="requestId")
    errors: list[FieldError] | None = None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
