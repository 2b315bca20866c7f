"""One source of truth for metrics: drive every code path of the handler and of the background functions (settlement,
outbox, webhook), collect what they really emit, and compare with the catalogue and with the metrics the synthesized
dashboard plots. Also checks the tracing the handler sets up.

The whole walk runs once per module (one fixture), because the dashboard comparison needs the complete set.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import botocore.endpoint
import pytest
from aws_lambda_powertools.metrics.provider import cold_start
from botocore.stub import Stubber

from infra.constructs.observability import COLD_START_DIMENSIONS, COLD_START_METRIC
from liveness_api import metrics_catalogue as catalogue
from liveness_api.contract import SERVICE_NAME, SESSION_LIFETIME_SECONDS
from liveness_api.vocabulary import Verdict
from liveness_local.event_pipeline import LocalEventPipeline
from liveness_local.events import CallerIdentity
from liveness_local.faults import Fault
from tests.integration.conftest import Api, emitted_metrics
from tests.integration.event_fixtures import Receiver, pipeline, receiver
from tests.integration.face_match_world import walk_every_face_match_path
from tests.integration.feedback_world import walk_every_feedback_code
from tests.integration.settlement_world import walk_every_settlement_and_event_path
from tools.dashboard_picture import dashboard_body, dashboard_metrics

__all__ = ["pipeline", "receiver"]  # fixtures, used by name
Key = tuple[str, tuple[tuple[str, str], ...]]
FUNCTION = "<function>"  # the function_name dimension: a CloudFormation Ref on the dashboard, a fake name here


# Catalogued, but no code path can emit them. CreateFaceLivenessSession has no SessionNotFoundException, and the
# adapter turns that code into LivenessSessionGone, which sessions.create does not count as a create failure.
# Listed here (not silently skipped) so that the test fails once the catalogue stops listing them: then delete it.
# Catalogued metrics no code path can emit; empty, and a test keeps it honest if that ever changes.
def key(name: str, dimensions: dict[str, str]) -> Key:
    normalised = {dim: (FUNCTION if dim == "function_name" else value) for dim, value in dimensions.items()}
    return name, tuple(sorted(normalised.items()))


UNREACHABLE: set[Key] = {
    # Each target has an outcome of its own: nothing is uploaded for an enrolled person, nor enrolled for a photo.
    key("FaceMatchCompleted", {catalogue.SERVICE_DIMENSION: SERVICE_NAME, "Target": target, "Outcome": outcome})
    for target, outcome in (("DOCUMENT", "NOT_ENROLLED"), ("ENROLLED_PERSON", "NOT_UPLOADED"))
}


def catalogued_keys() -> set[Key]:
    keys = set()
    for metric in catalogue.ALL_METRICS:
        service = {catalogue.SERVICE_DIMENSION: SERVICE_NAME}
        for own in metric.every_dimension_map():
            keys.add(key(metric.name, {**service, **own}))
    return keys


def new_session(api: Api) -> str:
    response = api.create()
    assert response.status == 201, response.body
    return str(response.body["sessionId"])


def fail_create_with(api: Api, backend: Any, code: str, status: int) -> None:
    """A Rekognition error code the emulator cannot inject, answered by botocore's Stubber before any send."""
    with Stubber(backend.function.client("rekognition")) as stubber:
        stubber.add_client_error("create_face_liveness_session", service_error_code=code, http_status_code=status)
        response = api.create()
    assert response.status >= 400, response.body


def fail_streaming_credentials(backend: Any) -> None:
    """A create whose AssumeRole STS refuses, on a function that hands out streaming credentials."""
    streaming = backend.deploy(
        backend.settings.model_copy(update={"streaming_role_arn": backend.resources.streaming_role_arn})
    )
    with Stubber(streaming.client("sts")) as stubber:
        stubber.add_client_error("assume_role", service_error_code="AccessDenied", http_status_code=403)
        response = Api(streaming, CallerIdentity.iam(f"sts-{uuid.uuid4().hex[:8]}")).create()
    assert response.status == 500, response.body


