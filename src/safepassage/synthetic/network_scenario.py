"""Seeded evacuation scenarios on real road networks, for benchmarks at realistic sizes.

Random boxes (:mod:`safepassage.synthetic.random_scenario`) have neither the sparsity nor the
bottlenecks of real roads; the public TNTP networks have both. This module puts a synthetic
operation on such a network so that every constraint of the contract binds somewhere:

- A random direction is the *safe side*. The crossings are the outermost nodes toward it
  (reachable by some road), spread over a quarter circle so they do not all share one exit.
  Each has a main window in the second half of the horizon and sometimes an earlier, shorter
  one; together they take 50-80% of all persons, so crossing capacity binds.
- The front line sweeps from the opposite side: a node falls at a time proportional to how far
  it is from the safe side, plus noise, from about 5% to 90% of the horizon. The fifth of the
  nodes nearest safety (and every crossing) never falls. Nodes falling in the same step form
  one zone, so there are at most ``horizon_steps`` zones however large the network.
- Households start at the TNTP zone centroids (nodes ``1..zones``), the places the network's
  own demand comes from, or at a random 30% of the nodes when the network has no zones. They
  are spread over their origins by lognormal weights (a few large towns, many small ones).
- Assembly points, with a shelter capacity of 5-30% of an even share of everyone, are drawn
  among the nodes that are neither origins nor crossings, favouring the safe side where routes
  converge; a network whose nodes are all origins (SiouxFalls) has none.
- Planar coordinates (state-plane feet and the like, see
  :mod:`safepassage.formats.road_network`) are written as a box of at most one degree around
  (0, 0), so that the scenario stays a valid folder; only their geometry was ever meaningful.

Every per-node and per-household draw is vectorised; building the model objects dominates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

import numpy as np
import numpy.typing as npt

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
from safepassage.synthetic.random_scenario import RANDOM_START
from safepassage.synthetic.registry import SIZE_WEIGHTS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

LARGEST_HOUSEHOLD = 8
HOUSEHOLD_SIZE_WEIGHTS = SIZE_WEIGHTS[:LARGEST_HOUSEHOLD] / SIZE_WEIGHTS[:LARGEST_HOUSEHOLD].sum()
"""The registry's sizes cut at 8, for a mean of about 4.5."""

CROSSING_SPREAD = math.pi / 4
"""Crossings are the outermost nodes along directions up to 45 degrees either side of safety."""

CROSSING_SHARE = (0.5, 0.8)
"""Range of the share of all persons the crossings can take together."""

SECOND_WINDOW_SHARE = 0.4
"""Crossings that also open briefly before their main window, as borders do for a first group."""

CLEARANCE_REQUIRED_SHARE = 0.5
NEVER_FALL_SHARE = 0.2
FIRST_FALL, LAST_FALL, FALL_NOISE = 0.05, 0.9, 0.05
"""Fall times as shares of the horizon, for the far side and for the last nodes to fall."""

ORIGIN_SHARE = 0.3
"""Share of the nodes that are origins when the network has no zone centroids."""

LATE_SHARE = 0.25
"""Households ready only later in the first quarter of the horizon (the rest: at the start)."""

UNRESTRICTED_SHARE = 0.5
"""Households of clearance group 0, cleared for every crossing."""

SHELTER_SHARE_OF_EVEN = (0.05, 0.3)
"""Shelter capacity as a share of everyone spread evenly over the assembly points: small enough
that queues waiting for a crossing window overflow them."""
COUNTRY = "Elsewhere"


