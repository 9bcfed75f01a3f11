"""A plan run as written in each future, valued as the contract's "Uncertain futures" says."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from datetime import datetime

import pytest

from conftest import at, build, crossing
from safepassage.model import Household, HouseholdPlan, NodeKind, Plan, Scenario, Stop, Window, Zone
from safepassage.model.futures import Future, RoadCut
from safepassage.planning import PlanParams, solve
from safepassage.robustness.evaluation import evaluate_fixed
from safepassage.synthetic.random_scenario import random_scenario
from safepassage.verifier import verify


@pytest.fixture
def two_towns() -> tuple[Scenario, Plan]:
    """Towns a and c, junction b, crossing x; every road one step.

    h1 (4 persons) a->b->x crosses at 2; h2 (3 persons, priority 3) c->x crosses at 3; h3
    (5 persons) a->b->x passes b at step 2 and crosses at 3, after h2 in the plan's order.
    """
    scenario = build(
        nodes=[
            ("a", NodeKind.TOWN),
            ("b", NodeKind.JUNCTION),
            ("c", NodeKind.TOWN),
            ("x", NodeKind.CROSSING),
        ],
        roads=[("a", "b", 15, 60), ("b", "x", 15, 60), ("c", "x", 15, 60)],
        crossings=[crossing("x", (0, 10, 100))],
        zones=[Zone("north", ("b",), at(30)), Zone("south", ("c",), at(30))],
        households=[
            Household("h1", 4, "a"),
            Household("h2", 3, "c", priority=3),
            Household("h3", 5, "a"),
        ],
    )
    plan = Plan(
        "hand-worked",
        "hand",
        18.0,
        None,
        (
            HouseholdPlan("h1", "x", (Stop("a", 0, 0), Stop("b", 1, 1), Stop("x", 2, 2))),
            HouseholdPlan("h2", "x", (Stop("c", 0, 1), Stop("x", 2, 3))),
            HouseholdPlan("h3", "x", (Stop("a", 0, 1), Stop("b", 2, 2), Stop("x", 3, 3))),
        ),
    )
    assert verify(scenario, plan).is_valid()
    return scenario, plan


HAND_FUTURES = (
    Future("as planned", 0.5),
    # b is unsafe from step 2: h1 left it at 1, h3 is there at 2 and is lost
    Future("north early", 0.2, zone_falls=(("north", at(2)),)),
    # room for 9: h1 takes 4 at step 2; at step 3 h2 (3) comes before h3 (5) in the plan
    Future("narrow", 0.2, crossing_windows=(("x", (Window(at(2), at(4), 9),)),)),
    # the road from c is cut while h2 is on it (it departs at step 1)
    Future("road cut", 0.1, road_cuts=(RoadCut("c", "x", at(1)),)),
)


def test_expected_value_is_the_probability_weighted_sum_worked_by_hand(
    two_towns: tuple[Scenario, Plan],
) -> None:
    scenario, plan = two_towns
    evaluation = evaluate_fixed(scenario, plan, HAND_FUTURES)
    assert [o.value for o in evaluation.outcomes] == [18, 13, 13, 9]
    assert [o.persons for o in evaluation.outcomes] == [12, 7, 7, 9]
    assert evaluation.exact
    assert evaluation.expected_value == pytest.approx(0.5 * 18 + 0.2 * 13 + 0.2 * 13 + 0.1 * 9)
    assert evaluation.expected_persons == pytest.approx(0.5 * 12 + 0.2 * 7 + 0.2 * 7 + 0.1 * 9)
    assert evaluation.standard_error == 0.0
    assert evaluation.worst == 9
    assert evaluation.low_quantile == 9
    assert evaluation.cvar == pytest.approx(9)
    chance = dict(zip(evaluation.household_ids, evaluation.household_chance, strict=True))
    assert chance == pytest.approx({"h1": 1.0, "h2": 0.9, "h3": 0.6})
    assert evaluation.crossing_use == pytest.approx({"x": evaluation.expected_persons})


def test_cvar_takes_a_fraction_of_the_future_where_the_tail_ends(
    two_towns: tuple[Scenario, Plan],
) -> None:
    scenario, plan = two_towns
    futures = (
        Future("as planned", 0.95),
        Future("closed", 0.05, crossing_windows=(("x", ()),)),
    )
    evaluation = evaluate_fixed(scenario, plan, futures)
    assert [o.value for o in evaluation.outcomes] == [18, 0]
    # the worst tenth: half of it the closed border (0), half of it as planned (18)
    assert evaluation.cvar == pytest.approx(9.0)
    assert evaluation.low_quantile == 0
    assert evaluation.quantile(0.5) == 18


def test_a_zone_that_never_falls_in_a_future_keeps_its_nodes_safe() -> None:
    scenario = build(
        nodes=[("a", NodeKind.TOWN), ("x", NodeKind.CROSSING)],
        roads=[("a", "x", 15, 60)],
        crossings=[crossing("x", (0, 10, 100))],
        zones=[Zone("home", ("a",), at(1))],
        households=[Household("h1", 2, "a")],
    )
    itinerary = (Stop("a", 0, 0), Stop("x", 1, 1))
    plan = Plan("hand-worked", "hand", 2.0, None, (HouseholdPlan("h1", "x", itinerary),))
    assert verify(scenario, plan).is_valid()
    futures = (
        Future("earlier", 0.5, zone_falls=(("home", at(0)),)),
        Future("never", 0.5, zone_falls=(("home", None),)),
    )
    evaluation = evaluate_fixed(scenario, plan, futures)
    assert [o.value for o in evaluation.outcomes] == [0, 2]


def test_futures_whose_probabilities_do_not_sum_to_one_are_refused(
    two_towns: tuple[Scenario, Plan],
) -> None:
    scenario, plan = two_towns
    with pytest.raises(ValueError, match="sum"):
        evaluate_fixed(scenario, plan, (Future("a", 0.5), Future("b", 0.4)))


def test_a_future_naming_what_the_scenario_lacks_is_refused(
    two_towns: tuple[Scenario, Plan],
) -> None:
    scenario, plan = two_towns
    for future in (
        Future("z", 1.0, zone_falls=(("west", at(1)),)),
        Future("c", 1.0, crossing_windows=(("a", ()),)),
        Future("r", 1.0, road_cuts=(RoadCut("x", "c", at(1)),)),
    ):
        with pytest.raises(ValueError, match=r"names|cuts"):
            evaluate_fixed(scenario, plan, (future,))


# --- Against a reference written from the contract's words alone -------------------------


def reference_value(scenario: Scenario, plan: Plan, future: Future) -> tuple[float, set[str]]:
    """The contract's paragraph, line by line, on the future applied as a whole scenario."""
    world = future.apply(scenario)
    grid = world.grid
    node_unsafe = world.node_unsafe_step
    candidates = []
    for position, entry in enumerate(plan.households):
        if entry.crossing is None:
            continue
        stops = entry.itinerary
        safe = all(stop.depart_step < node_unsafe[stop.node] for stop in stops)
        for before, after in itertools.pairwise(stops):
            road = world.roads_between[(before.node, after.node)]
            limit = world.road_unsafe_step(road)
            safe = safe and all(s < limit for s in range(before.depart_step, after.arrive_step))
        step = stops[-1].depart_step
        windows = [
            w
            for w in world.crossing_by_node[entry.crossing].windows
            if grid.step_of(w.open) <= step < grid.step_of(w.close)
        ]
        if safe and windows:
            candidates.append((step, position, windows))
    room = {id(w): w.capacity for c in world.crossings for w in c.windows}
    value = 0.0
    out = set()
    for _, position, windows in sorted(candidates, key=lambda c: (c[0], c[1])):
        entry = plan.households[position]
        household = world.household_by_id[entry.household]
        if all(room[id(w)] >= household.size for w in windows):
            for w in windows:
                room[id(w)] -= household.size
            value += household.value
            out.add(entry.household)
    return value, out


