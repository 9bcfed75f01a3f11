"""The ``exact`` solver: a MILP over whole households, for small scenarios.

Households with the same clearances, priority and size are interchangeable, so the MILP counts
them per commodity as integer flows over the time-expanded network; capacities weigh each
unit by its household size. An integral flow splits into unit paths, each a whole household's
itinerary, handed to the households of the group it started from.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safepassage.model import HouseholdPlan, Plan, Scenario, Stop
from safepassage.planning import time_expanded
from safepassage.planning.diagnosis import CutOffDiagnosis, cleared_crossings
from safepassage.planning.step_network import StepNetwork
from safepassage.planning.time_expanded import Arc


@dataclass(frozen=True)
class ExactOutcome:
    plan: Plan
    optimal: bool
    status: str
    gap: float | None


def plan_exact(scenario: Scenario, *, from_step: int = 0, time_limit: float = 60.0) -> ExactOutcome:
    network = StepNetwork.compile(scenario)
    groups: dict[tuple[frozenset[int], float, int], dict[tuple[int, int], list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for household in sorted(scenario.households, key=lambda h: h.id):
        allowed = cleared_crossings(scenario, household)
        if allowed:
            origin = scenario.node_index(household.origin)
            ready = max(scenario.ready_step(household), from_step)
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
            )
        )
    entries: dict[str, HouseholdPlan] = {}
    optimal, status, bound = True, "nobody can cross", 0.0
    gap: float | None = 0.0
    model = time_expanded.build(network, tuple(commodities), integer=True) if commodities else None
    if model is not None and model.columns:
        solution = time_expanded.solve(model, time_limit=time_limit)
        optimal, status, gap = solution.optimal, solution.status, solution.gap
        bound = solution.dual_bound
        for household_id, stops, crossing in _itineraries(
            scenario, network, model, solution, members
        ):
            entries[household_id] = HouseholdPlan(household_id, crossing, stops)
    diagnose = CutOffDiagnosis(
        scenario, network, from_step=from_step, lost_to="in a plan that brings out more"
    )
    ordered = tuple(
        entries.get(h.id) or HouseholdPlan(h.id, None, (), diagnose(h)) for h in scenario.households
    )
    by_id = scenario.household_by_id
    objective = sum(by_id[e.household].value for e in ordered if e.evacuated)
    plan = Plan(scenario.name, "exact", objective, max(bound, objective), ordered)
    return ExactOutcome(plan, optimal, status, gap)


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
