"""The matching page: the latest proposals in the account's scope and why each household got
what it got, and the coordinator's overrides of them.

The page reads the service the API's ``/matching/proposals`` reads and applies the same rules.
A host liaison's proposals are narrowed to its own country and cut to their fit
(:func:`~safepassage.services.registry_matching.host_view`) before anything is counted, offered
as a filter or listed, so that no total, choice or column tells it of households proposed
elsewhere or left out; a household it may not see is answered as unknown (404), since a 403
would say that the household exists.

A coordinator pins or forbids a pledge here through the audited service. The reason is often
the very thing about a family that must not leak ("relatives in Cologne"), so it travels in
the POST body only: the redirect after it names the household, and a refusal names the field
and the rule, never what was typed. An override takes effect at the next run; until then the
proposals shown are the last run's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request, Response, status

from safepassage.api.deps import ROW_ID_MAX, ServerDep, SessionDep
from safepassage.matching import OverrideKind
from safepassage.matching.explain import reason_kind
from safepassage.policy import Action, ScopeKind, allowed
from safepassage.services import households, registry_matching
from safepassage.services.accounts import Account
from safepassage.services.database import Session
from safepassage.services.registry import Operator, UnknownRecord
from safepassage.services.registry_matching import REASON_LIMIT, OverrideRefused, Proposal
from safepassage.web.common import PageAccount, admit, redirect, render
from safepassage.web.forms import FormFields

router = APIRouter()

PAGE_SIZE = 50
HOUSEHOLD_LENGTH = 32
PLEDGE_LENGTH = 64
"""As the API's paths take them."""

NOT_PLACED = "none"
"""The country filter's choice of the households left out: no ISO 3166 alpha-3 code is lower
case, so it cannot be taken for a country."""

OVERRIDE_LABELS = {OverrideKind.PIN.value: "Pin to", OverrideKind.FORBID.value: "Forbid"}


@dataclass(frozen=True)
class PledgeTotal:
    pledge: str
    households: int
    persons: int


@dataclass(frozen=True)
class CountryTotal:
    country: str
    households: int
    persons: int
    pledges: tuple[PledgeTotal, ...]


@dataclass(frozen=True)
class UnplacedGroup:
    """Households left out for the same kind of reason (see :func:`reason_kind`)."""

    reason: str
    households: int
    persons: int


@dataclass(frozen=True)
class Totals:
    countries: tuple[CountryTotal, ...]
    households_placed: int
    persons_placed: int
    unplaced: tuple[UnplacedGroup, ...]
    households_unplaced: int
    persons_unplaced: int
    proposed_at: str
    proposed_by: str


@dataclass(frozen=True)
class Line:
    """One household's row; ``alternative`` (its best other pledge and why not) and
    ``unplaced`` stay None for a host liaison, whose view holds neither."""

    household: str
    size: int
    pledge: str | None
    country: str | None
    value: float | None
    alternative: Mapping[str, Any] | None
    unplaced: str | None


@dataclass(frozen=True)
class OverrideForm:
    """The override form as typed, shown again when a check refuses it."""

    kind: str = ""
    pledge: str = ""
    reason: str = ""


def _utc(stamp: str) -> str:
    """A stored time to the minute in UTC: PostgreSQL hands times back in its session's zone,
    SQLite without one (they were written in UTC)."""
    instant = datetime.fromisoformat(stamp)
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC)
    return instant.strftime("%Y-%m-%d %H:%M UTC")


def _countries(account: Account) -> list[str] | None:
    """As the API reads it: a host liaison's own countries; None for every country."""
    return sorted(account.scope.values) if account.scope.kind is ScopeKind.HOST else None


def _in_view(
    session: Session, operator: Operator, account: Account, households: Sequence[str] | None = None
) -> list[Proposal]:
    """The one door to the proposals for every part of the page: a host liaison's are cut to
    the host view here, so no later step can show it more than the API would."""
    countries = _countries(account)
    found = registry_matching.proposals(
        session, operator, countries=countries, households=households
    )
    if countries is None:
        return found
    return [
        replace(proposal, explanation=registry_matching.host_view(proposal.explanation))
        for proposal in found
    ]


def _size(proposal: Proposal) -> int:
    return int(proposal.explanation["size"])


