"""The problem compiled to arrays once: scores, blocked pairs, capacity rows and their prices.

Every solver reads the same arrays, and every capacity the MILP writes as a row has a price
here, so the Lagrangian bound, the LP duals that explanations quote and the checks of a
solution all speak of the same rows:

- ``persons[j]``, ``households[j]``, ``medical[j]``: what pledge ``j`` offers (households
  without a limit get one place per household in the round, which never binds);
- ``paced[j, level]``: person places open to batches ``0..batch_of_level[level]``, only for
  batches whose pacing share is below 1;
- ``floor_need[g]``: persons of group ``g`` that must be placed (a ``>=`` row).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safepassage.matching.eligibility import BlockArray, blocked_pairs, paced_places
from safepassage.matching.model import MatchingProblem
from safepassage.matching.scoring import ScoreArray, ScoreTables

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Instance:
    problem: MatchingProblem
    size: IntArray
    medical: IntArray
    batch: IntArray
    group: IntArray
    groups: tuple[str, ...]
    pinned: IntArray  # pledge index per household, -1 when not pinned
    scores: ScoreArray
    blocked: BlockArray
    persons: IntArray
    households: IntArray
    medical_places: IntArray
    paced: IntArray  # pledges x levels
    batch_of_level: IntArray
    floor_need: IntArray

    @classmethod
    def compile(cls, problem: MatchingProblem) -> Instance:
        households = problem.households
        count = len(households)
        size = np.array([h.size for h in households], dtype=np.int64)
        groups = tuple(dict.fromkeys(h.group for h in households))
        group_index = {g: i for i, g in enumerate(groups)}
        group = np.array([group_index[h.group] for h in households], dtype=np.int64)
        pinned = np.full(count, -1, dtype=np.int64)
        for household_id, override in problem.pins.items():
            pinned[problem.household_index[household_id]] = problem.pledge_index[override.host]
        paced = paced_places(problem)
        if paced is None:
            levels = np.zeros(0, dtype=np.int64)
            paced = np.zeros((len(problem.pledges), 0), dtype=np.int64)
        else:
            shares = np.array(problem.pacing)
            levels = np.flatnonzero(shares < 1.0).astype(np.int64)
            paced = np.ascontiguousarray(paced[:, levels])
        floor_need = np.zeros(len(groups), dtype=np.int64)
        group_persons = np.bincount(group, weights=size, minlength=len(groups))
        for floor in problem.floors:
            g = group_index[floor.group]
            floor_need[g] = math.ceil(floor.share * group_persons[g] - 1e-9)
        return cls(
            problem=problem,
            size=size,
            medical=np.array([h.medical for h in households], dtype=np.int64),
            batch=np.array([h.batch for h in households], dtype=np.int64),
            group=group,
            groups=groups,
            pinned=pinned,
            scores=ScoreTables(problem).scores(),
            blocked=blocked_pairs(problem),
            persons=np.array([p.places_persons for p in problem.pledges], dtype=np.int64),
            households=np.array(
                [
                    count if p.places_households is None else min(p.places_households, count)
                    for p in problem.pledges
                ],
                dtype=np.int64,
            ),
            medical_places=np.array([p.medical_places for p in problem.pledges], dtype=np.int64),
            paced=paced,
            batch_of_level=levels,
            floor_need=floor_need,
        )

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.size), len(self.persons)

    def values(self, rows: IntArray, columns: IntArray) -> FloatArray:
        """Objective value of placing household ``rows[i]`` with pledge ``columns[i]``."""
        weights = self.problem.weights
        score = self.scores[rows, columns].astype(np.float64)
        return np.asarray(self.size[rows] * (weights.placement + score), dtype=np.float64)

    def objective(self, assigned: IntArray) -> float:
        placed = np.flatnonzero(assigned >= 0)
        return float(self.values(placed, assigned[placed]).sum())

    def meets_floors(self, assigned: IntArray) -> bool:
        placed = assigned >= 0
        persons = np.bincount(
            self.group[placed], weights=self.size[placed], minlength=len(self.groups)
        )
        return bool((persons >= self.floor_need).all())

    def pace_levels(self) -> IntArray:
        """Per batch, the first pacing level that counts it (levels ``>=`` it count it)."""
        last = int(self.batch.max(initial=0)) + 1
        return np.searchsorted(self.batch_of_level, np.arange(last), side="left").astype(np.int64)


@dataclass
class Prices:
    """Non-negative prices of the capacity rows (LP duals, or any multipliers for a bound)."""

    persons: FloatArray
    households: FloatArray
    medical: FloatArray
    paced: FloatArray  # pledges x levels
    floors: FloatArray  # per group: what one more placed person of the group is worth

    @classmethod
    def zero(cls, instance: Instance) -> Prices:
        pledges = len(instance.persons)
        return cls(
            np.zeros(pledges),
            np.zeros(pledges),
            np.zeros(pledges),
            np.zeros(instance.paced.shape),
            np.zeros(len(instance.groups)),
        )

    def capacity_value(self, instance: Instance) -> float:
        """The priced right-hand sides: the constant part of the Lagrangian bound."""
        return float(
            self.persons @ instance.persons
            + self.households @ instance.households
            + self.medical @ instance.medical_places
            + float((self.paced * instance.paced).sum())
            - self.floors @ instance.floor_need
        )

    def pace_by_batch(self, instance: Instance) -> FloatArray:
        """Pledges x batches: the pacing price a person of that batch pays at that pledge."""
        last = int(instance.batch.max(initial=0)) + 1
        result = np.zeros((len(instance.persons), last))
        if self.paced.shape[1]:
            suffix = np.cumsum(self.paced[:, ::-1], axis=1)[:, ::-1]
            first = instance.pace_levels()
            inside = first < self.paced.shape[1]
            result[:, inside] = suffix[:, first[inside]]
        return result


@dataclass(frozen=True)
class Outcome:
    """What a matcher found, in household and pledge indices."""

    assigned: IntArray  # pledge per household, -1 unplaced
    objective: float
    bound: float | None  # proven upper bound of every feasible assignment's objective
    prices: Prices  # LP duals of the capacity rows, or the prices proving the bound
    status: str
    method: str
