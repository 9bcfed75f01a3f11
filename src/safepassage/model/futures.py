"""Futures: how the front line and the crossings might go instead of as the nominal files say.

In July 2018 towns fell earlier than hoped and the Golan crossing opened for one night only. A
crisis cell plans against the nominal scenario but needs to know how the plan fares in the
futures it thinks possible, so a future names only what differs from the nominal scenario (the
contract's "Uncertain futures") and :meth:`Future.apply` turns it into a whole scenario that
planners and the verifier understand without knowing futures exist.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime

from safepassage.model.scenario import Scenario, Window

PROBABILITY_TOLERANCE = 1e-9
"""How far the probabilities of a set of futures may sum from 1 (the contract's figure)."""


@dataclass(frozen=True)
class RoadCut:
    """The *directed* road ``source -> target`` is unsafe from ``at``.

    A reader turns a cut of a bidirectional ``edges.csv`` row into two of these, one per
    direction, since the model only knows directed roads.
    """

    source: str
    target: str
    at: datetime


@dataclass(frozen=True)
class Future:
    """One alternative to the nominal scenario, with its probability.

    ``zone_falls`` maps a zone's name to the instant it falls in this future (``None``: it
    never falls); ``crossing_windows`` maps a crossing node to its windows in this future
    (empty: it does not open). Anything not named is as in the nominal scenario.
    """

    name: str
    probability: float
    zone_falls: tuple[tuple[str, datetime | None], ...] = ()
    crossing_windows: tuple[tuple[str, tuple[Window, ...]], ...] = ()
    road_cuts: tuple[RoadCut, ...] = ()

    def __post_init__(self) -> None:
        if not (math.isfinite(self.probability) and 0 < self.probability <= 1):
            raise ValueError(f"future {self.name} needs a probability in (0, 1]")
        zones = [zone for zone, _ in self.zone_falls]
        if len(set(zones)) != len(zones):
            raise ValueError(f"future {self.name} names a zone twice")
        crossings = [node for node, _ in self.crossing_windows]
        if len(set(crossings)) != len(crossings):
            raise ValueError(f"future {self.name} names a crossing twice")
        for node, windows in self.crossing_windows:
            for window in windows:
                if window.close <= window.open or window.capacity < 0:
                    raise ValueError(f"future {self.name}: crossing {node} has an empty window")

    def check_against(self, scenario: Scenario) -> None:
        """Refuse a future naming a zone, crossing or road the nominal scenario lacks.

        A zone name given to several zones is refused too: which of them the future moves
        would be a guess.
        """
        names = Counter(zone.name for zone in scenario.zones)
        for zone, _ in self.zone_falls:
            if names[zone] != 1:
                raise ValueError(f"future {self.name} names zone {zone}, not exactly one zone")
        for node, _ in self.crossing_windows:
            if node not in scenario.crossing_by_node:
                raise ValueError(f"future {self.name} names {node}, which is not a crossing")
        for cut in self.road_cuts:
            if (cut.source, cut.target) not in scenario.roads_between:
                raise ValueError(f"future {self.name} cuts {cut.source}->{cut.target}: no road")

    def apply(self, scenario: Scenario) -> Scenario:
        """The nominal scenario as it would be in this future.

        A zone that never falls in this future is left out; a cut road takes the earlier of
        its own ``unsafe_from`` and the cut.
        """
        self.check_against(scenario)
        falls = dict(self.zone_falls)
        zones = []
        for zone in scenario.zones:
            if zone.name not in falls:
                zones.append(zone)
            elif (instant := falls[zone.name]) is not None:
                zones.append(replace(zone, unsafe_from=instant))
        windows = dict(self.crossing_windows)
        crossings = tuple(
            replace(crossing, windows=windows[crossing.node])
            if crossing.node in windows
            else crossing
            for crossing in scenario.crossings
        )
        cuts: dict[tuple[str, str], datetime] = {}
        for cut in self.road_cuts:
            key = (cut.source, cut.target)
            cuts[key] = min(cuts.get(key, cut.at), cut.at)
        roads = []
        for road in scenario.roads:
            at = cuts.get((road.source, road.target))
            if at is not None and (road.unsafe_from is None or at < road.unsafe_from):
                road = replace(road, unsafe_from=at)
            roads.append(road)
        return replace(scenario, zones=tuple(zones), crossings=crossings, roads=tuple(roads))


def check_probabilities(futures: tuple[Future, ...]) -> None:
    """A set of futures is the whole distribution: its probabilities sum to one."""
    if not futures:
        raise ValueError("no futures given")
    names = [future.name for future in futures]
    if len(set(names)) != len(names):
        raise ValueError("two futures share a name")
    total = math.fsum(future.probability for future in futures)
    if abs(total - 1.0) > PROBABILITY_TOLERANCE:
        raise ValueError(f"the futures' probabilities sum to {total!r}, not 1")
