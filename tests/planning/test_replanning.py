"""Re-planning keeps what a previous plan set in motion and plans the rest."""

from __future__ import annotations

import dataclasses

from conftest import at, build, crossing
from safepassage.model import Household, NodeKind, Scenario, Window
from safepassage.planning import PlanParams, solve
from safepassage.planning.replanning import commitments
from safepassage.synthetic.random_scenario import random_scenario
from safepassage.verifier import verify


def corridor() -> Scenario:
    """a -> j -> x (crossing) and a -> j -> y (another crossing); 2 steps a leg."""
    return build(
        nodes=[
            ("a", NodeKind.TOWN),
            ("j", NodeKind.JUNCTION),
            ("x", NodeKind.CROSSING),
            ("y", NodeKind.CROSSING),
        ],
        roads=[("a", "j", 30, 400), ("j", "x", 30, 400), ("j", "y", 60, 400)],
        crossings=[crossing("x", (0, 30, 100)), crossing("y", (0, 30, 100))],
        households=[Household("early", 3, "a"), Household("late", 2, "a", ready_from=at(6))],
        horizon=30,
    )


def test_a_closed_crossing_reroutes_those_on_their_way_and_keeps_their_moves() -> None:
    scenario = corridor()
    first = solve(scenario, params=PlanParams(with_bound=False)).plan
    assert first.by_household["early"].crossing == "x"
    # at step 1 "early" is on the road to j; the x crossing then closes for good
    closed = dataclasses.replace(
        scenario,
        crossings=(
            dataclasses.replace(scenario.crossings[0], windows=(Window(at(0), at(1), 100),)),
            scenario.crossings[1],
        ),
    )
    kept = commitments(closed, first, 1, source="first.json")
    assert [t.household for t in kept.in_transit] == ["early"]
    again = solve(closed, params=PlanParams(from_step=1, with_bound=False, committed=kept)).plan
    early = again.by_household["early"]
    assert early.crossing == "y"
    assert early.itinerary[0] == first.by_household["early"].itinerary[0]  # the move made stays
    assert [s.node for s in early.itinerary] == ["a", "j", "y"]
    assert again.by_household["late"].itinerary[0].depart_step >= 6
    assert verify(closed, again).is_valid()


def test_households_already_across_keep_their_places() -> None:
    scenario = corridor()
    first = solve(scenario, params=PlanParams(with_bound=False)).plan
    crossed_at = first.by_household["early"].crossing_step
    assert crossed_at is not None
    kept = commitments(scenario, first, crossed_at + 1, source="first.json")
    assert [e.household for e in kept.crossed] == ["early"]
    again = solve(
        scenario, params=PlanParams(from_step=crossed_at + 1, with_bound=False, committed=kept)
    ).plan
    assert again.by_household["early"] == first.by_household["early"]
    assert verify(scenario, again).is_valid()


def test_replanning_random_scenarios_keeps_moves_and_verifies() -> None:
    for seed in range(15):
        scenario = random_scenario(seed, nodes=12, households=30, horizon_steps=96)
        first = solve(scenario, params=PlanParams(with_bound=False)).plan
        kept = commitments(scenario, first, 20, source="first.json")
        again = solve(
            scenario, params=PlanParams(from_step=20, with_bound=False, committed=kept)
        ).plan
        assert verify(scenario, again).is_valid(), seed
        for moving in kept.in_transit:
            entry = again.by_household[moving.household]
            if entry.evacuated:
                assert entry.itinerary[: len(moving.behind)] == moving.behind
        for entry in again.households:
            if entry.household not in kept.fixed_ids and entry.evacuated:
                assert entry.itinerary[0].depart_step >= 20
