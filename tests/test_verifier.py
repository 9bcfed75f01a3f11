"""The verifier against hand-built scenarios: one valid plan, then plans breaking one rule each.

The scenario (15-minute steps from 2018-07-21 00:00 +03:00, 96 steps)::

    A --2-- J --4-- X          A, B towns; J junction; S assembly (shelter for 6)
    B --2-/ |1      |1         X crossing: windows steps 8..23 (12 persons), 20..31 (6 persons)
            S ------+--1-- Y   Y crossing requiring clearance: steps 0..191 (100 persons)

Road travel steps are on the edges; A->J admits 5 persons a step, B->J 5, the others 100.
B falls at 05:07 (step 20); the road J->X closes at 10:00 (step 40).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from safepassage.model import (
    Crossing,
    Household,
    HouseholdPlan,
    Node,
    NodeKind,
    Plan,
    Road,
    Scenario,
    Stop,
    TimeGrid,
    Window,
    Zone,
)
from safepassage.verifier import VerificationReport, Violation, verify

START = datetime.fromisoformat("2018-07-21T00:00:00+03:00")


def at(step: int) -> datetime:
    return START + timedelta(minutes=15 * step)


def road(
    source: str, target: str, minutes: int, per_hour: int, unsafe: datetime | None = None
) -> Road:
    return Road(source, target, Fraction(minutes), Fraction(per_hour), unsafe)


def build_scenario(households: tuple[Household, ...] | None = None) -> Scenario:
    nodes = (
        Node("A", "Town A", 32.9, 36.0, NodeKind.TOWN),
        Node("B", "Town B", 32.7, 36.1, NodeKind.TOWN),
        Node("J", "Junction", 32.95, 35.95, NodeKind.JUNCTION),
        Node("S", "Assembly", 33.0, 35.9, NodeKind.ASSEMBLY, shelter_capacity=6),
        Node("X", "Crossing X", 33.1, 35.8, NodeKind.CROSSING),
        Node("Y", "Crossing Y", 33.05, 35.85, NodeKind.CROSSING),
    )
    roads = (
        road("A", "J", 30, 20),
        road("J", "A", 30, 20),
        road("B", "J", 20, 20),
        road("J", "B", 20, 20),
        road("J", "S", 15, 400),
        road("S", "J", 15, 400),
        road("J", "X", 60, 400, unsafe=at(40)),
        road("S", "X", 15, 400),
        road("S", "Y", 15, 400),
    )
    crossings = (
        Crossing("X", "JO", False, (Window(at(8), at(24), 12), Window(at(20), at(32), 6))),
        Crossing("Y", "IL", True, (Window(at(0), at(192), 100),)),
    )
    zones = (Zone("south", ("B",), at(20) + timedelta(minutes=7)),)
    if households is None:
        households = (
            Household("h1", 4, "A", ready_from=at(2)),
            Household("h2", 3, "B", priority=2.0),
            Household("h3", 2, "A", cleared_for=frozenset({"X"})),
            Household("h4", 5, "S"),
            Household("h5", 1, "A"),
        )
    return Scenario(
        name="test",
        grid=TimeGrid(START, 15, 96),
        nodes=nodes,
        roads=roads,
        crossings=crossings,
        zones=zones,
        households=households,
    )


SCENARIO = build_scenario()


def evacuated(hid: str, crossing: str, *stops: tuple[str, int, int | None]) -> HouseholdPlan:
    return HouseholdPlan(hid, crossing, tuple(Stop(*stop) for stop in stops))


def valid_plan() -> Plan:
    return Plan(
        scenario="test",
        solver="hand",
        objective=17.0,
        bound=20.0,
        households=(
            evacuated("h1", "X", ("A", 0, 2), ("J", 4, 4), ("S", 5, 5), ("X", 6, 8)),
            evacuated("h2", "X", ("B", 0, 0), ("J", 2, 3), ("X", 7, 9)),
            evacuated("h3", "X", ("A", 0, 3), ("J", 5, 5), ("S", 6, 6), ("X", 7, 8)),
            evacuated("h4", "Y", ("S", 0, 10), ("Y", 11, 11)),
            HouseholdPlan("h5", None, (Stop("A", 0, None),), reason="declined"),
        ),
    )


def with_entry(plan: Plan, entry: HouseholdPlan, **changes: object) -> Plan:
    """``plan`` with the household of ``entry`` replaced by it (or appended if new)."""
    ids = [item.household for item in plan.households]
    households = list(plan.households)
    if entry.household in ids:
        households[ids.index(entry.household)] = entry
    else:
        households.append(entry)
    return replace(plan, households=tuple(households), **changes)  # type: ignore[arg-type]


def only(report: VerificationReport, rule: int) -> list[Violation]:
    """The violations of ``rule``, after checking that no other rule is broken."""
    broken = {rule_ for rule_, found in report.by_rule().items() if found}
    assert broken == {rule}, report.violations
    return report.by_rule()[rule]


def test_valid_plan_has_no_violations() -> None:
    report = verify(SCENARIO, valid_plan())
    assert report.violations == ()
    assert report.is_valid()
    assert report.objective == 17.0
    assert all(found == [] for found in report.by_rule().values())


# -- rule 0: the plan's own claims ---------------------------------------------------------


def test_objective_mismatch_is_rule_0() -> None:
    report = verify(SCENARIO, replace(valid_plan(), objective=18.0))
    [violation] = only(report, 0)
    assert violation.household is None
    assert "18.0" in violation.message and "17.0" in violation.message
    assert report.objective == 17.0


def test_bound_below_objective_is_rule_0() -> None:
    [violation] = only(verify(SCENARIO, replace(valid_plan(), bound=16.5)), 0)
    assert "16.5" in violation.message


def test_no_bound_is_fine() -> None:
    assert verify(SCENARIO, replace(valid_plan(), bound=None)).is_valid()


def test_wrong_scenario_is_rule_0() -> None:
    [violation] = only(verify(SCENARIO, replace(valid_plan(), scenario="other")), 0)
    assert "other" in violation.message


def test_unknown_household_is_rule_0() -> None:
    plan = with_entry(valid_plan(), HouseholdPlan("ghost", None, (Stop("A", 0, None),)))
    [violation] = only(verify(SCENARIO, plan), 0)
    assert violation.household == "ghost"


# -- rule 1: whole households ----------------------------------------------------------------


def test_not_evacuated_but_moving_is_rule_1() -> None:
    entry = HouseholdPlan("h5", None, (Stop("A", 0, 3), Stop("J", 5, 5)))
    [violation] = only(verify(SCENARIO, with_entry(valid_plan(), entry)), 1)
    assert (violation.household, violation.step) == ("h5", 5)
    assert "not evacuated but moves" in violation.message


def test_staying_home_elsewhere_is_rule_1() -> None:
    entry = HouseholdPlan("h5", None, (Stop("J", 0, None),))
    report = verify(SCENARIO, with_entry(valid_plan(), entry))
    [violation] = report.by_rule()[1]
    assert violation.household == "h5"
    assert not report.is_valid()


def test_household_listed_twice_is_rule_1() -> None:
    plan = valid_plan()
    twice = replace(plan, households=(*plan.households, HouseholdPlan("h5", None, ())))
    [violation] = only(verify(SCENARIO, twice), 1)
    assert violation.household == "h5"
    assert verify(SCENARIO, twice).objective == 17.0


def test_evacuated_without_itinerary_is_rule_1() -> None:
    plan = with_entry(valid_plan(), HouseholdPlan("h4", "Y", ()))
    [violation] = only(verify(SCENARIO, plan), 1)
    assert violation.household == "h4"


def test_unknown_node_is_rule_1() -> None:
    entry = evacuated("h4", "Y", ("S", 0, 10), ("Q", 11, 11), ("Y", 12, 12))
    report = verify(SCENARIO, with_entry(valid_plan(), entry))
    assert any(
        (v.household, v.step) == ("h4", 11) and "Q" in v.message for v in report.by_rule()[1]
    )


def test_crossing_other_than_last_stop_is_rule_1() -> None:
    entry = evacuated("h4", "X", ("S", 0, 10), ("Y", 11, 11))
    report = verify(SCENARIO, with_entry(valid_plan(), entry))
    [violation] = report.by_rule()[1]
    assert (violation.household, violation.step) == ("h4", 11)


# -- rule 2: readiness -------------------------------------------------------------------------


def test_leaving_before_ready_is_rule_2() -> None:
    entry = evacuated("h1", "X", ("A", 0, 1), ("J", 3, 4), ("S", 5, 5), ("X", 6, 8))
    [violation] = only(verify(SCENARIO, with_entry(valid_plan(), entry)), 2)
    assert (violation.household, violation.step) == ("h1", 1)


def test_starting_away_from_origin_is_rule_2() -> None:
    entry = evacuated("h2", "X", ("J", 2, 3), ("X", 7, 9))
    [violation] = only(verify(SCENARIO, with_entry(valid_plan(), entry)), 2)
    assert (violation.household, violation.step) == ("h2", 2)
    assert "B" in violation.message


# -- rule 3: roads -------------------------------------------------------------------------------


def test_arriving_faster_than_the_road_allows_is_rule_3() -> None:
    entry = evacuated("h2", "X", ("B", 0, 0), ("J", 1, 3), ("X", 7, 9))
    [violation] = only(verify(SCENARIO, with_entry(valid_plan(), entry)), 3)
    assert (violation.household, violation.step) == ("h2", 1)


def test_moving_without_a_road_is_rule_3() -> None:
    entry = evacuated("h1", "X", ("A", 0, 2), ("S", 4, 5), ("X", 6, 8))
    [violation] = only(verify(SCENARIO, with_entry(valid_plan(), entry)), 3)
    assert (violation.household, violation.step) == ("h1", 2)


def test_road_against_its_direction_is_rule_3() -> None:
    entry = evacuated("h4", "Y", ("S", 0, 9), ("Y", 10, 10), ("S", 11, 11), ("Y", 12, 12))
    report = verify(SCENARIO, with_entry(valid_plan(), entry))
    assert [(v.household, v.step) for v in report.by_rule()[3]] == [("h4", 10)]


def test_leaving_before_arriving_is_rule_3() -> None:
    entry = evacuated("h4", "Y", ("S", 0, 10), ("Y", 11, 10))
    report = verify(SCENARIO, with_entry(valid_plan(), entry))
    assert [(v.household, v.step) for v in report.by_rule()[3]] == [("h4", 10)]


def test_missing_crossing_step_is_rules_3_and_7() -> None:
    entry = evacuated("h4", "Y", ("S", 0, 10), ("Y", 11, None))
    report = verify(SCENARIO, with_entry(valid_plan(), entry))
    assert [(v.household, v.step) for v in report.by_rule()[3]] == [("h4", 11)]
    assert [(v.household, v.step) for v in report.by_rule()[7]] == [("h4", 11)]


# -- rule 4: safety ------------------------------------------------------------------------------


def test_on_a_road_when_its_end_falls_is_rule_4() -> None:
    entry = evacuated("h2", "X", ("B", 0, 19), ("J", 21, 21), ("X", 25, 25))
    [violation] = only(verify(SCENARIO, with_entry(valid_plan(), entry)), 4)
    assert (violation.household, violation.step) == ("h2", 20)
    assert "B->J" in violation.message


def test_at_a_node_when_it_falls_is_rule_4() -> None:
    entry = evacuated("h2", "X", ("B", 0, 0), ("J", 2, 3), ("B", 5, 21), ("J", 23, 23))
    report = verify(SCENARIO, with_entry(valid_plan(), entry))
    assert ("h2", 20) in [(v.household, v.step) for v in report.by_rule()[4]]


def test_waiting_at_home_past_the_fall_is_rule_4() -> None:
    entry = HouseholdPlan("h2", None, (Stop("B", 0, 30),))
    report = verify(SCENARIO, with_entry(valid_plan(), entry, objective=11.0))
    [violation] = only(report, 4)
    assert (violation.household, violation.step) == ("h2", 20)


def test_left_at_home_with_no_depart_step_claims_nothing() -> None:
    entry = HouseholdPlan("h2", None, (Stop("B", 0, None),))
    assert verify(SCENARIO, with_entry(valid_plan(), entry, objective=11.0)).is_valid()


def test_road_with_its_own_unsafe_time_is_rule_4() -> None:
    entry = evacuated("h2", "X", ("B", 0, 0), ("J", 2, 36), ("X", 40, 40))
    report = verify(SCENARIO, with_entry(valid_plan(), entry))
    assert report.by_rule()[4] == []
    entry = evacuated("h2", "X", ("B", 0, 0), ("J", 2, 37), ("X", 41, 41))
    report = verify(SCENARIO, with_entry(valid_plan(), entry))
    [violation] = report.by_rule()[4]
    assert (violation.household, violation.step) == ("h2", 40)


# -- rule 5: road capacity -----------------------------------------------------------------------


def test_two_households_sharing_a_road_over_capacity_is_rule_5() -> None:
    entry = evacuated("h3", "X", ("A", 0, 2), ("J", 4, 4), ("S", 5, 5), ("X", 6, 8))
    [violation] = only(verify(SCENARIO, with_entry(valid_plan(), entry)), 5)
    assert (violation.household, violation.step) == ("h3", 2)
    assert "h1" in violation.message and "h3" in violation.message
    assert "A->J" in violation.message and "6 persons" in violation.message


# -- rule 6: shelter capacity --------------------------------------------------------------------


def test_shelter_over_capacity_is_rule_6() -> None:
    entry = evacuated("h2", "X", ("B", 0, 0), ("J", 2, 4), ("S", 5, 5), ("X", 6, 8))
    [violation] = only(verify(SCENARIO, with_entry(valid_plan(), entry)), 6)
    assert (violation.household, violation.step) == ("h2", 5)
    assert "7 persons" in violation.message and "h1" in violation.message


def test_household_at_its_own_origin_does_not_fill_the_shelter() -> None:
    # h4 (5 persons) waits at its origin S while h1 (4) passes through: 9 > 6 if counted.
    plan = valid_plan()
    assert plan.households[3].itinerary[0] == Stop("S", 0, 10)
    assert verify(SCENARIO, plan).is_valid()


def test_return_to_origin_fills_the_shelter() -> None:
    entry = evacuated("h4", "Y", ("S", 0, 2), ("J", 3, 3), ("S", 4, 5), ("Y", 6, 6))
    [violation] = only(verify(SCENARIO, with_entry(valid_plan(), entry)), 6)
    assert (violation.household, violation.step) == ("h1", 5)
    assert "9 persons" in violation.message and "h4" in violation.message


def test_long_wait_is_one_violation_per_stretch() -> None:
    entry = evacuated("h2", "X", ("B", 0, 0), ("J", 2, 4), ("S", 5, 1500), ("X", 1501, 1501))
    report = verify(SCENARIO, with_entry(valid_plan(), entry))
    shelter = report.by_rule()[6]
    assert [(v.household, v.step) for v in shelter] == [("h2", 5)]
    assert "steps 5..5" in shelter[0].message


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 8), st.integers(1, 4)), max_size=12))
def test_shelter_sweep_matches_counting_every_step(stays: list[tuple[int, int, int]]) -> None:
    """Every over-capacity step lies in a reported stretch, and every stretch is over capacity."""
    households = tuple(Household(f"g{i}", size, "A") for i, (_a, _w, size) in enumerate(stays))
    scenario = build_scenario(households)
    plan = Plan(
        "test",
        "hand",
        0.0,
        None,
        tuple(
            HouseholdPlan(f"g{i}", None, (Stop("S", arrive, arrive + wait),))
            for i, (arrive, wait, _size) in enumerate(stays)
        ),
    )
    counted = [0] * 40
    for arrive, wait, size in stays:
        for step in range(arrive, arrive + wait + 1):
            counted[step] += size
    reported: set[int] = set()
    for violation in verify(scenario, plan).by_rule()[6]:
        match = re.search(r"(\d+) persons .* steps (\d+)\.\.(\d+)", violation.message)
        assert match is not None
        persons, first, last = map(int, match.groups())
        assert violation.step == first
        for step in range(first, last + 1):
            assert counted[step] == persons
            reported.add(step)
    assert reported == {step for step, persons in enumerate(counted) if persons > 6}


# -- rule 7: crossings ---------------------------------------------------------------------------


def test_crossing_before_the_window_opens_is_rule_7() -> None:
    entry = evacuated("h1", "X", ("A", 0, 2), ("J", 4, 4), ("S", 5, 5), ("X", 6, 7))
    [violation] = only(verify(SCENARIO, with_entry(valid_plan(), entry)), 7)
    assert (violation.household, violation.step) == ("h1", 7)
    assert "8..23" in violation.message


def test_crossing_without_clearance_is_rule_7() -> None:
    entry = evacuated("h3", "Y", ("A", 0, 3), ("J", 5, 5), ("S", 6, 6), ("Y", 7, 7))
    [violation] = only(verify(SCENARIO, with_entry(valid_plan(), entry)), 7)
    assert (violation.household, violation.step) == ("h3", 7)
    assert "clear" in violation.message


def test_crossing_at_a_node_that_is_no_crossing_is_rule_7() -> None:
    entry = evacuated("h1", "S", ("A", 0, 2), ("J", 4, 4), ("S", 5, 8))
    [violation] = only(verify(SCENARIO, with_entry(valid_plan(), entry)), 7)
    assert (violation.household, violation.step) == ("h1", 8)


def test_window_capacity_across_households_is_rule_7() -> None:
    # 4 + 2 (step 8) + 3 (step 9) + 5 (step 11) = 14 > 12: h4 tips it over.
    entry = evacuated("h4", "X", ("S", 0, 10), ("X", 11, 11))
    [violation] = only(verify(SCENARIO, with_entry(valid_plan(), entry)), 7)
    assert (violation.household, violation.step) == ("h4", 11)
    assert "14 persons" in violation.message
    assert all(hid in violation.message for hid in ("h1", "h2", "h3", "h4"))


def test_overlapping_windows_both_count_the_crossing() -> None:
    # h4 (5) at step 21 and h2 (3) at 22 fall in both windows; h2 tips both over: 14 > 12 in
    # the first window (after h1 and h3), 8 > 6 in the second.
    plan = with_entry(valid_plan(), evacuated("h2", "X", ("B", 0, 0), ("J", 2, 18), ("X", 22, 22)))
    plan = with_entry(plan, evacuated("h4", "X", ("S", 0, 20), ("X", 21, 21)))
    found = only(verify(SCENARIO, plan), 7)
    assert [(v.household, v.step) for v in found] == [("h2", 22), ("h2", 22)]
    assert any("8..23" in v.message and "14 persons" in v.message for v in found)
    assert any("20..31" in v.message and "8 persons" in v.message for v in found)


# -- rule 8: horizon -----------------------------------------------------------------------------


def test_step_at_the_horizon_is_rule_8() -> None:
    entry = evacuated("h4", "Y", ("S", 0, 95), ("Y", 96, 96))
    found = only(verify(SCENARIO, with_entry(valid_plan(), entry)), 8)
    assert {(v.household, v.step) for v in found} == {("h4", 96)}


def test_negative_step_is_rule_8() -> None:
    entry = HouseholdPlan("h5", None, (Stop("A", -1, None),))
    [violation] = only(verify(SCENARIO, with_entry(valid_plan(), entry)), 8)
    assert (violation.household, violation.step) == ("h5", -1)


# -- all at once -----------------------------------------------------------------------------------


def test_every_violation_is_listed() -> None:
    plan = with_entry(
        valid_plan(),
        evacuated("h1", "X", ("A", 0, 1), ("J", 3, 4), ("S", 5, 5), ("X", 6, 7)),
        objective=99.0,
    )
    plan = with_entry(plan, evacuated("h2", "X", ("B", 0, 0), ("J", 1, 3), ("X", 7, 9)))
    rules = {rule for rule, found in verify(SCENARIO, plan).by_rule().items() if found}
    assert rules == {0, 2, 3, 7}


def test_thousands_of_households_verify() -> None:
    households = tuple(Household(f"m{i}", 1 + i % 3, "A") for i in range(3000))
    scenario = build_scenario(households)
    entries = tuple(
        evacuated(h.id, "Y", ("A", 0, i % 60), ("J", i % 60 + 2, 62), ("S", 63, 63), ("Y", 64, 64))
        for i, h in enumerate(households)
    )
    plan = Plan("test", "hand", float(sum(h.size for h in households)), None, entries)
    report = verify(scenario, plan)
    assert report.objective == plan.objective
    assert report.by_rule()[1] == []
    from_a = [v for v in report.by_rule()[5] if "A->J" in v.message]
    assert len(from_a) == 60  # every departure step from A is over 5 persons
    assert [v.step for v in report.by_rule()[6]] == [63]
    assert "and 2990 more" in report.by_rule()[6][0].message
