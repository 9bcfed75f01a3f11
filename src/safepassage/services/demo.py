"""The demo: the bundled 2018 scenario planned as it happened and as it could have been.

Volunteers were told to head for the Golan line on 19 July 2018; the seed reports ask what
earlier planning would have changed. The account answers with two verified plans of the same
synthetic registry, from 19 July and from 1 July.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from safepassage.formats.scenario_folder import read_scenario
from safepassage.model import Scenario
from safepassage.planning import PlanParams, Progress, Result, solve

BUNDLED_SCENARIO = "southwest-syria-2018"
PLANNED_FROM = datetime.fromisoformat("2018-07-19T00:00:00+03:00")
COUNTERFACTUAL_FROM = datetime.fromisoformat("2018-07-01T00:00:00+03:00")
HISTORICAL_OUT = 422  # persons who got out on 21-22 July 2018 (seed reports)


def bundled_scenario_path(name: str = BUNDLED_SCENARIO) -> Path:
    """Shipped inside the package, so ``safepassage demo`` works from any directory."""
    return Path(str(resources.files("safepassage").joinpath("scenarios", name)))


@dataclass(frozen=True)
class CutOffGroup:
    cause: str  # "town fell", "no route", ...
    town: str
    households: int
    persons: int
    detail: str  # the reason of one of them, after its cause


@dataclass(frozen=True)
class Departure:
    household: str
    persons: int
    town: str
    departs: str
    crossing: str
    crosses: str


@dataclass(frozen=True)
class PlanAccount:
    label: str
    planned_from: datetime
    result: Result
    out_by_crossing_priority: dict[tuple[str, float], tuple[int, int]]  # -> (households, persons)
    cut_off: tuple[CutOffGroup, ...]
    first_departures: tuple[Departure, ...]


@dataclass(frozen=True)
class DemoAccount:
    scenario: Scenario
    scenario_path: Path
    planned: PlanAccount
    counterfactual: PlanAccount
    historical_out: int = HISTORICAL_OUT


def run_demo(progress: Progress | None = None, departures_shown: int = 8) -> DemoAccount:
    path = bundled_scenario_path()
    scenario = read_scenario(path)
    planned = _account(scenario, "told to go on 19 July", PLANNED_FROM, progress, departures_shown)
    counterfactual = _account(
        scenario, "planning from 1 July", COUNTERFACTUAL_FROM, progress, departures_shown
    )
    return DemoAccount(scenario, path, planned, counterfactual)


def _account(
    scenario: Scenario,
    label: str,
    planned_from: datetime,
    progress: Progress | None,
    departures_shown: int,
) -> PlanAccount:
    grid = scenario.grid
    params = PlanParams(from_step=max(0, grid.step_of(planned_from)))
    result = solve(scenario, solver="fast", params=params, progress=progress)
    households = scenario.household_by_id
    nodes = scenario.node_by_id

    out: dict[tuple[str, float], list[int]] = defaultdict(lambda: [0, 0])
    cut: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    examples: dict[tuple[str, str], str] = {}
    for entry in result.plan.households:
        household = households[entry.household]
        if entry.crossing is not None:
            tally = out[(nodes[entry.crossing].name, household.priority)]
        else:
            cause, _, detail = (entry.reason or "not planned: no reason given").partition(": ")
            key = (cause, nodes[household.origin].name)
            examples.setdefault(key, detail)
            tally = cut[key]
        tally[0] += 1
        tally[1] += household.size

    evacuated = sorted(result.plan.evacuated, key=lambda e: (e.departure_step or 0, e.household))
    departures = tuple(
        Departure(
            household=e.household,
            persons=households[e.household].size,
            town=nodes[households[e.household].origin].name,
            departs=grid.describe(e.departure_step or 0),
            crossing=nodes[e.crossing or ""].name,
            crosses=grid.describe(e.crossing_step or 0),
        )
        for e in evacuated[:departures_shown]
    )
    groups = tuple(
        CutOffGroup(cause, town, n_households, persons, examples[(cause, town)])
        for (cause, town), (n_households, persons) in sorted(
            cut.items(), key=lambda item: (-item[1][1], item[0])
        )
    )
    return PlanAccount(
        label=label,
        planned_from=planned_from,
        result=result,
        out_by_crossing_priority={k: (v[0], v[1]) for k, v in sorted(out.items())},
        cut_off=groups,
        first_departures=departures,
    )


def persons_by_cause(account: PlanAccount) -> Counter[str]:
    totals: Counter[str] = Counter()
    for group in account.cut_off:
        totals[group.cause] += group.persons
    return totals
