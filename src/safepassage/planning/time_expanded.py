"""The evacuation as a multi-commodity flow over the time-expanded network, solved by HiGHS.

One model serves two solvers. With continuous flows in persons, commodities grouped by
clearance and priority, it is the LP relaxation whose optimum is the proven upper bound every
plan carries. With integer flows in households, commodities grouped by clearance, priority and
household size, it is exact: households of one commodity are interchangeable, so an integral
flow decomposes into whole-household itineraries.

A node-step ``(v, t)`` exists for a commodity only if some of its households could be at ``v``
at ``t`` (after the earliest arrival from its origins) and still cross afterwards (before the
latest step from which one of its crossings can be met). Everything outside is dead weight for
the solver, and in practice it is most of the grid.

Presence at one's own origin does not count against its shelter (contract rule 6), so a
sheltered origin gets a *home* copy of its node per commodity: supply waits there and leaves on
the origin's roads, loading road capacity but not the shelter.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property

import highspy
import numpy as np
import numpy.typing as npt

from safepassage.planning.step_network import StepNetwork

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_NONE = -1
_LATEST_NONE = -(2**62)


@dataclass(frozen=True)
class ArcFilter:
    """Keeps only arcs an improving solution could use (reduced-cost fixing).

    ``reach``/``reach_home`` hold, per (node, step), the best profit per person of getting
    there less the best its origin could do; ``present``/``home`` the best profit from there
    on; all under the same Lagrangian prices. An arc whose best use loses more than ``slack``
    against the Lagrangian bound cannot be in any solution better than the incumbent.
    """

    reach: FloatArray
    reach_home: FloatArray
    present: FloatArray
    home: FloatArray
    road_price: FloatArray
    crossing: dict[int, FloatArray]  # crossing node -> profit of crossing there per step
    slack: float

    def _keep(self, value: FloatArray) -> npt.NDArray[np.bool_]:
        return value >= -self.slack - 1e-9

    def wait(self, node: IntArray, time: IntArray, *, home: bool) -> npt.NDArray[np.bool_]:
        if home:
            return self._keep(self.reach_home[node, time] + self.home[node, time + 1])
        return self._keep(self.reach[node, time] + self.present[node, time + 1])

    def road(
        self,
        road: IntArray,
        source: IntArray,
        target: IntArray,
        depart: IntArray,
        arrive: IntArray,
        *,
        home: bool,
    ) -> npt.NDArray[np.bool_]:
        before = (self.reach_home if home else self.reach)[source, depart]
        return self._keep(before - self.road_price[road, depart] + self.present[target, arrive])

    def cross(self, node: int, time: IntArray, *, home: bool) -> npt.NDArray[np.bool_]:
        before = (self.reach_home if home else self.reach)[node, time]
        return self._keep(before + self.crossing[node][time])


@dataclass(frozen=True)
class Commodity:
    """Interchangeable flow: same clearances, same value per unit, same persons per unit."""

    unit: int  # persons per unit of flow
    value: float  # objective per unit brought across
    crossings: frozenset[int]  # crossing nodes it may use (cleared, with windows)
    sources: tuple[tuple[int, int, int], ...]  # (origin node, ready step, units available)
    only_improving: ArcFilter | None = None


class Arc(IntEnum):
    WAIT = 0
    ROAD = 1
    CROSS = 2
    SUPPLY = 3


@dataclass(frozen=True)
class FlowModel:
    """The built model with what is needed to read a solution back as movements.

    Node-steps are numbered globally; ``step_home`` marks the home copies of sheltered
    origins. Each column (variable) is an arc from ``arc_tail`` to ``arc_head`` (-1: the
    outside, i.e. supply enters or people cross).
    """

    commodities: tuple[Commodity, ...]
    step_node: IntArray
    step_time: IntArray
    step_home: npt.NDArray[np.bool_]
    step_commodity: IntArray
    arc_kind: IntArray
    arc_commodity: IntArray
    arc_tail: IntArray
    arc_head: IntArray
    arc_road: IntArray
    arc_source: IntArray  # index into the commodity's sources, for SUPPLY arcs
    lp: highspy.HighsLp
    row_key: IntArray  # capacity key of each row, numbered as the bound's prices; -1: flow

    @property
    def columns(self) -> int:
        return len(self.arc_kind)

    @property
    def rows(self) -> int:
        return int(self.lp.num_row_)


@dataclass(frozen=True)
class FlowSolution:
    optimal: bool
    status: str
    objective: float
    dual_bound: float  # for a MILP, HiGHS' proven bound; for an LP, the optimum when optimal
    gap: float | None
    values: FloatArray
    row_duals: FloatArray | None = None  # an LP's, when solved to optimality


def build(network: StepNetwork, commodities: tuple[Commodity, ...], *, integer: bool) -> FlowModel:
    builder = _Builder(network)
    for index, commodity in enumerate(commodities):
        builder.add(index, commodity)
    return builder.finish(commodities, integer=integer)


MAX_NODES = 200_000
"""Branch-and-bound nodes after which a MILP stops with its incumbent and proven bound."""


def solve(
    model: FlowModel,
    *,
    time_limit: float | None = None,
    max_nodes: int = MAX_NODES,
    interior_point: bool = False,
) -> FlowSolution:
    """Solve with HiGHS, which is deterministic for a given model and options.

    Its thread pool is process-wide and set by the first solve. The MILP stops on a count of
    branch-and-bound nodes; a ``time_limit`` (seconds) only when asked for, since the result
    then depends on the machine's load.
    """
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    if time_limit is not None:
        highs.setOptionValue("time_limit", float(time_limit))
    highs.setOptionValue("mip_max_nodes", int(max_nodes))
    highs.setOptionValue("mip_rel_gap", 1e-7)
    if interior_point:
        highs.setOptionValue("solver", "ipm")
    highs.passModel(model.lp)
    highs.run()
    status = highs.getModelStatus()
    info = highs.getInfo()
    optimal = status == highspy.HighsModelStatus.kOptimal
    has_solution = info.primal_solution_status == 2  # feasible
    values = (
        np.asarray(highs.getSolution().col_value, dtype=np.float64)
        if has_solution
        else np.zeros(model.columns)
    )
    integer = model.lp.integrality_ is not None and len(model.lp.integrality_) > 0
    objective = float(info.objective_function_value) if has_solution else 0.0
    if integer:
        dual_bound = float(info.mip_dual_bound)
        gap = float(info.mip_gap) if has_solution else None
    else:
        dual_bound = objective if optimal else float("inf")
        gap = 0.0 if optimal else None
    duals = None
    if optimal and not integer:
        duals = np.asarray(highs.getSolution().row_dual, dtype=np.float64)
    return FlowSolution(
        row_duals=duals,
        optimal=optimal,
        status=highs.modelStatusToString(status),
        objective=objective,
        dual_bound=dual_bound,
        gap=gap,
        values=values,
    )


# -- reachability windows ------------------------------------------------------------------


def earliest_arrivals(network: StepNetwork, sources: dict[int, int]) -> IntArray:
    """Earliest step each node can be reached from ``sources`` (node -> first step there).

    Waiting is always allowed before a node falls, so the earliest arrival is the only one
    that matters (FIFO), and Dijkstra on arrival steps is exact.
    """
    n = len(network.node_limit)
    best = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    heap: list[tuple[int, int]] = []
    for node, step in sources.items():
        if step < network.node_limit[node] and step < best[node]:
            best[node] = step
            heapq.heappush(heap, (step, node))
    out_start, out_roads = network.out_start.tolist(), network.out_roads.tolist()
    target, travel = network.road_target.tolist(), network.road_travel.tolist()
    road_limit, node_limit = network.road_limit.tolist(), network.node_limit.tolist()
    settled = best.tolist()
    while heap:
        step, v = heapq.heappop(heap)
        if step > settled[v]:
            continue
        for e in out_roads[out_start[v] : out_start[v + 1]]:
            w, arrive = target[e], step + travel[e]
            if step <= road_limit[e] - travel[e] and arrive < min(node_limit[w], settled[w]):
                settled[w] = arrive
                heapq.heappush(heap, (arrive, w))
    return np.asarray(settled, dtype=np.int64)


def latest_departures(network: StepNetwork, crossings: frozenset[int]) -> IntArray:
    """Latest step at each node from which one of ``crossings`` can still be crossed."""
    n = len(network.node_limit)
    latest = [_LATEST_NONE] * n
    heap: list[tuple[int, int]] = []
    for c in crossings:
        limit = int(network.node_limit[c])
        for w in network.windows_at[c]:
            last = min(int(network.window_close[w]), limit) - 1
            if last >= network.window_open[w] and last > latest[c]:
                latest[c] = last
        if latest[c] > _LATEST_NONE:
            heapq.heappush(heap, (-latest[c], c))
    order = np.argsort(network.road_target, kind="stable")
    bounds = np.searchsorted(network.road_target[order], np.arange(n + 1)).tolist()
    incoming = order.tolist()
    source, travel = network.road_source.tolist(), network.road_travel.tolist()
    road_limit, node_limit = network.road_limit.tolist(), network.node_limit.tolist()
    while heap:
        negative, w = heapq.heappop(heap)
        if -negative < latest[w]:
            continue
        for e in incoming[bounds[w] : bounds[w + 1]]:
            u = source[e]
            depart = min(-negative - travel[e], road_limit[e] - travel[e], node_limit[u] - 1)
            if depart >= 0 and depart > latest[u]:
                latest[u] = depart
                heapq.heappush(heap, (-depart, u))
    return np.asarray(latest, dtype=np.int64)


def _ranges(starts: IntArray, counts: IntArray) -> IntArray:
    """Concatenated ``arange(s, s + c)`` for each pair, without a Python loop."""
    counts = np.maximum(counts, 0)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    group_start = np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + np.arange(total, dtype=np.int64) - group_start


class _Builder:
    """Collects node-steps and arcs commodity by commodity, then lays out the HiGHS model."""

    def __init__(self, network: StepNetwork) -> None:
        self.network = network
        self.sheltered = network.shelter >= 0
        self.step_parts: dict[str, list[IntArray]] = {key: [] for key in ("node", "time", "k")}
        self.step_home: list[npt.NDArray[np.bool_]] = []
        self.arc_parts: dict[str, list[IntArray]] = {
            key: [] for key in ("kind", "k", "tail", "head", "road", "source", "upper", "time")
        }
        self.cost_parts: list[FloatArray] = []
        self.steps = 0

    def add(self, k: int, commodity: Commodity) -> None:
        net = self.network
        first: dict[int, int] = {}
        for origin, ready, _units in commodity.sources:
            first[origin] = min(first.get(origin, ready), ready)
        earliest = earliest_arrivals(net, first)
        latest = latest_departures(net, commodity.crossings)
        grid = _CommodityGrid(earliest, latest, self.steps)
        self._new_steps(grid.step_nodes(), grid.step_times(), home=False, k=k)

        wait_node, wait_time = grid.waits()
        if commodity.only_improving is not None:
            keep = commodity.only_improving.wait(wait_node, wait_time, home=False)
            wait_node, wait_time = wait_node[keep], wait_time[keep]
        self._arcs(
            Arc.WAIT, k, grid.at(wait_node, wait_time), grid.at(wait_node, wait_time + 1), wait_time
        )

        u, w, travel = net.road_source, net.road_target, net.road_travel
        lo = np.maximum(earliest[u], earliest[w] - travel)
        hi = np.minimum(np.minimum(latest[u], latest[w] - travel), net.road_limit - travel)
        hi = np.where(grid.valid[u] & grid.valid[w], hi, lo - 1)
        roads = np.repeat(np.arange(len(u), dtype=np.int64), np.maximum(hi - lo + 1, 0))
        depart = _ranges(lo, hi - lo + 1)
        if commodity.only_improving is not None:
            keep = commodity.only_improving.road(
                roads, u[roads], w[roads], depart, depart + travel[roads], home=False
            )
            roads, depart = roads[keep], depart[keep]
        self._arcs(
            Arc.ROAD,
            k,
            grid.at(u[roads], depart),
            grid.at(w[roads], depart + travel[roads]),
            depart,
            road=roads,
        )

        for c in sorted(commodity.crossings):
            if grid.valid[c]:
                steps = self._window_steps(c, int(earliest[c]), int(latest[c]))
                if commodity.only_improving is not None:
                    steps = steps[commodity.only_improving.cross(c, steps, home=False)]
                self._cross(k, commodity, grid.at(np.full(len(steps), c), steps), steps)

        homes: dict[int, tuple[int, IntArray]] = {}
        for index, (origin, ready, units) in enumerate(commodity.sources):
            if ready > latest[origin]:
                continue  # nobody from here can still cross
            if self.sheltered[origin]:
                if origin not in homes:
                    homes[origin] = self._add_home(k, commodity, origin, first[origin], grid)
                home_first, home_ids = homes[origin]
                head = home_ids[ready - home_first : ready - home_first + 1]
            else:
                head = grid.at(np.array([origin]), np.array([ready]))
            self._arcs(
                Arc.SUPPLY,
                k,
                np.array([_NONE], dtype=np.int64),
                head,
                np.array([ready], dtype=np.int64),
                source=np.array([index], dtype=np.int64),
                upper=np.array([units], dtype=np.int64),
            )

    def _add_home(
        self, k: int, commodity: Commodity, origin: int, first: int, grid: _CommodityGrid
    ) -> tuple[int, IntArray]:
        """Home node-steps of a sheltered origin: wait, leave by its roads, or cross there."""
        net = self.network
        times = np.arange(first, int(grid.latest[origin]) + 1, dtype=np.int64)
        ids = self._new_steps(np.full(len(times), origin, dtype=np.int64), times, home=True, k=k)
        self._arcs(Arc.WAIT, k, ids[:-1], ids[1:], times[:-1])
        for e in net.out_roads[net.out_start[origin] : net.out_start[origin + 1]]:
            w, travel = int(net.road_target[e]), int(net.road_travel[e])
            arrive = times + travel
            keep = (
                (times <= net.road_limit[e] - travel)
                & (arrive >= grid.earliest[w])
                & (arrive <= grid.latest[w])
            )
            if commodity.only_improving is not None:
                keep[keep] = commodity.only_improving.road(
                    np.full(int(keep.sum()), int(e)),
                    np.full(int(keep.sum()), origin),
                    np.full(int(keep.sum()), w),
                    times[keep],
                    times[keep] + travel,
                    home=True,
                )
            departs = times[keep]
            self._arcs(
                Arc.ROAD,
                k,
                ids[departs - first],
                grid.at(np.full(len(departs), w, dtype=np.int64), departs + travel),
                departs,
                road=np.full(len(departs), int(e), dtype=np.int64),
            )
        if origin in commodity.crossings:
            steps = self._window_steps(origin, first, int(grid.latest[origin]))
            if commodity.only_improving is not None:
                steps = steps[commodity.only_improving.cross(origin, steps, home=True)]
            self._cross(k, commodity, ids[steps - first], steps)
        return first, ids

    def _window_steps(self, crossing: int, first: int, last: int) -> IntArray:
        net = self.network
        steps = np.arange(first, last + 1, dtype=np.int64)
        inside = np.zeros(len(steps), dtype=bool)
        for win in net.windows_at[crossing]:
            inside |= (steps >= net.window_open[win]) & (steps < net.window_close[win])
        return steps[inside]

    def _cross(self, k: int, commodity: Commodity, tail: IntArray, steps: IntArray) -> None:
        sink = np.full(len(steps), _NONE, dtype=np.int64)
        self._arcs(Arc.CROSS, k, tail, sink, steps, value=commodity.value)

    def _new_steps(self, node: IntArray, time: IntArray, *, home: bool, k: int) -> IntArray:
        ids = np.arange(self.steps, self.steps + len(node), dtype=np.int64)
        self.steps += len(node)
        self.step_parts["node"].append(node)
        self.step_parts["time"].append(time)
        self.step_home.append(np.full(len(node), home))
        self.step_parts["k"].append(np.full(len(node), k, dtype=np.int64))
        return ids

    def _arcs(
        self,
        kind: Arc,
        k: int,
        tail: IntArray,
        head: IntArray,
        time: IntArray,
        *,
        road: IntArray | None = None,
        source: IntArray | None = None,
        upper: IntArray | None = None,
        value: float = 0.0,
    ) -> None:
        count = len(tail)
        none = np.full(count, _NONE, dtype=np.int64)
        parts = self.arc_parts
        parts["kind"].append(np.full(count, int(kind), dtype=np.int64))
        parts["k"].append(np.full(count, k, dtype=np.int64))
        parts["tail"].append(np.asarray(tail, dtype=np.int64))
        parts["head"].append(np.asarray(head, dtype=np.int64))
        parts["time"].append(np.asarray(time, dtype=np.int64))
        parts["road"].append(none if road is None else road)
        parts["source"].append(none if source is None else source)
        parts["upper"].append(none if upper is None else upper)
        self.cost_parts.append(np.full(count, value))

    def finish(self, commodities: tuple[Commodity, ...], *, integer: bool) -> FlowModel:
        net = self.network
        horizon = net.horizon
        arcs = {key: _concat(parts) for key, parts in self.arc_parts.items()}
        step_node = _concat(self.step_parts["node"])
        step_home: npt.NDArray[np.bool_] = (
            np.concatenate(self.step_home) if self.step_home else np.zeros(0, dtype=bool)
        )
        columns = len(arcs["kind"])
        units = np.array([c.unit for c in commodities], dtype=np.float64)[arcs["k"]]

        rows: list[IntArray] = []
        cols: list[IntArray] = []
        vals: list[FloatArray] = []
        column = np.arange(columns, dtype=np.int64)
        # flow conservation at every node-step: in == out
        has_tail, has_head = arcs["tail"] >= 0, arcs["head"] >= 0
        rows += [arcs["tail"][has_tail], arcs["head"][has_head]]
        cols += [column[has_tail], column[has_head]]
        vals += [np.full(int(has_tail.sum()), -1.0), np.full(int(has_head.sum()), 1.0)]
        lower = [np.zeros(self.steps)]
        upper = [np.zeros(self.steps)]
        row_keys = [np.full(self.steps, -1, dtype=np.int64)]
        next_row = self.steps

        def capacity_rows(
            mask: npt.NDArray[np.bool_], key: IntArray, limit: FloatArray, first_key: int
        ) -> None:
            nonlocal next_row
            distinct, inverse = np.unique(key[mask], return_inverse=True)
            rows.append(next_row + inverse)
            cols.append(column[mask])
            vals.append(units[mask])
            lower.append(np.full(len(distinct), -np.inf))
            upper.append(limit[distinct])
            row_keys.append(first_key + distinct)
            next_row += len(distinct)

        is_road = arcs["kind"] == Arc.ROAD
        capacity_rows(
            is_road,
            arcs["road"] * horizon + arcs["time"],
            np.repeat(net.road_capacity.astype(np.float64), horizon),
            0,
        )
        tail = np.where(has_tail, arcs["tail"], 0)
        at_shelter = (
            has_tail
            & ~step_home[tail]
            & (net.shelter[step_node[tail]] >= 0)
            & (arcs["kind"] != Arc.SUPPLY)
        )
        capacity_rows(
            at_shelter,
            step_node[tail] * horizon + arcs["time"],
            np.repeat(net.shelter.astype(np.float64), horizon),
            len(net.road_source) * horizon,
        )
        is_cross = arcs["kind"] == Arc.CROSS
        for win in range(len(net.window_open)):
            inside = (
                is_cross
                & (step_node[tail] == net.window_node[win])
                & (arcs["time"] >= net.window_open[win])
                & (arcs["time"] < net.window_close[win])
            )
            capacity_rows(
                inside,
                np.zeros(columns, dtype=np.int64),
                np.array([float(net.window_capacity[win])]),
                (len(net.road_source) + len(net.node_limit)) * horizon + win,
            )

        row = np.concatenate(rows)
        col = np.concatenate(cols)
        val = np.concatenate(vals)
        order = np.argsort(col, kind="stable")
        lp = highspy.HighsLp()
        lp.num_col_ = columns
        lp.num_row_ = next_row
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.col_cost_ = _concat_float(self.cost_parts)
        lp.col_lower_ = np.zeros(columns)
        lp.col_upper_ = np.where(arcs["upper"] >= 0, arcs["upper"], np.inf).astype(np.float64)
        lp.row_lower_ = np.concatenate(lower)
        lp.row_upper_ = np.concatenate(upper)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.concatenate(
            [[0], np.cumsum(np.bincount(col, minlength=columns))]
        ).astype(np.int32)
        lp.a_matrix_.index_ = row[order].astype(np.int32)
        lp.a_matrix_.value_ = val[order]
        if integer:
            lp.integrality_ = [highspy.HighsVarType.kInteger] * columns
        return FlowModel(
            commodities=commodities,
            step_node=step_node,
            step_time=_concat(self.step_parts["time"]),
            step_home=step_home,
            step_commodity=_concat(self.step_parts["k"]),
            arc_kind=arcs["kind"],
            arc_commodity=arcs["k"],
            arc_tail=arcs["tail"],
            arc_head=arcs["head"],
            arc_road=arcs["road"],
            arc_source=arcs["source"],
            lp=lp,
            row_key=np.concatenate(row_keys),
        )


@dataclass(frozen=True)
class _CommodityGrid:
    """The node-steps one commodity can use: ``earliest[v]..latest[v]`` at each node."""

    earliest: IntArray
    latest: IntArray
    base: int

    @property
    def valid(self) -> npt.NDArray[np.bool_]:
        return self.earliest <= self.latest

    @property
    def length(self) -> IntArray:
        return np.where(self.valid, self.latest - self.earliest + 1, 0)

    @cached_property
    def offset(self) -> IntArray:
        length = self.length
        return self.base + np.cumsum(length) - length

    def at(self, node: IntArray, time: IntArray) -> IntArray:
        return self.offset[node] + time - self.earliest[node]

    def step_nodes(self) -> IntArray:
        return np.repeat(np.arange(len(self.earliest), dtype=np.int64), self.length)

    def step_times(self) -> IntArray:
        return _ranges(self.earliest, self.length)

    def waits(self) -> tuple[IntArray, IntArray]:
        length = self.length
        node = np.repeat(np.arange(len(length), dtype=np.int64), np.maximum(length - 1, 0))
        return node, _ranges(self.earliest, length - 1)


def _concat(
    parts: list[IntArray] | list[npt.NDArray[np.int64] | npt.NDArray[np.bool_]],
) -> IntArray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def _concat_float(parts: list[FloatArray]) -> FloatArray:
    return np.concatenate(parts) if parts else np.zeros(0)