def walk_every_path(
    api: Api, other_api: Api, emulator: Any, backend: Any, pipeline: LocalEventPipeline, receiver: Receiver
) -> None:
    # A cold start: Powertools adds ColdStart on the first invocation of a container.
    cold_start.is_cold_start = True
    # Created; then a verdict of every kind (NOT_LIVE and FAILED also count towards the abuse limit).
    live = new_session(api)
    emulator.complete(live, confidence=99.0)
    assert api.results(live).body["decision"] == Verdict.LIVE
    decided_sessions = [live]
    for drive, decision in [
        (lambda sid: emulator.complete(sid, confidence=10.0), Verdict.NOT_LIVE),
        (emulator.fail, Verdict.FAILED),
        (emulator.expire, Verdict.EXPIRED),
    ]:
        session_id = new_session(api)
        drive(session_id)
        assert api.results(session_id).body["decision"] == decision
        decided_sessions.append(session_id)
    # Rekognition has forgotten a session nobody finished: SessionNotFound, recorded as EXPIRED.
    forgotten = new_session(api)
    backend.clock.advance(SESSION_LIFETIME_SECONDS + 1)
    assert api.results(forgotten).body["decision"] == Verdict.EXPIRED
    # Consumption of every verdict (once), and every refusal: consumed already, not decided, stale.
    for decided in decided_sessions:
        assert api.consume(decided).status == 200
    assert api.consume(live).status == 409
    assert api.consume(new_session(api)).status == 409
    stale = new_session(api)
    emulator.complete(stale, confidence=99.0)
    assert api.results(stale).status == 200
    backend.clock.advance(backend.settings.verdict_max_age_seconds + 1)
    assert api.consume(stale).status == 409
    # Erasure.
    assert api.erase(live).status == 204
    # Every way a create can fail.
    for code in ("ThrottlingException", "AccessDeniedException", "InternalServerError"):
        backend.faults.inject("rekognition", None, code, times=10)
        assert api.create().status >= 429
        backend.faults.reset()
        emulator.reset()
    fail_create_with(api, backend, "InvalidParameterException", 400)
    fail_create_with(api, backend, "SomethingNobodyExpected", 400)
    # The abuse limit: enough failed checks in the window, then a refusal.
    for _ in range(backend.config.abuse_max_failures):
        session_id = new_session(other_api)
        emulator.complete(session_id, confidence=5.0)
        assert other_api.results(session_id).body["decision"] == Verdict.NOT_LIVE
    assert other_api.create().status == 429
    # The open-session cap: sessions created ahead of their verdicts, then a refusal.
    ahead = Api(backend, CallerIdentity.iam(f"ahead-{uuid.uuid4().hex[:8]}"))
    for _ in range(backend.settings.max_open_sessions):
        new_session(ahead)
    assert ahead.create().status == 429
    # Every fault of DynamoDB and S3 (the backoff between botocore's retries is skipped by the caller).
    # Three attempts each, as many as botocore makes of a retried one; whatever is left is dropped after each.
    for fault in Fault:
        backend.faults.inject("dynamodb", "GetItem", fault, times=3)
        assert api.results(live).status >= 500
        backend.faults.reset()
        session_id = new_session(api)
        backend.faults.inject("s3", "ListObjectVersions", fault, times=3)
        assert api.erase(session_id).status >= 500
        backend.faults.reset()
        backend.clock.advance(SESSION_LIFETIME_SECONDS + 1)  # its open-session slot expires with it
    # A create replayed with its Idempotency-Key, and streaming credentials STS would not issue.
    assert api.create(headers={"Idempotency-Key": "walk"}).body == api.create(headers={"Idempotency-Key": "walk"}).body
    fail_streaming_credentials(backend)
    # A request out of time.
    assert backend.invoke(api.event("POST", "/sessions", "{}"), remaining_ms=1000)["statusCode"] == 503
    # The per-caller limits, each exceeded once.
    one_a_minute = backend.deploy(
        backend.settings.model_copy(update={"caller_creates_per_minute": 1, "caller_reads_per_minute": 1})
    )
    rate_limited = Api(one_a_minute, CallerIdentity.iam(f"eve-{uuid.uuid4().hex[:8]}"))
    limited = rate_limited.create().body["sessionId"]
    assert rate_limited.create().status == 429
    assert rate_limited.results(limited).status == 200
    assert rate_limited.results(limited).status == 429
    # The face match, enrolment and their faults.
    walk_every_face_match_path(backend, emulator)
    # Feedback: every known code, and Other.
    walk_every_feedback_code(backend, emulator)
    # The background functions: the settlement worker, the outbox forwarder and the webhook sender.
    walk_every_settlement_and_event_path(backend, emulator, pipeline, receiver)


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> set[Key]:
    from infra.app_factory import build_app

    app, stack = build_app(outdir=str(tmp_path_factory.mktemp("cdk-metrics")))
    assembly = app.synth()
    template = json.loads(Path(assembly.get_stack_artifact(stack.artifact_id).template_full_path).read_text())
    return {
        key(name, dict(dimensions))
        for namespace, name, dimensions in dashboard_metrics(dashboard_body(template))
        if namespace == catalogue.NAMESPACE
    }


