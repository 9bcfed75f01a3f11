"""Earliest crossing for one household over the time-expanded network, given what is free.

This is the inner step of CCRP (Lu, George & Shekhar 2005) made exact for whole households,
shelters and a moving front line. A label is a household present at a node from its arrival
until the first step it could no longer stay there (the node falls, its shelter is full, the
horizon ends): a *run*. Any later arrival within the same run is dominated, because staying is
always possible inside a run, so each (node, run) keeps only its earliest label. Without
shelter limits a node has a single run and the search is Dijkstra on arrival steps.

A metropolitan plan runs this search a hundred thousand times over routes of a hundred roads,
so the search and the bookkeeping of reservations are compiled (:func:`_search`,
:func:`_take`); the functions here translate between them and the planners' tuples.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Collection
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from safepassage.planning.step_network import (
    UNREACHABLE,
    IntArray,
    Residuals,
    StepNetwork,
    compiled,
)


@dataclass(frozen=True)
class Route:
    """Stops as ``(node, arrive_step, depart_step)``; the last stop's depart is the crossing.

    ``counted_from`` is the step from which the first stop counts against its node's shelter:
    ``None`` for a household leaving its own origin, which shelter does not count; for a
    household re-planned where it already is, the steps before were held by the caller.
    """

    stops: tuple[tuple[int, int, int], ...]
    moves: tuple[tuple[int, int], ...]  # (road, depart_step)
    counted_from: int | None = None

    @property
    def crossing_node(self) -> int:
        return self.stops[-1][0]

    @property
    def crossing_step(self) -> int:
        return self.stops[-1][2]


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
    crossing first among equals, then in the order they were found. Windows usually open long
    after people could arrive, so plain arrival order would explore the whole region before
    the window opens; the bound goes straight for the crossing and stops once no label can beat
    the best crossing found.
    """
    found = _run_search(network, residuals, origin, ready, True, size, crossings)
    return None if found is None else _route_of(found, None)


def earliest_route_from(
    network: StepNetwork,
    residuals: Residuals,
    *,
    start: int,
    arrive: int,
    not_before: int,
    size: int,
    crossings: Collection[int],
    origin: int,
) -> Route | None:
    """Like :func:`earliest_route` for a household already at ``start`` since ``arrive``.

    For re-planning part-way through an operation: the caller holds ``start``'s shelter for
    the steps ``arrive..not_before-1``; from ``not_before`` on, the household counts there like
    anywhere else (it needs room at ``not_before`` itself, since it is still there), and it
    leaves no earlier. ``origin`` changes nothing: a household that has left home counts
    against its origin's shelter like anywhere else, so it may pass back through it. The
    route's first stop is ``(start, arrive, depart)`` and its ``counted_from`` is
    ``not_before``, so that :func:`reserve` takes exactly the rest.
    """
    if not_before < arrive:
        raise ValueError("a household cannot leave a node before it arrives there")
    found = _run_search(network, residuals, start, not_before, False, size, crossings)
    if found is None:
        return None
    found[0][0, 1] = arrive
    return _route_of(found, not_before)


def reserve(network: StepNetwork, residuals: Residuals, route: Route, size: int) -> None:
    """Take the route's road, shelter and window places for a household of ``size``."""
    _add(network, residuals, route, -size)


def release(network: StepNetwork, residuals: Residuals, route: Route, size: int) -> None:
    """Give back what :func:`reserve` took for the same route and size (rip-up and re-route)."""
    _add(network, residuals, route, size)


def _add(network: StepNetwork, residuals: Residuals, route: Route, change: int) -> None:
    _take(
        _workspace(network).network,
        _free(residuals),
        _rows(route.stops, 3),
        _rows(route.moves, 2),
        -1 if route.counted_from is None else route.counted_from,
        change,
    )


def _rows(tuples: tuple[tuple[int, ...], ...], width: int) -> IntArray:
    flat = itertools.chain.from_iterable(tuples)
    return np.fromiter(flat, dtype=np.int64, count=width * len(tuples)).reshape(-1, width)


def _route_of(rows: tuple[IntArray, IntArray], counted_from: int | None) -> Route:
    node, arrive, depart = rows[0].T.tolist()
    road, leave = rows[1].T.tolist()
    return Route(
        tuple(zip(node, arrive, depart, strict=True)),
        tuple(zip(road, leave, strict=True)),
        counted_from,
    )