def random_future(scenario: Scenario, rng: random.Random, name: str) -> Future:
    def instant() -> datetime:
        return at(rng.randrange(0, scenario.grid.horizon_steps))

    zones = sorted({z.name for z in scenario.zones})
    zone_falls = tuple(
        (zone, None if rng.random() < 0.2 else instant())
        for zone in rng.sample(zones, k=rng.randint(0, len(zones)))
    )
    crossing_windows = []
    for c in scenario.crossings:
        if rng.random() < 0.5:
            windows = []
            for _ in range(rng.randint(0, 3)):
                first = rng.randrange(0, scenario.grid.horizon_steps - 1)
                last = rng.randrange(first + 1, scenario.grid.horizon_steps + 1)
                windows.append(Window(at(first), at(last), rng.randint(0, 60)))
            crossing_windows.append((c.node, tuple(windows)))
    cuts = tuple(
        RoadCut(road.source, road.target, instant())
        for road in rng.sample(list(scenario.roads), k=min(3, len(scenario.roads)))
    )
    return Future(name, 1.0, zone_falls, tuple(crossing_windows), cuts)


@pytest.mark.parametrize("seed", range(6))
def test_compiled_evaluation_equals_the_contract_reference(seed: int) -> None:
    scenario = random_scenario(seed, nodes=14, households=40)
    # futures name zones; give each its own name
    zones = tuple(Zone(f"zone-{i}", z.nodes, z.unsafe_from) for i, z in enumerate(scenario.zones))
    scenario = dataclasses.replace(scenario, zones=zones)
    plan = solve(scenario, solver="fast", params=PlanParams(with_bound=False)).plan
    assert verify(scenario, plan).is_valid()
    rng = random.Random(seed)
    futures = [random_future(scenario, rng, f"f{i}") for i in range(25)]
    evaluation = evaluate_fixed(scenario, plan, futures, weights=[1.0] * len(futures))
    for future, outcome in zip(futures, evaluation.outcomes, strict=True):
        expected, _ = reference_value(scenario, plan, future)
        assert math.isclose(outcome.value, expected), future.name
