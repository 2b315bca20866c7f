"""What the observability module emits: the EMF documents of catalogued metrics, and the X-Ray documents a traced
invocation sends, through a recorder set up as in Lambda (the behaviour of the SDK that StreamWhenTreeCloses relies
on, so that an SDK release that changes it fails here)."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter
from aws_xray_sdk.core.lambda_launcher import LAMBDA_TRACE_HEADER_KEY, LambdaContext
from aws_xray_sdk.core.models.entity import Entity
from aws_xray_sdk.core.models.segment import Segment
from aws_xray_sdk.core.models.subsegment import Subsegment
from aws_xray_sdk.core.recorder import AWSXRayRecorder
from aws_xray_sdk.core.streaming.default_streaming import DefaultStreaming

from liveness_api import metrics_catalogue as catalogue
from liveness_api.contract import SERVICE_NAME
from liveness_api.observability import StreamWhenTreeCloses, metrics, record_metric
from liveness_api.vocabulary import Verdict

TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def printed_documents(capfd: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capfd.readouterr().out.splitlines()]


@pytest.fixture
def flushed_metrics(capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    """The shared Metrics starts and ends each test empty, as each invocation's `log_metrics` leaves it."""
    metrics.clear_metrics()
    capfd.readouterr()
    yield
    metrics.clear_metrics()


@pytest.mark.usefixtures("flushed_metrics")
def test_a_dimensioned_metric_is_printed_at_once_under_the_service_and_its_own_dimensions(
    capfd: pytest.CaptureFixture[str],
) -> None:
    record_metric(catalogue.DEPENDENCY_ERROR, 1, "DynamoDB", catalogue.ErrorType.TIMEOUT)

    (document,) = printed_documents(capfd)
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive == {
        "Namespace": catalogue.NAMESPACE,
        "Dimensions": [[catalogue.SERVICE_DIMENSION, catalogue.Dimension.DEPENDENCY, catalogue.Dimension.ERROR_TYPE]],
        "Metrics": [{"Name": "DependencyError", "Unit": "Count"}],
    }
    assert document[catalogue.SERVICE_DIMENSION] == SERVICE_NAME
    assert (document["Dependency"], document["ErrorType"]) == ("DynamoDB", "Timeout")
    assert document["DependencyError"] == [1.0]


