"""Planners behind one interface: :func:`solve` picks one by name, times it, bounds it.

Every plan leaves with a proven upper bound (the LP relaxation, :mod:`.bound`) unless the
caller opts out, so ``objective / bound`` always says how close to the best possible it is.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from safepassage.model import HouseholdPlan, Plan, Scenario
from safepassage.planning.bound import BoundBelowPlanError, check_bound, lp_bound
from safepassage.planning.exact import plan_exact
from safepassage.planning.greedy import Progress, plan_greedy
from safepassage.planning.improve import plan_fast
from safepassage.planning.replanning import Commitments
from safepassage.planning.result import Result


@dataclass(frozen=True)
class PlanParams:
    """How to plan.

    ``from_step``: nobody moves before it (re-planning part-way through an operation).
    ``time_limit``: seconds after which each optimisation stops early (rip-up, the exact MILP,
    the bound's generation). ``None``, the default, stops on counts of work only, so that the
    same scenario and options give the same plan on any machine at any load.
    ``with_bound``: prove an upper bound for the plan (an LP; skip it on huge scenarios).
    ``committed``: what a previous plan set in motion before ``from_step`` (re-planning).
    No bound is proven then: households on their way are no longer where the LP supplies
    them, so its optimum would bound nothing.
    """

    from_step: int = 0
    time_limit: float | None = None
    with_bound: bool = True
    committed: Commitments | None = None


@dataclass(frozen=True)
class Outcome:
    plan: Plan
    status: str = "done"
    gap: float | None = None


class Planner(Protocol):
    def __call__(
        self, scenario: Scenario, params: PlanParams, progress: Progress | None
    ) -> Outcome: ...


def _ccrp(scenario: Scenario, params: PlanParams, progress: Progress | None) -> Outcome:
    return Outcome(
        plan_greedy(
            scenario, from_step=params.from_step, progress=progress, committed=params.committed
        )
    )


def _exact(scenario: Scenario, params: PlanParams, progress: Progress | None) -> Outcome:
    outcome = plan_exact(scenario, from_step=params.from_step, time_limit=params.time_limit)
    status = "optimal" if outcome.optimal else f"stopped: {outcome.status}"
    return Outcome(outcome.plan, status, outcome.gap)


def _bound_only(scenario: Scenario, params: PlanParams, progress: Progress | None) -> Outcome:
    reason = "not planned: the bound solver proves an upper bound and plans nobody"
    entries = tuple(HouseholdPlan(h.id, None, (), reason) for h in scenario.households)
    return Outcome(Plan(scenario.name, "bound", 0.0, None, entries))


def _fast(scenario: Scenario, params: PlanParams, progress: Progress | None) -> Outcome:
    return Outcome(
        plan_fast(
            scenario,
            from_step=params.from_step,
            progress=progress,
            committed=params.committed,
            time_limit=params.time_limit,
        )
    )


PLANNERS: Mapping[str, Planner] = {
    "fast": _fast,
    "ccrp": _ccrp,
    "exact": _exact,
    "bound": _bound_only,
}


class UnknownSolverError(ValueError):
    pass


def solve(
    scenario: Scenario,
    *,
    solver: str = "fast",
    params: PlanParams | None = None,
    progress: Progress | None = None,
) -> Result:
    planner = PLANNERS.get(solver)
    if planner is None:
        raise UnknownSolverError(f"unknown solver {solver!r}; choose one of {sorted(PLANNERS)}")
    params = params or PlanParams()
    began = time.perf_counter()
    outcome = planner(scenario, params, progress)
    result = Result(
        scenario,
        dataclasses.replace(outcome.plan, solver=solver),
        time.perf_counter() - began,
        status=outcome.status,
        gap=outcome.gap,
    )
    if (params.with_bound or solver == "bound") and params.committed is None:
        result = prove_bound(result, params)
    return result


def prove_bound(result: Result, params: PlanParams) -> Result:
    """Attach the proven upper bound to a plan (the tighter one, if the plan had its own).

    A bound below the plan's objective raises :class:`BoundBelowPlanError`: it is a bug."""
    plan = result.plan
    # a feasible objective lets the bound stop as soon as it meets it (both are then optimal);
    # the bound solver has no plan of its own, so a fast one provides it
    reached = plan.objective
    if plan.solver == "bound":
        reached = plan_fast(result.scenario, from_step=params.from_step).objective
    bound = lp_bound(
        result.scenario, from_step=params.from_step, time_limit=params.time_limit, objective=reached
    )
    value = bound.value if plan.bound is None else min(bound.value, plan.bound)
    return dataclasses.replace(
        result,
        plan=dataclasses.replace(plan, bound=check_bound(value, plan.objective, plan.solver)),
        bound_source=bound.proven_by,
        bound_seconds=bound.seconds,
    )


__all__ = [
    "PLANNERS",
    "BoundBelowPlanError",
    "Outcome",
    "PlanParams",
    "Planner",
    "Progress",
    "Result",
    "UnknownSolverError",
    "prove_bound",
    "solve",
]
