"""Logger, Tracer and Metrics: one instance each per container, shared by every module."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from liveness_api.contract import SERVICE_NAME
from liveness_api.metrics_catalogue import NAMESPACE, SERVICE_DIMENSION, MetricDef

logger = Logger(service=SERVICE_NAME)
# Only botocore: every AWS call keeps its subsegment, while patch_all would also patch http.client and add a
# second, raw HTTP subsegment under each of them, at a cost on every request (see docs/performance.md).
tracer = Tracer(service=SERVICE_NAME, patch_modules=("botocore",))
metrics = Metrics(namespace=NAMESPACE, service=SERVICE_NAME)


def record_metric(metric: MetricDef, value: float = 1, dimension_value: str | None = None) -> None:
    """Emit one catalogued metric. A dimensioned metric is flushed on its own, so its dimension never
    leaks onto the other metrics of the same request."""
    unit = MetricUnit(metric.unit)
    if metric.dimension is None:
        metrics.add_metric(name=metric.name, unit=unit, value=value)
        return
    if dimension_value not in metric.dimension_values:
        raise ValueError(f"{metric.name}: {dimension_value!r} is not a catalogued {metric.dimension} value")
    with single_metric(
        name=metric.name,
        unit=unit,
        value=value,
        namespace=NAMESPACE,
        default_dimensions={SERVICE_DIMENSION: SERVICE_NAME},
    ) as dimensioned:
        dimensioned.add_dimension(name=metric.dimension, value=dimension_value)
