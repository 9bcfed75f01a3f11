"""Properties of the fast planner on random scenarios, checked by the independent verifier."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from safepassage.model import Scenario
from safepassage.planning import PlanParams, solve
from safepassage.synthetic.random_scenario import random_scenario
from safepassage.verifier import verify

scenarios = st.builds(
    random_scenario,
    st.integers(0, 2**32 - 1),
    nodes=st.integers(3, 14),
    households=st.integers(0, 30),
    crossings=st.integers(1, 2),
    horizon_steps=st.integers(8, 120),
)


@settings(max_examples=150, deadline=None)
@given(scenarios)
def test_every_fast_plan_verifies(scenario: Scenario) -> None:
    result = solve(scenario)
    report = verify(scenario, result.plan)
    assert report.violations == ()
    assert report.objective == result.cost()


@settings(max_examples=60, deadline=None)
@given(scenarios, st.integers(0, 120))
def test_plans_from_a_later_instant_verify_and_nobody_leaves_before_it(
    scenario: Scenario, from_step: int
) -> None:
    result = solve(scenario, params=PlanParams(from_step=from_step))
    assert verify(scenario, result.plan).violations == ()
    for entry in result.plan.evacuated:
        assert entry.itinerary[0].depart_step is not None
        assert entry.itinerary[0].depart_step >= from_step


@settings(max_examples=60, deadline=None)
@given(scenarios)
def test_every_household_is_accounted_for_with_a_reason_when_left(scenario: Scenario) -> None:
    plan = solve(scenario).plan
    assert sorted(e.household for e in plan.households) == sorted(h.id for h in scenario.households)
    for entry in plan.households:
        assert entry.evacuated or entry.reason
