"""The API's app and the Lambda handler around it: thin routes over the domain, and the one place errors become
HTTP responses.

`create_app` builds the resolver, its routes and its error mapping from the dependencies it is given;
`lambda_handler_for` wraps an app in what every invocation needs (logs, traces, metrics, the request's deadline).
`entry.py` builds both once per container from the environment; the local twin, the bench and the OpenAPI
generator build them from dependencies of their own.
"""

import json
from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.event_handler.util import extract_origin_header
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from liveness_api import deadline
from liveness_api.contract import END_USER_HEADER, IDEMPOTENCY_HEADER, Route, Routes
from liveness_api.dependencies import Dependencies
from liveness_api.errors import (
    DeadlineExceeded,
    DependencyFailed,
    DomainError,
    FaceMatchFailed,
    LivenessCallFailed,
    MalformedJson,
    RequestInvalid,
)
from liveness_api.identity import Caller, resolve_caller
from liveness_api.json_body import Refusal, read_json_body
from liveness_api.metrics_catalogue import RESULTS_FETCHED
from liveness_api.models import (
    CreateSessionRequest,
    CreateSessionResponse,
    EndUserId,
    EnrolmentRequest,
    EnrolmentResponse,
    IdempotencyKey,
    SessionId,
    SessionResultsResponse,
)
from liveness_api.observability import logger, metrics, record_metric, tracer
from liveness_api.problem_responses import problem_responses
from liveness_api.problems import PROBLEM_CONTENT_TYPE, ProblemKind, problem_document

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def _end_user_header() -> Any:
    """Every route takes it, each its own parameter: a session created for an end user is that end user's alone."""
    return Header(
        alias=END_USER_HEADER,
        description="Plain IAM mode only: the end user the request is for, an opaque id the backend chooses; the "
        "session, the abuse limit and the enrolled person are then that end user's. Refused (422) in the other modes.",
    )


def _resolver_path(route: Route) -> str:
    # API Gateway writes path parameters as {name}; the resolver as <name>.
    return route.path.replace("{", "<").replace("}", ">")


class LivenessResolver(APIGatewayRestResolver):
    """The API's resolver, keeping the CORS configuration it was built with, so that the one answer given before it
    resolves (the 415, `lambda_handler_for`) carries the same CORS headers as every other."""

    def __init__(self, cors: CORSConfig | None) -> None:
        super().__init__(enable_validation=True, json_body_deserializer=read_json_body, cors=cors)
        self.cors_config = cors


