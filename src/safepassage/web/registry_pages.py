"""The registry as pages: the households an account's scope covers, one household's members as
its role may see them, and the coordinator's look-up of a person by name or document.

Whatever is typed into a search box travels in a POST body, never in a URL: a name typed into
the wrong box would otherwise sit in the server's access log and the browser's history. So the
household filter posts too, although it expects ids and places; only opaque household ids and
page numbers go into URLs. Reading a household's members goes through the audited service and
the policy's masking, exactly as the API's ``/households/{id}/persons`` does, and a household
out of scope is answered as unknown (404), as the API answers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from safepassage.api.deps import ROW_ID_MAX, ServerDep, SessionDep
from safepassage.model.registry import Household, Status
from safepassage.policy import (
    Action,
    DocumentView,
    PersonView,
    Scope,
    allowed,
    mask,
    visible_hosts,
)
from safepassage.services import households, registry
from safepassage.services.accounts import Account
from safepassage.services.database import Session
from safepassage.services.households import StatusCounts
from safepassage.services.registry import Operator, UnknownRecord
from safepassage.web.common import PageAccount, admit, render
from safepassage.web.forms import FormFields

router = APIRouter()

PAGE_SIZE = 50
FILTER_LENGTH = 64
"""As long as an origin can be (a household id is shorter)."""

FIND_LENGTH = 200
"""As the API's ``/persons/search`` takes it."""

FIND_KINDS = {"name": "Name", "document": "Document number"}
"""The blind indexes a coordinator searches from a page, with the label of each."""

MEMBER_FIELDS = (
    ("name_icao", "Name (ICAO)"),
    ("name_arabic", "Name (Arabic)"),
    ("aliases", "Also known as"),
    ("sex", "Sex"),
    ("birth", "Born"),
    ("nationality", "Nationality"),
    ("documents", "Documents"),
    ("relationship", "Relationship"),
    ("needs", "Needs"),
    ("role", "Role"),
    ("risk", "Risk"),
    ("location", "Location"),
    ("phone", "Phone"),
    ("consent", "Consent"),
    ("legal_basis", "Legal basis"),
    ("external_id", "Source id"),
)
"""The fields of :class:`PersonView` a page shows, in this order, whenever the role's mask
left them in. A field added to the view later stays off the page until it is named here."""

PageNumber = Annotated[int, Query(ge=1, le=ROW_ID_MAX)]


@dataclass(frozen=True)
class HouseholdLine:
    id: str
    origin: str
    priority: int
    persons: int
    statuses: StatusCounts
    cleared_for: tuple[str, ...]
    hosts: tuple[str, ...]


@dataclass(frozen=True)
class Listing:
    """One page of the households in scope that match ``text`` (all of them when empty)."""

    lines: tuple[HouseholdLine, ...]
    households: int
    page: int
    pages: int
    text: str


@dataclass(frozen=True)
class Member:
    """A member's id and status, and ``fields`` (label, text) as the role may see them."""

    id: str
    status: Status
    fields: tuple[tuple[str, str], ...]


def listing(session: Session, account: Account, text: str, page: int) -> Listing:
    """A page of the households in the account's scope, as the API lists them."""
    found = households.page_of_households(
        session, account.scope, text=text, page=page, page_size=PAGE_SIZE
    )
    statuses = households.status_counts(session, [household.id for household in found.households])
    lines = tuple(
        household_line(household, statuses, account.scope) for household in found.households
    )
    return Listing(lines, found.total, found.page, found.pages, text)


def household_line(
    household: Household, statuses: dict[str, StatusCounts], scope: Scope
) -> HouseholdLine:
    return HouseholdLine(
        id=household.id,
        origin=household.origin,
        priority=household.priority,
        persons=len(household.members),
        statuses=statuses[household.id],
        cleared_for=household.cleared_for,
        hosts=visible_hosts(scope, household.hosts),
    )


def _registry(
    request: Request,
    account: Account,
    shown: Listing,
    *,
    problem: str | None = None,
    found: Sequence[tuple[str, str]] | None = None,
) -> Response:
    return render(
        request,
        "registry.html",
        {
            "account": account,
            "listing": shown,
            "find_kinds": FIND_KINDS,
            "find_length": FIND_LENGTH,
            "filter_length": FILTER_LENGTH,
            "problem": problem,
            "found": found,
        },
    )


