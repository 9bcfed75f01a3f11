"""The demo: the bundled 2018 scenario planned as it happened and as it could have been.

Volunteers were told to head for the Golan line on 19 July 2018; the seed reports ask what
earlier planning would have changed. The account answers with two verified plans of the same
synthetic registry, from 19 July and from 1 July.

The registry goes the way a real one would: its rows are imported into a sealed registry (a
throw-away SQLite file and key ring unless the caller gives a database and keys), and the
households are planned from the store, not from the scenario's CSV. The households the earlier
plan brings out are then matched to the places the UK, Canada, Germany, the Netherlands and
France pledged in 2018, with synthetic vetting and wishes.
"""

from __future__ import annotations

import csv
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session

from safepassage.formats.matching_csv import read_matching_folder
from safepassage.formats.registry_rows import ColumnMapping, RawRow
from safepassage.formats.scenario_folder import read_scenario
from safepassage.formats.uncertainty_law import read_uncertainty
from safepassage.matching import Explanations, MatchingParams, MatchingResult, explain
from safepassage.matching import solve as solve_matching
from safepassage.matching.explain import reason_kind
from safepassage.model import Scenario
from safepassage.planning import PlanParams, Progress, Result, solve
from safepassage.protection.keys import KeyRing
from safepassage.robustness.choice import RobustChoice, choose_robust_plan
from safepassage.services.importing import ImportSummary, import_rows
from safepassage.services.registry import Operator, households_by_source
from safepassage.services.registry_matching import recorded_round, save_proposals
from safepassage.services.registry_planning import scenario_from_registry
from safepassage.store.database import Database
from safepassage.store.schema import upgrade
from safepassage.store.sqlite import SQLiteDatabase
from safepassage.synthetic.resettlement import host_clearances, member_needs, wishes
from safepassage.synthetic.southwest_syria import RESETTLEMENT_FOLDER

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
class RegistryLoad:
    """How the synthetic registry went into the store; ``kept_at`` is None for a throw-away
    registry."""

    imported: ImportSummary
    households: int
    kept_at: str | None


@dataclass(frozen=True)
class HostUse:
    country: str
    pledged_persons: int
    pledged_households: int | None
    persons: int
    households: int


@dataclass(frozen=True)
class MatchingAccount:
    """The households the 1 July plan brings out, matched to the 2018 pledges."""

    result: MatchingResult
    explanations: Explanations
    hosts: tuple[HostUse, ...]
    unplaced: tuple[tuple[str, int, int], ...]  # (why, households, persons), largest first
    proposals_kept: int


@dataclass(frozen=True)
class RobustAccount:
    """The 1 July plan against the robust one from 1 July, across drawn futures."""

    choice: RobustChoice
    samples: int


@dataclass(frozen=True)
class DemoAccount:
    scenario: Scenario
    scenario_path: Path
    registry: RegistryLoad
    planned: PlanAccount
    counterfactual: PlanAccount
    matching: MatchingAccount
    robust: RobustAccount
    historical_out: int = HISTORICAL_OUT


def registration_rows(folder: Path) -> list[RawRow]:
    """The bundled ``persons.csv`` joined with ``households.csv``, as the rows of a
    registration export, with synthetic host clearances and needs. Legal basis: the vital
    interests of the persons (GDPR art. 6(1)(d)), the basis humanitarian evacuations rely on
    when consent cannot be asked in time."""
    with (folder / "households.csv").open(encoding="utf-8", newline="") as handle:
        households = {row["id"]: row for row in csv.DictReader(handle)}
    rows = []
    with (folder / "persons.csv").open(encoding="utf-8", newline="") as handle:
        for number, person in enumerate(csv.DictReader(handle), start=2):
            household = households[person["household_id"]]
            values = {
                "person_id": person["id"],
                "household_id": person["household_id"],
                "origin": household["origin"],
                "priority": str(round(float(household["priority"] or 1))),
                "cleared_for": household["cleared_for"],
                "name_arabic": person["name_arabic"],
                "name_icao": person["name_latin"],
                "date_of_birth": person["birth_year"],
                "sex": person["sex"],
                "role": person["role"],
                "relationship": person["relationship"],
                "hosts": ";".join(host_clearances(person["household_id"])),
                "needs": member_needs(person["id"]),
                "nationality": "SYR",
                "consent": "no",
                "legal_basis": "vital interests",
            }
            rows.append(RawRow(number, values))
    return rows


@contextmanager
def _demo_registry(database: Database | None) -> Iterator[Database]:
    if database is not None:
        upgrade(database)
        yield database
        return
    with tempfile.TemporaryDirectory(prefix="safepassage-demo-") as folder:
        throwaway = SQLiteDatabase(Path(folder) / "registry.db")
        try:
            upgrade(throwaway)
            yield throwaway
        finally:
            throwaway.dispose()


