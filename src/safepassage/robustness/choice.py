"""Choosing the plan that holds up, and proving how much better any plan could do.

Candidates are plans that are all valid on the nominal files (every plan must be): the nominal
``fast`` plan, plans for pessimistic front lines (every zone falling at a low quantile of its
law, or of the listed futures' falls), and plans for futures drawn from a stream of their own.
A candidate for a future is planned on that future *tightened* by the nominal scenario (zones
fall at the earlier of the two instants, roads are cut, windows are narrowed to where both
agree), and then cut back to the households the nominal files let through (overlapping windows
can still count differently there); a candidate the verifier still refuses is dropped and
counted, which would be a bug.

Each candidate is then valued on futures independent of those that built it, and the best by
the risk measure asked (expected value, or CVaR at 10%) is chosen; the nominal plan is a
candidate, so the choice is never below it on those futures.

The wait-and-see bound is the mean over futures of each future's LP bound: in every future no
plan, even one re-planned with full hindsight, brings out more than that future's LP optimum,
so the mean bounds the expected value of any plan. It is taken over the same futures the
candidates are valued on (the first ``bound_samples`` of them when drawn), so that it bounds
their figures on those futures pointwise, not only in expectation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from safepassage.formats.uncertainty_law import Uncertainty
from safepassage.model import HouseholdPlan, Plan, Scenario, Window
from safepassage.model.futures import Future
from safepassage.planning import PlanParams, solve
from safepassage.robustness.evaluation import NORMAL_95, Evaluation, evaluate
from safepassage.robustness.fixed_plan import (
    FutureArrays,
    PlanArrays,
    ScenarioArrays,
    households_out,
)
from safepassage.robustness.runners import InProcess, Runner, SampleTask
from safepassage.robustness.sampling import (
    Stream,
    narrow_windows_future,
    quantile_future,
    sample_future,
)
from safepassage.verifier import verify

PESSIMISTIC_LEVELS = (0.1, 0.25)
"""Quantiles of the zones' falls a pessimistic candidate is planned for."""


class Risk(StrEnum):
    EXPECTED = "expected"
    CVAR = "cvar"


@dataclass(frozen=True)
class Candidate:
    label: str
    plan: Plan
    evaluation: Evaluation

    def score(self, risk: Risk) -> float:
        return self.evaluation.cvar if risk is Risk.CVAR else self.evaluation.expected_value


@dataclass(frozen=True)
class WaitAndSee:
    """Mean LP bound over ``futures`` futures, with a 95% interval (a point when exact), and
    each candidate's mean value on those same futures (never above the bound)."""

    value: float
    interval: tuple[float, float]
    futures: int
    candidate_means: dict[str, float]


@dataclass(frozen=True)
class RobustChoice:
    chosen: Candidate
    nominal: Candidate
    candidates: tuple[Candidate, ...]
    dropped: tuple[str, ...]
    bound: WaitAndSee | None  # None when no future was bounded (``bound_samples=0``)
    risk: Risk

    @property
    def gain(self) -> float:
        """Expected value gained over the nominal plan, on the same futures."""
        return self.chosen.evaluation.expected_value - self.nominal.evaluation.expected_value


def tightened(scenario: Scenario, future: Future) -> Scenario:
    """``future`` applied to ``scenario`` without loosening anything the nominal files say."""
    nominal_fall = {zone.name: zone.unsafe_from for zone in scenario.zones}
    zones = tuple(
        (name, nominal_fall[name] if at is None else min(at, nominal_fall[name]))
        for name, at in future.zone_falls
    )
    windows = []
    for node, replaced in future.crossing_windows:
        narrowed = []
        for window in scenario.crossing_by_node[node].windows:
            overlaps = [
                Window(
                    max(window.open, o.open),
                    min(window.close, o.close),
                    min(window.capacity, o.capacity),
                )
                for o in replaced
                if max(window.open, o.open) < min(window.close, o.close)
            ]
            if overlaps:
                narrowed.append(max(overlaps, key=lambda w: (w.close - w.open, w.capacity)))
        windows.append((node, tuple(narrowed)))
    return replace(future, zone_falls=zones, crossing_windows=tuple(windows)).apply(scenario)


def kept_on_nominal(scenario: Scenario, plan: Plan) -> Plan:
    """The part of ``plan`` that the nominal files allow: the households that would get out
    if the nominal scenario were the future (the contract's rule), the others left at home.

    What remains is valid on the nominal files: each kept household is safe and crosses in a
    window with room there, and fewer households use no more road or shelter than before.
    """
    arrays = ScenarioArrays.of(scenario)
    compiled = PlanArrays.of(arrays, plan)
    out = households_out(arrays, compiled, FutureArrays.nominal(arrays))
    kept = {plan.households[position].household for position in compiled.order[out]}
    entries = tuple(
        entry
        if entry.household in kept or not entry.evacuated
        else HouseholdPlan(
            entry.household, None, (), "turned back: not allowed by the nominal files"
        )
        for entry in plan.households
    )
    value = math.fsum(scenario.household_by_id[h].value for h in kept)
    return replace(plan, households=entries, objective=value, solver="fast (robust candidate)")


