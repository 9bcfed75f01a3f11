"""The matcher: optimal on tiny rounds, every hard rule obeyed, overrides kept, bounds valid."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matching_helpers import brute_force, cleared, household, objective, on, pledge

from safepassage.matching import (
    Floor,
    FloorsUnreachable,
    MatchingParams,
    MatchingProblem,
    Override,
    OverrideKind,
    PinRefused,
    Vetting,
    VettingStatus,
    Weights,
    milp,
    solve,
)
from safepassage.matching.check import violations
from safepassage.matching.instance import Instance, Prices
from safepassage.synthetic.matching_instance import matching_instance

EXACT = MatchingParams(gap=0.0, time_limit=30.0)


def placed(problem: MatchingProblem, **more: object) -> dict[str, str | None]:
    result = solve(problem, params=EXACT, **more)  # type: ignore[arg-type]
    assert result.is_feasible(), result.violations
    return dict(zip((h.id for h in problem.households), result.assigned, strict=True))


# -- optimality ---------------------------------------------------------------------------


@st.composite
def tiny_rounds(draw: st.DrawFn) -> MatchingProblem:
    """Up to 5 households and 3 pledges with every rule in play, some always binding."""
    count = draw(st.integers(1, 5))
    countries = ("DE", "GB")
    pledges = tuple(
        pledge(
            f"p{j}",
            draw(st.integers(0, 7)),
            country=countries[j % 2],
            places_households=draw(st.none() | st.integers(0, 3)),
            max_household_size=draw(st.none() | st.integers(1, 4)),
            medical_places=draw(st.integers(0, 2)),
            languages=frozenset({"de"}) if j % 2 == 0 else frozenset({"en"}),
            deadline=draw(st.none() | st.just(on(10))),
            requires_vetting=draw(st.booleans()),
        )
        for j in range(draw(st.integers(1, 3)))
    )
    wanted = sorted({p.id for p in pledges} | {p.country for p in pledges})
    households = []
    for i in range(count):
        size = draw(st.integers(1, 4))
        households.append(
            household(
                f"h{i}",
                size,
                medical=draw(st.integers(0, 1)),
                languages=(("de", draw(st.integers(1, size))),) if draw(st.booleans()) else (),
                relatives_in=frozenset(draw(st.sets(st.sampled_from(countries), max_size=1))),
                preferences=tuple(draw(st.lists(st.sampled_from(wanted), max_size=2, unique=True))),
                group=draw(st.sampled_from(("volunteer", "family"))),
                batch=draw(st.integers(0, 1)),
                ready=on(draw(st.integers(1, 20))),
            )
        )
    statuses = st.sampled_from(tuple(VettingStatus))
    vetting = tuple(
        Vetting(h.id, host, draw(statuses))
        for h in households
        for host in ("DE", "p1")
        if draw(st.booleans()) and (host == "DE" or len(pledges) > 1)
    )
    pins, forbids = [], []
    for h in households:
        choice = draw(st.sampled_from(("none", "none", "none", "forbid", "pin")))
        target = draw(st.sampled_from([p.id for p in pledges]))
        if choice == "forbid":
            forbids.append(Override(h.id, target, OverrideKind.FORBID, "liaison asked"))
        elif choice == "pin":
            pins.append(Override(h.id, target, OverrideKind.PIN, "joins a cousin"))
    groups = {h.group for h in households}
    floors = tuple(
        Floor(g, draw(st.sampled_from((0.0, 0.5, 1.0))))
        for g in sorted(groups)
        if draw(st.booleans())
    )
    return MatchingProblem(
        households=tuple(households),
        pledges=pledges,
        vetting=vetting,
        overrides=tuple(pins + forbids),
        weights=Weights(relatives_hard=draw(st.booleans())),
        floors=floors,
        pacing=draw(st.sampled_from(((), (0.5,), (0.3, 1.0)))),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_rounds())
def test_the_milp_equals_brute_force(problem: MatchingProblem) -> None:
    best = brute_force(problem)
    try:
        result = solve(problem, params=EXACT)
    except PinRefused:
        assert best is None  # a pin on a blocked pair or beyond capacity: nothing can hold
        return
    except FloorsUnreachable:
        assert best is None
        return
    assert best is not None
    assert result.is_feasible(), result.violations
    assert result.objective == pytest.approx(best[0], rel=1e-9, abs=1e-6)
    assert objective(problem, result.assigned) == pytest.approx(result.objective, rel=1e-12)
    assert result.bound is not None and result.bound >= best[0] - 1e-6


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_rounds(), st.integers(0, 2**16))
def test_any_prices_bound_every_assignment(problem: MatchingProblem, seed: int) -> None:
    best = brute_force(problem)
    if best is None:
        return
    instance = Instance.compile(problem)
    rng = np.random.default_rng(seed)
    prices = Prices.zero(instance)
    for array in (prices.persons, prices.households, prices.medical, prices.paced, prices.floors):
        array[...] = rng.exponential(5.0, size=array.shape) * (rng.random(array.shape) < 0.5)
    assert milp.lagrangian_bound(instance, prices) >= best[0] - 1e-6


def test_parts_give_a_valid_bound_and_a_feasible_assignment() -> None:
    problem = matching_instance(400, 8, seed=11)
    exact = solve(problem, params=MatchingParams(gap=0.0))
    parts = solve(
        problem, params=MatchingParams(exact_pairs=0, part_size=100, time_limit=10), seed=3
    )
    assert exact.status == "optimal"
    assert parts.method.startswith("LP by parts")
    assert parts.is_feasible()
    assert parts.bound is not None and exact.bound is not None
    assert parts.bound >= exact.objective - 1e-6
    assert parts.objective <= exact.objective + 1e-6
    assert parts.gap is not None and parts.gap < 0.01


def test_parts_bound_a_round_where_everyone_is_pinned() -> None:
    problem = MatchingProblem(
        (household("a", 2), household("b", 3)),
        (pledge("p", 5),),
        overrides=(
            Override("a", "p", OverrideKind.PIN, "one"),
            Override("b", "p", OverrideKind.PIN, "two"),
        ),
    )
    result = solve(problem, params=MatchingParams(exact_pairs=0))
    assert result.assigned == ("p", "p")
    assert result.bound == pytest.approx(result.objective, abs=1e-5)


def test_the_milp_beats_the_greedy_baseline() -> None:
    problem = matching_instance(300, 10, seed=5)
    best = solve(problem, params=MatchingParams(gap=0.0))
    baseline = solve(problem, solver="greedy")
    assert baseline.is_feasible()
    assert baseline.bound is None
    assert best.objective > baseline.objective


# -- one test per hard rule ----------------------------------------------------------------


def test_refused_vetting_blocks_the_pair() -> None:
    h = household("h")
    problem = MatchingProblem(
        (h,),
        (
            pledge("a", 2, requires_vetting=True),
            pledge("b", 2, country="GB", requires_vetting=True),
        ),
        vetting=(Vetting("h", "DE", VettingStatus.REFUSED), *cleared([h], "GB")),
        weights=Weights(),
    )
    assert placed(problem) == {"h": "b"}


def test_pending_vetting_blocks_until_cleared() -> None:
    h = household("h")
    pending = MatchingProblem(
        (h,),
        (pledge("a", 2, requires_vetting=True),),
        vetting=(Vetting("h", "a", VettingStatus.PENDING),),
    )
    assert placed(pending) == {"h": None}
    cleared_now = dataclasses.replace(pending, vetting=(Vetting("h", "a", VettingStatus.CLEARED),))
    assert placed(cleared_now) == {"h": "a"}


def test_pending_blocks_even_where_no_vetting_is_required() -> None:
    h = household("h")
    problem = MatchingProblem(
        (h,), (pledge("a", 2),), vetting=(Vetting("h", "a", VettingStatus.PENDING),)
    )
    assert placed(problem) == {"h": None}


def test_a_pledge_requiring_vetting_takes_nobody_unvetted() -> None:
    h = household("h")
    problem = MatchingProblem((h,), (pledge("a", 2, requires_vetting=True), pledge("b", 2)))
    assert placed(problem) == {"h": "b"}


def test_a_pledge_row_wins_over_its_country_row() -> None:
    h = household("h")
    problem = MatchingProblem(
        (h,),
        (pledge("a", 2, requires_vetting=True),),
        vetting=(
            Vetting("h", "DE", VettingStatus.REFUSED),
            Vetting("h", "a", VettingStatus.CLEARED),
        ),
    )
    assert placed(problem) == {"h": "a"}


def test_a_household_too_large_for_the_pledge_is_not_placed_there() -> None:
    problem = MatchingProblem(
        (household("big", 6),),
        (pledge("small", 10, max_household_size=5), pledge("other", 10, country="GB")),
    )
    assert placed(problem) == {"big": "other"}


def test_medical_needs_go_only_where_there_are_medical_places() -> None:
    problem = MatchingProblem(
        (household("sick", 3, medical=1, languages=(("de", 3),)),),
        (
            pledge("no-care", 10, languages=frozenset({"de"})),
            pledge("care", 10, country="GB", medical_places=1),
        ),
    )
    assert placed(problem) == {"sick": "care"}


def test_a_household_ready_after_the_deadline_is_not_placed_there() -> None:
    problem = MatchingProblem(
        (household("late", 2, ready=on(20), preferences=("soon",)),),
        (pledge("soon", 10, deadline=on(15)), pledge("later", 10, country="GB")),
    )
    assert placed(problem) == {"late": "later"}


def test_relatives_switched_to_a_hard_rule() -> None:
    problem = MatchingProblem(
        (household("h", 2, relatives_in=frozenset({"GB"}), languages=(("de", 2),)),),
        (pledge("de", 2, languages=frozenset({"de"})), pledge("gb", 1, country="GB")),
        weights=Weights(relatives=0.0, relatives_hard=True),
    )
    assert placed(problem) == {"h": None}  # the only pledge in GB is too small
    soft = dataclasses.replace(problem, weights=Weights(relatives=0.0))
    assert placed(soft) == {"h": "de"}


def test_relatives_where_nobody_pledged_restrict_nothing() -> None:
    problem = MatchingProblem(
        (household("h", 2, relatives_in=frozenset({"US"})),),
        (pledge("de", 2),),
        weights=Weights(relatives_hard=True),
    )
    assert placed(problem) == {"h": "de"}


def test_households_are_never_split_across_pledges() -> None:
    # 5 persons, two pledges of 3: a split would place everyone, whole households place 3
    problem = MatchingProblem(
        (household("five", 5), household("three", 3)),
        (pledge("a", 3), pledge("b", 3, country="GB")),
    )
    where = placed(problem)
    assert where["five"] is None and where["three"] in {"a", "b"}


@pytest.mark.parametrize(
    ("limits", "expected_placed"),
    [
        ({"places_households": 1}, 1),  # household places
        ({"medical_places": 1}, 1),  # medical places (both have a medical need)
    ],
)
def test_capacities_in_every_dimension(limits: dict[str, int], expected_placed: int) -> None:
    households = (household("x", 1, medical=1), household("y", 1, medical=1))
    extra = {"medical_places": 2} | limits
    problem = MatchingProblem(households, (pledge("a", 10, **extra),))
    assert sum(p is not None for p in placed(problem).values()) == expected_placed


def test_person_places_are_never_exceeded() -> None:
    households = tuple(household(f"h{i}", 3) for i in range(4))
    problem = MatchingProblem(households, (pledge("a", 7),))
    assert sum(p is not None for p in placed(problem).values()) == 2


def test_pacing_keeps_places_for_later_batches() -> None:
    early = tuple(household(f"e{i}", 2, batch=0, preferences=("a",)) for i in range(3))
    late = (household("late", 2, batch=1),)
    problem = MatchingProblem(early + late, (pledge("a", 6),), pacing=(0.5,))
    where = placed(problem)
    assert sum(where[h.id] == "a" for h in early) == 1  # half of 6 places: one early family
    assert where["late"] == "a"


def test_floors_give_a_group_its_share() -> None:
    volunteers = tuple(
        household(f"v{i}", 2, group="volunteer", relatives_in=frozenset({"DE"})) for i in range(3)
    )
    family = (household("f", 2, group="family"),)
    problem = MatchingProblem(volunteers + family, (pledge("a", 6),))
    assert placed(problem)["f"] is None
    fair = dataclasses.replace(problem, floors=(Floor("family", 1.0),))
    assert placed(fair)["f"] == "a"
    impossible = dataclasses.replace(
        problem, floors=(Floor("family", 1.0),), pledges=(pledge("a", 1),)
    )
    with pytest.raises(FloorsUnreachable):
        solve(impossible, params=EXACT)


# -- overrides -------------------------------------------------------------------------------


def test_a_pin_holds_even_against_the_score() -> None:
    h = household("h", 2, relatives_in=frozenset({"GB"}))
    problem = MatchingProblem((h,), (pledge("de", 4), pledge("gb", 4, country="GB")))
    assert placed(problem) == {"h": "gb"}
    pinned = dataclasses.replace(
        problem, overrides=(Override("h", "de", OverrideKind.PIN, "medical follow-up in Berlin"),)
    )
    assert placed(pinned) == {"h": "de"}


def test_a_forbid_holds_and_resolving_respects_it() -> None:
    h = household("h", 2, relatives_in=frozenset({"GB"}))
    problem = MatchingProblem(
        (h, household("k", 2)),
        (pledge("de", 4), pledge("gb", 4, country="GB")),
        overrides=(Override("h", "gb", OverrideKind.FORBID, "liaison refused"),),
    )
    for seed in (0, 1):
        assert placed(problem, seed=seed)["h"] == "de"


def test_a_pin_breaking_a_hard_rule_is_refused() -> None:
    problem = MatchingProblem(
        (household("big", 6),),
        (pledge("small", 10, max_household_size=4),),
        overrides=(Override("big", "small", OverrideKind.PIN, "asked by the family"),),
    )
    with pytest.raises(PinRefused, match="largest household size"):
        solve(problem)


def test_pins_that_overfill_a_pledge_are_refused() -> None:
    problem = MatchingProblem(
        (household("a", 3), household("b", 3)),
        (pledge("p", 5),),
        overrides=(
            Override("a", "p", OverrideKind.PIN, "one"),
            Override("b", "p", OverrideKind.PIN, "two"),
        ),
    )
    with pytest.raises(PinRefused, match="person places of p"):
        solve(problem)


def test_overrides_contradicting_each_other_are_refused_by_the_model() -> None:
    with pytest.raises(ValueError, match="pinned to two pledges"):
        MatchingProblem(
            (household("a"),),
            (pledge("p"), pledge("q", country="GB")),
            overrides=(
                Override("a", "p", OverrideKind.PIN, "one"),
                Override("a", "q", OverrideKind.PIN, "two"),
            ),
        )


def test_the_checker_catches_what_the_solver_must_avoid() -> None:
    problem = MatchingProblem(
        (household("a", 3), household("b", 3, medical=1)),
        (pledge("p", 5),),
        overrides=(Override("a", "p", OverrideKind.FORBID, "no"),),
    )
    rules = {v.rule for v in violations(problem, ("p", "p"))}
    assert rules == {"forbid", "medical", "capacity"}


def test_the_status_says_what_stopped_the_search() -> None:
    assert MatchingParams().time_limit is None  # a wall clock only when asked for
    problem = matching_instance(150, 30, seed=2)
    stopped = solve(problem, params=MatchingParams(gap=0.0, node_limit=1))
    assert stopped.status.startswith("stopped by the node limit (1 nodes) at a gap of ")
    assert stopped.is_feasible()
    reached = solve(problem)
    assert reached.gap is not None and reached.gap <= MatchingParams().gap
    assert reached.status == "optimal" or reached.status.startswith("gap reached: ")