# Columns of a label: a household at NODE from ARRIVE until its run there ENDs, having come from
# label PARENT (-1 at the start) by ROAD, leaving it at DEPART, NEAR steps from the nearest
# crossing.
NODE, ARRIVE, END, PARENT, ROAD, DEPART, NEAR = range(7)
_FIELDS = 7


class _Network(NamedTuple):
    """What the compiled code reads of a network, with the static steps to its crossings."""

    horizon: int
    node_limit: IntArray
    shelter: IntArray
    road_target: IntArray
    road_travel: IntArray
    road_capacity: IntArray
    road_limit: IntArray
    out_start: IntArray
    out_roads: IntArray
    window_open: IntArray
    window_close: IntArray
    window_start: IntArray
    window_ids: IntArray
    crossing_row: IntArray  # row of each node with windows in crossing_steps, -1 elsewhere
    crossing_steps: IntArray  # (nodes with windows, nodes): steps_to of each


class _Free(NamedTuple):
    """The residual capacities, as the compiled code takes them."""

    road: IntArray
    road_low: IntArray
    shelter_row: IntArray
    shelter: IntArray
    shelter_low: IntArray
    window: IntArray


def _free(residuals: Residuals) -> _Free:
    return _Free(
        residuals.road,
        residuals.road_low,
        residuals.shelter_row,
        residuals.shelter,
        residuals.shelter_low,
        residuals.window,
    )


class _Workspace:
    """A network's arrays for the compiled code, and the buffers its searches reuse.

    ``run_label`` holds, per run, the label that reached it earliest (-1: none). A node
    without shelter has a single run, in slot ``node``; the runs of a sheltered node are told
    apart by the step they end, in slot ``nodes + shelter_row * (horizon + 1) + end``. Every
    search frees the slots it took before returning, so a search costs what it touches, not
    the size of the network. ``labels`` is kept for the next search, and doubled when a search
    runs out of room.
    """

    def __init__(self, network: StepNetwork) -> None:
        n = len(network.node_limit)
        with_windows = np.unique(network.window_node)
        crossing_row = np.full(n, -1, dtype=np.int64)
        crossing_row[with_windows] = np.arange(len(with_windows))
        crossing_steps = np.array(
            [network.steps_to(int(v)) for v in with_windows], dtype=np.int64
        ).reshape(len(with_windows), n)
        self.network = _Network(
            horizon=network.horizon,
            node_limit=network.node_limit,
            shelter=network.shelter,
            road_target=network.road_target,
            road_travel=network.road_travel,
            road_capacity=network.road_capacity,
            road_limit=network.road_limit,
            out_start=network.out_start,
            out_roads=network.out_roads,
            window_open=network.window_open,
            window_close=network.window_close,
            window_start=network.window_start,
            window_ids=network.window_ids,
            crossing_row=crossing_row,
            crossing_steps=crossing_steps,
        )
        sheltered = int(np.count_nonzero(network.shelter >= 0))
        self.run_label = np.full(n + sheltered * (network.horizon + 1), -1, dtype=np.int64)
        degree = int(np.diff(network.out_start).max(initial=0))
        self.labels = np.empty((max(1024, 2 * degree * network.horizon), _FIELDS), dtype=np.int64)


_WORKSPACES: weakref.WeakKeyDictionary[StepNetwork, _Workspace] = weakref.WeakKeyDictionary()
"""One workspace per live network; a network is searched by one thread at a time."""


def _workspace(network: StepNetwork) -> _Workspace:
    workspace = _WORKSPACES.get(network)
    if workspace is None:
        workspace = _WORKSPACES[network] = _Workspace(network)
    return workspace


def _run_search(
    network: StepNetwork,
    residuals: Residuals,
    start: int,
    not_before: int,
    at_home: bool,
    size: int,
    crossings: Collection[int],
) -> tuple[IntArray, IntArray] | None:
    workspace = _workspace(network)
    free = _free(residuals)
    allowed = np.fromiter(crossings, dtype=np.int64, count=len(crossings))
    while True:
        stops, moves, complete = _search(
            workspace.network,
            free,
            start,
            not_before,
            at_home,
            size,
            allowed,
            workspace.run_label,
            workspace.labels,
        )
        if complete:
            break
        workspace.labels = np.empty((2 * len(workspace.labels), _FIELDS), dtype=np.int64)
    if len(stops) == 0:
        return None
    return stops, moves


