"""The operations board, which keeps itself current, and the checkpoint form of the field.

The board shows counts of persons by status and origin within the account's scope: numbers,
no record opened. It asks for its counts again every few seconds (htmx polls
``/operations/counts``), so a board left open on a wall stays true without anyone reloading
it; when a refresh fails the page says so (``operations.js``) rather than showing old numbers
as if they were live.

The checkpoint form records a scan through the same service, and after the same policy
checks, as the API's ``POST /checkpoints``: the role's checkpoint kinds, a place in the
account's scope (a transit liaison's own crossing, a field lead's own origins) and in the
operation's scenario, a household in scope (an unknown one and one out of scope are refused
alike).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from safepassage.api.deps import ServerDep, SessionDep
from safepassage.model.registry import Status
from safepassage.model.scenario import Scenario
from safepassage.policy import (
    CHECKPOINT_KINDS,
    Action,
    Scope,
    ScopeKind,
    checkpoint_places,
    may_record_checkpoint,
)
from safepassage.services import households, operations, registry
from safepassage.services.accounts import Account
from safepassage.services.database import Session
from safepassage.services.operation import current_scenario
from safepassage.services.operations import (
    PLACE_LENGTH,
    CheckpointKind,
    CheckpointOutcome,
    PlaceRefused,
)
from safepassage.services.registry import Operator
from safepassage.web.common import PageAccount, admit, admit_data, render
from safepassage.web.forms import FormFields

router = APIRouter()

REFRESH_SECONDS = 5
HEADCOUNT_MAX = 10_000
"""As the API's scan takes it."""

HOUSEHOLD_CHOICES = 500
"""Households offered as suggestions in the form; beyond that the id is typed."""

RECENT_CHECKPOINTS = 10


@dataclass(frozen=True)
class Board:
    """Persons by status: ``totals`` over the scope, ``places`` one row per origin with a
    count for each of ``columns``; ``at`` is when the counts were read."""

    columns: tuple[Status, ...]
    totals: tuple[tuple[Status, int], ...]
    places: tuple[tuple[str, tuple[int, ...]], ...]
    persons: int
    at: datetime


def board(session: Session, scope: Scope) -> Board:
    counted: dict[str, Counter[Status]] = {}
    for place, state, persons in registry.counts_by_status_and_place(session, scope):
        counted.setdefault(place, Counter())[Status(state)] += persons
    columns = tuple(Status)
    totals = tuple((state, sum(counts[state] for counts in counted.values())) for state in columns)
    return Board(
        columns=columns,
        totals=totals,
        places=tuple(
            (place, tuple(counted[place][state] for state in columns)) for place in sorted(counted)
        ),
        persons=sum(persons for _state, persons in totals),
        at=registry.now(),
    )


@router.get("/operations")
def operations_page(request: Request, account: PageAccount, session: SessionDep) -> Response:
    admitted = admit(request, account, Action.OPERATIONS_READ)
    if isinstance(admitted, Response):
        return admitted
    return render(
        request,
        "operations.html",
        {
            "account": admitted,
            "board": board(session, admitted.scope),
            "refresh_seconds": REFRESH_SECONDS,
        },
    )


@router.get("/operations/counts")
def operations_counts(request: Request, account: PageAccount, session: SessionDep) -> Response:
    """The board's counts alone, for its poll. A session that ended meanwhile sends the
    browser to sign in (htmx follows ``HX-Redirect``) instead of leaving old counts up."""
    admitted = admit_data(account, Action.OPERATIONS_READ)
    if isinstance(admitted, Response):
        if admitted.status_code == status.HTTP_401_UNAUTHORIZED:
            admitted.headers["HX-Redirect"] = "/signin"
        return admitted
    return render(request, "operations_counts.html", {"board": board(session, admitted.scope)})


# --- checkpoints -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    """The form's fields as typed, to be checked, or shown again to be corrected."""

    household: str = ""
    kind: str = ""
    place: str = ""
    headcount: str = ""


def _kinds(account: Account) -> list[CheckpointKind]:
    allowed_kinds = CHECKPOINT_KINDS.get(account.role, frozenset())
    return [kind for kind in CheckpointKind if kind.value in allowed_kinds]


def _headcount(text: str) -> int | None:
    if text.isdecimal() and len(text) <= len(str(HEADCOUNT_MAX)) and int(text) <= HEADCOUNT_MAX:
        return int(text)
    return None