@pytest.mark.usefixtures("flushed_metrics")
def test_a_dimensioned_metrics_dimensions_never_reach_the_requests_other_metrics(
    capfd: pytest.CaptureFixture[str],
) -> None:
    record_metric(catalogue.SESSION_CREATED)
    record_metric(catalogue.LIVENESS_CHECK_COMPLETED, 1, Verdict.LIVE)
    record_metric(catalogue.LIVENESS_CONFIDENCE, 97.5)
    (dimensioned,) = printed_documents(capfd)  # the undimensioned ones wait for the request's flush
    metrics.flush_metrics()
    (flushed,) = printed_documents(capfd)

    assert dimensioned["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service", "Decision"]]
    assert (dimensioned["Decision"], dimensioned["LivenessCheckCompleted"]) == (Verdict.LIVE, [1.0])
    (directive,) = flushed["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == catalogue.NAMESPACE
    assert directive["Dimensions"] == [[catalogue.SERVICE_DIMENSION]]
    assert directive["Metrics"] == [
        {"Name": "SessionCreated", "Unit": "Count"},
        {"Name": "LivenessConfidence", "Unit": "None"},
    ]
    assert "Decision" not in flushed
    assert (flushed["SessionCreated"], flushed["LivenessConfidence"]) == ([1.0], [97.5])


def test_an_uncatalogued_dimension_value_is_refused_before_anything_is_printed(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(ValueError, match="not catalogued values of"):
        record_metric(catalogue.LIVENESS_CHECK_COMPLETED, 1, "MAYBE")
    with pytest.raises(ValueError, match="not catalogued values of"):
        record_metric(catalogue.DEPENDENCY_ERROR, 1, "DynamoDB")  # one value for two dimensions
    assert capfd.readouterr().out == ""


def tree() -> tuple[Segment, Subsegment, Subsegment]:
    segment = Segment("face-liveness-api", sampled=True)
    handler = Subsegment("## lambda_handler", "local", segment)
    segment.add_subsegment(handler)
    call = Subsegment("DynamoDB", "aws", segment)
    handler.add_subsegment(call)
    return segment, handler, call


def test_subsegments_are_sent_once_the_handlers_subsegment_closes() -> None:
    segment, handler, call = tree()
    streaming = StreamWhenTreeCloses()

    assert not streaming.is_eligible(segment)  # an AWS call is open
    call.close()
    assert not streaming.is_eligible(segment)  # the handler is still open: keep buffering
    handler.close()
    assert streaming.is_eligible(segment)


def test_a_large_tree_is_streamed_early() -> None:
    segment, handler, _ = tree()
    for index in range(StreamWhenTreeCloses.MAX_BUFFERED_SUBSEGMENTS):
        finished = Subsegment(f"S3-{index}", "aws", segment)
        handler.add_subsegment(finished)
        finished.close()

    assert StreamWhenTreeCloses().is_eligible(segment)
    assert not StreamWhenTreeCloses().is_eligible(Segment("unsampled", sampled=False))


def test_the_recorder_uses_it() -> None:
    assert isinstance(xray_recorder.streaming, StreamWhenTreeCloses)


class Emitter(UDPEmitter):
    """An X-Ray emitter that keeps the documents it would send, one per datagram (and opens no socket)."""

    def __init__(self) -> None:  # not the base class's, which would open a UDP socket
        self.sent: list[dict[str, Any]] = []

    def send_entity(self, entity: Entity) -> None:
        self.sent.append(json.loads(entity.serialize()))


@pytest.fixture
def sdk_enabled() -> Iterator[None]:
    """The X-Ray SDK switched on, as in Lambda; Powertools' Tracer switches it off outside Lambda."""
    was_enabled = global_sdk_config.sdk_enabled()
    global_sdk_config.set_sdk_enabled(True)
    yield
    global_sdk_config.set_sdk_enabled(was_enabled)


def traced_invocation(streaming: DefaultStreaming, monkeypatch: pytest.MonkeyPatch) -> list[list[dict[str, Any]]]:
    """An invocation as Lambda runs it: the handler's subsegment around three AWS calls, on a recorder with the
    SDK's Lambda context (as it sets itself up in Lambda, threshold 0). What was sent after each step."""
    monkeypatch.setenv(LAMBDA_TRACE_HEADER_KEY, TRACE_HEADER)
    assert global_sdk_config.sdk_enabled()
    recorder, emitter = AWSXRayRecorder(), Emitter()
    recorder.configure(context=LambdaContext(), emitter=emitter, streaming=streaming, streaming_threshold=0)
    after_each_step = []
    recorder.begin_subsegment("## lambda_handler")
    for name in ("DynamoDB", "Rekognition", "DynamoDB"):
        recorder.begin_subsegment(name, namespace="aws")
        recorder.end_subsegment()
        after_each_step.append(list(emitter.sent))
    recorder.end_subsegment()
    after_each_step.append(list(emitter.sent))
    return after_each_step


@pytest.mark.usefixtures("sdk_enabled")
def test_a_traced_invocation_goes_out_in_one_document_when_its_handler_closes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    *during, after = traced_invocation(StreamWhenTreeCloses(), monkeypatch)

    assert during == [[], [], []]
    (document,) = after
    assert document["name"] == "## lambda_handler"
    assert document["trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"
    assert [call["name"] for call in document["subsegments"]] == ["DynamoDB", "Rekognition", "DynamoDB"]
    assert not any(call.get("in_progress") for call in document["subsegments"])


@pytest.mark.usefixtures("sdk_enabled")
def test_the_sdks_own_streaming_sends_each_subsegment_as_it_closes(monkeypatch: pytest.MonkeyPatch) -> None:
    # What StreamWhenTreeCloses saves, and proof that the recorder above streams as it does in Lambda.
    steps = traced_invocation(DefaultStreaming(), monkeypatch)

    assert [[document["name"] for document in sent] for sent in steps] == [
        ["DynamoDB"],
        ["DynamoDB", "Rekognition"],
        ["DynamoDB", "Rekognition", "DynamoDB"],
        ["DynamoDB", "Rekognition", "DynamoDB", "## lambda_handler"],
    ]
