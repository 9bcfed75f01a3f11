"""The plan page's two plots, drawn on the server as SVG from counts per step.

Drawn here rather than in the browser: the Content-Security-Policy admits no chart library
from elsewhere, and a field lead's figures are narrowed to its scope before anything leaves
the server. The drawing takes plain counts and knows nothing of plans or accounts, so what a
plot shows can be checked against the plan without a server.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import matplotlib
from matplotlib import dates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.typing import RcKeyType


@dataclass(frozen=True)
class Window:
    """A crossing's window in steps: open at ``open_step <= step < close_step``."""

    open_step: int
    close_step: int
    capacity: int


@dataclass(frozen=True)
class CrossingCounts:
    name: str
    crossed: tuple[tuple[int, int], ...]
    """``(step, persons crossing in it)``, steps ascending, no step without anyone."""
    windows: tuple[Window, ...]

    def used(self, window: Window) -> int:
        return sum(
            persons
            for step, persons in self.crossed
            if window.open_step <= step < window.close_step
        )


@dataclass(frozen=True)
class PlanCounts:
    """What both plots draw: persons leaving their origin and crossing, per step.

    ``crossings`` keeps a crossing's place in the scenario, so each has the same colour in
    both plots; closed crossings nobody uses are left out."""

    start: datetime
    step_minutes: int
    horizon_steps: int
    departed: tuple[tuple[int, int], ...]
    crossings: tuple[CrossingCounts, ...]

    def instant(self, step: float) -> float:
        """Where ``step`` begins on a date axis: days since :data:`EPOCH`."""
        instant = self.start + timedelta(minutes=self.step_minutes * step)
        return (instant - EPOCH) / timedelta(days=1)