def _round_totals(proposals: Sequence[Proposal]) -> Totals:
    placed: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    left: dict[str, list[int]] = defaultdict(list)
    for proposal in proposals:
        if proposal.pledge is None or proposal.country is None:
            left[reason_kind(proposal.explanation["unplaced"])].append(_size(proposal))
        else:
            placed[proposal.country][proposal.pledge].append(_size(proposal))
    countries = tuple(
        CountryTotal(
            country,
            sum(len(sizes) for sizes in pledges.values()),
            sum(sum(sizes) for sizes in pledges.values()),
            tuple(
                PledgeTotal(pledge, len(sizes), sum(sizes))
                for pledge, sizes in sorted(pledges.items())
            ),
        )
        for country, pledges in sorted(placed.items())
    )
    unplaced = tuple(
        sorted(
            (UnplacedGroup(reason, len(sizes), sum(sizes)) for reason, sizes in left.items()),
            key=lambda group: (-group.households, group.reason),
        )
    )
    latest = max(proposals, key=lambda proposal: proposal.proposed_at)
    return Totals(
        countries=countries,
        households_placed=sum(country.households for country in countries),
        persons_placed=sum(country.persons for country in countries),
        unplaced=unplaced,
        households_unplaced=sum(group.households for group in unplaced),
        persons_unplaced=sum(group.persons for group in unplaced),
        proposed_at=latest.proposed_at,
        proposed_by=latest.proposed_by,
    )


def _table_line(proposal: Proposal) -> Line:
    alternatives = proposal.explanation.get("alternatives") or ()
    return Line(
        household=proposal.household,
        size=_size(proposal),
        pledge=proposal.pledge,
        country=proposal.country,
        value=proposal.points,
        alternative=alternatives[0] if alternatives else None,
        unplaced=proposal.explanation.get("unplaced"),
    )


def _chosen(proposal: Proposal, household: str, country: str, pledge: str) -> bool:
    if household and household.casefold() not in proposal.household.casefold():
        return False
    if country == NOT_PLACED and proposal.pledge is not None:
        return False
    if country not in ("", NOT_PLACED) and proposal.country != country:
        return False
    return not pledge or proposal.pledge == pledge


@router.get("/matching")
def matching_page(
    request: Request,
    account: PageAccount,
    server: ServerDep,
    session: SessionDep,
    household: Annotated[str, Query(max_length=HOUSEHOLD_LENGTH)] = "",
    country: Annotated[str, Query(max_length=8)] = "",
    pledge: Annotated[str, Query(max_length=PLEDGE_LENGTH)] = "",
    page: Annotated[int, Query(ge=1, le=ROW_ID_MAX)] = 1,
) -> Response:
    """Filters are ids and go in the query, so a filtered table can be linked to; a page
    past the last shows the last."""
    admitted = admit(request, account, Action.MATCHING_READ)
    if isinstance(admitted, Response):
        return admitted
    countries = _countries(admitted)
    everything = _in_view(session, Operator(admitted.name, server.sealer), admitted)
    household = household.strip()
    chosen = [p for p in everything if _chosen(p, household, country, pledge)]
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(page, pages)
    shown = chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]

    def link(to: int) -> str:
        query = {"household": household, "country": country, "pledge": pledge, "page": str(to)}
        return "/matching?" + urlencode({key: value for key, value in query.items() if value})

    return render(
        request,
        "matching.html",
        {
            "account": admitted,
            "full": countries is None,
            "own_countries": countries or [],
            "totals": _round_totals(everything) if everything else None,
            "lines": [_table_line(proposal) for proposal in shown],
            "country_choices": sorted({p.country for p in everything if p.country is not None}),
            "pledge_choices": sorted({p.pledge for p in everything if p.pledge is not None}),
            "any_unplaced": any(p.pledge is None for p in everything),
            "not_placed": NOT_PLACED,
            "household": household,
            "country": country,
            "pledge": pledge,
            "household_length": HOUSEHOLD_LENGTH,
            "first": (page - 1) * PAGE_SIZE + 1,
            "last": (page - 1) * PAGE_SIZE + len(shown),
            "matching": len(chosen),
            "total": len(everything),
            "previous": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < pages else None,
            "utc": _utc,
        },
    )


@router.get("/matching/{household_id}")
def household_page(
    request: Request,
    household_id: str,
    account: PageAccount,
    server: ServerDep,
    session: SessionDep,
) -> Response:
    admitted = admit(request, account, Action.MATCHING_READ)
    if isinstance(admitted, Response):
        return admitted
    operator = Operator(admitted.name, server.sealer)
    return _household(request, session, operator, admitted, household_id)


