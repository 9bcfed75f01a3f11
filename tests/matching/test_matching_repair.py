"""Nobody is left out where a place they may use is open, on seeded rounds of every shape."""

from __future__ import annotations

import numpy as np
import pytest
from matching_helpers import household, pledge

from safepassage.matching import (
    MatchingParams,
    MatchingProblem,
    Override,
    OverrideKind,
    solve,
)
from safepassage.matching.check import left_out_with_room, violations
from safepassage.matching.greedy import greedy
from safepassage.matching.instance import Instance
from safepassage.matching.repair import fill_room, make_room
from safepassage.synthetic.matching_instance import matching_instance

SHORT = 20
"""Nodes per MILP: searches stopped early are the ones that leave households out (without
the repair, the second round leaves 2 households beside room and the third 1)."""
ROUNDS = [
    # households, hosts, seed, params: exact MILPs, parts with a polish, parts without
    (200, 10, 1, MatchingParams(node_limit=SHORT)),
    (300, 60, 2, MatchingParams(node_limit=SHORT)),
    (400, 100, 3, MatchingParams(node_limit=SHORT)),
    (1_500, 40, 4, MatchingParams(part_size=400, node_limit=SHORT)),
]


@pytest.mark.parametrize(("households", "hosts", "seed", "params"), ROUNDS)
def test_no_unplaced_household_fits_an_open_place(
    households: int, hosts: int, seed: int, params: MatchingParams
) -> None:
    problem = matching_instance(households, hosts, seed=seed)
    result = solve(problem, params=params, seed=seed)
    assert result.is_feasible(), result.violations[:3]
    assert left_out_with_room(problem, result.assigned) == []


def test_filling_places_the_household_a_stopped_solver_left_beside_room() -> None:
    problem = MatchingProblem(
        (household("a", 2), household("b", 3), household("c", 1)),
        (pledge("p", 4), pledge("q", 2)),
    )
    instance = Instance.compile(problem)
    assigned = np.array([0, -1, -1], dtype=np.int64)  # a at p; b fits nowhere; c fits p and q
    assert left_out_with_room(problem, ("p", None, None)) == ["c"]
    assert fill_room(instance, assigned) == 1
    assert assigned.tolist() == [0, -1, 0]  # p and q tie on score: the first pledge wins
    assert left_out_with_room(problem, ("p", None, "p")) == []


def test_the_check_sees_every_capacity_and_rule() -> None:
    problem = MatchingProblem(
        (household("a", 2, medical=1), household("b", 2, medical=1), household("c", 3)),
        (pledge("p", 10, medical_places=1, places_households=2, max_household_size=2),),
    )
    # b: medical places used up; c: too large for p
    assert left_out_with_room(problem, ("p", None, None)) == []
    assert left_out_with_room(problem, (None, None, None)) == ["a", "b"]


def test_a_household_moves_to_make_room_when_that_places_more() -> None:
    # b fits only p, where a sits; a could as well be at q: moving it places both
    problem = MatchingProblem(
        (household("a", 2), household("b", 3)),
        (pledge("p", 3), pledge("q", 2, languages=frozenset({"de"}))),
    )
    instance = Instance.compile(problem)
    assigned = np.array([0, -1], dtype=np.int64)
    assert left_out_with_room(problem, ("p", None)) == []  # maximal, yet not the best
    gained = make_room(instance, assigned)
    assert assigned.tolist() == [1, 0]
    assert gained == pytest.approx(instance.objective(assigned) - 2 * 10.0)


def test_a_pinned_household_is_never_moved() -> None:
    problem = MatchingProblem(
        (household("a", 2), household("b", 3)),
        (pledge("p", 3), pledge("q", 2)),
        overrides=(Override("a", "p", OverrideKind.PIN, "kept with its sponsor"),),
    )
    instance = Instance.compile(problem)
    assigned = np.array([0, -1], dtype=np.int64)
    assert make_room(instance, assigned) == 0.0
    assert assigned.tolist() == [0, -1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_moves_keep_every_rule_on_seeded_rounds(seed: int) -> None:
    problem = matching_instance(300, 40, seed=seed, scarcity=0.8)
    instance = Instance.compile(problem)
    assigned = greedy(instance).assigned.copy()
    before = instance.objective(assigned)
    make_room(instance, assigned)
    ids = tuple(None if j < 0 else problem.pledges[j].id for j in assigned.tolist())
    assert violations(problem, ids) == []
    assert left_out_with_room(problem, ids) == []
    assert instance.objective(assigned) >= before
