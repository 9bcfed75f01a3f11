"""How a plan fares across futures: expected persons out, the bad tail, who is most at risk.

A crisis cell weighs a plan by more than its nominal value: the expected number brought out,
how bad the worst futures are (5th percentile, the worst, CVaR at 10%: the mean of the worst
tenth), each household's chance of getting out, and each crossing's expected use. Futures
carry weights: their probabilities when they are the scenario's discrete ``futures`` (then the
expectation is exact and its standard error zero), or ``1/N`` each when N were sampled.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safepassage.model import Plan, Scenario
from safepassage.model.futures import Future, check_probabilities
from safepassage.robustness.fixed_plan import (
    FutureArrays,
    PlanArrays,
    ScenarioArrays,
    households_out,
)

FloatArray = npt.NDArray[np.float64]

TAIL = 0.10
"""CVaR's tail: the mean value over the worst tenth of the probability."""

LOW_QUANTILE = 0.05


@dataclass(frozen=True)
class FutureOutcome:
    """The plan in one future: priority-weighted value and plain persons brought out."""

    name: str
    weight: float
    value: float
    persons: int


@dataclass(frozen=True)
class Evaluation:
    """A plan valued over weighted futures; ``exact`` when the futures are the whole law."""

    outcomes: tuple[FutureOutcome, ...]
    exact: bool
    household_ids: tuple[str, ...]
    household_chance: FloatArray  # per evacuated household of the plan, its chance of getting out
    crossing_use: dict[str, float]  # expected persons through each crossing

    @property
    def weights(self) -> FloatArray:
        return np.asarray([o.weight for o in self.outcomes], dtype=np.float64)

    @property
    def values(self) -> FloatArray:
        return np.asarray([o.value for o in self.outcomes], dtype=np.float64)

    @property
    def expected_value(self) -> float:
        return math.fsum(o.weight * o.value for o in self.outcomes)

    @property
    def expected_persons(self) -> float:
        return math.fsum(o.weight * o.persons for o in self.outcomes)

    @property
    def standard_error(self) -> float:
        """Of the expected value: zero when exact, else the sample standard deviation / sqrt N."""
        count = len(self.outcomes)
        if self.exact or count < 2:
            return 0.0
        return float(np.std(self.values, ddof=1) / math.sqrt(count))

    @property
    def worst(self) -> float:
        return min(o.value for o in self.outcomes)

    def quantile(self, level: float) -> float:
        """The smallest value ``v`` with P(value <= v) >= level."""
        values, weights = self._sorted()
        cumulative = np.cumsum(weights)
        index = int(np.searchsorted(cumulative, level * cumulative[-1] - 1e-12))
        return float(values[min(index, len(values) - 1)])

    @property
    def low_quantile(self) -> float:
        return self.quantile(LOW_QUANTILE)

    @property
    def cvar(self) -> float:
        """Mean value over the worst :data:`TAIL` of the probability (a fraction of a future
        counted where the tail ends inside one)."""
        values, weights = self._sorted()
        weights = weights / weights.sum()
        left = TAIL
        total = 0.0
        for value, weight in zip(values, weights, strict=True):
            take = min(left, float(weight))
            total += take * float(value)
            left -= take
            if left <= 1e-15:
                break
        return total / TAIL

    def _sorted(self) -> tuple[FloatArray, FloatArray]:
        values = self.values
        order = np.argsort(values, kind="stable")
        return values[order], self.weights[order]


def evaluate_fixed(
    scenario: Scenario,
    plan: Plan,
    futures: Sequence[Future],
    *,
    weights: Sequence[float] | None = None,
) -> Evaluation:
    """Value ``plan`` run as written in each future.

    With ``weights`` omitted the futures are the scenario's discrete law: their probabilities
    must sum to one and the expectation is exact. Sampled futures pass equal weights.
    """
    futures = tuple(futures)
    exact = weights is None
    if weights is None:
        check_probabilities(futures)
        weights = [future.probability for future in futures]
    arrays = ScenarioArrays.of(scenario)
    compiled_plan = PlanArrays.of(arrays, plan)
    chance = np.zeros(compiled_plan.count, dtype=np.float64)
    crossing_persons = np.zeros(len(scenario.crossings), dtype=np.float64)
    outcomes = []
    total_weight = math.fsum(weights)
    for future, weight in zip(futures, weights, strict=True):
        out = households_out(arrays, compiled_plan, FutureArrays.of(arrays, future))
        share = weight / total_weight
        chance += share * out
        np.add.at(crossing_persons, compiled_plan.crossing[out], share * compiled_plan.size[out])
        outcomes.append(
            FutureOutcome(
                future.name,
                share,
                float(math.fsum(compiled_plan.value[out].tolist())),
                int(compiled_plan.size[out].sum()),
            )
        )
    return Evaluation(
        outcomes=tuple(outcomes),
        exact=exact,
        household_ids=tuple(plan.households[i].household for i in compiled_plan.order),
        household_chance=chance,
        crossing_use={
            crossing.node: float(crossing_persons[i])
            for i, crossing in enumerate(scenario.crossings)
        },
    )