def _household(
    request: Request,
    session: Session,
    operator: Operator,
    account: Account,
    household_id: str,
    *,
    typed: OverrideForm | None = None,
    problems: Sequence[str] = (),
) -> Response:
    """The household's explanation, and for a coordinator its overrides and the form. A
    coordinator also reaches a registered household no round has proposed yet, to forbid a
    pledge before the first run; a host liaison reaches only the proposals to its country."""
    found = _in_view(session, operator, account, [household_id])
    proposal = found[0] if found else None
    full = _countries(account) is None
    registered = full and households.is_registered(session, household_id)
    if proposal is None and not registered:
        return _unknown(request, account)
    overrides = (
        registry_matching.recorded_overrides(session, operator, [household_id])
        if allowed(account.role, Action.MATCHING_OVERRIDE)
        else None
    )
    return render(
        request,
        "matching_household.html",
        {
            "account": account,
            "household_id": household_id,
            "proposal": proposal,
            "explanation": proposal.explanation if proposal else {},
            "full": full,
            "overrides": overrides,
            "pledge_choices": _pledge_choices(session, proposal) if overrides is not None else [],
            "kinds": OVERRIDE_LABELS,
            "typed": typed or OverrideForm(),
            "problems": problems,
            "reason_limit": REASON_LIMIT,
            "pledge_length": PLEDGE_LENGTH,
            "utc": _utc,
        },
    )


def _unknown(request: Request, account: Account) -> Response:
    return render(
        request,
        "matching_household.html",
        {"account": account, "household_id": None},
        status.HTTP_404_NOT_FOUND,
    )


def _pledge_choices(session: Session, proposal: Proposal | None) -> list[str]:
    """Suggestions for the form: the pledges the latest proposals use, and those this
    household's explanation names (its alternatives and the pledges rules block)."""
    choices = registry_matching.proposed_pledges(session)
    if proposal is not None:
        explanation = proposal.explanation
        choices.update(item["pledge"] for item in explanation.get("alternatives", ()))
        for group in explanation.get("blocked", ()):
            choices.update(group["pledges"])
    return sorted(str(choice) for choice in choices)


def _override_problems(typed: OverrideForm) -> list[str]:
    """Every problem at once, each naming its field; none repeats what was typed."""
    problems = []
    if typed.kind not in OVERRIDE_LABELS:
        problems.append("Override: choose pin or forbid.")
    if not 0 < len(typed.pledge) <= PLEDGE_LENGTH:
        problems.append(f"Pledge: type the pledge's id, 1 to {PLEDGE_LENGTH} characters.")
    if not 0 < len(typed.reason.strip()) <= REASON_LIMIT:
        problems.append(
            f"Reason: say why, 1 to {REASON_LIMIT} characters; it is kept sealed with the decision."
        )
    return problems


def _back_to(household_id: str) -> Response:
    return redirect(f"/matching/{quote(household_id, safe='')}")


@router.post("/matching/{household_id}/overrides")
def pin_or_forbid(
    request: Request,
    household_id: str,
    account: PageAccount,
    server: ServerDep,
    session: SessionDep,
    form: FormFields,
) -> Response:
    """Recorded, the browser is sent back to the household's page (303), so a reload does
    not post the reason again; refused, the form comes back filled in to be corrected."""
    admitted = admit(request, account, Action.MATCHING_OVERRIDE)
    if isinstance(admitted, Response):
        return admitted
    operator = Operator(admitted.name, server.sealer)
    typed = OverrideForm(
        kind=form.get("kind", "").strip(),
        pledge=form.get("pledge", "").strip(),
        reason=form.get("reason", ""),
    )
    problems = _override_problems(typed)
    if not problems:
        try:
            registry_matching.record_override(
                session,
                operator,
                household_id,
                typed.pledge,
                OverrideKind(typed.kind),
                typed.reason,
            )
        except OverrideRefused as refused:
            problems = [f"Not recorded: {refused}."]  # the service's words name ids and rules
        except UnknownRecord:
            return _unknown(request, admitted)
        else:
            return _back_to(household_id)
    return _household(
        request, session, operator, admitted, household_id, typed=typed, problems=problems
    )


@router.post("/matching/{household_id}/overrides/lift")
def lift(
    request: Request,
    household_id: str,
    account: PageAccount,
    server: ServerDep,
    session: SessionDep,
    form: FormFields,
) -> Response:
    admitted = admit(request, account, Action.MATCHING_OVERRIDE)
    if isinstance(admitted, Response):
        return admitted
    operator = Operator(admitted.name, server.sealer)
    try:
        registry_matching.lift_override(
            session, operator, household_id, form.get("pledge", "").strip()
        )
    except UnknownRecord:
        problem = "Not lifted: this household has no override of that pledge (lifted already?)."
        return _household(request, session, operator, admitted, household_id, problems=[problem])
    return _back_to(household_id)
