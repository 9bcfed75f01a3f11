"""The plan page: who the plan brings out, by which crossing and when, who it leaves behind
and why, two plots, and each household's itinerary.

Everything on it is narrowed to the account's scope before it is counted, drawn or listed: a
field lead learns nothing of other assembly points, not even their totals. Households appear
by id and size only, as the plan holds them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response, status

from safepassage.api.deps import ServerDep, SessionDep
from safepassage.api.settings import Settings
from safepassage.formats.problems import InputError
from safepassage.model import Scenario
from safepassage.model.plan import HouseholdPlan, Plan, Stop
from safepassage.model.time_grid import TimeGrid
from safepassage.policy import Action, ScopeKind
from safepassage.services.accounts import Account
from safepassage.services.database import Session
from safepassage.services.operation import visible_households
from safepassage.services.registry_planning import RegistryDoesNotFit
from safepassage.web.common import (
    CONTENT_SECURITY_POLICY,
    REFERRER_POLICY,
    PageAccount,
    admit,
    admit_data,
    conflict,
    operation,
    render,
)
from safepassage.web.plan_plots import (
    CrossingCounts,
    PlanCounts,
    Window,
    crossing_use_svg,
    safe_over_time_svg,
)

router = APIRouter()

PAGE_SIZE = 50
DAY_AND_TIME = "%d %b %H:%M"
TIME = "%H:%M"


@dataclass(frozen=True)
class CrossingTotal:
    name: str
    country: str
    households: int
    persons: int


@dataclass(frozen=True)
class LeftBehind:
    reason: str
    households: int
    persons: int


@dataclass(frozen=True)
class WindowUse:
    crossing: str
    opens: str
    closes: str
    capacity: int
    persons: int


@dataclass(frozen=True)
class Headline:
    households_out: int
    persons_out: int
    by_crossing: tuple[CrossingTotal, ...]
    households_behind: int
    persons_behind: int
    behind: tuple[LeftBehind, ...]
    first_departure: str | None
    last_crossing: str | None
    duration: str | None
    windows: tuple[WindowUse, ...]


@dataclass(frozen=True)
class StopView:
    place: str
    when: str


@dataclass(frozen=True)
class Row:
    """One household's line in the itinerary table; ``crossing`` is None for one left
    behind, and ``reason`` then says why."""

    household: str
    size: int
    origin: str
    departure: str | None
    crossing: str | None
    crossing_time: str | None
    reason: str | None
    stops: tuple[StopView, ...]


@router.get("/plan")
def plan_page(
    request: Request,
    account: PageAccount,
    server: ServerDep,
    session: SessionDep,
    household: Annotated[str, Query(max_length=64)] = "",
    origin: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    admitted = admit(request, account, Action.PLAN_READ)
    if isinstance(admitted, Response):
        return admitted
    found = _in_view(admitted, server.settings, session)
    if isinstance(found, str):
        context = {"account": admitted, "problem": found}
        return render(request, "plan.html", context, status.HTTP_409_CONFLICT)
    scenario, plan, entries = found
    wanted = household.strip().casefold()
    chosen = [
        entry
        for entry in entries
        if wanted in entry.household.casefold()
        and (not origin or scenario.household_by_id[entry.household].origin == origin)
    ]
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(page, pages)
    shown = chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    origins = {scenario.household_by_id[entry.household].origin for entry in entries}

    def link(to: int) -> str:
        query = {"household": household, "origin": origin, "page": str(to)}
        return "/plan?" + urlencode({key: value for key, value in query.items() if value})

    return render(
        request,
        "plan.html",
        {
            "account": admitted,
            "scenario": scenario.name,
            "solver": plan.solver,
            "utc_offset": _utc_offset(scenario.grid),
            "scope": None if admitted.scope.kind is ScopeKind.ALL else admitted.scope.text(),
            "headline": _headline(scenario, entries),
            "rows": [_row(scenario, entry) for entry in shown],
            "origins": sorted(
                ((node, scenario.node_by_id[node].name) for node in origins),
                key=lambda pair: pair[1],
            ),
            "household": household,
            "origin": origin,
            "first": (page - 1) * PAGE_SIZE + 1,
            "last": (page - 1) * PAGE_SIZE + len(shown),
            "matching": len(chosen),
            "total": len(entries),
            "previous": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < pages else None,
        },
    )


@router.get("/plan/safe-over-time.svg")
def safe_over_time(account: PageAccount, server: ServerDep, session: SessionDep) -> Response:
    return _plot(account, server.settings, session, safe_over_time_svg)


@router.get("/plan/crossing-use.svg")
def crossing_use(account: PageAccount, server: ServerDep, session: SessionDep) -> Response:
    return _plot(account, server.settings, session, crossing_use_svg)


def _plot(
    account: Account | None,
    settings: Settings,
    session: Session,
    draw: Callable[[PlanCounts], bytes],
) -> Response:
    """A plot answers as the page's data does: 401 or 403 rather than a page, and drawn from
    the same households the page lists."""
    admitted = admit_data(account, Action.PLAN_READ)
    if isinstance(admitted, Response):
        return admitted
    found = _in_view(admitted, settings, session)
    if isinstance(found, str):
        return conflict(found)
    scenario, _plan, entries = found
    return Response(
        draw(plan_counts(scenario, entries)),
        media_type="image/svg+xml",
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Referrer-Policy": REFERRER_POLICY,
        },
    )


def _in_view(
    account: Account, settings: Settings, session: Session
) -> tuple[Scenario, Plan, tuple[HouseholdPlan, ...]] | str:
    """The operation and the plan's households the account's scope covers, or why they
    cannot be shown."""
    try:
        scenario, plan = operation(settings, session)
    except InputError as error:
        return (
            f"the server's scenario or plan has {len(error.problems)} problem(s); "
            "check them with `safepassage verify`"
        )
    except RegistryDoesNotFit as misfit:
        return str(misfit)
    strangers = sum(not _fits(scenario, entry) for entry in plan.households)
    if strangers:
        return (
            f"the server's plan has {strangers} household(s) its scenario does not know, or "
            "sends them through places it does not know; check it with `safepassage verify`"
        )
    visible = visible_households(session, account.scope, plan)
    entries = tuple(
        entry for entry in plan.households if visible is None or entry.household in visible
    )
    return scenario, plan, entries


def _fits(scenario: Scenario, entry: HouseholdPlan) -> bool:
    """Whether the page can name and count ``entry``: a plan file is read as it was written,
    and only the verifier checks it against the scenario."""
    return (
        entry.household in scenario.household_by_id
        and (entry.crossing is None or entry.crossing in scenario.crossing_by_node)
        and all(scenario.has_node(stop.node) for stop in entry.itinerary)
    )


def plan_counts(scenario: Scenario, entries: Sequence[HouseholdPlan]) -> PlanCounts:
    """Persons leaving and crossing per step, for the plots. A crossing nobody uses and
    that never opens has nothing to draw and is left out."""
    grid = scenario.grid
    sizes = scenario.household_by_id
    departed: Counter[int] = Counter()
    crossed: dict[str, Counter[int]] = {crossing.node: Counter() for crossing in scenario.crossings}
    for entry in entries:
        leaves, crosses = entry.departure_step, entry.crossing_step
        if entry.crossing is None or leaves is None or crosses is None:
            continue
        size = sizes[entry.household].size
        departed[leaves] += size
        crossed[entry.crossing][crosses] += size
    return PlanCounts(
        start=grid.start,
        step_minutes=grid.step_minutes,
        horizon_steps=grid.horizon_steps,
        departed=tuple(sorted(departed.items())),
        crossings=tuple(
            CrossingCounts(
                scenario.node_by_id[crossing.node].name,
                tuple(sorted(crossed[crossing.node].items())),
                tuple(
                    Window(*scenario.window_steps(window), window.capacity)
                    for window in crossing.windows
                ),
            )
            for crossing in scenario.crossings
            if crossing.windows or crossed[crossing.node]
        ),
    )


def _headline(scenario: Scenario, entries: Sequence[HouseholdPlan]) -> Headline:
    grid = scenario.grid
    sizes = {entry.household: scenario.household_by_id[entry.household].size for entry in entries}
    out = [entry for entry in entries if entry.evacuated]
    behind = [entry for entry in entries if not entry.evacuated]
    by_crossing: dict[str | None, list[HouseholdPlan]] = {}
    for entry in out:
        by_crossing.setdefault(entry.crossing, []).append(entry)
    reasons: dict[str, list[HouseholdPlan]] = {}
    for entry in behind:
        reasons.setdefault(entry.reason or "no reason given", []).append(entry)
    departures = [entry.departure_step for entry in out if entry.departure_step is not None]
    crossings = [entry.crossing_step for entry in out if entry.crossing_step is not None]
    first = min(departures, default=None)
    last = max(crossings, default=None)
    counts = plan_counts(scenario, entries)
    return Headline(
        households_out=len(out),
        persons_out=sum(sizes[entry.household] for entry in out),
        by_crossing=tuple(
            CrossingTotal(
                scenario.node_by_id[crossing.node].name,
                crossing.country,
                len(by_crossing[crossing.node]),
                sum(sizes[entry.household] for entry in by_crossing[crossing.node]),
            )
            for crossing in scenario.crossings
            if crossing.node in by_crossing
        ),
        households_behind=len(behind),
        persons_behind=sum(sizes[entry.household] for entry in behind),
        behind=tuple(
            sorted(
                (
                    LeftBehind(reason, len(group), sum(sizes[entry.household] for entry in group))
                    for reason, group in reasons.items()
                ),
                key=lambda item: (-item.households, item.reason),
            )
        ),
        first_departure=None if first is None else grid.describe(first),
        last_crossing=None if last is None else grid.describe(last),
        duration=None if first is None or last is None else _span(grid, last + 1 - first),
        windows=tuple(
            WindowUse(
                crossing.name,
                grid.instant_of(window.open_step).strftime(DAY_AND_TIME),
                grid.instant_of(window.close_step).strftime(DAY_AND_TIME),
                window.capacity,
                crossing.used(window),
            )
            for crossing in counts.crossings
            for window in crossing.windows
            if crossing.used(window)
        ),
    )


def _row(scenario: Scenario, entry: HouseholdPlan) -> Row:
    grid = scenario.grid
    household = scenario.household_by_id[entry.household]
    crossing_step = entry.crossing_step
    departure_step = entry.departure_step
    return Row(
        household=entry.household,
        size=household.size,
        origin=scenario.node_by_id[household.origin].name,
        departure=None if departure_step is None else _when(grid, departure_step),
        crossing=None if entry.crossing is None else scenario.node_by_id[entry.crossing].name,
        crossing_time=None if crossing_step is None else _when(grid, crossing_step),
        reason=entry.reason,
        stops=_stops(scenario, entry.itinerary) if entry.evacuated else (),
    )


def _stops(scenario: Scenario, itinerary: Sequence[Stop]) -> tuple[StopView, ...]:
    """Each stop with the time it is reached, and left if the household waits there; the
    origin with the time it is left. A day is written only when it changes, as on a
    timetable."""
    grid = scenario.grid
    shown_day = ""

    def at(step: int) -> str:
        nonlocal shown_day
        instant = grid.instant_of(step)
        day, shown_day = shown_day, instant.strftime("%d %b")
        return instant.strftime(TIME if day == shown_day else DAY_AND_TIME)

    views = []
    for index, stop in enumerate(itinerary):
        arrive, depart = stop.arrive_step, stop.depart_step
        if index == 0 and depart is not None:
            when = at(depart)
        elif depart is None or depart == arrive:
            when = at(arrive)
        else:
            when = f"{at(arrive)} \N{EN DASH} {at(depart)}"
        views.append(StopView(scenario.node_by_id[stop.node].name, when))
    return tuple(views)


def _when(grid: TimeGrid, step: int) -> str:
    return grid.instant_of(step).strftime(DAY_AND_TIME)


def _utc_offset(grid: TimeGrid) -> str:
    offset = grid.start.strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def _span(grid: TimeGrid, steps: int) -> str:
    minutes = steps * grid.step_minutes
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min")]
    return " ".join(f"{value} {unit}" for value, unit in parts if value)
