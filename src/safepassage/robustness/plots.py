"""The distribution of a plan's value across futures, drawn for people who would rather look.

A crisis cell reads "expected 610, worst 5% at 220" faster off a picture: the probability of
each value, with the expectation, the 5th percentile and CVaR marked. Drawn with matplotlib's
Agg canvas (no display, nothing fetched), as PNG or SVG by the file's suffix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from safepassage.robustness.evaluation import Evaluation

BINS = 40


def draw_distribution(evaluation: Evaluation, path: Path) -> None:
    figure = Figure(figsize=(7, 3.6), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    values, weights = evaluation.values, evaluation.weights
    if len(np.unique(values)) <= BINS:
        points, inverse = np.unique(values, return_inverse=True)
        mass = np.bincount(inverse, weights=weights)
        width = max(1.0, 0.8 * float(np.min(np.diff(points)))) if len(points) > 1 else 1.0
        axes.bar(points, mass, width=width, color="#4c72b0")
    else:
        axes.hist(values, bins=BINS, weights=weights, color="#4c72b0")
    for value, label, style in (
        (evaluation.expected_value, "expected", "-"),
        (evaluation.low_quantile, "5th percentile", "--"),
        (evaluation.cvar, "CVaR 10%", ":"),
    ):
        axes.axvline(value, color="#c44e52", linestyle=style, label=f"{label} {value:,.0f}")
    axes.set_xlabel("value brought out (priority-weighted persons)")
    axes.set_ylabel("probability")
    axes.legend(loc="upper left", fontsize="small")
    figure.tight_layout()
    figure.savefig(path, format=path.suffix.lstrip(".").lower() or "png")
