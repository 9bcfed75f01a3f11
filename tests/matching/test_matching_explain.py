"""Explanations agree with the assignment: scores, alternatives, why-nots, uses of pledges."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from matching_helpers import NOT_CAPACITY, household, pledge

from safepassage.matching import (
    MatchingParams,
    MatchingProblem,
    MatchingResult,
    Override,
    OverrideKind,
    Vetting,
    VettingStatus,
    Weights,
    explain,
    solve,
)
from safepassage.matching.check import violations
from safepassage.matching.eligibility import blocked_pairs
from safepassage.matching.scoring import ScoreTables
from safepassage.synthetic.matching_instance import matching_instance


@pytest.fixture(scope="module")
def optimal() -> MatchingResult:
    problem = matching_instance(160, 9, seed=21)
    eligible = np.flatnonzero(blocked_pairs(problem)[0] == 0)
    worst = eligible[np.argmin(ScoreTables(problem).scores()[0, eligible])]
    pins = (
        Override(problem.households[0].id, problem.pledges[worst].id, OverrideKind.PIN, "family"),
        Override(problem.households[1].id, problem.pledges[0].id, OverrideKind.FORBID, "no"),
    )
    result = solve(dataclasses.replace(problem, overrides=pins), params=MatchingParams(gap=0.0))
    assert result.status == "optimal"
    return result


def _room(result: MatchingResult, household_index: int, pledge_id: str) -> bool:
    """Whether the household fits at the pledge next to everyone placed there (own count)."""
    problem = result.problem
    h = problem.households[household_index]
    p = problem.pledges[problem.pledge_index[pledge_id]]
    others = [
        o
        for o, where in zip(problem.households, result.assigned, strict=True)
        if where == pledge_id and o.id != h.id
    ]
    return (
        sum(o.size for o in others) + h.size <= p.places_persons
        and (p.places_households is None or len(others) + 1 <= p.places_households)
        and sum(o.medical for o in others) + h.medical <= p.medical_places
    )


def _blocked(result: MatchingResult, household_index: int, pledge_id: str) -> bool:
    alone: list[str | None] = [None] * len(result.problem.households)
    alone[household_index] = pledge_id
    subject = result.problem.households[household_index].id
    return any(
        v.rule in NOT_CAPACITY and v.subject == subject for v in violations(result.problem, alone)
    )


def test_a_better_alternative_is_always_blocked_and_the_message_says_by_what(
    optimal: MatchingResult,
) -> None:
    explained = explain(optimal)
    problem = optimal.problem
    for i, e in enumerate(explained.households):
        assert e.pledge == optimal.assigned[i]
        scores = [a.score for a in e.alternatives]
        assert scores == sorted(scores, reverse=True)
        for alternative in e.alternatives:
            assert alternative.pledge != e.pledge
            better = e.score is None or alternative.score > e.score
            if not better:
                continue
            why = alternative.why_not
            if why.startswith("blocked:"):
                assert _blocked(optimal, i, alternative.pledge)
            elif why.startswith("capacity:"):
                assert not _blocked(optimal, i, alternative.pledge)
                assert not _room(optimal, i, alternative.pledge)
            else:
                assert why.startswith("the household is pinned"), why
                assert e.pinned == "family"
        if e.pledge is None:
            assert e.unplaced and "did not place" not in e.unplaced
        else:
            assert e.unplaced is None
    assert problem.households[0].id == explained.households[0].household


def test_every_blocked_pledge_is_listed_once_with_its_rules(optimal: MatchingResult) -> None:
    explained = explain(optimal)
    for i, e in enumerate(explained.households):
        listed = [p for pledges in e.blocked.values() for p in pledges]
        assert len(listed) == len(set(listed))
        expected = {p.id for p in optimal.problem.pledges if _blocked(optimal, i, p.id)}
        assert set(listed) == expected
    second = explained.households[1]
    forbidden = optimal.problem.pledges[0].id
    assert any(forbidden in ids and "(no)" in rules for rules, ids in second.blocked.items())


def test_the_score_breakdown_adds_up_with_the_published_weights(optimal: MatchingResult) -> None:
    weights = optimal.problem.weights
    for e in explain(optimal).households:
        if e.pledge is None:
            assert e.components == ()
            continue
        assert e.score is not None and e.value is not None
        assert sum(c.points for c in e.components) == pytest.approx(e.score, abs=1e-5)
        for c in e.components:
            assert c.weight == getattr(weights, c.name)
            assert 0.0 <= c.value <= 1.0
        assert e.value == pytest.approx(e.size * (weights.placement + e.score), rel=1e-6)
    total = sum(e.value or 0.0 for e in explain(optimal).households)
    assert total == pytest.approx(optimal.objective, rel=1e-9)


def test_pledge_use_matches_the_assignment(optimal: MatchingResult) -> None:
    problem = optimal.problem
    for use in explain(optimal).pledges:
        mine = [
            h for h, p in zip(problem.households, optimal.assigned, strict=True) if p == use.pledge
        ]
        by_name = {u.capacity: u for u in use.uses}
        assert by_name["persons"].used == sum(h.size for h in mine)
        assert by_name["households"].used == len(mine)
        assert by_name["medical"].used == sum(h.medical for h in mine)
        assert by_name["persons"].used <= (by_name["persons"].pledged or 0)
        assert all(u.full == (u.pledged is not None and 0 < u.pledged == u.used) for u in use.uses)


def test_the_messages_on_a_hand_worked_round() -> None:
    problem = MatchingProblem(
        (
            household("near", 3, relatives_in=frozenset({"GB"})),
            household("far", 3, relatives_in=frozenset({"GB"})),
            household("big", 6),
            household("late", 2, ready=None),
        ),
        (
            pledge("gb", 3, country="GB", requires_vetting=True),
            pledge("de", 3, max_household_size=4),
        ),
        vetting=(
            Vetting("near", "GB", VettingStatus.CLEARED),
            Vetting("far", "GB", VettingStatus.CLEARED),
            Vetting("big", "gb", VettingStatus.PENDING),
            Vetting("late", "GB", VettingStatus.REFUSED),
        ),
        weights=Weights(),
    )
    result = solve(problem, params=MatchingParams(gap=0.0))
    by_id = explain(result).by_household()
    placed_in_gb = [i for i in ("near", "far") if by_id[i].pledge == "gb"]
    assert len(placed_in_gb) == 1
    other = "far" if placed_in_gb == ["near"] else "near"
    top = by_id[other].alternatives[0]
    assert top.pledge == "gb"
    assert top.why_not.startswith("capacity: gb has 0 person places left, 3 needed")
    big = by_id["big"]
    assert big.pledge is None
    assert big.unplaced is not None and big.unplaced.startswith("every pledge is blocked")
    assert "vetting pending" in big.unplaced and "largest household size" in big.unplaced
    assert by_id["late"].blocked == {"vetting refused": ("gb",)}
