"""How a plan fares across futures: expected persons out, the bad tail, who is most at risk.

A crisis cell weighs a plan by more than its nominal value: the expected number brought out,
how bad the worst futures are (5th percentile, the worst, CVaR at 10%: the mean of the worst
tenth), each household's chance of getting out, and each crossing's expected use. Futures
carry weights: their probabilities when they are the scenario's listed ``futures`` (then the
expectation is exact and its standard error zero), or ``1/N`` each when N were sampled.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from safepassage.model import Plan, Scenario
from safepassage.model.futures import Future, check_probabilities
from safepassage.robustness.runners import (
    InProcess,
    Progress,
    Runner,
    SampleTask,
    chunks_for,
)

FloatArray = npt.NDArray[np.float64]

TAIL = 0.10
"""CVaR's tail: the mean value over the worst tenth of the probability."""

LOW_QUANTILE = 0.05

NORMAL_95 = 1.959963984540054
"""Two-sided 95% quantile of the normal law, for confidence intervals of sample means."""


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
    household_ids: tuple[str, ...]  # every household of the scenario, in its order
    household_chance: FloatArray  # each one's chance of getting out
    crossing_use: dict[str, float]  # expected persons through each crossing
    bounds: FloatArray  # LP bounds of the first futures, when asked (``bound_samples``)

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
    def interval(self) -> tuple[float, float]:
        """95% confidence interval of the expected value (a point when exact)."""
        half = NORMAL_95 * self.standard_error
        return self.expected_value - half, self.expected_value + half

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
        """Mean value over the worst :data:`TAIL` of the probability, counting a fraction of
        the future in which the tail ends."""
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


def evaluate(
    task: SampleTask,
    samples: int | None = None,
    *,
    runner: Runner | None = None,
    progress: Progress = None,
) -> Evaluation:
    """Value ``task.plan`` in each of the task's listed futures, or in ``samples`` drawn ones.

    Listed futures are the whole law: their probabilities must sum to one and the expectation
    is exact. Drawn futures weigh ``1/samples`` each.
    """
    runner = runner or InProcess()
    exact = bool(task.futures)
    if exact:
        check_probabilities(task.futures)
        weights = [future.probability for future in task.futures]
        names = [future.name for future in task.futures]
        # one future a chunk, so that each chunk's counts carry that future's weight
        chunks = [(index, index + 1) for index in range(len(task.futures))]
    else:
        if samples is None or samples < 1:
            raise ValueError("drawing futures needs a number of samples")
        weights = [1.0 / samples] * samples
        names = [f"sample {index}" for index in range(samples)]
        chunks = chunks_for(samples, runner.workers)
    results = runner.run(task, chunks, progress)
    values = np.concatenate([r.values for r in results])
    persons = np.concatenate([r.persons for r in results])
    chance = np.zeros(len(task.scenario.households), dtype=np.float64)
    crossing = np.zeros(len(task.scenario.crossings), dtype=np.float64)
    if exact:  # one future a chunk: each chunk's counts weigh that future's probability
        for result in results:
            chance += weights[result.start] * result.household_out
            crossing += weights[result.start] * result.crossing_persons
    else:  # whole counts first, so that how the samples were cut cannot change a figure
        for result in results:
            chance += result.household_out
            crossing += result.crossing_persons
        chance /= len(weights)
        crossing /= len(weights)
    return Evaluation(
        outcomes=tuple(
            FutureOutcome(name, weight, float(value), int(number))
            for name, weight, value, number in zip(names, weights, values, persons, strict=True)
        ),
        exact=exact,
        household_ids=tuple(household.id for household in task.scenario.households),
        household_chance=chance,
        crossing_use={c.node: float(crossing[i]) for i, c in enumerate(task.scenario.crossings)},
        bounds=np.concatenate([r.bounds for r in results]),
    )


def evaluate_fixed(
    scenario: Scenario,
    plan: Plan,
    futures: Sequence[Future],
    *,
    weights: Sequence[float] | None = None,
) -> Evaluation:
    """Value ``plan`` run as written in each listed future, in this process; ``weights``, if
    given, replace the futures' probabilities (normalised to sum to one)."""
    if weights is not None:
        total = math.fsum(weights)
        futures = [
            replace(future, probability=weight / total)
            for future, weight in zip(futures, weights, strict=True)
        ]
    return evaluate(SampleTask(scenario, plan, futures=tuple(futures)))


__all__ = ["Evaluation", "FutureOutcome", "evaluate", "evaluate_fixed"]
