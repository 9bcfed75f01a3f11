"""Price-and-branch: a whole-household MILP over the itineraries the bound generated.

Where roads and shelters bind, a pass that gives each household in turn its earliest free
route cannot see that a household leaving an hour later, or by a longer road, would leave room
for two more; rip-up and re-route only repairs one household at a time. The bound's column
generation has already found, for every origin, the itineraries that the LP optimum spreads
its flow over. A MILP choosing among them, for whole households, recombines them into a plan
(Pillac, Van Hentenryck and Even's conflict-based path generation works this way).

The MILP starts from the incumbent (its routes are columns too, and its solution is handed to
HiGHS), so what it returns is never worse; it stops on a count of branch-and-bound nodes, so
the plan does not depend on the machine's load. Households of one origin, ready step,
clearance, priority and size are interchangeable: the MILP counts them per group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import highspy
import numpy as np

from safepassage.model import Household
from safepassage.planning.bound import Bound, person_commodities, source_list
from safepassage.planning.diagnosis import cleared_crossings
from safepassage.planning.greedy import GreedyPass, pass_order
from safepassage.planning.routing import Route
from safepassage.planning.step_network import IntArray, StepNetwork

MILP_NODES = 500
"""Branch-and-bound nodes for the MILP: most of what it finds it finds at the root."""

CANDIDATES = 40
"""Generated itineraries a group of interchangeable households may choose among (besides
its own routes): without a cap the MILP grew to millions of non-zeros on 1,000 households."""

_GAP = 1e-4


def improve_by_columns(
    state: GreedyPass, bound: Bound, *, max_nodes: int = MILP_NODES, time_limit: float | None
) -> bool:
    """Replace the plan in ``state`` by the MILP's, if it is worth more; return whether it was.

    Households the MILP leaves out are then given their earliest free route in the pass's
    order, so the plan only gains from it.
    """
    scenario, network = state.scenario, state.network
    commodities = person_commodities(scenario, state.from_step)
    sources = source_list(commodities)
    pool: dict[tuple[tuple[int, ...], float, int], list[Route]] = defaultdict(list)
    seen: set[bytes] = set()
    decoder = _Decoder(network)
    for source, keys in bound.itineraries:
        signature = np.int64(source).tobytes() + keys.tobytes()
        if signature in seen:
            continue
        seen.add(signature)
        k, origin, _ready = sources[source]
        route = decoder.route(origin, keys)
        if route is not None:
            commodity = commodities[k]
            pool[(commodity.crossings, commodity.value, origin)].append(route)

    groups: dict[tuple[tuple[int, ...], float, int, int, int], list[Household]] = defaultdict(list)
    for household in scenario.households:
        allowed = tuple(sorted(cleared_crossings(scenario, household)))
        if not allowed or household.id not in state.entries:
            continue
        origin = scenario.node_index(household.origin)
        key = (allowed, household.priority, origin, state.ready(household), household.size)
        groups[key].append(household)
    if not groups:
        return False

    routes: list[Route] = []
    route_keys: list[IntArray] = []
    route_of: dict[bytes, int] = {}

    def column(route: Route) -> int:
        keys = _keys_of(network, route)
        signature = keys.tobytes() + np.int64(route.stops[0][0]).tobytes()
        if signature not in route_of:
            route_of[signature] = len(routes)
            routes.append(route)
            route_keys.append(keys)
        return route_of[signature]

    group_list = sorted(groups)
    variables: list[tuple[int, int]] = []  # (group, route)
    start: list[float] = []
    for g, key in enumerate(group_list):
        allowed, priority, origin, ready, _size = key
        members = groups[key]
        used: dict[int, int] = defaultdict(int)
        for household in members:
            held = state.routes.get(household.id)
            if held is not None:
                used[column(held)] += 1
        candidates = set(used)
        fitting = [r for r in pool.get((allowed, priority, origin), ()) if _departure(r) >= ready]
        # the soonest to leave and cross: a group has little use for itineraries leaving long
        # after it is ready, and each candidate is a column per group in the MILP
        fitting.sort(key=lambda r: (_departure(r), r.crossing_step, r.moves))
        for route in fitting[:CANDIDATES]:
            candidates.add(column(route))
        for r in sorted(candidates):
            variables.append((g, r))
            start.append(float(used.get(r, 0)))
    if not variables:
        return False

    chosen = _solve(
        network,
        [(key[1] * key[4], key[4], len(groups[key])) for key in group_list],
        variables,
        route_keys,
        np.array(start),
        max_nodes=max_nodes,
        time_limit=time_limit,
    )
    if chosen is None:
        return False
    incumbent = dict(state.routes)
    before = sum(scenario.household_by_id[h].value for h in incumbent)
    gained = sum(
        group_list[g][1] * group_list[g][4] * count
        for (g, _r), count in zip(variables, chosen.tolist(), strict=True)
    )
    if gained <= before + 1e-9:
        return False
    by_id = scenario.household_by_id
    for household_id in sorted(incumbent):
        state.remove(by_id[household_id])
    waiting: dict[int, list[Household]] = {
        g: sorted(groups[key], key=lambda h: h.id) for g, key in enumerate(group_list)
    }
    for (g, r), count in zip(variables, chosen.tolist(), strict=True):
        for _ in range(count):
            state.place(waiting[g].pop(0), routes[r])
    left = [h for members in waiting.values() for h in members]
    for household in sorted(left, key=lambda h: pass_order(scenario, network, h)):
        route = state.route(household)
        if route is not None:
            state.place(household, route)
    after = sum(by_id[h].value for h in state.routes)
    if after > before + 1e-9:
        return True
    for household_id in sorted(state.routes):
        state.remove(by_id[household_id])
    for household_id in sorted(incumbent):
        state.place(by_id[household_id], incumbent[household_id])
    return False


def _solve(
    network: StepNetwork,
    groups: list[tuple[float, int, int]],  # (value per household, size, households)
    variables: list[tuple[int, int]],
    route_keys: list[IntArray],
    start: np.ndarray,
    *,
    max_nodes: int,
    time_limit: float | None,
) -> IntArray | None:
    """The MILP's households per (group, route), or ``None`` if it found nothing feasible."""
    horizon = network.horizon
    capacity = np.concatenate(
        [
            np.repeat(network.road_capacity, horizon),
            np.repeat(np.maximum(network.shelter, 0), horizon),
            network.window_capacity,
        ]
    ).astype(np.float64)
    touched = np.unique(np.concatenate([route_keys[r] for _g, r in variables]))
    row_of = np.full(len(capacity), -1, dtype=np.int64)
    row_of[touched] = np.arange(len(groups), len(groups) + len(touched))
    index: list[IntArray] = []
    value: list[np.ndarray] = []
    starts = [0]
    for g, r in variables:
        size = groups[g][1]
        rows = np.concatenate([[g], row_of[route_keys[r]]])
        index.append(rows)
        value.append(np.concatenate([[1.0], np.full(len(route_keys[r]), float(size))]))
        starts.append(starts[-1] + len(rows))
    count = len(variables)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_max_nodes", int(max_nodes))
    highs.setOptionValue("mip_rel_gap", _GAP)
    if time_limit is not None:
        highs.setOptionValue("time_limit", float(time_limit))
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    row_upper = np.concatenate([[float(n) for _v, _s, n in groups], capacity[touched]])
    empty = np.zeros(0, dtype=np.int32)
    highs.addRows(len(row_upper), np.zeros(len(row_upper)), row_upper, 0, empty, empty, empty)
    flat_index = np.concatenate(index)
    highs.addCols(
        count,
        np.array([groups[g][0] for g, _r in variables]),
        np.zeros(count),
        np.array([float(groups[g][2]) for g, _r in variables]),
        len(flat_index),
        np.array(starts[:-1], dtype=np.int32),
        flat_index.astype(np.int32),
        np.concatenate(value),
    )
    highs.changeColsIntegrality(
        count,
        np.arange(count, dtype=np.int32),
        np.full(count, highspy.HighsVarType.kInteger),
    )
    solution = highspy.HighsSolution()
    solution.col_value = start.tolist()
    solution.value_valid = True
    highs.setSolution(solution)
    highs.run()
    if highs.getInfo().primal_solution_status != 2:  # no feasible solution
        return None
    values = np.asarray(highs.getSolution().col_value, dtype=np.float64)
    return np.rint(values).astype(np.int64)