def create_app(dependencies: Dependencies) -> LivenessResolver:
    """The API's resolver: its routes over `dependencies.sessions`, and every error mapped to problem+json."""
    settings, sessions, enrolment = dependencies.settings, dependencies.sessions, dependencies.enrolment
    cors = settings.cors_allowed_origins
    app = LivenessResolver(
        CORSConfig(allow_origin=cors[0], extra_origins=list(cors[1:]), allow_headers=[IDEMPOTENCY_HEADER])
        if cors
        else None
    )

    def caller(end_user: str | None) -> Caller:
        # By the stack's mode, never the request's shape (identity.py).
        return resolve_caller(
            app.current_event.raw_event.get("requestContext") or {},
            settings.caller_mode,
            identity_pool_id=settings.identity_pool_id,
            end_user=end_user,
        )

    @app.post(
        _resolver_path(Routes.CREATE_SESSION),
        summary="Create a Face Liveness session",
        operation_id="createSession",
        responses={
            201: {
                "description": "Session created",
                "content": {"application/json": {"model": CreateSessionResponse}},
                # For clients and stateful fuzzers: the routes that take the new session's id.
                "links": {
                    link: {"operationId": operation, "parameters": {"sessionId": "$response.body#/sessionId"}}
                    for link, operation in (
                        ("GetSessionResults", "getSessionResults"),
                        ("EraseSession", "eraseSession"),
                        ("ConsumeVerdict", "consumeVerdict"),
                    )
                },
            },
            **problem_responses(),
        },
    )
    def create_session(
        body: Annotated[CreateSessionRequest | None, Body()] = None,
        idempotency_key: Annotated[IdempotencyKey | None, Header(alias=IDEMPOTENCY_HEADER)] = None,
        end_user: Annotated[EndUserId | None, _end_user_header()] = None,
    ) -> Response[CreateSessionResponse]:
        if isinstance(app.current_event.json_body, list):
            # Powertools validates a JSON array's first element in place of a body that is not a list, so `[null]`
            # or `[{...}]` would pass as the object; the body is an object or null.
            raise RequestInvalid({"body": "Input should be a JSON object or null"})
        who = caller(end_user)
        created = sessions.create(
            owner=who.owner,
            request=body or CreateSessionRequest(),
            idempotency_key=idempotency_key,
            request_id=app.current_event.request_context.request_id,
            address=who.address,
            backend=who.backend,
            person_refusal=who.person_refusal(),
        )
        # The model itself, not JSON text: the resolver validates it against CreateSessionResponse, then serializes.
        return Response(status_code=201, content_type="application/json", body=created)

    @app.get(
        _resolver_path(Routes.GET_RESULTS),
        summary="Get the session's verdict",
        operation_id="getSessionResults",
        responses={
            200: {
                "description": "The session's verdict",
                "content": {"application/json": {"model": SessionResultsResponse}},
            },
            **problem_responses(404),
        },
    )
    def get_results(
        session_id: Annotated[SessionId, Path(alias="sessionId")],
        end_user: Annotated[EndUserId | None, _end_user_header()] = None,
    ) -> SessionResultsResponse:
        who = caller(end_user)
        results = sessions.results(owner=who.owner, session_id=session_id, backend=who.backend)
        record_metric(RESULTS_FETCHED)
        return results

    @app.post(
        _resolver_path(Routes.CONSUME_VERDICT),
        summary="Consume the session's verdict, once",
        description="For the relying backend: answers the recorded verdict to the first call only, and only while it "
        "is fresh; later reads of the results say it was consumed. Never calls Face Liveness: read the results "
        "until the decision is not PENDING first. Takes no body.",
        operation_id="consumeVerdict",
        responses={
            200: {
                "description": "The verdict, consumed by this call",
                "content": {"application/json": {"model": SessionResultsResponse}},
            },
            **problem_responses(404, 409),
        },
    )
    def consume_verdict(
        session_id: Annotated[SessionId, Path(alias="sessionId")],
        end_user: Annotated[EndUserId | None, _end_user_header()] = None,
    ) -> SessionResultsResponse:
        who = caller(end_user)
        return sessions.consume(owner=who.owner, session_id=session_id, backend=who.backend)

    @app.delete(
        _resolver_path(Routes.ERASE_SESSION),
        summary="Erase the session's images and record",
        operation_id="eraseSession",
        # No body: an empty `content` (Powertools would otherwise describe the return type as JSON).
        responses={204: {"description": "Erased", "content": {}}, **problem_responses(404)},
    )
    def erase_session(
        session_id: Annotated[SessionId, Path(alias="sessionId")],
        end_user: Annotated[EndUserId | None, _end_user_header()] = None,
    ) -> Response[None]:
        who = caller(end_user)
        sessions.erase(owner=who.owner, session_id=session_id, backend=who.backend)
        return Response(status_code=204)

    @app.post(
        _resolver_path(Routes.ENROL_PERSON),
        summary="Enrol the face of one of the caller's LIVE sessions as the caller's person",
        description="The session's reference face joins the caller's person in the stack's face collection, for "
        "later matches against ENROLLED_PERSON. Enrolling more sessions adds their faces, if they match the person's "
        "earlier ones; enrolling the same session again changes nothing. Plain IAM mode: name the person with "
        f"{END_USER_HEADER}. Guests cannot enrol.",
        operation_id="enrolPerson",
        responses={
            201: {"description": "Enrolled", "content": {"application/json": {"model": EnrolmentResponse}}},
            **problem_responses(404, 409),
        },
    )
    def enrol_person(
        body: Annotated[EnrolmentRequest, Body()],
        end_user: Annotated[EndUserId | None, _end_user_header()] = None,
    ) -> Response[EnrolmentResponse]:
        who = caller(end_user)
        enrolled = enrolment.enrol(who.owner, body.session_id, backend=who.backend, person_refusal=who.person_refusal())
        return Response(status_code=201, content_type="application/json", body=enrolled)

    @app.delete(
        _resolver_path(Routes.ERASE_ENROLMENT),
        summary="Erase the caller's enrolled person and its faces",
        description="Idempotent: 204 whether or not anything was enrolled. Plain IAM mode: name the person with "
        f"{END_USER_HEADER}.",
        operation_id="eraseEnrolment",
        responses={204: {"description": "Erased", "content": {}}, **problem_responses()},
    )
    def erase_enrolment(end_user: Annotated[EndUserId | None, _end_user_header()] = None) -> Response[None]:
        who = caller(end_user)
        enrolment.erase(who.owner, backend=who.backend, person_refusal=who.person_refusal())
        return Response(status_code=204)

    _map_errors(app)
    return app


# Errors: the only place exceptions become HTTP responses -------------------------------------------------

# The 415's slug, title and detail, whichever check refuses the request.
_UNSUPPORTED_MEDIA_TYPE = ("unsupported-media-type", "Unsupported media type", "Send the body as application/json.")


def _problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    request_id: str,
    *,
    errors: list[dict[str, str]] | None = None,
    retry_after_seconds: int | None = None,
) -> Response[str]:
    document = problem_document(ProblemKind(status, slug, title), detail, request_id, errors)
    headers = {"Retry-After": str(retry_after_seconds)} if retry_after_seconds is not None else None
    return Response(status_code=status, content_type=PROBLEM_CONTENT_TYPE, body=json.dumps(document), headers=headers)


