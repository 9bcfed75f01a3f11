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
import numpy.typing as npt

from safepassage.planning.step_network import UNREACHABLE, Residuals, StepNetwork


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
    """The route crossing earliest at one of ``crossings``, or ``None`` if none is free.

    Labels are expanded best-first by a lower bound on the step at which they could cross (the
    static travel time to each crossing, then its first window with room), closest to a
    crossing first among equals. Windows usually open long after people could arrive, so plain
    arrival order would explore the whole region before the window opens; the bound goes
    straight for the crossing and stops once no label can beat the best crossing found.
    """
    node_limit = network.node_limit
    if ready >= node_limit[origin]:
        return None
    targets = _open_targets(network, residuals, crossings, ready, size)
    if not targets:
        return None
    start = _Label(origin, ready, int(node_limit[origin]), None, -1, -1)
    start_bound, start_near = _bound(targets, origin, ready)
    if start_bound >= network.horizon:
        return None
    best_in_run: dict[tuple[int, int], _Label] = {(origin, start.end): start}
    counter = itertools.count()
    heap: list[tuple[int, int, int, _Label]] = [(start_bound, start_near, next(counter), start)]
    best_step = network.horizon  # crossings at or after this are no improvement
    best_label: _Label | None = None
    out_start, out_roads = network.out_start, network.out_roads
    while heap:
        bound, _near, _, label = heapq.heappop(heap)
        if bound >= best_step:
            break
        if best_in_run.get((label.node, label.end)) is not label:
            continue
        v, arrive = label.node, label.arrive
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
                    child_bound, child_near = _bound(targets, w, at)
                    if child_bound < best_step:
                        child = _Label(w, at, end, label, int(e), found)
                        best_in_run[(w, end)] = child
                        heapq.heappush(heap, (child_bound, child_near, next(counter), child))
                depart = end - travel
    if best_label is None:
        return None
    return _route_from(best_label, best_step)


_Target = tuple["npt.NDArray[np.int64]", tuple[tuple[int, int], ...]]


def _open_targets(
    network: StepNetwork, residuals: Residuals, crossings: Collection[int], ready: int, size: int
) -> list[_Target]:
    """Per allowed crossing: static steps to it from every node, and its windows with room."""
    targets: list[_Target] = []
    for node in crossings:
        windows = tuple(
            sorted(
                (int(network.window_open[w]), int(network.window_close[w]))
                for w in network.windows_at[node]
                if residuals.window[w] >= size and network.window_close[w] > ready
            )
        )
        if windows:
            targets.append((network.steps_to(node), windows))
    return targets


def _bound(targets: list[_Target], node: int, arrive: int) -> tuple[int, int]:
    """Lower bound on the crossing step from ``node`` at ``arrive``, and the nearest distance.

    No label can cross before it reaches a crossing (static travel, no queues) nor before a
    window with room opens there; ``UNREACHABLE`` when no window can still be met.
    """
    best, near = UNREACHABLE, UNREACHABLE
    for distances, windows in targets:
        distance = int(distances[node])
        if distance >= UNREACHABLE:
            continue
        near = min(near, distance)
        reach = arrive + distance
        for open_step, close_step in windows:
            if close_step > reach:
                best = min(best, max(open_step, reach))
                break
    return best, near


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