def _departure(route: Route) -> int:
    return route.moves[0][1] if route.moves else route.crossing_step


def _keys_of(network: StepNetwork, route: Route) -> IntArray:
    """The capacity keys a route takes, numbered as the bound numbers them: road-steps, then
    sheltered node-steps (not at its origin), then windows open at its crossing step."""
    horizon = network.horizon
    parts = [np.array([road * horizon + depart for road, depart in route.moves], dtype=np.int64)]
    shelter_key = len(network.road_source) * horizon
    for node, arrive, depart in route.stops[1:]:
        if network.shelter[node] >= 0:
            parts.append(shelter_key + node * horizon + np.arange(arrive, depart + 1))
    window_key = shelter_key + len(network.node_limit) * horizon
    parts.append(np.array([window_key + w for w in _windows_open(network, route)], dtype=np.int64))
    return np.sort(np.concatenate(parts))


def _windows_open(network: StepNetwork, route: Route) -> Iterable[int]:
    step = route.crossing_step
    return (
        w
        for w in network.windows_at[route.crossing_node]
        if network.window_open[w] <= step < network.window_close[w]
    )


class _Decoder:
    """Reads generated itineraries back as routes; the network's arrays as lists, read once."""

    def __init__(self, network: StepNetwork) -> None:
        self.horizon = network.horizon
        self.shelter_key = len(network.road_source) * self.horizon
        self.window_key = self.shelter_key + len(network.node_limit) * self.horizon
        self.source = network.road_source.tolist()
        self.target = network.road_target.tolist()
        self.travel = network.road_travel.tolist()
        self.node_limit = network.node_limit.tolist()
        self.window_node = network.window_node.tolist()
        self.windows = [
            [(w, int(network.window_open[w]), int(network.window_close[w])) for w in at]
            for at in network.windows_at
        ]

    def route(self, origin: int, keys: IntArray) -> Route | None:
        """The itinerary a column of the bound stands for, crossing as early as its windows
        allow.

        A generated itinerary lists its road-steps in order and the windows it crosses in; the
        step it crosses at is not listed, so it crosses at the first step from its arrival at
        which exactly those windows are open, which takes no more than the itinerary did.
        """
        listed = keys.tolist()
        windows = sorted(k - self.window_key for k in listed if k >= self.window_key)
        if not windows:
            return None
        stops: list[tuple[int, int, int]] = []
        moves: list[tuple[int, int]] = []
        node, arrive = origin, -1
        for key in listed:
            if key >= self.shelter_key:
                continue
            road, depart = divmod(key, self.horizon)
            if self.source[road] != node:
                return None
            stops.append((node, depart if arrive < 0 else arrive, depart))
            moves.append((road, depart))
            node, arrive = self.target[road], depart + self.travel[road]
        if arrive < 0 or self.window_node[windows[0]] != node:
            return None  # the origin is a crossing (no step to start from), or a broken walk
        here = self.windows[node]
        limit = self.node_limit[node]
        # the windows open change only where one opens or closes
        changes = {b for _w, o, c in here for b in (o, c) if arrive < b < limit}
        for step in sorted({arrive, *changes}):
            if [w for w, o, c in here if o <= step < c] == windows:
                stops.append((node, arrive, step))
                return Route(tuple(stops), tuple(moves))
        return None
