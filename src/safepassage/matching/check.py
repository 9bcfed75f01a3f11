"""The independent check of an assignment against the rules of the round.

Written from the rules in :mod:`safepassage.matching.model` alone, pair by pair in plain
Python, sharing no code with the eligibility masks, kernels or MILP that produced the
assignment: a mistake there shows up here instead of being repeated.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from safepassage.matching.model import (
    Household,
    MatchingProblem,
    OverrideKind,
    Pledge,
    VettingStatus,
)


@dataclass(frozen=True)
class Violation:
    rule: str
    subject: str  # a household id, a pledge id or a group
    message: str


def violations(problem: MatchingProblem, assigned: Sequence[str | None]) -> list[Violation]:
    """Every broken rule; an empty list means the assignment may be used."""
    if len(assigned) != len(problem.households):
        return [Violation("shape", "", "one entry per household is needed")]
    found: list[Violation] = []
    pledges = {p.id: p for p in problem.pledges}
    rules = _PairRules.of(problem)
    pins = {o.household: o.host for o in problem.overrides if o.kind is OverrideKind.PIN}
    persons: dict[str, int] = defaultdict(int)
    households: dict[str, int] = defaultdict(int)
    medical: dict[str, int] = defaultdict(int)
    by_batch: dict[tuple[str, int], int] = defaultdict(int)
    placed_in_group: dict[str, int] = defaultdict(int)
    in_group: dict[str, int] = defaultdict(int)
    for household, where in zip(problem.households, assigned, strict=True):
        in_group[household.group] += household.size
        pin = pins.get(household.id)
        if pin is not None and where != pin:
            found.append(Violation("pin", household.id, f"pinned to {pin}, placed elsewhere"))
        if where is None:
            continue
        pledge = pledges.get(where)
        if pledge is None:
            found.append(Violation("pledge", household.id, f"placed with unknown {where}"))
            continue
        for rule, message in _pair_rules(rules, household, pledge):
            found.append(Violation(rule, household.id, f"at {where}: {message}"))
        persons[pledge.id] += household.size
        households[pledge.id] += 1
        medical[pledge.id] += household.medical
        by_batch[(pledge.id, household.batch)] += household.size
        placed_in_group[household.group] += household.size
    last_batch = max((h.batch for h in problem.households), default=0)
    for pledge in problem.pledges:
        if persons[pledge.id] > pledge.places_persons:
            found.append(Violation("capacity", pledge.id, "more persons than places"))
        if pledge.places_households is not None and households[pledge.id] > (
            pledge.places_households
        ):
            found.append(Violation("capacity", pledge.id, "more households than places"))
        if medical[pledge.id] > pledge.medical_places:
            found.append(Violation("capacity", pledge.id, "more medical needs than places"))
        so_far = 0
        for batch in range(min(last_batch + 1, len(problem.pacing))):
            so_far += by_batch[(pledge.id, batch)]
            if so_far > math.floor(problem.pacing[batch] * pledge.places_persons + 1e-9):
                found.append(
                    Violation("pacing", pledge.id, f"batches up to {batch} take too many places")
                )
    for floor in problem.floors:
        if placed_in_group[floor.group] < floor.share * in_group[floor.group] - 1e-9:
            found.append(Violation("floor", floor.group, "fewer persons placed than the floor"))
    return found


def left_out_with_room(problem: MatchingProblem, assigned: Sequence[str | None]) -> list[str]:
    """Unplaced households that some pledge would take as the assignment stands: no rule of
    the pair broken and room in every capacity (persons, households, medical places and the
    places open to the household's batch). An empty list means the assignment is maximal:
    nobody reads "not placed" beside a place that could have been theirs."""
    rules = _PairRules.of(problem)
    persons: dict[str, int] = defaultdict(int)
    households: dict[str, int] = defaultdict(int)
    medical: dict[str, int] = defaultdict(int)
    by_batch: dict[tuple[str, int], int] = defaultdict(int)
    for household, where in zip(problem.households, assigned, strict=True):
        if where is not None:
            persons[where] += household.size
            households[where] += 1
            medical[where] += household.medical
            by_batch[(where, household.batch)] += household.size
    last_batch = max((h.batch for h in problem.households), default=0)
    paced_batches = range(min(last_batch + 1, len(problem.pacing)))

    def has_room(household: Household, pledge: Pledge) -> bool:
        if persons[pledge.id] + household.size > pledge.places_persons:
            return False
        if pledge.places_households is not None and households[pledge.id] >= (
            pledge.places_households
        ):
            return False
        if medical[pledge.id] + household.medical > pledge.medical_places:
            return False
        so_far = 0
        for batch in paced_batches:
            so_far += by_batch[(pledge.id, batch)]
            counted = so_far + (household.size if batch >= household.batch else 0)
            if counted > math.floor(problem.pacing[batch] * pledge.places_persons + 1e-9):
                return False
        return True

    return [
        household.id
        for household, where in zip(problem.households, assigned, strict=True)
        if where is None
        and any(
            not _pair_rules(rules, household, pledge) and has_room(household, pledge)
            for pledge in problem.pledges
        )
    ]


@dataclass(frozen=True)
class _PairRules:
    """What the rules of one pair read, looked up once per round."""

    vetting: dict[tuple[str, str], VettingStatus]
    forbidden: frozenset[tuple[str, str]]
    pledged_countries: frozenset[str]
    relatives_hard: bool

    @classmethod
    def of(cls, problem: MatchingProblem) -> _PairRules:
        return cls(
            {(v.household, v.host): v.status for v in problem.vetting},
            frozenset(
                (o.household, o.host) for o in problem.overrides if o.kind is OverrideKind.FORBID
            ),
            frozenset(p.country for p in problem.pledges),
            problem.weights.relatives_hard,
        )


def _pair_rules(rules: _PairRules, household: Household, pledge: Pledge) -> list[tuple[str, str]]:
    """The rules a household and a pledge break by themselves, whatever else is placed."""
    broken: list[tuple[str, str]] = []
    vetting = rules.vetting
    status = vetting.get((household.id, pledge.id), vetting.get((household.id, pledge.country)))
    if status is VettingStatus.REFUSED:
        broken.append(("vetting", "vetting refused"))
    elif status is VettingStatus.PENDING:
        broken.append(("vetting", "vetting pending"))
    elif status is None and pledge.requires_vetting:
        broken.append(("vetting", "not vetted"))
    if pledge.max_household_size is not None and household.size > pledge.max_household_size:
        broken.append(("size", "household larger than allowed"))
    if household.medical > pledge.medical_places:
        broken.append(("medical", "more medical needs than medical places"))
    if household.ready and pledge.deadline and household.ready > pledge.deadline:
        broken.append(("deadline", "ready after the deadline"))
    relatives = household.relatives_in & rules.pledged_countries
    if rules.relatives_hard and relatives and pledge.country not in relatives:
        broken.append(("relatives", "relatives live in another pledged country"))
    if (household.id, pledge.id) in rules.forbidden:
        broken.append(("forbid", "the pair is forbidden by an override"))
    return broken