def running_totals(counts: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """``(step, persons up to and including that step)``: the points of a cumulative line."""
    total = 0
    points = []
    for step, persons in counts:
        total += persons
        points.append((step, total))
    return tuple(points)


COLOURS = ("#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457")
DEPARTED_COLOUR = "#78909c"
WIDTH_INCHES = 9.0
MOST_BARS = 120
"""More bars than this across the plot and they are summed by the hour, or longer."""
BIN_MINUTES = (60, 180, 360, 1440, 10080)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""Where matplotlib counts dates from (set in :data:`SETTINGS`, so the axis and
:meth:`PlanCounts.instant` agree)."""

SETTINGS: dict[RcKeyType, Any] = {
    "date.epoch": EPOCH.strftime("%Y-%m-%dT%H:%M:%S"),
    "svg.hashsalt": "safepassage-plan",
    "svg.fonttype": "path",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.axisbelow": True,
    "figure.labelsize": 10,
    "legend.fontsize": 9,
    "legend.framealpha": 0.9,
}
"""A fixed salt names the clip paths alike from one drawing to the next, so the same plan
gives the same bytes; text is drawn as paths, so no font is looked for in the browser."""

METADATA: dict[str, str | None] = {"Date": None, "Creator": None}
"""No date, so the bytes are reproducible; no creator, so the server's versions are not
handed out with every plot."""

_drawing_lock = threading.Lock()
_STYLE_ATTRIBUTE = re.compile(rb' style="([^"]*)"')
_STYLE_ELEMENT = re.compile(rb"<style[^>]*>.*?</style>", re.DOTALL)


@lru_cache(maxsize=16)
def safe_over_time_svg(counts: PlanCounts) -> bytes:
    """People safe over time: cumulative persons across a crossing, against those who have
    left their origin, with the windows shaded.

    Cached by the counts: every view of the page asks for both plots, and the counts change
    only with the plan or the scope."""
    with _drawing():
        figure = _figure(3.6)
        _draw_safe_over_time(figure.add_subplot(), counts)
        return _svg(figure)


@lru_cache(maxsize=16)
def crossing_use_svg(counts: PlanCounts) -> bytes:
    """Persons crossing per step (or per hour, or longer, on a long plot) at each crossing,
    each window shaded and labelled with the persons planned in it against its capacity.

    The scenario bounds a crossing by window, not by step, so that is the capacity drawn."""
    first, last = _crossing_period(counts)
    rows = tuple(
        (index, crossing)
        for index, crossing in enumerate(counts.crossings)
        if crossing.crossed or any(_overlap(window, first, last) for window in crossing.windows)
    )
    with _drawing():
        figure = _figure(1.0 + 1.9 * max(1, len(rows)))
        if not rows:
            _say(figure.add_subplot(), "No crossing opens in this period")
            return _svg(figure)
        bin_steps = _bin_steps(counts.step_minutes, last - first)
        axes_column = figure.subplots(len(rows), 1, sharex=True, squeeze=False)[:, 0]
        for axes, (index, crossing) in zip(axes_column, rows, strict=True):
            colour = COLOURS[index % len(COLOURS)]
            _draw_crossing_use(axes, counts, crossing, colour, (first, last), bin_steps)
        axes_column[0].set_xlim(counts.instant(first), counts.instant(last))
        _time_axis(axes_column[-1], counts)
        figure.supylabel(f"persons crossing per {_duration(bin_steps * counts.step_minutes)}")
        return _svg(figure)


@contextmanager
def _drawing() -> Iterator[None]:
    """Matplotlib's settings are global and it is not thread-safe, and the server answers
    from a pool of threads: one plot is drawn at a time."""
    with _drawing_lock, matplotlib.rc_context(SETTINGS):
        yield


def _figure(height_inches: float) -> Figure:
    """A figure on the Agg canvas and outside pyplot: nothing keeps it once drawn, so plots
    drawn under load are freed as soon as their bytes are taken."""
    figure = Figure(figsize=(WIDTH_INCHES, height_inches), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata=METADATA)
    return _presentation_attributes(buffer.getvalue())


def _presentation_attributes(svg: bytes) -> bytes:
    """Matplotlib styles its shapes with ``style`` attributes and one ``<style>`` element,
    which the pages' ``style-src 'self'`` refuses when the SVG is opened on its own; the same
    properties written as presentation attributes are not styles and are drawn. The
    ``<style>`` rounds line joins on every element: on the root, they are inherited instead."""

    def attributes(match: re.Match[bytes]) -> bytes:
        pairs = (item.split(b":", 1) for item in match.group(1).split(b";") if item.strip())
        return b"".join(b' %s="%s"' % (name.strip(), value.strip()) for name, value in pairs)

    svg = _STYLE_ELEMENT.sub(b"", _STYLE_ATTRIBUTE.sub(attributes, svg))
    return svg.replace(b"<svg ", b'<svg stroke-linejoin="round" stroke-linecap="butt" ', 1)


def _draw_safe_over_time(axes: Axes, counts: PlanCounts) -> None:
    steps = [step for step, _ in counts.departed] + [
        step for crossing in counts.crossings for step, _ in crossing.crossed
    ]
    first, last = (min(steps), max(steps) + 1) if steps else (0, counts.horizon_steps)
    margin = max(1, (last - first) // 40)
    first, last = max(0, first - margin), min(counts.horizon_steps, last + margin)
    axes.set_xlim(counts.instant(first), counts.instant(last))
    _time_axis(axes, counts)
    for index, crossing in enumerate(counts.crossings):
        _shade_windows(axes, counts, crossing, COLOURS[index % len(COLOURS)], first, last)
    if not steps:
        _say(axes, "No household here is planned out")
        _legend(axes)
        return
    _running_line(
        axes,
        counts,
        counts.departed,
        (first, last),
        color=DEPARTED_COLOUR,
        linestyle="--",
        label="left their origin",
    )
    used = [
        (index, crossing) for index, crossing in enumerate(counts.crossings) if crossing.crossed
    ]
    for index, crossing in used:
        _running_line(
            axes,
            counts,
            crossing.crossed,
            (first, last),
            color=COLOURS[index % len(COLOURS)],
            linewidth=2 if len(used) == 1 else 1.2,
            label=f"safe across {crossing.name}",
        )
    safe = sum(persons for _, crossing in used for _, persons in crossing.crossed)
    if len(used) > 1:
        merged: dict[int, int] = {}
        for _, crossing in used:
            for step, persons in crossing.crossed:
                merged[step] = merged.get(step, 0) + persons
        _running_line(
            axes,
            counts,
            sorted(merged.items()),
            (first, last),
            color="#212121",
            linewidth=2,
            label="safe across any crossing",
        )
    axes.annotate(
        f"{safe:,} persons safe",
        xy=(counts.instant(last), safe),
        xytext=(-4, 4),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontweight="bold",
    )
    departed = sum(persons for _, persons in counts.departed)
    axes.set_ylim(0, max(safe, departed, 1) * 1.15)
    axes.set_ylabel("persons")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", color="#e0e0e0")
    _legend(axes)


def _legend(axes: Axes) -> None:
    """Where it hides least; none when there is nothing to name (no line, no window)."""
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="best")


def _running_line(
    axes: Axes,
    counts: PlanCounts,
    per_step: Iterable[tuple[int, int]],
    span: tuple[int, int],
    **style: Any,
) -> None:
    """A cumulative step line from zero at the plot's left edge to its total at the right:
    a household counts from the start of the step it leaves or crosses in."""
    points = running_totals(per_step)
    steps = [span[0], *(step for step, _ in points), span[1]]
    totals = [0, *(total for _, total in points), points[-1][1] if points else 0]
    axes.step([counts.instant(step) for step in steps], totals, where="post", **style)


def _shade_windows(
    axes: Axes, counts: PlanCounts, crossing: CrossingCounts, colour: str, first: int, last: int
) -> None:
    label = f"{crossing.name} open"
    for window in crossing.windows:
        if _overlap(window, first, last):
            axes.axvspan(
                counts.instant(max(window.open_step, first)),
                counts.instant(min(window.close_step, last)),
                color=colour,
                alpha=0.18,
                linewidth=0,
                label=label,
            )
            label = "_"  # one legend entry per crossing


def _draw_crossing_use(
    axes: Axes,
    counts: PlanCounts,
    crossing: CrossingCounts,
    colour: str,
    span: tuple[int, int],
    bin_steps: int,
) -> None:
    first, last = span
    _shade_windows(axes, counts, crossing, colour, first, last)
    bins: dict[int, int] = {}
    for step, persons in crossing.crossed:
        start = step - step % bin_steps
        bins[start] = bins.get(start, 0) + persons
    axes.bar(
        [counts.instant(start) for start in bins],
        list(bins.values()),
        width=bin_steps * counts.step_minutes / (24 * 60),
        align="edge",
        color=colour,
        linewidth=0,
    )
    for window in crossing.windows:
        if _overlap(window, first, last):
            _label_window(
                axes, counts, window, span, f"{crossing.used(window):,} of {window.capacity:,}"
            )
    axes.set_title(crossing.name, loc="left")
    axes.set_ylim(0, max(bins.values(), default=1) * 1.35)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    axes.grid(axis="y", color="#e0e0e0")


def _label_window(
    axes: Axes, counts: PlanCounts, window: Window, span: tuple[int, int], label: str
) -> None:
    """Over the window's middle; near an edge of the plot, flush with the window's side
    there, so that the label stays inside the plot."""
    first, last = span
    opens, closes = max(window.open_step, first), min(window.close_step, last)
    middle = (opens + closes) / 2
    edge = (last - first) / 10
    at, align = (
        (opens, "left")
        if middle < first + edge
        else (closes, "right")
        if middle > last - edge
        else (middle, "center")
    )
    axes.text(
        counts.instant(at),
        0.97,
        label,
        transform=axes.get_xaxis_transform(),
        ha=align,
        va="top",
        fontsize=9,
    )


def _crossing_period(counts: PlanCounts) -> tuple[int, int]:
    """The steps the crossing-use plot spans: the crossings planned, with a margin; when
    nobody crosses, the windows; when none opens, the whole horizon."""
    crossed = [step for crossing in counts.crossings for step, _ in crossing.crossed]
    if crossed:
        first, last = min(crossed), max(crossed) + 1
        margin = max(2, (last - first) // 10)
        return max(0, first - margin), min(counts.horizon_steps, last + margin)
    windows = [window for crossing in counts.crossings for window in crossing.windows]
    first = max(0, min((window.open_step for window in windows), default=0))
    last = min(
        counts.horizon_steps,
        max((window.close_step for window in windows), default=counts.horizon_steps),
    )
    return (first, last) if first < last else (0, counts.horizon_steps)


def _overlap(window: Window, first: int, last: int) -> bool:
    return window.open_step < last and first < window.close_step


def _bin_steps(step_minutes: int, steps: int) -> int:
    """Steps summed into one bar: one, unless that makes more bars than can be told apart."""
    for minutes in (step_minutes, *BIN_MINUTES):
        per_bin = max(1, minutes // step_minutes)
        if steps <= MOST_BARS * per_bin:
            return per_bin
    return -(-steps // MOST_BARS)


def _duration(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return "day" if days == 1 else f"{days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "hour" if hours == 1 else f"{hours} h"
    return f"{minutes} min"


def _time_axis(axes: Axes, counts: PlanCounts) -> None:
    """Dates and times as the scenario's people read them: in its own UTC offset."""
    zone = counts.start.tzinfo
    # matplotlib.dates ships without type hints
    locator = dates.AutoDateLocator(tz=zone, minticks=4, maxticks=9)  # type: ignore[no-untyped-call]
    formatter = dates.ConciseDateFormatter(locator, tz=zone)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(formatter)


def _say(axes: Axes, message: str) -> None:
    axes.text(
        0.5, 0.5, message, transform=axes.transAxes, ha="center", va="center", color="#616161"
    )
    axes.set_yticks([])