def network_scenario(
    network: RoadNetwork,
    *,
    seed: int,
    households: int,
    step_minutes: int = 15,
    horizon_steps: int = 288,
    crossings: int = 3,
    clearance_groups: int = 2,
    priorities: tuple[float, ...] = (1.0, 2.0, 3.0),
    persons_per_vehicle: float = 1.5,
    capacity_scale: float = 1.0,
    shelter_share: float = 0.05,
    name: str | None = None,
    start: datetime = RANDOM_START,
) -> Scenario:
    """Put a seeded operation on ``network``; the same arguments give the same scenario.

    Road capacities become persons per hour: vehicles x ``persons_per_vehicle`` x
    ``capacity_scale``, floored. ``clearance_groups`` distinct clearances are handed out: group
    0 is cleared for every crossing, each other group for its own non-empty set of crossings.
    """
    _check(network, households, crossings, clearance_groups, priorities)
    if persons_per_vehicle <= 0 or capacity_scale <= 0 or not 0 <= shelter_share <= 1:
        raise ValueError(
            "persons_per_vehicle and capacity_scale must be positive, shelter_share a share"
        )
    rng = np.random.default_rng(seed)
    grid = TimeGrid(start, step_minutes, horizon_steps)
    xy = _planar(network)
    safe_angle = rng.uniform(0, 2 * math.pi)
    crossing_nodes = _crossing_nodes(network, xy, safe_angle, crossings)
    is_crossing = np.zeros(network.node_count, dtype=bool)
    is_crossing[crossing_nodes] = True
    safety = _along(xy, safe_angle)
    is_origin = _origins(network, rng, is_crossing)
    drawn = _draw_households(rng, grid, is_origin, households, clearance_groups, priorities)
    persons = int(drawn.size.sum())

    crossing_ids = [network.node_ids[i] for i in crossing_nodes.tolist()]
    crossing_list = _crossings(
        rng, grid, crossing_ids, persons, needs_clearance=clearance_groups > 1
    )
    clearances = _clearances(rng, crossing_ids, clearance_groups)
    zones = _zones(rng, grid, network, safety, is_crossing)
    shelter = _shelters(rng, network, safety, is_origin | is_crossing, shelter_share, persons)
    return Scenario(
        name=name or f"{network.name}-{seed}",
        grid=grid,
        nodes=_nodes(network, is_crossing, is_origin, shelter),
        roads=_roads(network, persons_per_vehicle * capacity_scale),
        crossings=crossing_list,
        zones=zones,
        households=_households(network, grid, drawn, clearances),
    )


def _check(
    network: RoadNetwork,
    households: int,
    crossings: int,
    clearance_groups: int,
    priorities: tuple[float, ...],
) -> None:
    if households < 0:
        raise ValueError("households cannot be negative")
    if not 1 <= crossings < network.node_count:
        raise ValueError("need at least one crossing and fewer crossings than nodes")
    if not 1 <= clearance_groups <= 2**crossings:
        raise ValueError(
            "clearance_groups must be at least 1, and at most one more than the non-empty "
            "sets of crossings"
        )
    if not priorities or min(priorities) <= 0:
        raise ValueError("priorities must list at least one positive weight")


@dataclass(frozen=True)
class _Draws:
    """Per-household columns; ``ready_minute`` is minutes after the start, -1 for the start."""

    origin: IntArray
    size: IntArray
    priority: FloatArray
    ready_minute: IntArray
    group: IntArray


