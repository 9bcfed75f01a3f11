"""Earliest crossing for one household over the time-expanded network, given what is free.

This is the inner step of CCRP (Lu, George & Shekhar 2005) made exact for whole households,
shelters and a moving front line. A label is a household present at a node from its arrival
until the first step it could no longer stay there (the node falls, its shelter is full, the
horizon ends): a *run*. Any later arrival within the same run is dominated, because staying is
always possible inside a run, so each (node, run) keeps only its earliest label. Without
shelter limits a node has a single run and the search is Dijkstra on arrival steps.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from safepassage.planning.step_network import Residuals, StepNetwork


@dataclass(frozen=True)
class Route:
    """Stops as ``(node, arrive_step, depart_step)``; the last stop's depart is the crossing."""

    stops: tuple[tuple[int, int, int], ...]
    moves: tuple[tuple[int, int], ...]  # (road, depart_step)

    @property
    def crossing_node(self) -> int:
        return self.stops[-1][0]

    @property
    def crossing_step(self) -> int:
        return self.stops[-1][2]


class _Label:
    __slots__ = ("arrive", "depart", "end", "node", "parent", "road")

    def __init__(
        self, node: int, arrive: int, end: int, parent: _Label | None, road: int, depart: int
    ) -> None:
        self.node = node
        self.arrive = arrive
        self.end = end
        self.parent = parent
        self.road = road
        self.depart = depart  # when the parent left for this node


def earliest_route(
    network: StepNetwork,
    residuals: Residuals,
    *,
    origin: int,
    size: int,
    ready: int,
    crossings: Collection[int],
) -> Route | None:
    """The route crossing earliest at one of ``crossings``, or ``None`` if none is free."""
    node_limit = network.node_limit
    if ready >= node_limit[origin] or not crossings:
        return None
    start = _Label(origin, ready, int(node_limit[origin]), None, -1, -1)
    best_in_run: dict[tuple[int, int], _Label] = {(origin, start.end): start}
    counter = itertools.count()
    heap: list[tuple[int, int, _Label]] = [(ready, next(counter), start)]
    best_step = network.horizon  # crossings at or after this are no improvement
    best_label: _Label | None = None
    out_start, out_roads = network.out_start, network.out_roads
    while heap:
        arrive, _, label = heapq.heappop(heap)
        if arrive >= best_step:
            break
        if best_in_run.get((label.node, label.end)) is not label:
            continue
        v = label.node
        if v in crossings:
            step = _earliest_crossing(network, residuals, v, arrive, label.end, size)
            if step is not None and step < best_step:
                best_step, best_label = step, label
        for e in out_roads[out_start[v] : out_start[v + 1]]:
            w = int(network.road_target[e])
            if w == origin:  # waiting at home is never worse than coming back
                continue
            travel = int(network.road_travel[e])
            last = min(
                label.end - 1,
                int(network.road_limit[e]) - travel,
                int(node_limit[w]) - 1 - travel,
                best_step - 1 - travel,
            )
            depart = arrive
            while depart <= last:
                found = _first_departure(residuals, int(e), w, travel, depart, last, size)
                if found is None:
                    break
                at = found + travel
                end = _run_end(network, residuals, w, at, size)
                incumbent = best_in_run.get((w, end))
                if incumbent is None or incumbent.arrive > at:
                    child = _Label(w, at, end, label, int(e), found)
                    best_in_run[(w, end)] = child
                    heapq.heappush(heap, (at, next(counter), child))
                depart = end - travel
    if best_label is None:
        return None
    return _route_from(best_label, best_step)


def reserve(network: StepNetwork, residuals: Residuals, route: Route, size: int) -> None:
    """Take the route's road, shelter and window places for a household of ``size``."""
    for road, depart in route.moves:
        residuals.road[road, depart] -= size
    for node, arrive, depart in route.stops[1:]:
        row = residuals.shelter_row[node]
        if row >= 0:
            residuals.shelter[row, arrive : depart + 1] -= size
    step = route.crossing_step
    for w in network.windows_at[route.crossing_node]:
        if network.window_open[w] <= step < network.window_close[w]:
            residuals.window[w] -= size


def _first_departure(
    residuals: Residuals, road: int, target: int, travel: int, first: int, last: int, size: int
) -> int | None:
    """First step in ``first..last`` with room on the road and at the target on arrival."""
    row = int(residuals.shelter_row[target])
    road_free = residuals.road[road]
    if road_free[first] >= size and (row < 0 or residuals.shelter[row, first + travel] >= size):
        return first
    ok = road_free[first : last + 1] >= size
    if row >= 0:
        ok &= residuals.shelter[row, first + travel : last + travel + 1] >= size
    hits = np.flatnonzero(ok)
    return first + int(hits[0]) if hits.size else None


def _run_end(network: StepNetwork, residuals: Residuals, node: int, at: int, size: int) -> int:
    """First step after ``at`` at which a household of ``size`` could not stay at ``node``."""
    limit = int(network.node_limit[node])
    row = int(residuals.shelter_row[node])
    if row < 0:
        return limit
    full = np.flatnonzero(residuals.shelter[row, at + 1 : limit] < size)
    return at + 1 + int(full[0]) if full.size else limit


def _earliest_crossing(
    network: StepNetwork, residuals: Residuals, node: int, arrive: int, end: int, size: int
) -> int | None:
    """Earliest step in ``arrive..end-1`` at which every window open then has room.

    A step inside several overlapping windows counts against each of them (the verifier's
    stricter reading), so all of them must have room.
    """
    windows = network.windows_at[node]
    best: int | None = None
    for w in windows:
        if residuals.window[w] < size:
            continue
        for step in range(
            max(arrive, int(network.window_open[w])), min(end, int(network.window_close[w]))
        ):
            if best is not None and step >= best:
                break
            if all(
                residuals.window[o] >= size
                for o in windows
                if network.window_open[o] <= step < network.window_close[o]
            ):
                best = step
                break
    return best


def _route_from(last: _Label, crossing_step: int) -> Route:
    stops: list[tuple[int, int, int]] = []
    moves: list[tuple[int, int]] = []
    depart = crossing_step
    label: _Label | None = last
    while label is not None:
        stops.append((label.node, label.arrive, depart))
        if label.parent is not None:
            moves.append((label.road, label.depart))
        depart = label.depart
        label = label.parent
    stops.reverse()
    moves.reverse()
    return Route(stops=tuple(stops), moves=tuple(moves))