def run_demo(
    progress: Progress | None = None,
    departures_shown: int = 8,
    *,
    database: Database | None = None,
    ring: KeyRing | None = None,
) -> DemoAccount:
    """Import the bundled registry into ``database`` (a throw-away one if None) sealed with
    ``ring`` (a fresh one if None), plan its households twice, and match the households the
    earlier plan brings out to the 2018 pledges (the proposals are kept in the registry)."""
    path = bundled_scenario_path()
    operator = Operator.with_ring("demo", ring or KeyRing.generate())
    rows = registration_rows(path)
    with _demo_registry(database) as store:
        with store.session() as session:
            imported = import_rows(
                session, operator, "bundled registry", rows, ColumnMapping.default()
            )
        with store.session() as session:
            scenario = scenario_from_registry(read_scenario(path), session)
        load = RegistryLoad(imported, len(scenario.households), store.name if database else None)
        planned = _account(
            scenario, "told to go on 19 July", PLANNED_FROM, progress, departures_shown
        )
        counterfactual = _account(
            scenario, "planning from 1 July", COUNTERFACTUAL_FROM, progress, departures_shown
        )
        out = [entry.household for entry in counterfactual.result.plan.evacuated]
        with store.session() as session:
            matching = _matching(session, operator, path, rows, out)
    robust = _robust(scenario, path, max(0, scenario.grid.step_of(COUNTERFACTUAL_FROM)))
    return DemoAccount(scenario, path, load, planned, counterfactual, matching, robust)


ROBUST_SAMPLES = 200
"""Futures each candidate is valued on in the demo: enough to compare plans in seconds. The
demo proves no wait-and-see bound: an LP per future over six weeks of 15-minute steps takes
minutes (`plan --robust` proves it)."""


def _robust(scenario: Scenario, path: Path, from_step: int) -> RobustAccount:
    choice = choose_robust_plan(
        scenario,
        read_uncertainty(path, scenario),
        samples=ROBUST_SAMPLES,
        build_samples=0,
        bound_samples=0,
        seed=2018,
        from_step=from_step,
    )
    return RobustAccount(choice, ROBUST_SAMPLES)


def _matching(
    session: Session, operator: Operator, path: Path, rows: list[RawRow], out: list[str]
) -> MatchingAccount:
    """Hosts pledged and vetted before the 2018 crossing, so the round is matched from the
    plan: the households it brings out. Each household's interview wishes are drawn from its
    id in the registration file, joined onto the registry's household through its members'
    source ids."""
    sources = households_by_source(session, operator, [row.values["person_id"] for row in rows])
    source_of = {
        sources[row.values["person_id"]]: row.values["household_id"]
        for row in rows
        if row.values["person_id"] in sources
    }
    recorded = recorded_round(session, operator, out)
    households = []
    for household in recorded.households:
        drawn = wishes(source_of[household.id], household.size)
        households.append(
            replace(
                household,
                languages=drawn.languages,
                relatives_in=drawn.relatives_in,
                preferences=drawn.preferences,
            )
        )
    problem = read_matching_folder(
        path / RESETTLEMENT_FOLDER, recorded=replace(recorded, households=tuple(households))
    )
    result = solve_matching(problem, params=MatchingParams(time_limit=30.0))
    explanations = explain(result)
    kept = save_proposals(session, operator, result, explanations)
    return MatchingAccount(
        result, explanations, _host_uses(result), _unplaced(explanations), proposals_kept=kept
    )


def _host_uses(result: MatchingResult) -> tuple[HostUse, ...]:
    placed: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for household, pledge in zip(result.problem.households, result.assigned, strict=True):
        if pledge is not None:
            tally = placed[pledge]
            tally[0] += household.size
            tally[1] += 1
    return tuple(
        HostUse(
            pledge.country,
            pledge.places_persons,
            pledge.places_households,
            placed[pledge.id][0],
            placed[pledge.id][1],
        )
        for pledge in result.problem.pledges
    )


def _unplaced(explanations: Explanations) -> tuple[tuple[str, int, int], ...]:
    """Unplaced households grouped by the kind of their reason (:func:`reason_kind`)."""
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for entry in explanations.households:
        if entry.pledge is None:
            why = reason_kind(entry.unplaced or "not placed")
            groups[why][0] += 1
            groups[why][1] += entry.size
    return tuple(
        (why, n, persons)
        for why, (n, persons) in sorted(groups.items(), key=lambda item: -item[1][1])
    )


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