@router.get("/registry")
def registry_page(
    request: Request, account: PageAccount, session: SessionDep, page: PageNumber = 1
) -> Response:
    admitted = admit(request, account, Action.HOUSEHOLDS_READ)
    if isinstance(admitted, Response):
        return admitted
    return _registry(request, admitted, listing(session, admitted, "", page))


@router.post("/registry")
def filter_registry(
    request: Request, account: PageAccount, session: SessionDep, form: FormFields
) -> Response:
    admitted = admit(request, account, Action.HOUSEHOLDS_READ)
    if isinstance(admitted, Response):
        return admitted
    text = form.get("text", "").strip()
    if len(text) > FILTER_LENGTH:
        return _registry(
            request,
            admitted,
            listing(session, admitted, "", 1),
            problem=f"Household id or origin: type at most {FILTER_LENGTH} characters, "
            "part of a household's id or a place's id.",
        )
    page = form.get("page", "")
    number = int(page) if page.isdecimal() and 0 < int(page) <= ROW_ID_MAX else 1
    return _registry(request, admitted, listing(session, admitted, text, number))


@router.post("/registry/find")
def find_persons(
    request: Request,
    account: PageAccount,
    server: ServerDep,
    session: SessionDep,
    form: FormFields,
) -> Response:
    """The value looked for is never written back, into the page or anywhere else: the
    answer is ids, and the audit entry says that a look-up happened, not for whom."""
    admitted = admit(request, account, Action.PERSONS_FIND)
    if isinstance(admitted, Response):
        return admitted
    kind, value = form.get("kind", ""), form.get("value", "")
    first_page = listing(session, admitted, "", 1)
    if kind not in FIND_KINDS:
        return _registry(
            request, admitted, first_page, problem="Search by: choose name or document number."
        )
    if not value.strip() or len(value) > FIND_LENGTH:
        return _registry(
            request,
            admitted,
            first_page,
            problem=f"{FIND_KINDS[kind]}: type it as written on the document, 1 to "
            f"{FIND_LENGTH} characters.",
        )
    person_ids = registry.find_by(session, Operator(admitted.name, server.sealer), kind, value)
    return _registry(
        request,
        admitted,
        first_page,
        found=households.households_of_persons(session, admitted.scope, person_ids),
    )


@router.get("/registry/{household_id}")
def household_page(
    request: Request,
    household_id: str,
    account: PageAccount,
    server: ServerDep,
    session: SessionDep,
) -> Response:
    admitted = admit(request, account, Action.HOUSEHOLDS_READ)
    if isinstance(admitted, Response):
        return admitted
    try:
        detail = households.household_detail(session, admitted.scope, household_id)
    except UnknownRecord:
        return render(
            request,
            "household.html",
            {"account": admitted, "household": None},
            status.HTTP_404_NOT_FOUND,
        )
    return render(
        request,
        "household.html",
        {
            "account": admitted,
            "household": household_line(
                detail.household,
                households.status_counts(session, [household_id]),
                admitted.scope,
            ),
            "members": _members(session, admitted, Operator(admitted.name, server.sealer), detail),
        },
    )


def _members(
    session: Session, account: Account, operator: Operator, detail: households.HouseholdDetail
) -> list[Member]:
    """Every member's status; their records only for a role that may read persons, opened
    through the audited read and masked by the policy, as the API does."""
    members = list(detail.household.members)
    views: dict[str, PersonView] = {}
    if members and allowed(account.role, Action.PERSONS_READ):
        persons = registry.read_persons(
            session, operator, members, purpose=f"page {account.role.value}"
        )
        views = {person.id: mask(person, account.role) for person in persons}
    return [
        Member(member, detail.statuses[member], _shown(views[member]) if views else ())
        for member in members
    ]


def _shown(view: PersonView) -> tuple[tuple[str, str], ...]:
    return tuple(
        (label, _text(getattr(view, name)))
        for name, label in MEMBER_FIELDS
        if getattr(view, name) is not None
    )


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, DocumentView):
        expiry = f", expires {value.expires}" if value.expires else ""
        return f"{value.kind} {value.number} ({value.issuing_country}{expiry})"
    if isinstance(value, tuple):
        return "; ".join(_text(item) for item in value) or "none"
    return str(value) or "—"