def test_every_path_emits_exactly_the_catalogue_and_the_dashboard_plots_exactly_that(
    api: Api,
    other_api: Api,
    emulator: Any,
    backend: Any,
    capfd: pytest.CaptureFixture[str],
    dashboard: set[Key],
    monkeypatch: pytest.MonkeyPatch,
    pipeline: LocalEventPipeline,
    receiver: Receiver,
) -> None:
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=lambda _seconds: None))
    capfd.readouterr()
    walk_every_path(api, other_api, emulator, backend, pipeline, receiver)
    metrics = emitted_metrics(capfd.readouterr().out)
    emitted = {key(m.name, m.dimensions) for m in metrics}
    cold = key(COLD_START_METRIC, {"function_name": "x", catalogue.SERVICE_DIMENSION: SERVICE_NAME})

    # (a) The handler emits every catalogued metric and dimension value (bar the listed unreachable ones),
    # and nothing else except Powertools' ColdStart.
    expected = catalogued_keys()
    assert expected >= UNREACHABLE, "the catalogue no longer lists an unreachable metric: remove it from UNREACHABLE"
    assert expected - UNREACHABLE - emitted == set(), "catalogued but never emitted"
    assert emitted - expected == {cold}, "emitted but not catalogued"
    assert {dim for dim, _ in cold[1]} == set(COLD_START_DIMENSIONS)

    # (b) The dashboard plots every metric the handler emits, and no metric of the namespace that nothing emits.
    assert emitted - dashboard == set(), "emitted but missing from the dashboard"
    assert dashboard - emitted - UNREACHABLE == set(), "on the dashboard but nothing emits it"


def test_every_metric_keeps_to_its_catalogued_unit_and_has_no_per_user_dimension(
    api: Api, emulator: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    session_id = new_session(api)
    emulator.complete(session_id, confidence=93.0)
    api.results(session_id)
    output = capfd.readouterr().out
    by_name = {metric.name: metric for metric in catalogue.ALL_METRICS}
    for line in output.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == catalogue.NAMESPACE
            for metric in directive["Metrics"]:
                if metric["Name"] in by_name:
                    assert metric["Unit"] == by_name[metric["Name"]].unit
    allowed = {
        catalogue.SERVICE_DIMENSION,
        *COLD_START_DIMENSIONS,
        catalogue.Dimension.DECISION,
        catalogue.Dimension.ERROR_TYPE,
        catalogue.Dimension.OPERATION,
    }
    for metric in emitted_metrics(output):
        assert set(metric.dimensions) <= allowed
        assert session_id not in json.dumps(metric.dimensions)


def test_the_tracer_patches_botocore_so_aws_calls_are_subsegments(backend: Any) -> None:
    import aws_xray_sdk.core.patcher as patcher

    from liveness_api.observability import tracer

    # patch_modules=None means every module the X-Ray SDK supports, and botocore is one of them.
    assert tracer.auto_patch is True
    modules = tracer._config["patch_modules"]
    assert modules is None or "botocore" in modules
    assert "botocore" in patcher.SUPPORTED_MODULES


def test_the_only_annotation_is_the_decision(api: Api, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from liveness_api.observability import tracer

    annotations: list[tuple[str, Any]] = []
    monkeypatch.setattr(tracer, "put_annotation", lambda key, value: annotations.append((key, value)))
    session_id = new_session(api)
    api.results(session_id)
    emulator.complete(session_id, confidence=97.0)
    api.results(session_id)

    assert annotations == [("Decision", Verdict.PENDING), ("Decision", Verdict.LIVE)]
