"""The scenario compiled to arrays over steps, with the capacity still free at each step.

Planners work on integers indexed by node, road and step; the scenario's dictionaries are
read once here. Residual capacities live in NumPy arrays so that a planner touching a road at
one step costs O(1), and searches over them run as compiled loops (:func:`compiled`).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

from safepassage.model import Scenario

IntArray = npt.NDArray[np.int64]

UNREACHABLE = 2**62
"""Static distance of a node from which a crossing cannot be reached at all."""

_Function = TypeVar("_Function", bound=Callable[..., Any])


def compiled(function: _Function) -> _Function:
    """Compile ``function`` to machine code with numba on its first call, cached on disk.

    Searches visit millions of labels on a metropolitan network, far too many for the
    interpreter. Compiling lazily keeps imports fast; the disk cache spares later processes the
    seconds numba takes. The body stays plain Python over NumPy arrays, so it keeps its types
    for mypy and runs uncompiled under ``NUMBA_DISABLE_JIT=1`` for debugging.
    """
    return cast(_Function, numba.njit(cache=True)(function))


@dataclass(frozen=True, eq=False)
class StepNetwork:
    """Static, step-valued facts of a scenario, indexed by integers.

    ``node_limit[v]`` and ``road_limit[e]`` are the first step at which the node or road may
    no longer be occupied: the step it falls, or the horizon, whichever comes first.

    Compared and hashed by identity (arrays have no equality worth asking for), so that
    searches can keep per-network buffers keyed by it.
    """

    scenario: Scenario
    horizon: int
    node_limit: IntArray
    shelter: IntArray  # -1 where the node has no shelter limit
    road_source: IntArray
    road_target: IntArray
    road_travel: IntArray
    road_capacity: IntArray
    road_limit: IntArray
    out_start: IntArray  # CSR: roads leaving v are out_roads[out_start[v]:out_start[v+1]]
    out_roads: IntArray
    window_node: IntArray  # crossing node of each window
    window_open: IntArray
    window_close: IntArray
    window_capacity: IntArray
    windows_at: tuple[tuple[int, ...], ...]  # window indices per node (empty if not a crossing)
    window_start: IntArray  # CSR of windows_at: windows_at[v] == window_ids[window_start[v]:...]
    window_ids: IntArray
    _steps_to: dict[int, IntArray] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def compile(cls, scenario: Scenario) -> StepNetwork:
        horizon = scenario.grid.horizon_steps
        n = len(scenario.nodes)
        node_limit = np.array(
            [min(scenario.node_unsafe_step[node.id], horizon) for node in scenario.nodes],
            dtype=np.int64,
        )
        shelter = np.array(
            [
                -1 if node.shelter_capacity is None else node.shelter_capacity
                for node in scenario.nodes
            ],
            dtype=np.int64,
        )
        roads = scenario.roads
        road_source = np.array([scenario.node_index(r.source) for r in roads], dtype=np.int64)
        road_target = np.array([scenario.node_index(r.target) for r in roads], dtype=np.int64)
        road_travel = np.array([scenario.travel_steps(r) for r in roads], dtype=np.int64)
        road_capacity = np.array([scenario.capacity_per_step(r) for r in roads], dtype=np.int64)
        road_limit = np.array(
            [min(scenario.road_unsafe_step(r), horizon) for r in roads], dtype=np.int64
        )
        order = np.argsort(road_source, kind="stable")
        out_start = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(road_source, minlength=n), out=out_start[1:])

        window_rows: list[tuple[int, int, int, int]] = []
        windows_at: list[list[int]] = [[] for _ in range(n)]
        for crossing in scenario.crossings:
            v = scenario.node_index(crossing.node)
            for window in crossing.windows:
                open_step, close_step = scenario.window_steps(window)
                windows_at[v].append(len(window_rows))
                window_rows.append((v, open_step, close_step, window.capacity))
        window_array = np.array(window_rows, dtype=np.int64).reshape(-1, 4)
        window_start = np.zeros(n + 1, dtype=np.int64)
        np.cumsum([len(w) for w in windows_at], out=window_start[1:])
        window_ids = np.array([w for at_node in windows_at for w in at_node], dtype=np.int64)
        return cls(
            scenario=scenario,
            horizon=horizon,
            node_limit=node_limit,
            shelter=shelter,
            road_source=road_source,
            road_target=road_target,
            road_travel=road_travel,
            road_capacity=road_capacity,
            road_limit=road_limit,
            out_start=out_start,
            out_roads=order.astype(np.int64),
            window_node=window_array[:, 0].copy(),
            window_open=window_array[:, 1].copy(),
            window_close=window_array[:, 2].copy(),
            window_capacity=window_array[:, 3].copy(),
            windows_at=tuple(tuple(w) for w in windows_at),
            window_start=window_start,
            window_ids=window_ids,
        )

    def steps_to(self, target: int) -> IntArray:
        """Fewest travel steps from every node to ``target``, ignoring capacity and time.

        A lower bound for guiding searches; computed once per target by Dijkstra on the
        reversed roads, leaving out roads that are unsafe from the start.
        """
        cached = self._steps_to.get(target)
        if cached is not None:
            return cached
        usable = self.road_limit > self.road_travel - 1
        order = np.argsort(self.road_target, kind="stable")
        incoming = order[usable[order]]
        starts = np.searchsorted(self.road_target[incoming], np.arange(len(self.node_limit) + 1))
        distance = _fewest_steps(
            target, starts.astype(np.int64), incoming, self.road_source, self.road_travel
        )
        self._steps_to[target] = distance
        return distance


@compiled
def _fewest_steps(
    target: int,
    in_start: IntArray,
    in_roads: IntArray,
    road_source: IntArray,
    road_travel: IntArray,
) -> IntArray:
    """Dijkstra from ``target`` over roads reversed: ``in_roads[in_start[v]:in_start[v+1]]``."""
    distance = np.full(len(in_start) - 1, UNREACHABLE, dtype=np.int64)
    distance[target] = 0
    heap = [(0, target)]
    while len(heap) > 0:
        d, v = heapq.heappop(heap)
        if d > distance[v]:
            continue
        for e in in_roads[in_start[v] : in_start[v + 1]]:
            u = road_source[e]
            candidate = d + road_travel[e]
            if candidate < distance[u]:
                distance[u] = candidate
                heapq.heappush(heap, (candidate, u))
    return distance


@dataclass
class Residuals:
    """Capacity still free: persons per road and step, per sheltered node and step, per window.

    Only nodes with a shelter limit get a row in ``shelter``; ``shelter_row[v]`` is -1 for the
    others, so unlimited nodes cost no memory.

    ``road_low[e]`` and ``shelter_low[row]`` are at most the least capacity free in their row,
    so that a search sees at a glance that a household fits on a road or in a shelter at every
    step, without reading the row (most roads are never full). They are derived here from the
    arrays; afterwards change the arrays only through ``routing.reserve`` and
    ``routing.release``, which keep them so.
    """

    road: IntArray  # (roads, horizon)
    shelter_row: IntArray
    shelter: IntArray  # (sheltered nodes, horizon)
    window: IntArray
    road_low: IntArray = field(init=False, repr=False)
    shelter_low: IntArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.road_low = self.road.min(axis=1, initial=UNREACHABLE)
        self.shelter_low = self.shelter.min(axis=1, initial=UNREACHABLE)

    @classmethod
    def full(cls, network: StepNetwork) -> Residuals:
        horizon = network.horizon
        road = np.repeat(network.road_capacity[:, None], horizon, axis=1)
        sheltered = np.flatnonzero(network.shelter >= 0)
        shelter_row = np.full(len(network.shelter), -1, dtype=np.int64)
        shelter_row[sheltered] = np.arange(len(sheltered))
        shelter = np.repeat(network.shelter[sheltered][:, None], horizon, axis=1)
        return cls(
            road=road,
            shelter_row=shelter_row,
            shelter=shelter,
            window=network.window_capacity.copy(),
        )