def _map_errors(app: APIGatewayRestResolver) -> None:
    def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> Response[str]:
        return _problem(status, slug, title, detail, app.current_event.request_context.request_id, **extra)

    def malformed(error: MalformedJson) -> Response[str]:
        # A client's mistake or a probe, not a fault: one WARNING line and no traceback, so it never counts as an
        # error. The reason is fixed words: the body itself is never logged, as it could be personal data.
        logger.warning("Malformed request body", extra={"reason": error.reason})
        return problem(error.status, error.slug, error.title, error.public_detail)

    @app.exception_handler(MalformedJson)
    def _malformed_body(error: MalformedJson) -> Response[Any]:
        return malformed(error)

    @app.exception_handler(UnicodeDecodeError)
    def _undecodable_body(_: UnicodeDecodeError) -> Response[Any]:
        # Raised by the resolver decoding a base64 body, before read_json_body sees it.
        return malformed(MalformedJson(Refusal.NOT_UTF8))

    @app.exception_handler(RequestUnsupportedContentType)
    def _unreadable_media_type(_: RequestUnsupportedContentType) -> Response[Any]:
        # A Content-Type the resolver cannot read even without a body (the handler refuses those with one first).
        return problem(415, *_UNSUPPORTED_MEDIA_TYPE)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[Any]:
        field_errors = [
            # The location without its first element ("body", "header", "path") and never the input value,
            # which could be personal data.
            {"field": ".".join(str(part) for part in found.get("loc", ())[1:]) or "body", "message": found["msg"]}
            for found in error.errors()
        ]
        return problem(422, "validation-error", "Request validation failed", "See errors.", errors=field_errors)

    @app.exception_handler(RequestInvalid)
    def _invalid_for_deployment(error: RequestInvalid) -> Response[Any]:
        field_errors = [{"field": field, "message": message} for field, message in error.field_errors.items()]
        return problem(error.status, error.slug, error.title, error.public_detail, errors=field_errors)

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response[Any]:
        # Failed Rekognition calls were logged where they failed, with the operation and error code.
        failed_call = LivenessCallFailed | DependencyFailed | FaceMatchFailed | DeadlineExceeded
        if error.status >= 500 and not isinstance(error, failed_call):
            logger.exception("Request failed", extra={"error_type": type(error).__name__})
        return problem(
            error.status, error.slug, error.title, error.public_detail, retry_after_seconds=error.retry_after_seconds
        )

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[Any]:
        # Logged with its traceback for operators; the client sees only the requestId to quote.
        logger.exception("Unhandled error", extra={"error_type": type(error).__name__})
        return problem(500, DomainError.slug, DomainError.title, DomainError.detail)

    @app.not_found
    def _no_route(_: Exception) -> Response[Any]:
        return problem(404, "route-not-found", "Not found", "No such route.")


# The invocation ---------------------------------------------------------------------------------------------


def lambda_handler_for(app: LivenessResolver) -> LambdaHandler:
    """The Lambda handler serving `app`: one event at a time, as Lambda gives a container one at a time. (Powertools
    keeps the current event on the resolver class, shared by every resolver in the process.)"""

    # One subsegment per invocation, and one per AWS call under it (Tracer patches botocore). Routes get none of
    # their own: a second subsegment around the same work cost about 100 us per request (docs/performance.md).
    # The correlation id is API Gateway's request id, set directly: the same value
    # correlation_paths.API_GATEWAY_REST would find, without a JMESPath search on every request.
    @logger.inject_lambda_context(log_event=False)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        logger.set_correlation_id((event.get("requestContext") or {}).get("requestId"))
        if _carries_non_json_body(event):
            return _unsupported_media_type(event, app.cors_config)
        with deadline.invocation(context.get_remaining_time_in_millis()):
            return app.resolve(event, context)

    decorated: LambdaHandler = lambda_handler  # Powertools' decorators are untyped; the signature is unchanged
    return decorated


def _carries_non_json_body(event: dict[str, Any]) -> bool:
    """The API speaks JSON only. The resolver would parse form and multipart bodies too, and answer them
    with confusing field errors or 500s, so such requests are refused before it sees them."""
    if not event.get("body"):
        return False
    # Every spelling of the name, as the resolver reads the last one: one value other than JSON is refused. The
    # resolver reads an empty value as JSON, as it does a missing one.
    content_types = [
        str(value).strip() for name, value in (event.get("headers") or {}).items() if name.lower() == "content-type"
    ]
    # Exactly as the resolver matches it (case-sensitively), so nothing it would refuse gets through.
    return any(value and value.split(";")[0].strip() != "application/json" for value in content_types)


def _unsupported_media_type(event: dict[str, Any], cors: CORSConfig | None) -> dict[str, Any]:
    response = _problem(415, *_UNSUPPORTED_MEDIA_TYPE, (event.get("requestContext") or {}).get("requestId", ""))
    headers = dict(response.headers)
    if cors is not None:
        # As the resolver adds them to each of its answers (an allowed Origin only), or a browser would show a CORS
        # error in place of the problem.
        origin = cors.allowed_origin(extract_origin_header(APIGatewayProxyEvent(event).resolved_headers_field))
        headers.update(cors.to_dict(origin))
    return {
        "statusCode": response.status_code,
        "headers": headers,
        "body": response.body,
        "isBase64Encoded": False,
    }
