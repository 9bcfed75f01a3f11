"""Seeded scenarios where roads and shelters bind, not the crossings' windows.

:mod:`.network_scenario` sizes the crossings' windows below the demand, so whoever reaches a
crossing in time gets out and a single greedy pass is close to optimal. An operation is often
the other way round: the border would take everyone, but narrow roads, small assembly points
and a front line falling band by band decide who gets there. Two generators build that:

- :func:`congested_grid`: a grid whose roads carry 60-480 persons an hour and take 10-45
  minutes, one road in ten missing; a quarter of the nodes shelter 20-80 persons; two crossings
  on the far edge, one requiring clearance and open for 1.5-4 hours, one open for most of the
  horizon; 40% of households cleared only for the open crossing, 20% ready late, priorities 1
  and 3; the front line takes the grid column by column from the near edge, a column every
  1-2.5 hours.
- :func:`roads_bound_scenario`: a road network (TNTP) whose crossings are open the whole
  horizon with room for everyone and no clearance needed, so that every household could get
  out if the roads let it: the roads (scaled down) and the sweeping front line are all that
  binds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

import numpy as np

from safepassage.formats.road_network import RoadNetwork
from safepassage.model import (
    Crossing,
    Household,
    Node,
    NodeKind,
    Road,
    Scenario,
    TimeGrid,
    Window,
    Zone,
)
from safepassage.synthetic import network_scenario as spread
from safepassage.synthetic.random_scenario import RANDOM_START

ROAD_PERSONS_PER_HOUR = (60, 480)
ROAD_MINUTES = (10, 45)
MISSING_ROAD_SHARE = 0.1
SHELTER_NODE_SHARE = 0.25
SHELTER_PERSONS = (20, 80)
CLEARED_WINDOW_HOURS = (1.5, 4.0)
OPEN_ONLY_SHARE = 0.4
"""Households cleared only for the crossing that needs no clearance."""
LATE_SHARE = 0.2
FIRST_BAND_HOURS = (1.0, 2.5)
BAND_HOURS = (1.0, 2.5)
"""The nearest column falls after 1-2.5 hours; each next one 1-2.5 hours after the last."""
PRIORITIES = (1.0, 3.0)
KM_IN_DEGREES = 1 / 111.0
COUNTRY = "Elsewhere"


def congested_grid(
    seed: int,
    *,
    rows: int = 8,
    columns: int = 8,
    households: int = 1500,
    horizon_steps: int = 96,
    step_minutes: int = 15,
    name: str | None = None,
    start: datetime = RANDOM_START,
) -> Scenario:
    """A ``rows`` x ``columns`` grid operation; the same arguments give the same scenario.

    Households live in every column but the crossings' own, more of them the nearer the
    front; the front line takes the columns from the first on, and the crossings sit in the
    last column, so the towns nearest the front are the fullest and the farthest from safety.
    """
    if rows < 2 or columns < 3 or households < 0:
        raise ValueError("a congested grid needs at least 2 rows, 3 columns and no negative count")
    rng = np.random.default_rng(seed)
    grid = TimeGrid(start, step_minutes, horizon_steps)
    ids = [f"N{r + 1}-{c + 1}" for r in range(rows) for c in range(columns)]
    index = np.arange(rows * columns).reshape(rows, columns)
    pairs = np.concatenate(
        [
            np.stack([index[:, :-1].ravel(), index[:, 1:].ravel()], axis=1),
            np.stack([index[:-1, :].ravel(), index[1:, :].ravel()], axis=1),
        ]
    )
    pairs = pairs[rng.random(len(pairs)) >= MISSING_ROAD_SHARE]
    rate = rng.integers(ROAD_PERSONS_PER_HOUR[0], ROAD_PERSONS_PER_HOUR[1] + 1, len(pairs))
    minutes = rng.integers(ROAD_MINUTES[0], ROAD_MINUTES[1] + 1, len(pairs))
    roads = tuple(
        Road(ids[a], ids[b], Fraction(int(m)), Fraction(int(p)))
        for (u, w), m, p in zip(pairs.tolist(), minutes.tolist(), rate.tolist(), strict=True)
        for a, b in ((u, w), (w, u))
    )

    last = columns - 1
    cleared_row, open_row = rng.choice(rows, size=2, replace=False).tolist()
    cleared_node, open_node = ids[index[cleared_row, last]], ids[index[open_row, last]]
    inland = [i for i in range(rows * columns) if i % columns != last]
    shelter = np.zeros(rows * columns, dtype=np.int64)
    sheltered = rng.choice(inland, size=round(SHELTER_NODE_SHARE * rows * columns), replace=False)
    shelter[sheltered] = rng.integers(SHELTER_PERSONS[0], SHELTER_PERSONS[1] + 1, len(sheltered))

    # most people live near the front, farthest from the border: the roads toward it fill
    distance = np.array([last - i % columns for i in inland], dtype=np.float64)
    weights = rng.lognormal(0.0, 1.0, len(inland)) * distance**2
    origin = np.array(inland)[rng.choice(len(inland), size=households, p=weights / weights.sum())]
    size = rng.choice(
        np.arange(1, spread.LARGEST_HOUSEHOLD + 1),
        size=households,
        p=spread.HOUSEHOLD_SIZE_WEIGHTS,
    )
    persons = int(size.sum())
    priority = rng.choice(np.array(PRIORITIES), size=households)
    late = rng.random(households) < LATE_SHARE
    ready_minute = np.where(
        late, rng.integers(step_minutes, horizon_steps * step_minutes // 4 + 1, households), -1
    )
    open_only = rng.random(households) < OPEN_ONLY_SHARE

    horizon_minutes = horizon_steps * step_minutes
    cleared_open = int(rng.integers(horizon_minutes // 5, horizon_minutes // 2))
    cleared_minutes = round(60 * rng.uniform(*CLEARED_WINDOW_HOURS))
    crossings = (
        Crossing(
            cleared_node,
            COUNTRY,
            True,
            (
                Window(
                    _at(start, cleared_open),
                    _at(start, min(horizon_minutes, cleared_open + cleared_minutes)),
                    persons,
                ),
            ),
        ),
        Crossing(
            open_node,
            COUNTRY,
            False,
            (
                Window(
                    _at(start, round(horizon_minutes * rng.uniform(0.02, 0.1))),
                    _at(start, horizon_minutes),
                    persons,
                ),
            ),
        ),
    )
    falls = np.cumsum([rng.uniform(*FIRST_BAND_HOURS), *rng.uniform(*BAND_HOURS, size=last - 1)])
    zones = tuple(
        Zone(
            f"Band {c + 1}",
            tuple(ids[i] for i in index[:, c].tolist()),
            _at(start, round(60 * float(hours))),
        )
        for c, hours in enumerate(falls.tolist())
        if 60 * hours < horizon_minutes
    )
    kinds = {cleared_node: NodeKind.CROSSING, open_node: NodeKind.CROSSING}
    nodes = tuple(
        Node(
            node_id,
            f"Node {node_id}",
            round(33.0 + (i // columns) * 5 * KM_IN_DEGREES, 6),
            round(36.0 + (i % columns) * 5 * KM_IN_DEGREES, 6),
            kinds.get(node_id, NodeKind.ASSEMBLY if shelter[i] else NodeKind.TOWN),
            int(shelter[i]) or None,
        )
        for i, node_id in enumerate(ids)
    )
    width = len(str(households))
    only_open = frozenset({open_node})
    return Scenario(
        name=name or f"congested-grid-{rows}x{columns}-{seed}",
        grid=grid,
        nodes=nodes,
        roads=roads,
        crossings=crossings,
        zones=zones,
        households=tuple(
            Household(
                id=f"H{i + 1:0{width}d}",
                size=int(size[i]),
                origin=ids[int(origin[i])],
                priority=float(priority[i]),
                ready_from=None if ready_minute[i] < 0 else _at(start, int(ready_minute[i])),
                cleared_for=only_open if open_only[i] else None,
            )
            for i in range(households)
        ),
    )


def roads_bound_scenario(
    network: RoadNetwork,
    *,
    seed: int,
    households: int,
    horizon_steps: int = 288,
    step_minutes: int = 15,
    crossings: int = 3,
    persons_per_hour_per_vehicle: float = 0.05,
    name: str | None = None,
    start: datetime = RANDOM_START,
) -> Scenario:
    """An operation on ``network`` where the crossings would take everyone.

    The crossings (the outermost nodes toward a random safe side) are open the whole horizon,
    need no clearance and have room for every person; the front line sweeps from the far side
    as in :mod:`.network_scenario`; there are no shelters. Road capacities are the network's
    vehicles an hour times ``persons_per_hour_per_vehicle``, so that the roads, not the
    border, decide who gets out in time.
    """
    scenario = spread.network_scenario(
        network,
        seed=seed,
        households=households,
        step_minutes=step_minutes,
        horizon_steps=horizon_steps,
        crossings=crossings,
        clearance_groups=1,
        priorities=PRIORITIES,
        persons_per_vehicle=persons_per_hour_per_vehicle,
        shelter_share=0.0,
        name=name or f"{network.name}-roads-{seed}",
        start=start,
    )
    everyone = scenario.total_persons
    grid = scenario.grid
    whole = Window(grid.start, grid.instant_of(horizon_steps), max(1, everyone))
    return Scenario(
        name=scenario.name,
        grid=grid,
        nodes=scenario.nodes,
        roads=tuple(
            road
            if road.capacity_per_hour >= 1
            else Road(road.source, road.target, road.minutes, Fraction(1))
            for road in scenario.roads
        ),
        crossings=tuple(Crossing(c.node, c.country, False, (whole,)) for c in scenario.crossings),
        zones=scenario.zones,
        households=scenario.households,
    )


def _at(start: datetime, minutes: int) -> datetime:
    return start + timedelta(minutes=minutes)


__all__ = ["congested_grid", "roads_bound_scenario"]
