"""Logger, Tracer and Metrics: one instance each per container, shared by every module."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.lambda_launcher import LAMBDA_TRACE_HEADER_KEY, LambdaContext
from aws_xray_sdk.core.streaming.default_streaming import DefaultStreaming

from liveness_api.contract import SERVICE_NAME
from liveness_api.metrics_catalogue import NAMESPACE, SERVICE_DIMENSION, MetricDef

logger = Logger(service=SERVICE_NAME)
# Only botocore: every AWS call keeps its subsegment, while patch_all would also patch http.client and add a
# second, raw HTTP subsegment under each of them, at a cost on every request (see docs/performance.md).
tracer = Tracer(service=SERVICE_NAME, patch_modules=("botocore",))
metrics = Metrics(namespace=NAMESPACE, service=SERVICE_NAME)


def record_metric(metric: MetricDef, value: float = 1, *dimension_values: str) -> None:
    """Emit one catalogued metric, with one catalogued value per dimension of the metric, in their order. A
    dimensioned metric is flushed on its own, so its dimensions never leak onto the other metrics of the request."""
    unit = MetricUnit(metric.unit)
    dimensions = metric.dimension_map(dimension_values)
    if not dimensions:
        metrics.add_metric(name=metric.name, unit=unit, value=value)
        return
    # The EMF document Powertools' single_metric prints for one metric with the service and these dimensions,
    # written directly: single_metric builds and validates a whole Metrics provider per call (about 20 us each,
    # several per request). A unit test checks that both print the same document.
    document = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [[SERVICE_DIMENSION, *dimensions]],
                    "Metrics": [{"Name": metric.name, "Unit": unit.value}],
                }
            ],
        },
        SERVICE_DIMENSION: SERVICE_NAME,
        **dimensions,
        metric.name: [float(value)],
    }
    # Printed as Powertools prints its own: Lambda's runtime writes stdout unbuffered.
    print(json.dumps(document, separators=(",", ":")))


class StreamWhenTreeCloses(DefaultStreaming):
    """Send the invocation's subsegments to X-Ray in one datagram, when none of them is still open.

    In Lambda the SDK streams every subsegment the moment it closes: one UDP datagram per AWS call plus one for the
    handler, each serialized on its own (about 120 us per request in docs/performance.md). Every subsegment here
    nests under the handler's, so waiting for that one to close sends the same documents at once. A tree that grows
    past the threshold is still streamed early, so a long erase never builds an oversized datagram. The cost: an
    invocation killed mid-request loses its subsegments, which the request deadline exists to prevent.
    """

    MAX_BUFFERED_SUBSEGMENTS = 20

    def is_eligible(self, segment: Any) -> bool:
        if segment is None or not segment.sampled:
            return False
        if segment.get_total_subsegments_size() > self.MAX_BUFFERED_SUBSEGMENTS:
            return True
        return not any(child.in_progress for child in segment.subsegments)


class TraceHeaderCheckedOnce(LambdaContext):
    """The X-Ray SDK's Lambda context, reading the invocation's trace header once rather than on every lookup.

    The SDK re-reads and re-parses `_X_AMZN_TRACE_ID` each time it looks up the current trace entity, some 27 times
    a request, to notice a new invocation. A lookup under the header it last checked, with the segment that check
    left, would find the same segment again, so only a changed header (a new invocation) or a replaced segment
    runs the SDK's own check (about 65 us per request in docs/performance.md). It overrides a private method of the
    SDK's (its stubs declare neither it nor `_local`): tests/unit/test_observability.py fails if an upgrade changes
    either.
    """

    def _refresh_context(self) -> None:
        header = os.getenv(LAMBDA_TRACE_HEADER_KEY)
        local = self._local  # type: ignore[attr-defined]
        segment = getattr(local, "segment", None)
        checked = (getattr(local, "checked_header", None), getattr(local, "checked_segment", None))
        unchanged = header == checked[0] and segment is checked[1]
        if header is not None and segment is not None and unchanged:
            return
        super()._refresh_context()  # type: ignore[misc]
        local.checked_header = header
        local.checked_segment = getattr(local, "segment", None)


# Tracer's provider is the X-Ray SDK's global recorder, which is configured through the SDK itself. The Lambda
# context is the SDK's only when it runs in Lambda (or the local stand-ins of it).
if isinstance(xray_recorder.context, LambdaContext):
    xray_recorder.configure(streaming=StreamWhenTreeCloses(), context=TraceHeaderCheckedOnce())
else:
    xray_recorder.configure(streaming=StreamWhenTreeCloses())
