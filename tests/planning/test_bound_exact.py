"""The proven bound and the exact solver: bound >= exact >= fast, and exact is optimal."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from conftest import at, build, crossing, full_lp_optimum
from safepassage.model import Household, HouseholdPlan, NodeKind, Plan, Scenario, Stop
from safepassage.planning import PlanParams, solve
from safepassage.planning.bound import (
    Prices,
    backward_sweep,
    crossing_profit,
    lp_bound,
    person_commodities,
)
from safepassage.planning.exact import _improve, plan_exact
from safepassage.planning.step_network import StepNetwork
from safepassage.synthetic.grid_network import grid_network
from safepassage.synthetic.network_scenario import network_scenario
from safepassage.synthetic.random_scenario import random_scenario
from safepassage.verifier import verify


def lagrangian(scenario: Scenario, prices: Prices) -> float:
    """The Lagrangian bound of any prices, from the sweeps alone: capacities times prices,
    plus every person's best profit (or nothing)."""
    network = StepNetwork.compile(scenario)
    value = float(
        (network.road_capacity[:, None] * prices.road).sum()
        + (np.maximum(network.shelter, 0)[:, None] * prices.shelter).sum()
        + (network.window_capacity * prices.window).sum()
    )
    for commodity in person_commodities(scenario, 0):
        crossing = crossing_profit(network, commodity, prices)
        _present, home = backward_sweep(network, commodity, prices, crossing)
        value += sum(n * max(0.0, home[o, r]) for o, r, n in commodity.sources)
    return value


@pytest.mark.parametrize("seed", range(8))
def test_column_generation_reaches_the_full_lp_optimum(seed: int) -> None:
    scenario = random_scenario(seed, nodes=10, households=25, horizon_steps=48)
    bound = lp_bound(scenario)
    assert bound.proven_by == "LP relaxation"
    assert bound.value == pytest.approx(full_lp_optimum(scenario), rel=1e-6, abs=1e-5)


@pytest.mark.parametrize("seed", range(4))
def test_column_generation_reaches_the_full_lp_optimum_through_bottlenecks(seed: int) -> None:
    """Crossings in one corner, a front line and shelters: everyone's best itinerary queues for
    the same roads, so pricing spreads departures and the master drops idle columns."""
    scenario = network_scenario(grid_network(6, 6), seed=seed, households=300, horizon_steps=48)
    bound = lp_bound(scenario)
    assert bound.proven_by == "LP relaxation"
    assert bound.value == pytest.approx(full_lp_optimum(scenario), rel=1e-6, abs=1e-5)
    assert bound.prices is not None
    assert lagrangian(scenario, bound.prices) == pytest.approx(bound.lagrangian, abs=1e-6)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("above", [0.0, 0.05, 0.3])
