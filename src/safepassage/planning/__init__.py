"""Planners behind one interface: :func:`solve` picks one by name and times it."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from safepassage.model import Plan, Scenario
from safepassage.planning.greedy import Progress, plan_greedy
from safepassage.planning.result import Result


@dataclass(frozen=True)
class PlanParams:
    """``from_step``: nobody moves before it (re-planning part-way through an operation)."""

    from_step: int = 0


class Planner(Protocol):
    def __call__(
        self, scenario: Scenario, params: PlanParams, progress: Progress | None
    ) -> Plan: ...


def _fast(scenario: Scenario, params: PlanParams, progress: Progress | None) -> Plan:
    return plan_greedy(scenario, from_step=params.from_step, progress=progress)


PLANNERS: Mapping[str, Planner] = {"fast": _fast}


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
    began = time.perf_counter()
    plan = planner(scenario, params or PlanParams(), progress)
    return Result(scenario, plan, time.perf_counter() - began)


__all__ = ["PLANNERS", "PlanParams", "Planner", "Progress", "Result", "UnknownSolverError", "solve"]
