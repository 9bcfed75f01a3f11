"""Seeded uncertainty around any scenario, for tests, benchmarks and rehearsals.

A rehearsal on a generated scenario needs futures as a crisis cell would write them: the front
line coming early, crossings narrower than promised. These give both forms the contract knows,
listed futures and a law to draw them from, around the scenario's own zones and windows.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from safepassage.model import Scenario, Window, Zone
from safepassage.model.futures import Future
from safepassage.model.uncertainty import Chance, CrossingLaw, FutureLaw, ZoneFallLaw


def named_zones(scenario: Scenario) -> Scenario:
    """The scenario with every zone given a name of its own (futures name zones)."""
    zones = tuple(Zone(f"zone-{i}", z.nodes, z.unsafe_from) for i, z in enumerate(scenario.zones))
    return dataclasses.replace(scenario, zones=zones)


def listed_futures(scenario: Scenario, *, early_hours: float = 2.0) -> tuple[Future, ...]:
    """As planned (0.4); the whole front line ``early_hours`` early (0.35); every crossing
    closing an hour early with two thirds of its places (0.25)."""
    early = tuple(
        (zone.name, zone.unsafe_from - timedelta(hours=early_hours)) for zone in scenario.zones
    )
    narrow = tuple(
        (
            crossing.node,
            tuple(
                Window(w.open, w.close - timedelta(hours=1), w.capacity * 2 // 3)
                for w in crossing.windows
                if w.close - timedelta(hours=1) > w.open
            ),
        )
        for crossing in scenario.crossings
    )
    return (
        Future("as planned", 0.4),
        Future("front line early", 0.35, zone_falls=early),
        Future("crossings narrow", 0.25, crossing_windows=narrow),
    )


def law_around(
    scenario: Scenario, *, early_hours: float = 6.0, late_hours: float = 2.0
) -> FutureLaw:
    """Each zone falling between ``early_hours`` before and ``late_hours`` after its nominal
    instant (most likely as nominal); each window 30% likely to open up to two hours late, 30%
    to close up to two hours early, 30% to take between half and all of its places, 10% not
    to open."""
    return FutureLaw(
        zones=tuple(
            ZoneFallLaw(
                zone.name,
                zone.unsafe_from - timedelta(hours=early_hours),
                zone.unsafe_from,
                zone.unsafe_from + timedelta(hours=late_hours),
            )
            for zone in scenario.zones
        ),
        crossings=tuple(
            CrossingLaw(
                crossing.node,
                opens_late=Chance(0.3, 120),
                closes_early=Chance(0.3, 120),
                fewer_places=Chance(0.3, 0.5),
                not_open=0.1,
            )
            for crossing in scenario.crossings
        ),
    )