def _draw_households(
    rng: np.random.Generator,
    grid: TimeGrid,
    is_origin: BoolArray,
    count: int,
    groups: int,
    priorities: tuple[float, ...],
) -> _Draws:
    origins = np.flatnonzero(is_origin)
    weights = rng.lognormal(0.0, 1.0, len(origins))
    origin = origins[rng.choice(len(origins), size=count, p=weights / weights.sum())]
    size = rng.choice(np.arange(1, LARGEST_HOUSEHOLD + 1), size=count, p=HOUSEHOLD_SIZE_WEIGHTS)
    priority = rng.choice(np.array(priorities, dtype=np.float64), size=count)
    step = grid.step_minutes
    late = rng.random(count) < LATE_SHARE
    minute = rng.integers(step, max(step, grid.horizon_steps * step // 4) + 1, size=count)
    group_weights = np.full(groups, (1 - UNRESTRICTED_SHARE) / max(1, groups - 1))
    group_weights[0] = UNRESTRICTED_SHARE if groups > 1 else 1.0
    group = rng.choice(groups, size=count, p=group_weights)
    return _Draws(origin, size, priority, np.where(late, minute, -1), group)


def _households(
    network: RoadNetwork,
    grid: TimeGrid,
    drawn: _Draws,
    clearances: list[frozenset[str] | None],
) -> tuple[Household, ...]:
    ready_at: dict[int, datetime | None] = {
        minute: None if minute < 0 else grid.start + timedelta(minutes=minute)
        for minute in np.unique(drawn.ready_minute).tolist()
    }
    width = len(str(len(drawn.origin)))
    return tuple(
        Household(
            id=f"H{i + 1:0{width}d}",
            size=size,
            origin=network.node_ids[node],
            priority=rank,
            ready_from=ready_at[minute],
            cleared_for=clearances[group],
        )
        for i, (node, size, rank, minute, group) in enumerate(
            zip(
                drawn.origin.tolist(),
                drawn.size.tolist(),
                drawn.priority.tolist(),
                drawn.ready_minute.tolist(),
                drawn.group.tolist(),
                strict=True,
            )
        )
    )


def _nodes(
    network: RoadNetwork, is_crossing: BoolArray, is_origin: BoolArray, shelter: IntArray
) -> tuple[Node, ...]:
    kind = np.select(
        [is_crossing, is_origin, shelter > 0],
        [NodeKind.CROSSING.value, NodeKind.TOWN.value, NodeKind.ASSEMBLY.value],
        NodeKind.JUNCTION.value,
    )
    lat, lon = _degrees(network)
    return tuple(
        Node(node_id, f"Node {node_id}", y, x, NodeKind(k), capacity or None)
        for node_id, y, x, k, capacity in zip(
            network.node_ids,
            lat.tolist(),
            lon.tolist(),
            kind.tolist(),
            shelter.tolist(),
            strict=True,
        )
    )


def _planar(network: RoadNetwork) -> FloatArray:
    """Coordinates where distances are roughly right: longitudes shrink with latitude."""
    if _is_geographic(network):
        shrink = math.cos(math.radians(float(np.mean(network.lat)))) if network.node_count else 1
        return np.column_stack([network.lon * shrink, network.lat])
    return np.column_stack([network.lon, network.lat])


def _is_geographic(network: RoadNetwork) -> bool:
    return bool(np.all(np.abs(network.lat) <= 90) and np.all(np.abs(network.lon) <= 180))


def _degrees(network: RoadNetwork) -> tuple[FloatArray, FloatArray]:
    if _is_geographic(network):
        return np.round(network.lat, 6), np.round(network.lon, 6)
    span = max(float(np.ptp(network.lat)), float(np.ptp(network.lon))) or 1.0
    middle_lat = (float(network.lat.max()) + float(network.lat.min())) / 2
    middle_lon = (float(network.lon.max()) + float(network.lon.min())) / 2
    return (
        np.round((network.lat - middle_lat) / span, 6),
        np.round((network.lon - middle_lon) / span, 6),
    )


def _along(xy: FloatArray, angle: float) -> FloatArray:
    """Position toward ``angle``: 0 on the far side, 1 on the side it points to."""
    projection: FloatArray = xy @ np.array([math.cos(angle), math.sin(angle)])
    return (projection - float(projection.min())) / (float(np.ptp(projection)) or 1.0)


def _crossing_nodes(
    network: RoadNetwork, xy: FloatArray, safe_angle: float, count: int
) -> IntArray:
    free = np.zeros(network.node_count, dtype=bool)
    free[network.target] = True  # a crossing nobody can drive to would be no crossing
    if free.sum() < count:
        free[:] = True
    chosen = []
    for angle in safe_angle + np.linspace(-CROSSING_SPREAD, CROSSING_SPREAD, count):
        score = np.where(free, xy @ np.array([math.cos(angle), math.sin(angle)]), -np.inf)
        best = int(np.argmax(score))
        chosen.append(best)
        free[best] = False
    return np.array(chosen, dtype=np.int64)


def _origins(network: RoadNetwork, rng: np.random.Generator, is_crossing: BoolArray) -> BoolArray:
    if network.zones:
        positions = {node_id: i for i, node_id in enumerate(network.node_ids)}
        centroids = [positions[str(z)] for z in range(1, network.zones + 1) if str(z) in positions]
        is_origin = np.zeros(network.node_count, dtype=bool)
        is_origin[centroids] = True
        is_origin &= ~is_crossing
        if is_origin.any():
            return is_origin
    candidates = np.flatnonzero(~is_crossing)
    picked = rng.choice(
        candidates, size=max(1, round(ORIGIN_SHARE * len(candidates))), replace=False
    )
    is_origin = np.zeros(network.node_count, dtype=bool)
    is_origin[picked] = True
    return is_origin


def _between(rng: np.random.Generator, low: int, high: int, size: int) -> IntArray:
    """Whole numbers in ``low..high`` inclusive, ``high`` raised to ``low`` if below it."""
    return rng.integers(low, max(low, high) + 1, size=size)


def _crossings(
    rng: np.random.Generator,
    grid: TimeGrid,
    crossing_ids: list[str],
    persons: int,
    *,
    needs_clearance: bool,
) -> tuple[Crossing, ...]:
    count, horizon = len(crossing_ids), grid.horizon_steps
    main_open = _between(rng, horizon // 2, math.ceil(0.8 * horizon) - 1, count)
    main_close = np.minimum(
        horizon,
        main_open + _between(rng, max(1, round(0.1 * horizon)), round(0.3 * horizon), count),
    )
    early_open = _between(rng, round(0.2 * horizon), round(0.4 * horizon), count)
    early_close = np.minimum(
        main_open,
        early_open + _between(rng, max(1, round(0.05 * horizon)), round(0.1 * horizon), count),
    )
    has_early = (rng.random(count) < SECOND_WINDOW_SHARE) & (early_close > early_open)
    total = rng.uniform(*CROSSING_SHARE) * persons * rng.dirichlet(np.full(count, 2.0))
    early_length = np.where(has_early, early_close - early_open, 0)
    early_capacity = np.floor(total * early_length / (early_length + main_close - main_open))
    main_capacity = np.floor(total - early_capacity)
    requires = rng.random(count) < CLEARANCE_REQUIRED_SHARE
    if needs_clearance and not requires.any():
        requires[rng.integers(count)] = True
    result = []
    for i, node in enumerate(crossing_ids):
        windows = [
            Window(
                grid.instant_of(int(main_open[i])),
                grid.instant_of(int(main_close[i])),
                int(main_capacity[i]),
            )
        ]
        if has_early[i]:
            windows.insert(
                0,
                Window(
                    grid.instant_of(int(early_open[i])),
                    grid.instant_of(int(early_close[i])),
                    int(early_capacity[i]),
                ),
            )
        result.append(Crossing(node, COUNTRY, bool(requires[i]), tuple(windows)))
    return tuple(result)


def _clearances(
    rng: np.random.Generator, crossing_ids: list[str], groups: int
) -> list[frozenset[str] | None]:
    """Group 0 is cleared for all; the others for distinct non-empty sets of crossings."""
    sets: dict[frozenset[str], None] = {}
    while len(sets) < groups - 1:
        picked = rng.random(len(crossing_ids)) < 0.5
        if picked.any():
            sets.setdefault(
                frozenset(c for c, keep in zip(crossing_ids, picked.tolist(), strict=True) if keep)
            )
    return [None, *sets]


def _zones(
    rng: np.random.Generator,
    grid: TimeGrid,
    network: RoadNetwork,
    safety: FloatArray,
    is_crossing: BoolArray,
) -> tuple[Zone, ...]:
    """One zone per step in which nodes fall: a few hundred zones even on the largest networks."""
    horizon = grid.horizon_steps
    cut = float(np.quantile(safety[~is_crossing], 1 - NEVER_FALL_SHARE))
    falls = (safety < cut) & ~is_crossing
    share = FIRST_FALL + (LAST_FALL - FIRST_FALL) * safety / (cut or 1.0)
    share += rng.normal(0.0, FALL_NOISE, len(safety))
    step = np.clip(np.round(share * horizon), 1, max(1, horizon - 1)).astype(np.int64)
    fallen = np.flatnonzero(falls)
    if not len(fallen):
        return ()
    fallen = fallen[np.argsort(step[fallen], kind="stable")]
    steps, first = np.unique(step[fallen], return_index=True)
    return tuple(
        Zone(
            f"Sector {k + 1}",
            tuple(network.node_ids[i] for i in members.tolist()),
            grid.instant_of(falls_at),
        )
        for k, (falls_at, members) in enumerate(
            zip(steps.tolist(), np.split(fallen, first[1:]), strict=True)
        )
    )


def _shelters(
    rng: np.random.Generator,
    network: RoadNetwork,
    safety: FloatArray,
    excluded: BoolArray,
    share: float,
    persons: int,
) -> IntArray:
    """Shelter capacity per node, 0 where there is none."""
    candidates = np.flatnonzero(~excluded)
    count = min(len(candidates), round(share * network.node_count))
    capacity = np.zeros(network.node_count, dtype=np.int64)
    if count == 0:
        return capacity
    weights = safety[candidates] + 0.05
    picked = rng.choice(candidates, size=count, replace=False, p=weights / weights.sum())
    even = persons / count
    capacity[picked] = np.maximum(
        LARGEST_HOUSEHOLD, np.round(even * rng.uniform(*SHELTER_SHARE_OF_EVEN, size=count))
    )
    return capacity


def _roads(network: RoadNetwork, persons_per_vehicle: float) -> tuple[Road, ...]:
    """Fractions are built once per distinct value: real networks repeat a few thousand."""
    minutes = np.maximum(np.round(network.minutes, 1), 0.1)
    rate = np.floor(network.capacity_per_hour * persons_per_vehicle)
    minute_of = {value: Fraction(str(value)) for value in np.unique(minutes).tolist()}
    rate_of = {value: Fraction(int(value)) for value in np.unique(rate).tolist()}
    ids = network.node_ids
    return tuple(
        Road(ids[a], ids[b], minute_of[m], rate_of[r])
        for a, b, m, r in zip(
            network.source.tolist(),
            network.target.tolist(),
            minutes.tolist(),
            rate.tolist(),
            strict=True,
        )
    )
