"""The ``exact`` solver: a MILP over whole households, for small scenarios.

Households with the same clearances, priority and size are interchangeable, so the MILP counts
them per commodity as integer flows over the time-expanded network; capacities weigh each
unit by its household size. An integral flow splits into unit paths, each a whole household's
itinerary, handed to the households of the group it started from.

The MILP only has to find something *better* than the fast plan, which it starts from: the
Lagrangian prices that prove the LP bound also show, for every arc, how much using it costs
against that bound, and an arc costing more than the bound's lead over the fast plan can be
left out (reduced-cost fixing). When the bound's lead is under one unit of objective and all
values are whole numbers, the fast plan is already proven optimal and no MILP is solved.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safepassage.model import HouseholdPlan, Plan, Scenario, Stop
from safepassage.planning import time_expanded
from safepassage.planning.bound import (
    Bound,
    backward_sweep,
    check_bound,
    crossing_profit,
    forward_sweep,
    lp_bound,
    person_commodities,
)
from safepassage.planning.diagnosis import CutOffDiagnosis, cleared_crossings
from safepassage.planning.improve import plan_fast
from safepassage.planning.step_network import StepNetwork
from safepassage.planning.time_expanded import Arc, ArcFilter

_SMALLEST_GAIN = 1e-6
"""Least improvement worth searching for when household values are not whole numbers."""


@dataclass(frozen=True)
class ExactOutcome:
    plan: Plan
    optimal: bool
    status: str
    gap: float | None


def plan_exact(
    scenario: Scenario,
    *,
    from_step: int = 0,
    time_limit: float | None = None,
    max_nodes: int = time_expanded.MAX_NODES,
) -> ExactOutcome:
    """Stops on ``max_nodes`` branch-and-bound nodes; on ``time_limit`` seconds only if given."""
    began = time.perf_counter()
    network = StepNetwork.compile(scenario)
    start = plan_fast(scenario, from_step=from_step)
    bound = lp_bound(
        scenario, network, from_step=from_step, time_limit=time_limit, objective=start.objective
    )
    whole = all(float(h.value).is_integer() for h in scenario.households)
    gain = 1.0 if whole else _SMALLEST_GAIN
    best_plan, upper, status = start, bound.value, "bound reached"
    if bound.value >= start.objective + gain:
        remaining = (
            None if time_limit is None else max(1.0, time_limit - (time.perf_counter() - began))
        )
        slack = bound.value - (start.objective + gain)
        found = _improve(scenario, network, from_step, bound, slack, remaining, max_nodes)
        status = found.status
        if found.plan is not None and found.plan.objective > start.objective:
            best_plan = found.plan
        # every plan better than the start is in the restricted MILP: solved to the end, the
        # better of the two is optimal; stopped early, its bound still covers all of them
        if found.proven:
            upper = best_plan.objective
        else:
            upper = min(upper, max(start.objective, found.dual_bound * (1 + 1e-9) + 1e-6))
    objective = best_plan.objective
    if whole:
        upper = math.floor(upper)  # no plan can be worth a fraction more than a whole number
    check_bound(upper, objective, "exact")
    optimal = upper <= objective
    gap = 0.0 if optimal else (upper - objective) / max(1.0, abs(objective))
    diagnose = CutOffDiagnosis(
        scenario, network, from_step=from_step, lost_to="in a plan that brings out more"
    )
    entries = tuple(
        entry if entry.evacuated else HouseholdPlan(entry.household, None, (), diagnose(h))
        for h in scenario.households
        for entry in (best_plan.by_household[h.id],)
    )
    plan = Plan(scenario.name, "exact", objective, upper, entries)
    return ExactOutcome(plan, optimal, "optimal" if optimal else status, gap)


@dataclass(frozen=True)
class _Improvement:
    plan: Plan | None
    proven: bool  # the restricted MILP was solved to the end (or had nothing to search)
    dual_bound: float
    status: str


def _improve(
    scenario: Scenario,
    network: StepNetwork,
    from_step: int,
    bound: Bound,
    slack: float,
    time_limit: float | None,
    max_nodes: int = time_expanded.MAX_NODES,
) -> _Improvement:
    """Search for a plan better than the fast one, over the arcs that could carry it."""
    filters: dict[tuple[frozenset[int], float], ArcFilter] = {}
    if bound.prices is not None:
        for commodity in person_commodities(scenario, from_step):
            crossing = crossing_profit(network, commodity, bound.prices)
            present, home = backward_sweep(network, commodity, bound.prices, crossing)
            reach, reach_home = forward_sweep(network, commodity, bound.prices, home)
            filters[(frozenset(commodity.crossings), commodity.value)] = ArcFilter(
                reach=reach,
                reach_home=reach_home,
                present=present,
                home=home,
                road_price=bound.prices.road,
                crossing={c: crossing[i] for i, c in enumerate(commodity.crossings)},
                slack=slack,
            )
    groups: dict[tuple[frozenset[int], float, int], dict[tuple[int, int], list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for household in sorted(scenario.households, key=lambda h: h.id):
        allowed = cleared_crossings(scenario, household)
        ready = max(scenario.ready_step(household), from_step)
        if allowed and ready < network.horizon:
            origin = scenario.node_index(household.origin)
            groups[(allowed, household.priority, household.size)][(origin, ready)].append(
                household.id
            )
    keys = sorted(groups, key=lambda key: (sorted(key[0]), key[1], key[2]))
    members: list[list[list[str]]] = []
    commodities = []
    for allowed, priority, size in keys:
        sources = sorted(groups[(allowed, priority, size)].items())
        members.append([ids for _source, ids in sources])
        commodities.append(
            time_expanded.Commodity(
                unit=size,
                value=priority * size,
                crossings=allowed,
                sources=tuple((o, r, len(ids)) for (o, r), ids in sources),
                only_improving=filters.get((allowed, priority)),
            )
        )
    model = time_expanded.build(network, tuple(commodities), integer=True) if commodities else None
    if model is None or not model.columns:
        return _Improvement(None, True, 0.0, "nothing better can exist")
    solution = time_expanded.solve(model, time_limit=time_limit, max_nodes=max_nodes)
    if solution.status == "Infeasible":
        return _Improvement(None, True, 0.0, "nothing better can exist")
    plan = None
    if solution.values.any():
        entries = {
            household_id: HouseholdPlan(household_id, crossing, stops)
            for household_id, stops, crossing in _itineraries(
                scenario, network, model, solution, members
            )
        }
        ordered = tuple(
            entries.get(h.id) or HouseholdPlan(h.id, None, ()) for h in scenario.households
        )
        value = sum(scenario.household_by_id[e.household].value for e in ordered if e.evacuated)
        plan = Plan(scenario.name, "exact", value, None, ordered)
    return _Improvement(plan, solution.optimal, solution.dual_bound, solution.status)


def _itineraries(
    scenario: Scenario,
    network: StepNetwork,
    model: time_expanded.FlowModel,
    solution: time_expanded.FlowSolution,
    members: list[list[list[str]]],
) -> list[tuple[str, tuple[Stop, ...], str]]:
    """Split each commodity's integral flow into unit paths, one per household."""
    flow = np.rint(solution.values).astype(np.int64)
    used = np.flatnonzero(flow > 0)
    leaving: dict[int, list[int]] = defaultdict(list)
    for arc in used:
        if model.arc_tail[arc] >= 0:
            leaving[int(model.arc_tail[arc])].append(int(arc))
    result = []
    for arc in used:
        if model.arc_kind[arc] != Arc.SUPPLY:
            continue
        k, source = int(model.arc_commodity[arc]), int(model.arc_source[arc])
        waiting = members[k][source]
        for _ in range(int(flow[arc])):
            stops, crossing = _walk(
                scenario, network, model, flow, leaving, int(model.arc_head[arc])
            )
            result.append((waiting.pop(0), stops, crossing))
    return result


def _walk(
    scenario: Scenario,
    network: StepNetwork,
    model: time_expanded.FlowModel,
    flow: npt.NDArray[np.int64],
    leaving: dict[int, list[int]],
    start: int,
) -> tuple[tuple[Stop, ...], str]:
    """Follow one unit of flow from a node-step to a crossing, taking it off the arcs."""
    nodes = scenario.nodes
    here = start
    node, arrive = int(model.step_node[here]), int(model.step_time[here])
    stops: list[Stop] = []
    while True:
        arc = next(a for a in leaving[here] if flow[a] > 0)
        flow[arc] -= 1
        kind, depart = int(model.arc_kind[arc]), int(model.step_time[here])
        if kind == Arc.WAIT:
            here = int(model.arc_head[arc])
            continue
        stops.append(Stop(nodes[node].id, arrive, depart))
        if kind == Arc.CROSS:
            return tuple(stops), nodes[node].id
        here = int(model.arc_head[arc])
        node, arrive = int(model.step_node[here]), int(model.step_time[here])
        assert arrive == depart + int(network.road_travel[model.arc_road[arc]])