def _problems(session: Session, account: Account, scan: Scan, scenario: Scenario) -> list[str]:
    """Every problem of the form at once, each naming its field and what to do; none repeats
    what was typed, which may be a name in the wrong box."""
    problems = []
    role = account.role.value
    origin = None
    if not scan.household:
        problems.append("Household: type the household's id, as on its card or in the registry.")
    elif not households.in_scope(session, account.scope, scan.household):
        problems.append(
            "Household: no household with this id among those you may record; check the id "
            "on the household's card."
        )
    else:
        origin = registry.household_of(session, scan.household).origin
    kinds = [kind.value for kind in _kinds(account)]
    if scan.kind not in kinds:
        problems.append(f"Checkpoint: a {role} account records {' or '.join(kinds)}; choose one.")
    places = checkpoint_places(account.scope, origin)
    if not 0 < len(scan.place) <= PLACE_LENGTH:
        problems.append(
            f"Place: type the id of the assembly point or crossing, 1 to {PLACE_LENGTH} characters."
        )
    elif scan.kind in kinds and not may_record_checkpoint(
        account.role, account.scope, scan.kind, scan.place, origin
    ):
        where = ", ".join(sorted(places or ())) or "the household's origin"
        problems.append(f"Place: a {role} account records at {where} only.")
    elif scan.kind in kinds:
        try:
            operations.check_place(scenario, CheckpointKind(scan.kind), scan.place)
        except PlaceRefused as refused:
            problems.append(f"Place: {refused}.")
    if _headcount(scan.headcount) is None:
        problems.append(
            "Headcount: type the number of people counted, a whole number from 0 to "
            f"{HEADCOUNT_MAX}."
        )
    return problems


def _checkpoint(
    request: Request,
    session: Session,
    account: Account,
    scan: Scan,
    *,
    household_id: str,
    problems: list[str] | None = None,
    outcome: CheckpointOutcome | None = None,
) -> Response:
    """The form, with the household's statuses and recent checkpoints when it is one the
    account may see."""
    shown = bool(household_id) and households.in_scope(session, account.scope, household_id)
    recent = (
        operations.recent_checkpoints(session, account.scope, household_id, RECENT_CHECKPOINTS)
        if shown
        else []
    )
    scope = account.scope
    return render(
        request,
        "checkpoint.html",
        {
            "account": account,
            "scan": scan,
            "kinds": _kinds(account),
            "households": households.household_ids_in_scope(session, scope, HOUSEHOLD_CHOICES),
            "places": sorted(scope.values)
            if scope.kind in (ScopeKind.ORIGIN, ScopeKind.CROSSING)
            else [],
            "place_length": PLACE_LENGTH,
            "headcount_max": HEADCOUNT_MAX,
            "problems": problems or [],
            "outcome": outcome,
            "household_id": household_id if shown else None,
            "statuses": households.status_counts(session, [household_id])[household_id]
            if shown
            else (),
            "recent": recent,
        },
    )


@router.get("/checkpoint")
def checkpoint_page(
    request: Request,
    account: PageAccount,
    session: SessionDep,
    household: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """``household`` comes filled in from a household's page."""
    admitted = admit(request, account, Action.CHECKPOINT_RECORD)
    if isinstance(admitted, Response):
        return admitted
    kinds = _kinds(admitted)
    scan = Scan(household=household, kind=kinds[0].value if len(kinds) == 1 else "")
    return _checkpoint(request, session, admitted, scan, household_id=household)


@router.post("/checkpoint")
def record_scan(
    request: Request,
    account: PageAccount,
    server: ServerDep,
    session: SessionDep,
    form: FormFields,
) -> Response:
    """A scan refused by a check is not recorded and the form comes back to be corrected; a
    recorded scan keeps its kind and place in the form for the next household."""
    admitted = admit(request, account, Action.CHECKPOINT_RECORD)
    if isinstance(admitted, Response):
        return admitted
    scan = Scan(
        household=form.get("household", "").strip(),
        kind=form.get("kind", "").strip(),
        place=form.get("place", "").strip(),
        headcount=form.get("headcount", "").strip(),
    )
    scenario = current_scenario(session, scenario=server.settings.scenario, from_registry=False)
    problems = _problems(session, admitted, scan, scenario)
    headcount = _headcount(scan.headcount)
    if problems or headcount is None:
        return _checkpoint(
            request, session, admitted, scan, household_id=scan.household, problems=problems
        )
    outcome = operations.record_checkpoint(
        session,
        Operator(admitted.name, server.sealer),
        scan.household,
        CheckpointKind(scan.kind),
        scan.place,
        headcount,
    )
    return _checkpoint(
        request,
        session,
        admitted,
        Scan(kind=scan.kind, place=scan.place),
        household_id=scan.household,
        outcome=outcome,
    )
