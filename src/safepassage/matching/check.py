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

from safepassage.matching.model import MatchingProblem, OverrideKind, VettingStatus


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
    vetting = {(v.household, v.host): v.status for v in problem.vetting}
    forbidden = {(o.household, o.host) for o in problem.overrides if o.kind is OverrideKind.FORBID}
    pins = {o.household: o.host for o in problem.overrides if o.kind is OverrideKind.PIN}
    pledged_countries = {p.country for p in problem.pledges}
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

        def broken(rule: str, message: str, subject: str = household.id, at: str = where) -> None:
            found.append(Violation(rule, subject, f"at {at}: {message}"))

        status = vetting.get((household.id, pledge.id), vetting.get((household.id, pledge.country)))
        if status is VettingStatus.REFUSED:
            broken("vetting", "vetting refused")
        elif status is VettingStatus.PENDING:
            broken("vetting", "vetting pending")
        elif status is None and pledge.requires_vetting:
            broken("vetting", "not vetted")
        if pledge.max_household_size is not None and household.size > pledge.max_household_size:
            broken("size", "household larger than allowed")
        if household.medical > pledge.medical_places:
            broken("medical", "more medical needs than medical places")
        if household.ready and pledge.deadline and household.ready > pledge.deadline:
            broken("deadline", "ready after the deadline")
        relatives = household.relatives_in & pledged_countries
        if problem.weights.relatives_hard and relatives and pledge.country not in relatives:
            broken("relatives", "relatives live in another pledged country")
        if (household.id, pledge.id) in forbidden:
            broken("forbid", "the pair is forbidden by an override")
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
