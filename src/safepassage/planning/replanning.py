"""Re-planning part-way through an operation: what a previous plan already set in motion.

At the instant re-planning starts, each household of the previous plan is in one of three
states: already across (its whole itinerary stays, and its window places stay taken), on its
way (the stops behind it stay; it goes on from the node it is at, or is arriving at, no
earlier than it can), or still at home (planned afresh, like everyone else, from that instant).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from safepassage.formats.problems import InputError, Problem
from safepassage.model import HouseholdPlan, Plan, Scenario, Stop


@dataclass(frozen=True)
class InTransit:
    """A household that has left home: at ``node`` since ``arrive``, free to leave from
    ``not_before``; ``behind`` are its completed stops, kept as they were."""

    household: str
    behind: tuple[Stop, ...]
    node: str
    arrive: int
    not_before: int


@dataclass(frozen=True)
class Commitments:
    crossed: tuple[HouseholdPlan, ...]
    in_transit: tuple[InTransit, ...]

    @property
    def fixed_ids(self) -> frozenset[str]:
        return frozenset(e.household for e in self.crossed) | {t.household for t in self.in_transit}


def commitments(scenario: Scenario, fixed: Plan, from_step: int, *, source: str) -> Commitments:
    """Split a previous plan at ``from_step``; households it left at home are not committed.

    Moves already made must exist in this scenario (known nodes, roads between consecutive
    stops); ``source`` names the plan file in the problems raised otherwise.
    """
    _check_moves(scenario, fixed, source)
    crossed: list[HouseholdPlan] = []
    moving: list[InTransit] = []
    known = scenario.household_by_id
    for entry in fixed.households:
        stops = entry.itinerary
        if entry.household not in known or not entry.evacuated or not stops:
            continue
        leaves = stops[0].depart_step
        if leaves is None or leaves >= from_step:
            continue  # still at home: planned afresh
        crossing_step = stops[-1].depart_step
        if crossing_step is not None and crossing_step < from_step:
            crossed.append(entry)
            continue
        here = max(i for i, stop in enumerate(stops) if stop.arrive_step <= from_step)
        depart = stops[here].depart_step
        if depart is not None and depart < from_step:
            here += 1  # on the road: it arrives at the next stop first
        stop = stops[here]
        moving.append(
            InTransit(
                household=entry.household,
                behind=stops[:here],
                node=stop.node,
                arrive=stop.arrive_step,
                not_before=max(from_step, stop.arrive_step),
            )
        )
    return Commitments(tuple(crossed), tuple(moving))


def _check_moves(scenario: Scenario, fixed: Plan, source: str) -> None:
    problems = []
    if fixed.scenario != scenario.name:
        problems.append(
            Problem(
                source,
                None,
                "scenario",
                f"the plan is for scenario '{fixed.scenario}', "
                f"not '{scenario.name}': re-plan from a plan of this scenario",
            )
        )
    for i, entry in enumerate(fixed.households):
        where = f"households[{i}].itinerary"
        for stop in entry.itinerary:
            if not scenario.has_node(stop.node):
                problems.append(
                    Problem(
                        source,
                        None,
                        where,
                        f"household {entry.household} stops at unknown node '{stop.node}'",
                    )
                )
        for prev, nxt in pairwise(entry.itinerary):
            if (prev.node, nxt.node) not in scenario.roads_between and scenario.has_node(prev.node):
                problems.append(
                    Problem(
                        source,
                        None,
                        where,
                        f"household {entry.household} goes "
                        f"from {prev.node} to {nxt.node}, which no road joins",
                    )
                )
    if problems:
        raise InputError(problems)
