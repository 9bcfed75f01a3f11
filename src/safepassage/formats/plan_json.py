"""Plan JSON as the contract defines it, plus clock times for the people reading it.

Steps are what planners and the verifier work in; coordinators read clock times. Written plans
carry both (``arrive_time``, ``depart_time``, ``crossing_time``, ``start``, ``step_minutes``),
and reading ignores the clock times, so the steps stay the single source of truth and a plan
edited by hand cannot disagree with itself.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from safepassage.formats.problems import InputError, Problem
from safepassage.model.plan import HouseholdPlan, Plan, Stop
from safepassage.model.time_grid import TimeGrid


def plan_to_dict(plan: Plan, grid: TimeGrid) -> dict[str, Any]:
    clock = _Clock(grid)
    households: list[dict[str, Any]] = []
    for entry in plan.households:
        item: dict[str, Any] = {"id": entry.household, "crossing": entry.crossing}
        if entry.evacuated:
            item["crossing_time"] = clock.time(entry.crossing_step)
        item["itinerary"] = [
            {
                "node": stop.node,
                "arrive_step": stop.arrive_step,
                "arrive_time": clock.time(stop.arrive_step),
                "depart_step": stop.depart_step,
                "depart_time": clock.time(stop.depart_step),
            }
            for stop in entry.itinerary
        ]
        if not entry.evacuated and entry.reason is not None:
            item["reason"] = entry.reason
        households.append(item)
    return {
        "scenario": plan.scenario,
        "solver": plan.solver,
        "objective": plan.objective,
        "bound": plan.bound,
        "start": clock.base.isoformat(),
        "step_minutes": grid.step_minutes,
        "households": households,
    }


def write_plan(plan: Plan, grid: TimeGrid, path: Path) -> None:
    """Write strict JSON: a non-finite objective or bound is a planner bug, not ``NaN`` text."""
    text = json.dumps(plan_to_dict(plan, grid), indent=1, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def read_plan(path: Path) -> Plan:
    """Read a plan file, reporting every problem in it as an :class:`InputError`."""
    name = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InputError([Problem(name, None, None, f"cannot read the file: {reason}")]) from None
    except UnicodeDecodeError as error:
        raise InputError(
            [Problem(name, None, None, f"not UTF-8 text (byte {error.start} is invalid)")]
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}",
                )
            ]
        ) from None
    except RecursionError:
        raise InputError([Problem(name, None, None, "JSON nested too deeply")]) from None
    return plan_from_data(data, name)


def plan_from_data(data: Any, name: str) -> Plan:
    """A plan from JSON already parsed (a file's, or a request's body named ``name``)."""
    try:
        model = _PlanModel.model_validate(data)
    except ValidationError as error:
        raise InputError(_problems(name, data, error)) from None
    return model.to_plan()


class _Clock:
    """Clock times at the start's UTC offset, computed on absolute time.

    Adding steps to a start carrying a named zone would count wall-clock hours across a change
    of daylight saving time, so the start is first pinned to its fixed offset.
    """

    def __init__(self, grid: TimeGrid) -> None:
        offset = grid.start.utcoffset()
        assert offset is not None  # TimeGrid refuses a start without an offset
        self.base = grid.start.astimezone(timezone(offset))
        self.step = grid.step

    def time(self, step: int | None) -> str | None:
        return None if step is None else self.instant(step).isoformat()

    def instant(self, step: int) -> datetime:
        return self.base + step * self.step


# Strict validation: a step of 1.5 or "1" is a broken planner, not something to coerce; unknown
# fields (the clock times among them) are ignored so the format can grow.
_STRICT = ConfigDict(strict=True, extra="ignore", allow_inf_nan=False, frozen=True)


class _StopModel(BaseModel):
    model_config = _STRICT
    node: str
    arrive_step: int
    depart_step: int | None


class _HouseholdModel(BaseModel):
    model_config = _STRICT
    id: str
    crossing: str | None
    itinerary: list[_StopModel]
    reason: str | None = None


class _PlanModel(BaseModel):
    model_config = _STRICT
    scenario: str
    solver: str
    objective: float
    bound: float | None
    households: list[_HouseholdModel]

    def to_plan(self) -> Plan:
        return Plan(
            scenario=self.scenario,
            solver=self.solver,
            objective=self.objective,
            bound=self.bound,
            households=tuple(
                HouseholdPlan(
                    household=item.id,
                    crossing=item.crossing,
                    itinerary=tuple(
                        Stop(stop.node, stop.arrive_step, stop.depart_step)
                        for stop in item.itinerary
                    ),
                    reason=item.reason,
                )
                for item in self.households
            ),
        )


def _problems(name: str, data: Any, error: ValidationError) -> list[Problem]:
    problems = []
    for detail in error.errors():
        loc = detail["loc"]
        field = _path(loc) or None
        message = detail["msg"]
        household = _household_id(data, loc)
        if household is not None:
            message = f"household {household}: {message}"
        problems.append(Problem(name, None, field, message))
    return problems


def _path(loc: tuple[int | str, ...]) -> str:
    """``('households', 3, 'id')`` as ``households[3].id``, the way the file is navigated."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _household_id(data: Any, loc: tuple[int | str, ...]) -> str | None:
    """The id of the household an error sits in, when the file gives one as a string."""
    if len(loc) < 2 or loc[0] != "households" or not isinstance(loc[1], int):
        return None
    households = data.get("households") if isinstance(data, dict) else None
    if not isinstance(households, list) or not 0 <= loc[1] < len(households):
        return None
    item = households[loc[1]]
    household = item.get("id") if isinstance(item, dict) else None
    return household if isinstance(household, str) else None
