"""fast where roads and shelters bind: never below ccrp, recombined from the bound's columns."""

from __future__ import annotations

import pytest

from conftest import full_lp_optimum
from safepassage.planning import PlanParams, solve
from safepassage.planning.bound import lp_bound
from safepassage.synthetic.congested_scenario import congested_grid
from safepassage.synthetic.random_scenario import random_scenario
from safepassage.verifier import verify

NO_BOUND = PlanParams(with_bound=False)


@pytest.mark.parametrize("seed", range(3))
def test_the_bound_meets_the_full_lp_on_small_congested_grids(seed: int) -> None:
    """The full time-expanded LP, written out for HiGHS, is the LP optimum the generation
    must reach: within 0.5%, and never below it."""
    scenario = congested_grid(seed, rows=5, columns=5, households=200, horizon_steps=48)
    optimum = full_lp_optimum(scenario)
    bound = lp_bound(scenario)
    assert bound.value >= optimum - 1e-6
    assert bound.value <= optimum * 1.005 + 1e-6


@pytest.mark.parametrize("seed", range(4))
def test_fast_is_never_below_ccrp_where_roads_bind(seed: int) -> None:
    scenario = congested_grid(seed, rows=5, columns=5, households=200, horizon_steps=48)
    ccrp = solve(scenario, solver="ccrp", params=NO_BOUND)
    fast = solve(scenario, solver="fast", params=NO_BOUND)
    assert verify(scenario, fast.plan).is_valid()
    assert fast.cost() >= ccrp.cost()


@pytest.mark.parametrize(("seed", "optimum"), [(5, 269.0), (7, 325.0)])
def test_fast_finds_what_one_household_at_a_time_cannot(seed: int, optimum: float) -> None:
    """On these boxes the pass with rip-up stops at 243 and 312; the MILP over the bound's
    itineraries reaches the LP bound itself, so the plan is optimal."""
    scenario = random_scenario(seed, nodes=14, households=40)
    fast = solve(scenario, solver="fast", params=NO_BOUND)
    assert verify(scenario, fast.plan).is_valid()
    assert fast.cost() == pytest.approx(optimum)
    assert lp_bound(scenario).value == pytest.approx(optimum, abs=1e-4)