@compiled
def _search(
    net: _Network,
    free: _Free,
    start: int,
    not_before: int,
    at_home: bool,
    size: int,
    crossings: IntArray,
    run_label: IntArray,
    labels: IntArray,
) -> tuple[IntArray, IntArray, bool]:
    """The earliest route from ``start``, leaving no earlier than ``not_before``.

    Returns its stops and moves as rows (none when there is no route), or ``complete`` false
    when ``labels`` might not hold what one more expansion adds: the caller grows it and
    searches again. ``at_home``: the household is at its origin, where shelter does not
    count (its run lasts until the origin falls) and to which it never returns (waiting at
    home is never worse than coming back).

    The helpers are closures over the arrays: numba inlines them without the reference
    counting that a call with array arguments costs, which would dominate the inner loop.
    """
    no_stops = np.empty((0, 3), dtype=np.int64)
    no_moves = np.empty((0, 2), dtype=np.int64)
    horizon, node_limit, shelter_cap = net.horizon, net.node_limit, net.shelter
    road_target, road_travel, road_capacity = net.road_target, net.road_travel, net.road_capacity
    road_limit, out_start, out_roads = net.road_limit, net.out_start, net.out_roads
    road_free, road_low = free.road, free.road_low
    shelter_row, shelter_free, shelter_low = free.shelter_row, free.shelter, free.shelter_low
    window_open, window_close = net.window_open, net.window_close
    window_start, window_ids, window_free = net.window_start, net.window_ids, free.window
    crossing_steps = net.crossing_steps
    if not_before >= node_limit[start]:
        return no_stops, no_moves, True
    rows, first, opens, closes = _targets(net, free, crossings, not_before, size)
    if len(rows) == 0:
        return no_stops, no_moves, True

    def slot(node: int, end: int) -> int:
        """Where ``run_label`` keeps the run at ``node`` that ends at ``end`` (see _Workspace)."""
        row: int = shelter_row[node]
        if row < 0:
            return node
        return len(node_limit) + row * (horizon + 1) + end

    def run_end(node: int, begin: int) -> int:
        """First step from ``begin`` on at which the household could not stay at ``node``."""
        limit: int = node_limit[node]
        row = shelter_row[node]
        if row >= 0 and shelter_low[row] < size:
            for step in range(begin, limit):
                if shelter_free[row, step] < size:
                    return step
        return limit

    def first_departure(road: int, target: int, travel: int, begin: int, last: int) -> int:
        """First step in ``begin..last`` with room on the road and at the target on arrival."""
        row = shelter_row[target]
        road_room = road_low[road] >= size
        shelter_room = row < 0 or shelter_low[row] >= size
        if road_room and shelter_room:
            return begin
        for step in range(begin, last + 1):
            if (road_room or road_free[road, step] >= size) and (
                shelter_room or shelter_free[row, step + travel] >= size
            ):
                return step
        return -1

    def bound(node: int, arrive: int) -> tuple[int, int]:
        """Lower bound on the crossing step from ``node`` at ``arrive``; nearest distance.

        No label can cross before it reaches a crossing (static travel, no queues) nor before
        a window with room opens there; ``UNREACHABLE`` when no window can still be met.
        """
        best = near = UNREACHABLE
        for t in range(len(rows)):
            distance = crossing_steps[rows[t], node]
            if distance >= UNREACHABLE:
                continue
            near = min(near, distance)
            reach = arrive + distance
            for j in range(first[t], first[t + 1]):
                if closes[j] > reach:
                    best = min(best, max(opens[j], reach))
                    break
        return best, near

    def earliest_crossing(node: int, arrive: int, end: int) -> int:
        """Earliest step in ``arrive..end-1`` at which every window open then has room; -1.

        A step inside several overlapping windows counts against each of them (the verifier's
        stricter reading), so all of them must have room.
        """
        best = -1
        for i in range(window_start[node], window_start[node + 1]):
            w = window_ids[i]
            if window_free[w] < size:
                continue
            stop = min(end, window_close[w])
            if best >= 0:
                stop = min(stop, best)
            for step in range(max(arrive, window_open[w]), stop):
                room = True
                for j in range(window_start[node], window_start[node + 1]):
                    other = window_ids[j]
                    opened = window_open[other] <= step < window_close[other]
                    if opened and window_free[other] < size:
                        room = False
                        break
                if room:
                    best = step
                    break
        return best

    # The queue is a set of lists: list b < horizon holds the labels whose bound is b, until
    # their turn comes; list horizon + d those of the bound being expanded that are d steps
    # from the nearest crossing. A label's bound is never below its parent's (static steps obey
    # the triangle inequality and a later reach never meets an earlier window), so taking the
    # lists in order, each first in first out, expands labels in exactly the (bound, near, age)
    # order of a priority queue, at O(1) a label. ``link[label]`` is the next label in its list
    # (-1: none); the heads of the lists sit past the labels, at ``link[heads + list]``;
    # ``tail[list]`` is the list's last label or, while it is empty, its head, so that
    # appending writes the same arrays either way (numba then needs no reference counting).
    heads = len(labels)
    link = np.empty(heads + 2 * horizon, dtype=np.int64)
    tail = np.empty(2 * horizon, dtype=np.int64)
    for i in range(2 * horizon):
        link[heads + i] = -1
        tail[i] = heads + i

    def append(queue: int, label: int) -> None:
        link[tail[queue]] = label
        tail[queue] = label
        link[label] = -1

    def take(queue: int) -> int:
        """Remove and return the first label of a list that is not empty."""
        label: int = link[heads + queue]
        link[heads + queue] = link[label]
        if link[label] < 0:
            tail[queue] = heads + queue
        return label

    if at_home:
        end, home = node_limit[start], start
    else:
        end, home = run_end(start, not_before), -1
        if end == not_before:
            return no_stops, no_moves, True
    start_bound, start_near = bound(start, not_before)
    if start_bound >= horizon:
        return no_stops, no_moves, True
    labels[0, NODE], labels[0, ARRIVE], labels[0, END] = start, not_before, end
    labels[0, PARENT], labels[0, ROAD], labels[0, DEPART], labels[0, NEAR] = -1, -1, -1, start_near
    run_label[slot(start, end)] = 0
    append(horizon + start_near, 0)
    count = 1
    complete = True
    best_step = horizon  # crossings at or after this are no improvement
    best = -1
    bound_now, near_now = start_bound, start_near
    while bound_now < best_step:
        while near_now < horizon and link[heads + horizon + near_now] < 0:
            near_now += 1
        if near_now == horizon:  # every label with this bound is expanded
            bound_now += 1
            while bound_now < best_step and link[heads + bound_now] < 0:
                bound_now += 1
            if bound_now == best_step:
                break
            label = link[heads + bound_now]
            while label >= 0:
                following = link[label]
                append(horizon + labels[label, NEAR], label)
                near_now = min(near_now, labels[label, NEAR])
                label = following
            continue
        label = take(horizon + near_now)
        v, arrive, end = labels[label, NODE], labels[label, ARRIVE], labels[label, END]
        if run_label[slot(v, end)] != label:
            continue
        # Each road adds at most a label per departure step: make sure all of them fit.
        if count + (out_start[v + 1] - out_start[v]) * horizon > len(labels):
            complete = False
            break
        for c in crossings:
            if c == v:  # the household may cross here
                step = earliest_crossing(v, arrive, end)
                if 0 <= step < best_step:
                    best_step, best = step, label
        for i in range(out_start[v], out_start[v + 1]):
            e = out_roads[i]
            w = road_target[e]
            # A road or shelter too small for the household can never take it.
            if w == home or road_capacity[e] < size or 0 <= shelter_cap[w] < size:
                continue
            travel = road_travel[e]
            last = min(
                end - 1,
                road_limit[e] - travel,
                node_limit[w] - 1 - travel,
                best_step - 1 - travel,
            )
            depart = arrive
            while depart <= last:
                found = first_departure(e, w, travel, depart, last)
                if found < 0:
                    break
                at = found + travel
                w_end = run_end(w, at + 1)
                w_slot = slot(w, w_end)
                incumbent = run_label[w_slot]
                if incumbent < 0 or labels[incumbent, ARRIVE] > at:
                    w_bound, w_near = bound(w, at)
                    if w_bound < best_step:
                        labels[count, NODE], labels[count, ARRIVE] = w, at
                        labels[count, END], labels[count, PARENT] = w_end, label
                        labels[count, ROAD], labels[count, DEPART] = e, found
                        labels[count, NEAR] = w_near
                        run_label[w_slot] = count
                        if w_bound <= bound_now:
                            append(horizon + w_near, count)
                            near_now = min(near_now, w_near)
                        else:
                            append(w_bound, count)
                        count += 1
                depart = w_end - travel
    for label in range(count):
        run_label[slot(labels[label, NODE], labels[label, END])] = -1
    if not complete or best < 0:
        return no_stops, no_moves, complete
    stops, moves = _route(labels, best, best_step)
    return stops, moves, True