def test_a_bound_stopped_at_a_plan_is_still_proven_by_its_prices(seed: int, above: float) -> None:
    """Stopped as soon as it meets an objective (here: the optimum or above), the bound is
    still above the LP optimum, and its prices alone give it back."""
    scenario = network_scenario(grid_network(5, 5), seed=seed, households=150, horizon_steps=40)
    optimum = full_lp_optimum(scenario)
    bound = lp_bound(scenario, objective=optimum * (1 + above))
    assert bound.value >= optimum - 1e-6
    assert bound.lagrangian <= optimum * (1 + above) + 1e-6
    assert bound.prices is not None
    assert lagrangian(scenario, bound.prices) == pytest.approx(bound.lagrangian, abs=1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_bound_is_at_least_exact_which_is_at_least_fast(seed: int) -> None:
    scenario = random_scenario(seed, nodes=8, households=15, horizon_steps=40)
    fast = solve(scenario, params=PlanParams(with_bound=False))
    exact = plan_exact(scenario, time_limit=60)
    bound = lp_bound(scenario)
    assert exact.optimal
    assert verify(scenario, exact.plan).is_valid()
    assert bound.value >= exact.plan.objective - 1e-9
    assert exact.plan.objective >= fast.cost() - 1e-9
    assert exact.plan.bound is not None and exact.plan.bound >= exact.plan.objective


def brute_force_optimum(scenario: Scenario) -> float:
    """Every itinerary of every household, every combination, each checked by the verifier."""
    grid = scenario.grid
    options: list[list[HouseholdPlan]] = []
    for h in scenario.households:
        mine = [HouseholdPlan(h.id, None, ())]
        ready = scenario.ready_step(h)

        def extend(
            stops: list[Stop],
            node: str,
            arrive: int,
            h: Household = h,
            mine: list[HouseholdPlan] = mine,
        ) -> None:
            for depart in range(arrive, grid.horizon_steps):
                here = [*stops, Stop(node, arrive, depart)]
                if node in scenario.crossing_by_node:
                    mine.append(HouseholdPlan(h.id, node, tuple(here)))
                for (source, target), road in scenario.roads_between.items():
                    nxt = depart + scenario.travel_steps(road)
                    if source == node and nxt < grid.horizon_steps:
                        extend(here, target, nxt, h, mine)

        extend([], h.origin, ready)
        options.append(mine)
    best = 0.0
    for combination in itertools.product(*options):
        value = sum(scenario.household_by_id[e.household].value for e in combination if e.evacuated)
        if value <= best:
            continue
        plan = Plan(scenario.name, "brute", value, None, tuple(combination))
        if verify(scenario, plan).is_valid():
            best = value
    return best


TINY = [
    # one road of 5 persons a step, a window of 2 steps with 8 places: 3+5 beats 4+4? both 8
    build(
        nodes=[("a", NodeKind.TOWN), ("x", NodeKind.CROSSING)],
        roads=[("a", "x", 15, 20)],
        crossings=[crossing("x", (1, 3, 8))],
        households=[
            Household("h3", 3, "a"),
            Household("h4", 4, "a"),
            Household("h5", 5, "a", priority=0.5),
        ],
        horizon=4,
    ),
    # a town falling, a shelter of 4 at a junction, two crossings with clearance
    build(
        nodes=[
            ("a", NodeKind.TOWN),
            ("j", NodeKind.JUNCTION, 4),
            ("x", NodeKind.CROSSING),
            ("y", NodeKind.CROSSING),
        ],
        roads=[("a", "j", 15, 40), ("j", "x", 15, 40), ("a", "y", 45, 40)],
        crossings=[crossing("x", (3, 5, 6), clearance=True), crossing("y", (2, 5, 10))],
        zones=[],
        households=[
            Household("p", 3, "a", priority=2, cleared_for=frozenset({"x"})),
            Household("q", 2, "a"),
            Household("r", 4, "a", ready_from=at(1)),
        ],
        horizon=5,
    ),
]


@pytest.mark.parametrize("scenario", TINY)
def test_exact_equals_brute_force_on_tiny_scenarios(scenario: Scenario) -> None:
    exact = plan_exact(scenario, time_limit=30)
    assert exact.optimal
    assert verify(scenario, exact.plan).is_valid()
    assert exact.plan.objective == pytest.approx(brute_force_optimum(scenario))


@pytest.mark.parametrize("seed", range(10))
def test_exact_equals_brute_force_on_tiny_random_scenarios(seed: int) -> None:
    scenario = random_scenario(seed, nodes=4, households=3, crossings=1, horizon_steps=6)
    exact = plan_exact(scenario, time_limit=30)
    assert exact.optimal
    assert exact.plan.objective == pytest.approx(brute_force_optimum(scenario))


@pytest.mark.parametrize("seed", range(6))
def test_reduced_cost_fixing_loses_no_better_plan(seed: int) -> None:
    """The MILP over the arcs the prices allow finds what the MILP over every arc finds."""
    scenario = random_scenario(seed, nodes=8, households=15, horizon_steps=40)
    network = StepNetwork.compile(scenario)
    bound = lp_bound(scenario, network)
    everything = _improve(scenario, network, 0, dataclasses.replace(bound, prices=None), 1e9, 60)
    best = everything.plan.objective if everything.plan else 0.0
    assert plan_exact(scenario, time_limit=60).plan.objective == pytest.approx(best)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_whole_lp_duals_prove_the_bound_without_generation(seed: int) -> None:
    """Where capacity binds (zero prices bound far above the optimum), the duals of the
    whole time-expanded LP, priced by the sweeps, prove the LP optimum in the first round."""
    scenario = network_scenario(grid_network(6, 6), seed=seed, households=300, horizon_steps=48)
    optimum = full_lp_optimum(scenario)
    bound = lp_bound(scenario)
    assert bound.prices is not None
    assert max(bound.prices.road.max(), bound.prices.window.max()) > 0  # capacity binds
    assert bound.proven_by == "LP relaxation"
    assert bound.iterations == 1
    assert bound.value == pytest.approx(optimum, rel=1e-6, abs=1e-5)
