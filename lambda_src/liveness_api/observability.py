"""Logger, Tracer and Metrics: one instance each per container, shared by every module.

Only the public APIs of Powertools and the X-Ray SDK: metrics go through `Metrics` and `single_metric`, and the
X-Ray recorder is set up through its documented `configure` with a subclass of its `DefaultStreaming`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.streaming.default_streaming import DefaultStreaming

from liveness_api.contract import SERVICE_NAME
from liveness_api.metrics_catalogue import NAMESPACE, SERVICE_DIMENSION, MetricDef

logger = Logger(service=SERVICE_NAME)
# Only botocore: every AWS call keeps its subsegment, while patch_all would also patch http.client and add a
# second, raw HTTP subsegment under each of them, at a cost on every request (see docs/performance.md).
tracer = Tracer(service=SERVICE_NAME, patch_modules=("botocore",))
metrics = Metrics(namespace=NAMESPACE, service=SERVICE_NAME)


def record_metric(metric: MetricDef, value: float = 1, *dimension_values: str) -> None:
    """Emit one catalogued metric, with one catalogued value per dimension of the metric, in their order.

    A metric without dimensions of its own joins the request's metrics, flushed once by `log_metrics`. A
    dimensioned one is printed on its own by `single_metric`, so its dimensions never leak onto the other
    metrics of the request; the service dimension comes first, as on every metric `Metrics` flushes.
    """
    unit = MetricUnit(metric.unit)
    dimensions = metric.dimension_map(dimension_values)
    if not dimensions:
        metrics.add_metric(name=metric.name, unit=unit, value=value)
        return
    with single_metric(
        name=metric.name,
        unit=unit,
        value=value,
        namespace=NAMESPACE,
        default_dimensions={SERVICE_DIMENSION: SERVICE_NAME, **dimensions},
    ):
        pass


class StreamWhenTreeCloses(DefaultStreaming):
    """Send the invocation's subsegments to X-Ray in one datagram, when none of them is still open.

    In Lambda the SDK streams every subsegment the moment it closes: one UDP datagram per AWS call plus one for
    the handler, each serialized on its own. Every subsegment here nests under the handler's, so waiting for that
    one to close sends the same documents at once. A tree that grows past the threshold is still streamed early,
    so a long erase never builds an oversized datagram. The cost: an invocation killed mid-request loses its
    subsegments, which the request deadline exists to prevent.

    `configure(streaming=...)` and overriding `DefaultStreaming.is_eligible` are the SDK's documented extension
    point. What this relies on, checked against aws-xray-sdk 2.15.0: in Lambda the recorder asks `is_eligible`
    each time a subsegment ends, and `stream` sends each closed subtree under the segment as one document.
    tests/unit/test_observability.py runs a recorder with Lambda's context and fails if either changes.
    """

    MAX_BUFFERED_SUBSEGMENTS = 20

    def is_eligible(self, segment: Any) -> bool:
        if segment is None or not segment.sampled:
            return False
        if segment.get_total_subsegments_size() > self.MAX_BUFFERED_SUBSEGMENTS:
            return True
        return not any(child.in_progress for child in segment.subsegments)


# Tracer's provider is the X-Ray SDK's global recorder, which is configured through the SDK itself.
xray_recorder.configure(streaming=StreamWhenTreeCloses())
