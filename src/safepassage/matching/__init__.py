"""Resettlement matching: every household to a host's pledged places, optimally and explainably.

:func:`solve` picks a matcher by name (``milp``, the optimum with a proven bound; ``greedy``,
the baseline), checks the pins first, and returns a :class:`MatchingResult` whose
``is_feasible()`` comes from the independent :mod:`.check`. :func:`explain` says, for every
household and pledge, why the assignment is what it is.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from safepassage.matching import milp
from safepassage.matching.eligibility import Block, reasons
from safepassage.matching.explain import Explanations, explain
from safepassage.matching.greedy import greedy
from safepassage.matching.highs_model import Residual
from safepassage.matching.instance import Instance, Outcome
from safepassage.matching.model import (
    Floor,
    HostKind,
    Household,
    MatchingProblem,
    OutcomeScores,
    Override,
    OverrideKind,
    Pledge,
    Vetting,
    VettingStatus,
    Weights,
)
from safepassage.matching.repair import fill_room, make_room
from safepassage.matching.result import FloorsUnreachable, MatchingResult, PinRefused


@dataclass(frozen=True)
class MatchingParams:
    """How to solve.

    ``gap``: relative gap (against the proven bound) at which the search stops.
    ``node_limit``: branch-and-bound nodes per MILP, the work limit that stops a search short
    of the gap; the result's status says which of the two stopped it.
    ``time_limit``: seconds of wall clock, only when asked for: the result then depends on
    the machine's load, while without it the same round gives the same assignment anywhere.
    ``exact_pairs``: eligible pairs up to which the whole round is one MILP; above, the LP is
    solved in parts and rounded, and the gap is measured against the Lagrangian bound.
    """

    time_limit: float | None = None
    gap: float = 1e-4
    node_limit: int = milp.NODE_LIMIT
    exact_pairs: int = milp.EXACT_PAIRS
    part_size: int = milp.PART_SIZE


class Matcher(Protocol):
    def __call__(self, instance: Instance, params: MatchingParams, seed: int) -> Outcome: ...


def _milp(instance: Instance, params: MatchingParams, seed: int) -> Outcome:
    unreachable = FloorsUnreachable(
        "no assignment meets the floors of "
        + ", ".join(f.group or "(no group)" for f in instance.problem.floors)
        + " with these pledges and pins: lower a floor or add places"
    )
    if not milp.floors_within_reach(instance):
        raise unreachable
    if int(np.count_nonzero(instance.blocked == 0)) <= params.exact_pairs:
        try:
            found = milp.exact(
                instance,
                time_limit=params.time_limit,
                gap=params.gap,
                node_limit=params.node_limit,
                seed=seed,
            )
        except milp.Infeasible as infeasible:
            raise unreachable from infeasible
    else:
        found = milp.by_parts(
            instance,
            time_limit=params.time_limit,
            seed=seed,
            gap=params.gap,
            part_size=params.part_size,
            node_limit=params.node_limit,
        )
    found = _maximal(instance, found)
    return dataclasses.replace(found, status=milp.stop_status(found, params.gap))


def _maximal(instance: Instance, found: Outcome) -> Outcome:
    """The outcome with every household that fits an open place placed (see :mod:`.repair`)."""
    assigned = found.assigned.copy()
    added = fill_room(instance, assigned)
    moved = make_room(instance, assigned) > 0
    if not added and not moved:
        return found
    objective = instance.objective(assigned)
    steps = [f"{added} left out with room placed"] if added else []
    steps += ["households moved to make room"] if moved else []
    return dataclasses.replace(
        found,
        assigned=assigned,
        objective=objective,
        bound=None if found.bound is None else max(found.bound, objective),
        method=", ".join([found.method, *steps]),
    )


def _greedy(instance: Instance, params: MatchingParams, seed: int) -> Outcome:
    return greedy(instance)


MATCHERS: Mapping[str, Matcher] = {"milp": _milp, "greedy": _greedy}


class UnknownMatcherError(ValueError):
    pass


def solve(
    problem: MatchingProblem,
    *,
    solver: str = "milp",
    params: MatchingParams | None = None,
    seed: int = 0,
) -> MatchingResult:
    matcher = MATCHERS.get(solver)
    if matcher is None:
        raise UnknownMatcherError(f"unknown matcher {solver!r}; choose one of {sorted(MATCHERS)}")
    began = time.perf_counter()
    instance = Instance.compile(problem)
    _check_pins(instance)
    outcome = matcher(instance, params or MatchingParams(), seed)
    pledges = problem.pledges
    return MatchingResult(
        problem=problem,
        solver=solver,
        method=outcome.method,
        assigned=tuple(None if j < 0 else pledges[j].id for j in outcome.assigned.tolist()),
        objective=outcome.objective,
        bound=outcome.bound,
        status=outcome.status,
        runtime=time.perf_counter() - began,
        prices=outcome.prices,
        instance=instance,
    )


def _check_pins(instance: Instance) -> None:
    problem = instance.problem
    found = []
    for h in np.flatnonzero(instance.pinned >= 0).tolist():
        j = int(instance.pinned[h])
        flags = int(instance.blocked[h, j])
        if flags:
            found.append(
                f"household {problem.households[h].id} is pinned to {problem.pledges[j].id}, "
                f"which a hard rule blocks: {'; '.join(reasons(flags))}"
            )
    pinned = np.flatnonzero(instance.pinned >= 0)
    left = Residual.full(instance).without(instance, instance.pinned, pinned)
    for name, residual in (
        ("person places", left.persons),
        ("household places", left.households),
        ("medical places", left.medical),
    ):
        for j in np.flatnonzero(residual < 0).tolist():
            found.append(f"pins overfill the {name} of {problem.pledges[j].id}")
    for j in np.flatnonzero((left.paced < 0).any(axis=1)).tolist():
        found.append(f"pins overfill the places {problem.pledges[j].id} opens to early batches")
    if found:
        raise PinRefused("; ".join(found))


__all__ = [
    "MATCHERS",
    "Block",
    "Explanations",
    "Floor",
    "FloorsUnreachable",
    "HostKind",
    "Household",
    "Matcher",
    "MatchingParams",
    "MatchingProblem",
    "MatchingResult",
    "OutcomeScores",
    "Override",
    "OverrideKind",
    "PinRefused",
    "Pledge",
    "UnknownMatcherError",
    "Vetting",
    "VettingStatus",
    "Weights",
    "explain",
    "solve",
]
