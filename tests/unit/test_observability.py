"""The observability module's shortcuts print and send exactly what Powertools and the X-Ray SDK would."""

import json

import pytest
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.models.segment import Segment
from aws_xray_sdk.core.models.subsegment import Subsegment

from liveness_api import metrics_catalogue as catalogue
from liveness_api.contract import SERVICE_NAME
from liveness_api.observability import StreamWhenTreeCloses, record_metric
from liveness_api.vocabulary import Verdict


def printed_document(capfd: pytest.CaptureFixture[str]) -> str:
    """The printed line to the letter (key order, number formatting), but for its timestamp."""
    (line,) = capfd.readouterr().out.splitlines()
    timestamp = json.loads(line)["_aws"]["Timestamp"]
    return line.replace(f'"Timestamp":{timestamp}', '"Timestamp":0')


def test_a_dimensioned_metric_is_the_document_single_metric_prints(capfd: pytest.CaptureFixture[str]) -> None:
    metric = catalogue.LIVENESS_CHECK_COMPLETED
    with single_metric(
        name=metric.name,
        unit=MetricUnit(metric.unit),
        value=1,
        namespace=catalogue.NAMESPACE,
        default_dimensions={catalogue.SERVICE_DIMENSION: SERVICE_NAME},
    ) as powertools:
        powertools.add_dimension(name=metric.dimension_names[0], value=Verdict.LIVE)
    expected = printed_document(capfd)

    record_metric(metric, 1, Verdict.LIVE)

    assert printed_document(capfd) == expected


def test_an_uncatalogued_dimension_value_is_refused() -> None:
    with pytest.raises(ValueError, match="not catalogued values of"):
        record_metric(catalogue.LIVENESS_CHECK_COMPLETED, 1, "MAYBE")


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


def test_the_trace_header_is_parsed_again_only_when_it_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    from aws_xray_sdk.core.lambda_launcher import LAMBDA_TRACE_HEADER_KEY
    from aws_xray_sdk.core.models import trace_header

    from liveness_api.observability import TraceHeaderCheckedOnce

    parsed: list[str] = []
    parse = trace_header.TraceHeader.from_header_str

    def counting(header: str) -> trace_header.TraceHeader:
        parsed.append(header)
        return parse(header)

    monkeypatch.setattr(trace_header.TraceHeader, "from_header_str", staticmethod(counting))
    context = TraceHeaderCheckedOnce()
    first = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    second = "Root=1-5759e988-bd862e3fe1be46a994272794;Parent=53995c3f42cd8ad8;Sampled=1"

    # Given an invocation's header, many lookups see one segment, and the header is parsed once.
    monkeypatch.setenv(LAMBDA_TRACE_HEADER_KEY, first)
    segments = {id(context.get_trace_entity()) for _ in range(27)}
    assert len(segments) == 1
    assert parsed == [first]
    assert context.get_trace_entity().trace_id == "1-5759e988-bd862e3fe1be46a994272793"

    # When the next invocation's header arrives, the SDK's own check runs and starts a new segment.
    monkeypatch.setenv(LAMBDA_TRACE_HEADER_KEY, second)
    assert context.get_trace_entity().trace_id == "1-5759e988-bd862e3fe1be46a994272794"
    assert parsed == [first, second]
