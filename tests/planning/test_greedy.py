"""The fast planner on scenarios worked by hand, where the best plan is known."""

from __future__ import annotations

from conftest import at, build, crossing
from safepassage.model import Household, NodeKind, Scenario, Zone
from safepassage.planning import PlanParams, solve


def test_bottleneck_road_uses_the_longer_road_once_the_short_one_is_full(
    bottleneck: Scenario,
) -> None:
    result = solve(bottleneck)
    assert result.is_feasible()
    assert result.persons_out == 20
    routes = sorted(tuple(s.node for s in e.itinerary) for e in result.plan.households)
    assert routes.count(("a", "x")) == 2
    assert routes.count(("a", "b", "x")) == 2
    assert max(e.crossing_step or 0 for e in result.plan.households) == 2


def test_window_capacity_is_filled_best_by_the_households_that_fit() -> None:
    # Sizes 6, 5 and 4 for a window of 10 places: 6 + 4 is the best that fits.
    scenario = build(
        nodes=[("a", NodeKind.TOWN), ("x", NodeKind.CROSSING)],
        roads=[("a", "x", 15, 400)],
        crossings=[crossing("x", (0, 10, 10))],
        households=[Household("six", 6, "a"), Household("five", 5, "a"), Household("four", 4, "a")],
    )
    result = solve(scenario)
    assert result.is_feasible()
    out = {e.household for e in result.plan.evacuated}
    assert out == {"six", "four"}
    assert result.plan.by_household["five"].reason is not None
    assert result.plan.by_household["five"].reason.startswith("capacity taken")


def test_a_window_that_closes_before_a_far_household_arrives() -> None:
    # Near town 3 steps away, far town 5 steps away, window open for steps 0..3.
    scenario = build(
        nodes=[("near", NodeKind.TOWN), ("far", NodeKind.TOWN), ("x", NodeKind.CROSSING)],
        roads=[("near", "x", 45, 400), ("far", "x", 75, 400)],
        crossings=[crossing("x", (0, 4, 100))],
        households=[Household("n", 3, "near"), Household("f", 3, "far", priority=5)],
    )
    result = solve(scenario)
    assert result.is_feasible()
    assert [e.household for e in result.plan.evacuated] == ["n"]
    assert result.plan.by_household["n"].crossing_step == 3
    assert result.plan.by_household["f"].reason.startswith("no route")


def test_a_town_that_falls_before_a_household_is_ready() -> None:
    scenario = build(
        nodes=[("t", NodeKind.TOWN), ("x", NodeKind.CROSSING)],
        roads=[("t", "x", 15, 400)],
        crossings=[crossing("x", (0, 30, 100))],
        zones=[Zone("t falls", ("t",), at(6))],
        households=[Household("early", 4, "t"), Household("late", 4, "t", ready_from=at(8))],
    )
    result = solve(scenario)
    assert result.is_feasible()
    assert [e.household for e in result.plan.evacuated] == ["early"]
    reason = result.plan.by_household["late"].reason
    assert reason is not None and reason.startswith("town fell: T fell at 21 Jul 2018 01:30")
    assert result.cost() == 4


def test_higher_priority_goes_first_when_only_one_can() -> None:
    scenario = build(
        nodes=[("a", NodeKind.TOWN), ("x", NodeKind.CROSSING)],
        roads=[("a", "x", 15, 400)],
        crossings=[crossing("x", (0, 10, 5))],
        households=[Household("big", 5, "a", priority=1), Household("risk", 4, "a", priority=3)],
    )
    result = solve(scenario)
    assert [e.household for e in result.plan.evacuated] == ["risk"]
    assert result.cost() == 12


def test_more_urgent_household_goes_first_among_equal_priority() -> None:
    # One place a step on the only road out of the junction; the town falling first goes first.
    scenario = build(
        nodes=[
            ("soon", NodeKind.TOWN),
            ("later", NodeKind.TOWN),
            ("j", NodeKind.JUNCTION),
            ("x", NodeKind.CROSSING),
        ],
        roads=[("soon", "j", 15, 400), ("later", "j", 15, 400), ("j", "x", 15, 16)],
        crossings=[crossing("x", (0, 3, 100))],
        zones=[Zone("soon falls", ("soon",), at(3))],
        households=[Household("l", 4, "later"), Household("s", 4, "soon")],
    )
    result = solve(scenario)
    assert result.is_feasible()
    assert result.plan.by_household["s"].crossing_step == 2
    assert result.plan.by_household["l"].crossing is None


def test_shelter_limit_holds_a_household_at_home_until_there_is_room() -> None:
    # The crossing's queue area holds 5; the window opens at step 10 for two steps.
    scenario = build(
        nodes=[("a", NodeKind.TOWN), ("x", NodeKind.CROSSING, 5)],
        roads=[("a", "x", 15, 400)],
        crossings=[crossing("x", (10, 12, 100))],
        households=[Household("first", 4, "a"), Household("second", 4, "a")],
    )
    result = solve(scenario)
    assert result.is_feasible()
    first, second = result.plan.by_household["first"], result.plan.by_household["second"]
    assert first.crossing_step == 10
    assert second.crossing_step == 11
    assert second.itinerary[0].depart_step == 10  # waits at home, where shelter does not count


def test_nobody_moves_before_the_from_instant(bottleneck: Scenario) -> None:
    result = solve(bottleneck, params=PlanParams(from_step=1))
    assert result.is_feasible()
    assert all((e.departure_step or 1) >= 1 for e in result.plan.households)
    assert result.persons_out == 5  # only the short road, leaving at step 1, still arrives in time


def test_clearance_is_required_where_the_crossing_asks_for_it() -> None:
    scenario = build(
        nodes=[("a", NodeKind.TOWN), ("x", NodeKind.CROSSING), ("y", NodeKind.CROSSING)],
        roads=[("a", "x", 15, 400), ("a", "y", 60, 400)],
        crossings=[
            crossing("x", (0, 10, 100), clearance=True),
            crossing("y", (0, 10, 100), clearance=True),
        ],
        households=[
            Household("for-x", 2, "a", cleared_for=frozenset({"x"})),
            Household("for-y", 2, "a", cleared_for=frozenset({"y"})),
            Household("none", 2, "a", cleared_for=frozenset()),
        ],
    )
    result = solve(scenario)
    assert result.plan.by_household["for-x"].crossing == "x"
    assert result.plan.by_household["for-y"].crossing == "y"
    assert result.plan.by_household["none"].reason.startswith("not cleared")
