"""An evacuation plan: one itinerary per household, in steps of the scenario's grid."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple


class Stop(NamedTuple):
    """A household is at ``node`` from ``arrive_step`` to ``depart_step`` inclusive.

    ``depart_step`` is ``None`` only for the single stop of a household that stays at home.
    At a crossing, ``depart_step`` is the step at which the household crosses. A named tuple,
    not a dataclass: a plan for a city holds millions of stops, and tuples build fastest.
    """

    node: str
    arrive_step: int
    depart_step: int | None


@dataclass(frozen=True)
class HouseholdPlan:
    household: str
    crossing: str | None
    itinerary: tuple[Stop, ...] = ()
    reason: str | None = None

    @property
    def evacuated(self) -> bool:
        return self.crossing is not None

    @property
    def crossing_step(self) -> int | None:
        if self.crossing is None or not self.itinerary:
            return None
        return self.itinerary[-1].depart_step

    @property
    def departure_step(self) -> int | None:
        """Step at which the household leaves its origin, if it leaves at all."""
        if self.crossing is None or not self.itinerary:
            return None
        return self.itinerary[0].depart_step


@dataclass(frozen=True)
class Plan:
    """What a planner proposes. ``objective`` is the planner's claim; the verifier rechecks it."""

    scenario: str
    solver: str
    objective: float
    bound: float | None
    households: tuple[HouseholdPlan, ...]

    @cached_property
    def by_household(self) -> Mapping[str, HouseholdPlan]:
        return {entry.household: entry for entry in self.households}

    @property
    def evacuated(self) -> tuple[HouseholdPlan, ...]:
        return tuple(entry for entry in self.households if entry.evacuated)
