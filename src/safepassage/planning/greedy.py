"""The ``ccrp`` pass: households one by one, each on its earliest free route.

Households are taken by priority and, among equals, by urgency (whose origin falls first), then
by readiness; each takes the earliest crossing still free given everyone planned before it.
Whoever cannot go keeps a reason a coordinator can act on. When re-planning, what a previous
plan set in motion goes first: it is already happening.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from safepassage.model import Household, HouseholdPlan, Plan, Scenario, Stop
from safepassage.planning.diagnosis import CutOffDiagnosis, cleared_crossings
from safepassage.planning.replanning import Commitments, InTransit
from safepassage.planning.routing import (
    Route,
    earliest_route,
    earliest_route_from,
    release,
    reserve,
)
from safepassage.planning.step_network import Residuals, StepNetwork

Progress = Callable[[int], None]
"""Told how many more households have been planned."""


def plan_greedy(
    scenario: Scenario,
    *,
    from_step: int = 0,
    progress: Progress | None = None,
    committed: Commitments | None = None,
) -> Plan:
    return greedy_pass(scenario, from_step=from_step, progress=progress, committed=committed).plan()


class GreedyPass:
    """The state a pass leaves: residual capacities and each household's reserved route.

    :mod:`.improve` carries on from it (rip-up and re-route), so it is kept, not just the plan.
    """

    def __init__(self, scenario: Scenario, network: StepNetwork, from_step: int) -> None:
        self.scenario = scenario
        self.network = network
        self.from_step = from_step
        self.residuals = Residuals.full(network)
        self.entries: dict[str, HouseholdPlan] = {}
        self.routes: dict[str, Route] = {}  # households placed by the pass (not committed ones)
        self.diagnose = CutOffDiagnosis(
            scenario, network, from_step=from_step, lost_to="of higher priority or more urgency"
        )

    def ready(self, household: Household) -> int:
        return max(self.scenario.ready_step(household), self.from_step)

    def route(self, household: Household) -> Route | None:
        return earliest_route(
            self.network,
            self.residuals,
            origin=self.scenario.node_index(household.origin),
            size=household.size,
            ready=self.ready(household),
            crossings=cleared_crossings(self.scenario, household),
        )

    def place(self, household: Household, route: Route) -> None:
        reserve(self.network, self.residuals, route, household.size)
        self.routes[household.id] = route
        self.entries[household.id] = _household_plan(self.scenario, household.id, route)

    def remove(self, household: Household) -> Route:
        route = self.routes.pop(household.id)
        release(self.network, self.residuals, route, household.size)
        self.entries[household.id] = HouseholdPlan(household.id, None, ())
        return route

    def plan(self) -> Plan:
        scenario = self.scenario
        ordered = tuple(
            entry
            if entry.evacuated or entry.reason
            else HouseholdPlan(
                entry.household, None, (), self.diagnose(scenario.household_by_id[entry.household])
            )
            for entry in (self.entries[h.id] for h in scenario.households)
        )
        objective = sum(scenario.household_by_id[e.household].value for e in ordered if e.evacuated)
        return Plan(scenario.name, "ccrp", objective, None, ordered)


def greedy_pass(
    scenario: Scenario,
    *,
    from_step: int = 0,
    progress: Progress | None = None,
    committed: Commitments | None = None,
) -> GreedyPass:
    network = StepNetwork.compile(scenario)
    state = GreedyPass(scenario, network, from_step)
    if committed is not None:
        state.entries.update(_keep_commitments(scenario, network, state.residuals, committed))
        if progress is not None:
            progress(len(state.entries))
    failures = _Failures()
    waiting = [h for h in scenario.households if h.id not in state.entries]
    for household in sorted(waiting, key=lambda h: pass_order(scenario, network, h)):
        origin = scenario.node_index(household.origin)
        ready = state.ready(household)
        allowed = cleared_crossings(scenario, household)
        route = None
        if not failures.known_to_fail(origin, allowed, ready, household.size):
            route = state.route(household)
        if route is None:
            failures.add(origin, allowed, ready, household.size)
            state.entries[household.id] = HouseholdPlan(household.id, None, ())
        else:
            state.place(household, route)
        if progress is not None:
            progress(1)
    return state


def _keep_commitments(
    scenario: Scenario, network: StepNetwork, residuals: Residuals, committed: Commitments
) -> dict[str, HouseholdPlan]:
    """Reserve what households already across took; route those on their way onward."""
    entries: dict[str, HouseholdPlan] = {}
    index = scenario.node_index
    road_of = {
        (int(u), int(w)): e
        for e, (u, w) in enumerate(zip(network.road_source, network.road_target, strict=True))
    }
    for entry in committed.crossed:
        stops = tuple((index(s.node), s.arrive_step, s.depart_step or 0) for s in entry.itinerary)
        moves = tuple((road_of[(a[0], b[0])], a[2]) for a, b in itertools.pairwise(stops))
        reserve(
            network, residuals, Route(stops, moves), scenario.household_by_id[entry.household].size
        )
        entries[entry.household] = entry
    by_id = scenario.household_by_id
    for moving in sorted(
        committed.in_transit, key=lambda t: pass_order(scenario, network, by_id[t.household])
    ):
        household = by_id[moving.household]
        route = earliest_route_from(
            network,
            residuals,
            start=index(moving.node),
            arrive=moving.arrive,
            not_before=moving.not_before,
            size=household.size,
            crossings=cleared_crossings(scenario, household),
            origin=index(household.origin),
        )
        if route is None:
            entries[household.id] = HouseholdPlan(
                household.id, None, (), _stranded(scenario, moving)
            )
            continue
        reserve(network, residuals, route, household.size)
        onward = _household_plan(scenario, household.id, route)
        entries[household.id] = HouseholdPlan(
            household.id, onward.crossing, (*moving.behind, *onward.itinerary)
        )
    return entries


def _stranded(scenario: Scenario, moving: InTransit) -> str:
    place = scenario.node_by_id[moving.node].name
    return (
        f"stranded: on its way, at {place} from {scenario.grid.describe(moving.arrive)}, and no "
        "safe road from there reaches a cleared crossing while it is open; its earlier moves "
        "are not in this plan, which can only list households that cross or stay home"
    )


def pass_order(
    scenario: Scenario, network: StepNetwork, household: Household
) -> tuple[float, int, int, int, str]:
    """Priority first, then whose origin falls first, then who is ready first, larger first."""
    urgency = int(network.node_limit[scenario.node_index(household.origin)])
    return (
        -household.priority,
        urgency,
        scenario.ready_step(household),
        -household.size,
        household.id,
    )


def _household_plan(scenario: Scenario, household_id: str, route: Route) -> HouseholdPlan:
    ids = scenario.node_ids
    stops = tuple(Stop(ids[v], arrive, depart) for v, arrive, depart in route.stops)
    return HouseholdPlan(household_id, ids[route.crossing_node], stops)


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