def choose_robust_plan(
    scenario: Scenario,
    uncertainty: Uncertainty,
    *,
    risk: Risk = Risk.EXPECTED,
    samples: int = 1000,
    build_samples: int = 6,
    bound_samples: int = 30,
    seed: int = 0,
    from_step: int = 0,
    runner: Runner | None = None,
    report: Callable[[str], None] | None = None,
) -> RobustChoice:
    """The best candidate by ``risk``; with ``from_step``, every plan starts there."""
    runner = runner or InProcess()
    say = report or (lambda _: None)
    say("planning the nominal scenario")
    nominal_plan = _plan(scenario, from_step)
    builds: list[tuple[str, Future]] = []
    if uncertainty.futures:
        builds += [(f"for {future.name}", future) for future in uncertainty.futures]
        builds += [
            (
                f"for the front line at its {level:.0%} quantile",
                _listed_quantile(scenario, uncertainty.futures, level),
            )
            for level in PESSIMISTIC_LEVELS
        ]
    else:
        builds += [
            (
                f"for the front line at its {level:.0%} quantile",
                quantile_future(scenario, uncertainty.law, level),
            )
            for level in PESSIMISTIC_LEVELS
        ]
        builds += [
            (f"for the {future.name}", future)
            for future in (
                narrow_windows_future(scenario, uncertainty.law, fewer_places=False),
                narrow_windows_future(scenario, uncertainty.law, fewer_places=True),
            )
            if future.crossing_windows
        ]
        builds += [
            (
                f"for drawn future {i}",
                sample_future(scenario, uncertainty.law, seed, i, Stream.BUILD),
            )
            for i in range(build_samples)
        ]
    worlds = [(label, tightened(scenario, future)) for label, future in builds]
    if uncertainty.futures:
        everywhere = scenario
        for future in uncertainty.futures:
            everywhere = tightened(everywhere, future)
        worlds.append(("for every listed future at once", everywhere))
    plans: list[tuple[str, Plan]] = [("nominal", nominal_plan)]
    dropped: list[str] = []
    for label, world in worlds:
        say(f"planning {label}")
        plan = kept_on_nominal(scenario, _plan(world, from_step))
        if verify(scenario, plan).is_valid():
            plans.append((label, plan))
        else:
            dropped.append(label)
    candidates: list[Candidate] = []
    bounded = min(len(uncertainty.futures) or samples, bound_samples)
    for label, plan in plans:
        say(f"valuing the plan {label}" + (" and bounding each future" if not candidates else ""))
        task = SampleTask(
            scenario,
            plan,
            uncertainty.futures,
            uncertainty.law,
            seed,
            bound_samples=0 if candidates else bounded,
            from_step=from_step,
        )
        evaluation = evaluate(task, None if uncertainty.futures else samples, runner=runner)
        candidates.append(Candidate(label, plan, evaluation))
    chosen = max(candidates, key=lambda c: c.score(risk))  # first best: nominal wins ties
    bound = _wait_and_see(uncertainty, candidates) if bounded else None
    return RobustChoice(chosen, candidates[0], tuple(candidates), tuple(dropped), bound, risk)


def _plan(scenario: Scenario, from_step: int) -> Plan:
    params = PlanParams(from_step=from_step, with_bound=False)
    return solve(scenario, solver="fast", params=params).plan


def _listed_quantile(scenario: Scenario, futures: tuple[Future, ...], level: float) -> Future:
    """Each zone at the ``level`` quantile of its fall over the listed futures."""
    nominal = {zone.name: zone.unsafe_from for zone in scenario.zones}
    falls = []
    for name in nominal:
        instants = sorted(
            (dict(f.zone_falls).get(name, nominal[name]), f.probability)
            for f in futures
            if dict(f.zone_falls).get(name, nominal[name]) is not None
        )
        mass = 0.0
        for instant, probability in instants:
            mass += probability
            if mass >= level - 1e-12:
                falls.append((name, instant))
                break
    return Future(f"front line at {level:.0%}", 1.0, tuple(falls))


def _wait_and_see(uncertainty: Uncertainty, candidates: list[Candidate]) -> WaitAndSee:
    """From the LP bounds the nominal candidate's valuation took of its first futures."""
    bounds = candidates[0].evaluation.bounds
    count = len(bounds)
    if uncertainty.futures:
        weights = np.asarray([f.probability for f in uncertainty.futures])
    else:
        weights = np.full(count, 1.0 / count)
    value = float(np.dot(weights, bounds))
    half = 0.0
    if not uncertainty.futures and count > 1:
        half = NORMAL_95 * float(np.std(bounds, ddof=1)) / math.sqrt(count)
    means = {c.label: float(np.dot(weights, c.evaluation.values[:count])) for c in candidates}
    return WaitAndSee(value, (value - half, value + half), count, means)
