"""The ``fast`` planner: households one by one, each on its earliest free route.

Households are taken by priority and, among equals, by urgency (whose origin falls first), then
by readiness; each takes the earliest crossing still free given everyone planned before it.
Whoever cannot go keeps a reason a coordinator can act on.
"""

from __future__ import annotations

from collections.abc import Callable

from safepassage.model import Household, HouseholdPlan, Plan, Scenario, Stop
from safepassage.planning.routing import Route, earliest_route, reserve
from safepassage.planning.step_network import Residuals, StepNetwork

Progress = Callable[[int], None]
"""Told how many more households have been planned."""


def plan_greedy(
    scenario: Scenario, *, from_step: int = 0, progress: Progress | None = None
) -> Plan:
    network = StepNetwork.compile(scenario)
    residuals = Residuals.full(network)
    diagnose = _Diagnosis(scenario, network, from_step)
    crossing_nodes = {c.node: scenario.node_index(c.node) for c in scenario.crossings if c.windows}
    entries: dict[str, HouseholdPlan] = {}
    failures = _Failures()
    for household in sorted(scenario.households, key=lambda h: _order(scenario, network, h)):
        origin = scenario.node_index(household.origin)
        ready = max(scenario.ready_step(household), from_step)
        allowed = frozenset(
            index
            for node_id, index in crossing_nodes.items()
            if household.is_cleared_for(scenario.crossing_by_node[node_id])
        )
        route = None
        if not failures.known_to_fail(origin, allowed, ready, household.size):
            route = earliest_route(
                network,
                residuals,
                origin=origin,
                size=household.size,
                ready=ready,
                crossings=allowed,
            )
        if route is None:
            failures.add(origin, allowed, ready, household.size)
            reason = diagnose(household, ready, allowed)
            entries[household.id] = HouseholdPlan(household.id, None, (), reason)
        else:
            reserve(network, residuals, route, household.size)
            entries[household.id] = _household_plan(scenario, household, route)
        if progress is not None:
            progress(1)
    ordered = tuple(entries[h.id] for h in scenario.households)
    objective = sum(scenario.household_by_id[e.household].value for e in ordered if e.evacuated)
    return Plan(scenario.name, "fast", objective, None, ordered)


def _order(
    scenario: Scenario, network: StepNetwork, household: Household
) -> tuple[float, int, int, int, str]:
    urgency = int(network.node_limit[scenario.node_index(household.origin)])
    return (
        -household.priority,
        urgency,
        scenario.ready_step(household),
        -household.size,
        household.id,
    )


def _household_plan(scenario: Scenario, household: Household, route: Route) -> HouseholdPlan:
    nodes = scenario.nodes
    stops = tuple(Stop(nodes[v].id, arrive, depart) for v, arrive, depart in route.stops)
    return HouseholdPlan(household.id, nodes[route.crossing_node].id, stops)


class _Failures:
    """Searches that found nothing, to skip the ones bound to find nothing too.

    Capacity only ever shrinks during a pass, so a household from the same origin with the same
    clearances, ready no earlier and no smaller than one that failed, must fail as well. In a
    congested region this spares a full search for most of those left behind.
    """

    def __init__(self) -> None:
        self.seen: dict[tuple[int, frozenset[int]], list[tuple[int, int]]] = {}

    def known_to_fail(self, origin: int, allowed: frozenset[int], ready: int, size: int) -> bool:
        return any(r <= ready and s <= size for r, s in self.seen.get((origin, allowed), ()))

    def add(self, origin: int, allowed: frozenset[int], ready: int, size: int) -> None:
        self.seen.setdefault((origin, allowed), []).append((ready, size))


class _Diagnosis:
    """Why a household is cut off, told in a sentence whose first words name the cause.

    Whether a household could get out with every place still free depends only on its origin,
    readiness, size and clearances, which many households share, so answers are remembered.
    """

    def __init__(self, scenario: Scenario, network: StepNetwork, from_step: int) -> None:
        self.scenario = scenario
        self.network = network
        self.from_step = from_step
        self.untouched = Residuals.full(network)
        self.alone: dict[tuple[int, int, int, frozenset[int]], bool] = {}

    def __call__(self, household: Household, ready: int, allowed: frozenset[int]) -> str:
        scenario, network = self.scenario, self.network
        grid = scenario.grid
        origin = scenario.node_index(household.origin)
        town = scenario.nodes[origin].name
        limit = int(network.node_limit[origin])
        if ready >= limit:
            if limit >= network.horizon:
                return f"too late: not ready to leave {town} before the plan's horizon"
            own_ready = scenario.ready_step(household)
            if limit > own_ready:
                when = f"planning starts at {grid.describe(self.from_step)}"
            elif own_ready > 0:
                when = "it was ready to leave"
            else:
                when = "the scenario starts"
            return f"town fell: {town} fell at {grid.describe(limit)}, before {when}"
        if not allowed:
            return "not cleared: not cleared for any crossing that opens"
        key = (origin, ready, household.size, allowed)
        if key not in self.alone:
            route = earliest_route(
                network,
                self.untouched,
                origin=origin,
                size=household.size,
                ready=ready,
                crossings=allowed,
            )
            self.alone[key] = route is not None
        if not self.alone[key]:
            return (
                f"no route: no safe road from {town} reaches a cleared crossing while it is "
                f"open and before {town} falls"
            )
        return (
            "capacity taken: roads, shelters or crossing places on its routes went to "
            "households of higher priority or more urgency"
        )
