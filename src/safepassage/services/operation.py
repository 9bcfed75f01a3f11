"""The operation a server runs: its scenario and plan, as the pages and the API show them.

The bundled scenario when none is named, its households replaced by the registry's when the
plan was made from it, and a plan made here by the fast planner when no plan file is named.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.formats.plan_json import read_plan
from safepassage.formats.scenario_folder import read_scenario
from safepassage.model import Scenario
from safepassage.model.plan import Plan
from safepassage.planning import solve
from safepassage.policy import Scope, ScopeKind, scope_filter
from safepassage.services.demo import bundled_scenario_path
from safepassage.services.registry_planning import scenario_from_registry
from safepassage.store.tables import HouseholdRow


def current_scenario(session: Session, *, scenario: Path | None, from_registry: bool) -> Scenario:
    """Raises the reader's ``InputError`` and ``RegistryDoesNotFit`` for the caller to
    answer in its own terms."""
    loaded = _read(scenario or bundled_scenario_path())
    return scenario_from_registry(loaded, session) if from_registry else loaded


_read_scenarios: dict[Path, tuple[object, Scenario]] = {}
_reading = threading.Lock()


def _read(folder: Path) -> Scenario:
    """The folder's scenario, read again only when one of its files changed: a changed
    scenario needs no restart, and reading the bundled one takes some 15 ms, which every
    checkpoint scan (its place is checked against the scenario) would otherwise pay."""
    if not folder.is_dir():
        return read_scenario(folder)  # the reader says what is wrong
    files = sorted(entry for entry in folder.iterdir() if entry.is_file())
    version = tuple((entry.name, entry.stat().st_mtime_ns, entry.stat().st_size) for entry in files)
    with _reading:
        known = _read_scenarios.get(folder)
        if known is not None and known[0] == version:
            return known[1]
    loaded = read_scenario(folder)
    with _reading:
        _read_scenarios[folder] = (version, loaded)
    return loaded


def current_operation(
    session: Session, *, scenario: Path | None, plan: Path | None, from_registry: bool
) -> tuple[Scenario, Plan]:
    """As :func:`current_scenario`, with the plan."""
    loaded = current_scenario(session, scenario=scenario, from_registry=from_registry)
    if plan is not None:
        return loaded, read_plan(plan)
    return loaded, _planned(loaded)


_plans: dict[Scenario, Plan] = {}
_planning = threading.Lock()


def _planned(scenario: Scenario) -> Plan:
    """The fast planner's plan, made once per scenario for the server's life: it takes
    seconds, and the pages are opened far more often than the scenario changes."""
    with _planning:
        if scenario not in _plans:
            _plans.clear()  # one operation at a time: a changed registry replaces the old plan
            _plans[scenario] = solve(scenario, solver="fast").plan
        return _plans[scenario]


def visible_households(session: Session, scope: Scope, plan: Plan) -> frozenset[str] | None:
    """The plan's households the account's scope covers (None: all of them)."""
    if scope.kind is ScopeKind.ALL:
        return None
    in_scope = set(session.execute(select(HouseholdRow.id).where(scope_filter(scope))).scalars())
    return frozenset(entry.household for entry in plan.households if entry.household in in_scope)
