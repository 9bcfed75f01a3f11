"""Households as an account may browse them: which are in its scope, a page of them, their
members' statuses, and the households of persons found.

The API and the pages call the same functions, so what an account may see is decided once,
here and in :mod:`safepassage.policy`. None of these opens a record: ids, origins and
statuses are not personal data, so nothing here writes an audit entry (opening the records
goes through :func:`safepassage.services.registry.read_persons`, which does).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from math import ceil

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from safepassage.model.registry import Household, Status
from safepassage.policy import Scope, scope_filter
from safepassage.services import registry
from safepassage.services.registry import IN_LIST_LIMIT, UnknownRecord
from safepassage.store.tables import HouseholdRow, PersonRow

StatusCounts = tuple[tuple[Status, int], ...]


@dataclass(frozen=True)
class HouseholdPage:
    """One page of the households in scope; ``total`` counts all of them (after the text
    searched for), ``page`` is the page shown of ``pages``."""

    households: tuple[Household, ...]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class HouseholdDetail:
    household: Household
    statuses: dict[str, Status]
    """Each member's status, by person id."""


def check_household(session: Session, scope: Scope, household_id: str) -> None:
    """Refuse, as unknown, a household that does not exist or is not in scope: a host
    liaison must not learn from a refusal which other households the registry holds."""
    found = session.execute(
        select(HouseholdRow.id).where(HouseholdRow.id == household_id, scope_filter(scope))
    ).first()
    if found is None:
        raise UnknownRecord(f"no household {household_id} in the registry")


def in_scope(session: Session, scope: Scope, household_id: str) -> bool:
    try:
        check_household(session, scope, household_id)
    except UnknownRecord:
        return False
    return True


def check_persons(session: Session, scope: Scope, person_ids: Iterable[str]) -> None:
    """Refuse, as unknown, the first person that does not exist or is not in scope."""
    wanted = list(dict.fromkeys(person_ids))
    visible: set[str] = set()
    for start in range(0, len(wanted), IN_LIST_LIMIT):
        chunk = wanted[start : start + IN_LIST_LIMIT]
        visible.update(
            session.execute(
                select(PersonRow.id)
                .join(HouseholdRow, PersonRow.household_id == HouseholdRow.id)
                .where(PersonRow.id.in_(chunk), scope_filter(scope))
            ).scalars()
        )
    for person_id in wanted:
        if person_id not in visible:
            raise UnknownRecord(f"no person {person_id} in the registry")


def households_in_scope(
    session: Session, scope: Scope, *, limit: int, offset: int = 0, text: str = ""
) -> tuple[Household, ...]:
    """Households in scope by id, ``text`` (if any) found in their id or origin."""
    ids = session.execute(
        _in_scope_query(scope, text).order_by(HouseholdRow.id).limit(limit).offset(offset)
    ).scalars()
    return tuple(registry.households_of(session, list(ids)))


def page_of_households(
    session: Session, scope: Scope, *, text: str, page: int, page_size: int
) -> HouseholdPage:
    """A page past the last shows the last: a household purged since the link was made
    should not leave the user on an empty page."""
    query = _in_scope_query(scope, text)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    pages = max(1, ceil(total / page_size))
    page = min(page, pages)
    found = households_in_scope(
        session, scope, limit=page_size, offset=(page - 1) * page_size, text=text
    )
    return HouseholdPage(found, total, page, pages)


def _in_scope_query(scope: Scope, text: str) -> Select[str]:
    query = select(HouseholdRow.id).where(scope_filter(scope))
    if text:
        query = query.where(
            or_(
                HouseholdRow.id.icontains(text, autoescape=True),
                HouseholdRow.origin.icontains(text, autoescape=True),
            )
        )
    return query


def household_ids_in_scope(session: Session, scope: Scope, limit: int) -> list[str]:
    """The first ``limit`` household ids in scope, for a form's suggestions."""
    return list(
        session.execute(
            select(HouseholdRow.id)
            .where(scope_filter(scope))
            .order_by(HouseholdRow.id)
            .limit(limit)
        ).scalars()
    )


def household_detail(session: Session, scope: Scope, household_id: str) -> HouseholdDetail:
    """A household in scope and its members' statuses; :class:`UnknownRecord` otherwise."""
    check_household(session, scope, household_id)
    household = registry.household_of(session, household_id)
    members = list(household.members)
    statuses = dict(
        session.execute(
            select(PersonRow.id, PersonRow.status).where(PersonRow.id.in_(members))
        ).all()
    )
    return HouseholdDetail(household, {member: Status(statuses[member]) for member in members})


def status_counts(session: Session, household_ids: Sequence[str]) -> dict[str, StatusCounts]:
    """Active members of each household by status, in pipeline order. Counts need no record
    opened, so nothing is audited, as with the API's household detail."""
    counted: dict[str, Counter[Status]] = {
        household_id: Counter() for household_id in household_ids
    }
    rows = session.execute(
        select(PersonRow.household_id, PersonRow.status, func.count())
        .where(PersonRow.household_id.in_(household_ids), PersonRow.merged_into.is_(None))
        .group_by(PersonRow.household_id, PersonRow.status)
    ).all()
    for household_id, status_value, persons in rows:
        counted[household_id][Status(status_value)] = int(persons)
    return {
        household_id: tuple((state, counts[state]) for state in Status if counts[state])
        for household_id, counts in counted.items()
    }


def households_of_persons(
    session: Session, scope: Scope, person_ids: Sequence[str]
) -> list[tuple[str, str]]:
    """(household id, person id) of the persons found, within the scope."""
    if not person_ids:
        return []
    rows = session.execute(
        select(PersonRow.household_id, PersonRow.id)
        .join(HouseholdRow, PersonRow.household_id == HouseholdRow.id)
        .where(PersonRow.id.in_(person_ids), scope_filter(scope))
        .order_by(PersonRow.household_id, PersonRow.id)
    ).all()
    return [(household_id, person_id) for household_id, person_id in rows]


def is_registered(session: Session, household_id: str) -> bool:
    return session.get(HouseholdRow, household_id) is not None
