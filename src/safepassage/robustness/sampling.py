"""Futures drawn from a :class:`FutureLaw`, the same for the same seed whoever draws them.

Sample ``i`` of seed ``s`` comes from its own generator seeded with ``(s, stream, i)``, so a
process pool or a Dask cluster splitting the samples any way it likes draws exactly the futures
one process would: the figures depend on the seed, never on the machine.

Every draw is made whether or not its event happens, in a fixed order (zones, then crossings
window by window, then roads), so that changing one probability does not reshuffle the rest.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from safepassage.model import Scenario, Window
from safepassage.model.futures import Future, RoadCut
from safepassage.model.uncertainty import CrossingLaw, FutureLaw, ZoneFallLaw


class Stream(IntEnum):
    """Independent streams of samples for one seed: futures that build candidate plans are
    never the futures that judge them."""

    EVALUATE = 0
    BUILD = 1


def sample_future(
    scenario: Scenario, law: FutureLaw, seed: int, index: int, stream: Stream = Stream.EVALUATE
) -> Future:
    rng = np.random.default_rng([seed, int(stream), index])
    zones = _falls(law.zones, rng.random(len(law.zones)))
    crossings = []
    for crossing_law in law.crossings:
        nominal = scenario.crossing_by_node[crossing_law.node].windows
        crossings.append((crossing_law.node, _windows(crossing_law, nominal, rng)))
    cuts = []
    for road in law.roads:
        happens, where = rng.random(2)
        if happens < road.probability:
            span = (road.latest - road.earliest).total_seconds()
            at = road.earliest + _seconds(where * span)
            cuts.append(RoadCut(road.source, road.target, at))
            if road.both_ways:
                cuts.append(RoadCut(road.target, road.source, at))
    return Future(f"sample {index}", 1.0, zones, tuple(crossings), tuple(cuts))


def sample_futures(
    scenario: Scenario,
    law: FutureLaw,
    seed: int,
    indices: range,
    stream: Stream = Stream.EVALUATE,
) -> Iterator[Future]:
    for index in indices:
        yield sample_future(scenario, law, seed, index, stream)


def quantile_future(scenario: Scenario, law: FutureLaw, level: float) -> Future:
    """Every zone falling at its ``level`` quantile: ``level`` 0.1 is a pessimistic front line
    that still leaves the crossings as nominal."""
    zones = _falls(law.zones, np.full(len(law.zones), level))
    return Future(f"zones at their {level:.0%} quantile", 1.0, zones)


def narrow_windows_future(scenario: Scenario, law: FutureLaw, *, fewer_places: bool) -> Future:
    """Every window opening as late and closing as early as its law allows (and, with
    ``fewer_places``, with its fewest places): a plan that crosses inside these crosses in
    every future where the window opens at all."""
    crossings = []
    for crossing_law in law.crossings:
        windows = []
        for window in scenario.crossing_by_node[crossing_law.node].windows:
            opens, closes, capacity = window.open, window.close, window.capacity
            if crossing_law.opens_late is not None:
                opens += _seconds(crossing_law.opens_late.extent * 60)
            if crossing_law.closes_early is not None:
                closes -= _seconds(crossing_law.closes_early.extent * 60)
            if fewer_places and crossing_law.fewer_places is not None:
                capacity = math.floor(capacity * crossing_law.fewer_places.extent)
            if opens < closes:
                windows.append(Window(opens, closes, capacity))
        crossings.append((crossing_law.node, tuple(windows)))
    label = "narrowest windows" + (", fewest places" if fewer_places else "")
    return Future(label, 1.0, crossing_windows=tuple(crossings))


def _falls(
    laws: tuple[ZoneFallLaw, ...], u: npt.NDArray[np.float64]
) -> tuple[tuple[str, datetime], ...]:
    """Each triangular law's inverse distribution function at its ``u``, at once: a
    metropolitan scenario has hundreds of zones and a run draws thousands of futures."""
    if not laws:
        return ()
    mode = np.asarray([(law.most_likely - law.earliest).total_seconds() for law in laws])
    high = np.asarray([(law.latest - law.earliest).total_seconds() for law in laws])
    span = np.where(high > 0, high, 1.0)
    rising = u < mode / span
    offset = np.where(
        rising,
        np.sqrt(u * high * mode),
        high - np.sqrt((1 - u) * high * (high - mode)),
    )
    offset = np.floor(np.where(high > 0, offset, 0.0))
    return tuple(
        (law.zone, law.earliest + timedelta(seconds=int(seconds)))
        for law, seconds in zip(laws, offset.tolist(), strict=True)
    )


def _windows(
    law: CrossingLaw, nominal: tuple[Window, ...], rng: np.random.Generator
) -> tuple[Window, ...]:
    windows = []
    for window in nominal:
        late, late_by, early, early_by, fewer, share, shut = rng.random(7)
        opens, closes, capacity = window.open, window.close, window.capacity
        if law.opens_late is not None and late < law.opens_late.probability:
            opens += _seconds(late_by * law.opens_late.extent * 60)
        if law.closes_early is not None and early < law.closes_early.probability:
            closes -= _seconds(early_by * law.closes_early.extent * 60)
        if law.fewer_places is not None and fewer < law.fewer_places.probability:
            low = law.fewer_places.extent
            capacity = math.floor(capacity * (low + (1 - low) * share))
        if shut >= law.not_open and opens < closes:
            windows.append(Window(opens, closes, capacity))
    if not nominal and law.may_open is not None:
        probability, opened = law.may_open
        if rng.random() < probability:
            windows.extend(opened)
    return tuple(windows)


def _seconds(amount: float) -> timedelta:
    """Whole seconds, so that drawn instants print and compare cleanly."""
    return timedelta(seconds=math.floor(amount))
