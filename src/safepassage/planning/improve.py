"""The ``fast`` planner: the ccrp pass, rip-up and re-route, then price-and-branch.

A single pass gives each household the earliest route still free, so a household planned early
may take the last places a more valuable one needed later (a family of eight in the seats two
families of five could have shared, a low-priority household on the only road out of a town
about to fall). After the pass, each household left behind although it could have gone alone
is tried again: the planned households that hold places on its route (of lower value, together
worth less than it) are lifted, it is routed, and they are put back wherever they still fit.
The swap is kept only if the plan is worth more; otherwise everything goes back as it was.

Up to ``COLUMN_HOUSEHOLDS`` households, the plan is then recombined by a MILP over the
itineraries the LP bound generates (:mod:`.price_and_branch`), kept only if worth more, and
rip-up runs again. Every stage only accepts improvements, so ``fast`` is never below ``ccrp``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from safepassage.model import Household, Plan, Scenario
from safepassage.planning.bound import lp_bound
from safepassage.planning.diagnosis import cleared_crossings
from safepassage.planning.greedy import GreedyPass, Progress, greedy_pass
from safepassage.planning.price_and_branch import improve_by_columns
from safepassage.planning.replanning import Commitments
from safepassage.planning.routing import Route, earliest_route
from safepassage.planning.step_network import Residuals

REPAIR_SHARE, MIN_REPAIR_SEARCHES = 0.2, 20_000
"""Work rip-up may do, as a share of the households (at least this much): fast stays fast.
Counted in route searches, and in thousands of routes scanned for the places a household
needs, not in seconds, so that the plan is the same at any load.

Most of what rip-up gains it gains early, on the most valuable households left behind."""

COLUMN_HOUSEHOLDS = 500
COLUMN_ROUNDS = 25
"""Up to this many households, the plan is then recombined from the itineraries the LP bound
generates (:mod:`.price_and_branch`), over at most this many rounds of pricing. On congested
grids of 1,000 households the MILP's root alone ran for minutes on a loaded machine, so
beyond this the pass with rip-up is what a fast plan can afford."""

ROUTES_PER_SEARCH = 1000
"""Routes scanned for holders that cost about as much as one route search."""

MOST_LIFTED = 12
"""Largest number of households lifted to fit one: the search stays local and quick."""


def plan_fast(
    scenario: Scenario,
    *,
    from_step: int = 0,
    progress: Progress | None = None,
    committed: Commitments | None = None,
    time_limit: float | None = None,
) -> Plan:
    """``time_limit``: seconds after which rip-up stops early, only if asked for: the plan
    then depends on the machine's speed and load."""
    began = time.perf_counter()
    state = greedy_pass(scenario, from_step=from_step, progress=progress, committed=committed)
    budget = SearchBudget(
        max(MIN_REPAIR_SEARCHES, int(REPAIR_SHARE * len(scenario.households))),
        None if time_limit is None else began + time_limit,
    )
    rip_up_and_reroute(state, budget)
    if committed is None and len(scenario.households) <= COLUMN_HOUSEHOLDS:
        objective = sum(scenario.household_by_id[h].value for h in state.routes)
        bound = lp_bound(
            scenario,
            state.network,
            from_step=from_step,
            objective=objective,
            max_rounds=COLUMN_ROUNDS,
            time_limit=None if time_limit is None else time_limit / 2,
            keep_itineraries=True,
        )
        if bound.value >= objective + 1e-6 * max(1.0, objective):
            remaining = None if time_limit is None else time_limit - (time.perf_counter() - began)
            if improve_by_columns(state, bound, time_limit=remaining):
                rip_up_and_reroute(state, budget)
    plan = state.plan()
    return Plan(plan.scenario, "fast", plan.objective, None, plan.households)


@dataclass
class SearchBudget:
    """Route searches left, and an optional wall-clock deadline (explicit option only)."""

    searches: int
    deadline: float | None = None

    def spend(self, searches: int) -> None:
        self.searches -= searches

    def exhausted(self) -> bool:
        if self.searches <= 0:
            return True
        return self.deadline is not None and time.perf_counter() > self.deadline


def rip_up_and_reroute(state: GreedyPass, budget: SearchBudget) -> None:
    scenario, network = state.scenario, state.network
    by_id = scenario.household_by_id
    untouched = Residuals.full(network)
    left = sorted(
        (
            h
            for h in scenario.households
            if not state.entries[h.id].evacuated and not state.entries[h.id].reason
        ),
        key=lambda h: (-h.value, h.id),
    )
    alone: dict[tuple[int, int, int, frozenset[int]], Route | None] = {}
    for household in left:
        if budget.exhausted():
            return
        budget.spend(1)
        route = _route_alone(state, untouched, household, alone)
        if route is None:
            continue
        budget.spend(len(state.routes) // ROUTES_PER_SEARCH)
        holders = _holders(state, route)
        lifted = sorted(
            (by_id[h] for h in holders if by_id[h].value < household.value),
            key=lambda h: (h.value, h.id),
        )[:MOST_LIFTED]
        if lifted:
            budget.spend(1 + len(lifted))
            _try_swap(state, household, lifted)


def _route_alone(
    state: GreedyPass,
    untouched: Residuals,
    household: Household,
    memo: dict[tuple[int, int, int, frozenset[int]], Route | None],
) -> Route | None:
    scenario = state.scenario
    allowed = cleared_crossings(scenario, household)
    key = (scenario.node_index(household.origin), state.ready(household), household.size, allowed)
    if key not in memo:
        memo[key] = earliest_route(
            state.network,
            untouched,
            origin=key[0],
            size=household.size,
            ready=key[1],
            crossings=allowed,
        )
    return memo[key]


def _holders(state: GreedyPass, wanted: Route) -> set[str]:
    """Households whose routes take places on ``wanted``: same road and step, same window,
    or at the same sheltered node at overlapping steps."""
    network = state.network
    roads = set(wanted.moves)
    windows = {
        w
        for w in network.windows_at[wanted.crossing_node]
        if network.window_open[w] <= wanted.crossing_step < network.window_close[w]
    }
    sheltered = defaultdict(list)
    for node, arrive, depart in wanted.stops[1:]:
        if network.shelter[node] >= 0:
            sheltered[node].append((arrive, depart))
    holders = set()
    for household_id, route in state.routes.items():
        if roads.intersection(route.moves):
            holders.add(household_id)
            continue
        if windows and any(
            network.window_open[w] <= route.crossing_step < network.window_close[w]
            for w in network.windows_at[route.crossing_node]
            if w in windows
        ):
            holders.add(household_id)
            continue
        for node, arrive, depart in route.stops[1:]:
            if any(a <= depart and arrive <= d for a, d in sheltered.get(node, ())):
                holders.add(household_id)
                break
    return holders


def _try_swap(state: GreedyPass, household: Household, lifted: list[Household]) -> bool:
    """Lift ``lifted``, place ``household``, put back what fits; keep it only if worth more."""
    before = {h.id: state.remove(h) for h in lifted}
    route = state.route(household)
    if route is None:
        for h in lifted:
            state.place(h, before[h.id])
        return False
    state.place(household, route)
    back = []
    for h in sorted(lifted, key=lambda h: (-h.value, h.id)):
        again = state.route(h)
        if again is not None:
            state.place(h, again)
            back.append(h)
    gain = household.value - sum(h.value for h in lifted if h not in back)
    if gain > 1e-9:
        return True
    for h in back:
        state.remove(h)
    state.remove(household)
    for h in lifted:
        state.place(h, before[h.id])
    return False
