"""How every graph of the dashboard is drawn: one widget height, the y axes, and `graph`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from aws_cdk import aws_cloudwatch as cw

WIDGET_HEIGHT: Final = 6

COUNT: Final = cw.YAxisProps(label="Count", min=0, show_units=False)
MILLISECONDS: Final = cw.YAxisProps(label="Milliseconds", min=0, show_units=False)
PERCENT: Final = cw.YAxisProps(label="Percent", min=0, max=100, show_units=False)
CONFIDENCE: Final = cw.YAxisProps(label="Confidence (0-100)", min=0, max=100, show_units=False)
SIMILARITY: Final = cw.YAxisProps(label="Similarity (0-100)", min=0, max=100, show_units=False)


def graph(
    title: str,
    left: Sequence[cw.IMetric],
    axis: cw.YAxisProps,
    width: int,
    *,
    stacked: bool = False,
    right: Sequence[cw.IMetric] = (),
    right_axis: cw.YAxisProps | None = None,
    annotation: tuple[float, str] | None = None,
) -> cw.GraphWidget:
    return cw.GraphWidget(
        title=title,
        left=list(left),
        right=list(right),
        left_y_axis=axis,
        right_y_axis=right_axis,
        width=width,
        height=WIDGET_HEIGHT,
        stacked=stacked,
        legend_position=cw.LegendPosition.BOTTOM,
        left_annotations=[cw.HorizontalAnnotation(value=annotation[0], label=annotation[1])] if annotation else None,
    )
