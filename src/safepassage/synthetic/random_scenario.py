"""Seeded random scenarios of any size, for property tests, benchmarks and rehearsals.

The region is a box, the front line sweeps across it from east to west, crossings sit on the
western edge with short windows and tight capacities, so that capacity, clearance, shelters and
falling towns all bind somewhere.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from fractions import Fraction

import numpy as np

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

RANDOM_START = datetime.fromisoformat("2018-07-21T00:00:00+03:00")


def random_scenario(
    seed: int,
    *,
    nodes: int = 12,
    households: int = 20,
    crossings: int = 2,
    horizon_steps: int = 96,
    step_minutes: int = 15,
) -> Scenario:
    if nodes < crossings + 1 or crossings < 1:
        raise ValueError("need at least one crossing and one other node")
    rng = np.random.default_rng(seed)
    grid = TimeGrid(RANDOM_START, step_minutes, horizon_steps)
    lat = 33.0 + 0.5 * rng.random(nodes)
    lon = 35.8 + 0.5 * rng.random(nodes)
    order = np.argsort(lon)  # west to east
    crossing_idx = [int(i) for i in order[:crossings]]
    kinds = rng.choice(
        [NodeKind.TOWN, NodeKind.JUNCTION, NodeKind.ASSEMBLY], size=nodes, p=[0.6, 0.25, 0.15]
    )
    node_list = []
    for i in range(nodes):
        kind = NodeKind.CROSSING if i in crossing_idx else NodeKind(kinds[i])
        shelter = int(rng.integers(4, 40)) if rng.random() < 0.3 else None
        node_list.append(
            Node(
                f"n{i}",
                f"Place {i}",
                round(float(lat[i]), 5),
                round(float(lon[i]), 5),
                kind,
                shelter,
            )
        )

    pairs: set[tuple[int, int]] = set()
    for a, b in itertools.pairwise(order):  # a west-east chain keeps it connected
        pairs.add((int(min(a, b)), int(max(a, b))))
    coords = np.stack([lat, lon], axis=1)
    dist = np.linalg.norm(coords[:, None, :] - coords[None, :, :], axis=2)
    for i in range(nodes):
        for j in np.argsort(dist[i])[1 : 1 + int(rng.integers(1, 4))]:
            pairs.add((min(i, int(j)), max(i, int(j))))
    total_minutes = horizon_steps * step_minutes
    roads: list[Road] = []
    for a, b in sorted(pairs):
        minutes = Fraction(int(rng.integers(0, 13)) * 5, 2 if rng.random() < 0.3 else 1)
        capacity = Fraction(int(rng.integers(1, 160)))
        unsafe = _instant(grid, rng, total_minutes) if rng.random() < 0.1 else None
        roads.append(Road(f"n{a}", f"n{b}", minutes, capacity, unsafe))
        if rng.random() < 0.85:
            roads.append(Road(f"n{b}", f"n{a}", minutes, capacity, unsafe))

    crossing_list = []
    for i in crossing_idx:
        windows = []
        for _ in range(int(rng.integers(0, 3))):
            open_minute = int(rng.integers(0, total_minutes))
            length = int(rng.integers(1, max(2, total_minutes // 3)))
            windows.append(
                Window(
                    grid.start + timedelta(minutes=open_minute),
                    grid.start + timedelta(minutes=open_minute + length),
                    int(rng.integers(0, max(60, 3 * households))),
                )
            )
        crossing_list.append(
            Crossing(f"n{i}", "Elsewhere", bool(rng.random() < 0.6), tuple(windows))
        )

    east_west = (lon - lon.min()) / max(float(np.ptp(lon)), 1e-9)
    zones = []
    for i in range(nodes):
        if rng.random() < 0.35:
            continue
        falls = (1.0 - east_west[i]) * total_minutes * 1.2 + rng.normal(0, total_minutes * 0.1)
        zones.append(Zone(f"zone {i}", (f"n{i}",), grid.start + timedelta(minutes=float(falls))))

    crossing_ids = [f"n{i}" for i in crossing_idx]
    origins = [i for i in range(nodes) if i not in crossing_idx]
    household_list = []
    for h in range(households):
        cleared: frozenset[str] | None = None
        if rng.random() < 0.5:
            picked = rng.random(len(crossing_ids)) < 0.5
            cleared = frozenset(
                c for c, keep in zip(crossing_ids, picked, strict=True) if keep
            ) or frozenset(crossing_ids[:1])
        household_list.append(
            Household(
                id=f"h{h}",
                size=int(rng.integers(1, 9)),
                origin=f"n{int(rng.choice(origins))}",
                priority=float(rng.choice([1.0, 1.0, 2.0, 3.0, 1.5])),
                ready_from=_instant(grid, rng, total_minutes // 2) if rng.random() < 0.4 else None,
                cleared_for=cleared,
            )
        )
    return Scenario(
        name=f"random-{seed}",
        grid=grid,
        nodes=tuple(node_list),
        roads=tuple(roads),
        crossings=tuple(crossing_list),
        zones=tuple(zones),
        households=tuple(household_list),
    )


def _instant(grid: TimeGrid, rng: np.random.Generator, within_minutes: int) -> datetime:
    return grid.start + timedelta(minutes=int(rng.integers(0, max(1, within_minutes))))