@compiled
def _targets(
    net: _Network, free: _Free, crossings: IntArray, ready: int, size: int
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Per allowed crossing with a window that has room and closes after ``ready``: its row
    in ``crossing_steps``, and those windows as ``opens``/``closes`` sorted by opening, the
    crossing's own at ``first[t]:first[t + 1]``.
    """
    rows = np.empty(len(crossings), dtype=np.int64)
    first = np.zeros(len(crossings) + 1, dtype=np.int64)
    opens = np.empty(len(net.window_open), dtype=np.int64)
    closes = np.empty(len(net.window_open), dtype=np.int64)
    t = m = 0
    for c in crossings:
        begin = m
        for w in net.window_ids[net.window_start[c] : net.window_start[c + 1]]:
            if free.window[w] < size or net.window_close[w] <= ready:
                continue
            open_step, close_step = net.window_open[w], net.window_close[w]
            j = m  # insertion sort: a crossing has a handful of windows
            while j > begin and (opens[j - 1], closes[j - 1]) > (open_step, close_step):
                opens[j], closes[j] = opens[j - 1], closes[j - 1]
                j -= 1
            opens[j], closes[j] = open_step, close_step
            m += 1
        if m > begin:
            rows[t] = net.crossing_row[c]
            first[t + 1] = m
            t += 1
    return rows[:t], first[: t + 1], opens[:m], closes[:m]


@compiled
def _route(labels: IntArray, last: int, crossing_step: int) -> tuple[IntArray, IntArray]:
    """The stops and moves of the path to label ``last``, which crosses at ``crossing_step``."""
    count = 0
    label = last
    while label >= 0:
        count += 1
        label = labels[label, PARENT]
    stops = np.empty((count, 3), dtype=np.int64)
    moves = np.empty((count - 1, 2), dtype=np.int64)
    depart = crossing_step
    label = last
    for i in range(count - 1, -1, -1):
        stops[i, 0], stops[i, 1], stops[i, 2] = labels[label, NODE], labels[label, ARRIVE], depart
        if i > 0:
            moves[i - 1, 0], moves[i - 1, 1] = labels[label, ROAD], labels[label, DEPART]
        depart = labels[label, DEPART]
        label = labels[label, PARENT]
    return stops, moves


@compiled
def _take(
    net: _Network,
    free: _Free,
    stops: IntArray,
    moves: IntArray,
    counted_from: int,
    change: int,
) -> None:
    """Add ``change`` persons to what is free along a route (negative: reserve it).

    The first stop counts against its shelter from ``counted_from`` on (-1: not at all, the
    household's origin). Each row's low mark follows: lowered with a reservation, read afresh
    from the row after a release, so that it stays tight for the searches after a rip-up.
    """
    for i in range(len(moves)):
        road, depart = moves[i, 0], moves[i, 1]
        free.road[road, depart] += change
        if change < 0:
            free.road_low[road] = min(free.road_low[road], free.road[road, depart])
        else:
            free.road_low[road] = free.road[road].min()
    for i in range(len(stops)):
        node, arrive, depart = stops[i, 0], stops[i, 1], stops[i, 2]
        if i == 0:
            if counted_from < 0:
                continue
            arrive = counted_from
        row = free.shelter_row[node]
        if row < 0:
            continue
        for step in range(arrive, depart + 1):
            free.shelter[row, step] += change
            if change < 0:
                free.shelter_low[row] = min(free.shelter_low[row], free.shelter[row, step])
        if change > 0:
            free.shelter_low[row] = free.shelter[row].min()
    node, step = stops[-1, 0], stops[-1, 2]
    for w in net.window_ids[net.window_start[node] : net.window_start[node + 1]]:
        if net.window_open[w] <= step < net.window_close[w]:
            free.window[w] += change
