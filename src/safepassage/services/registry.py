"""The registry's use cases: add, read, look up and move people through the pipeline.

Every function takes the caller's session (one unit of work: the CLI commits per command, the
web application per request, the tests roll back) and an :class:`Operator`, the person acting
and the keys they act with. Every read of personal data and every change writes an audit entry
in the same transaction; the entry names ids and counts, never what was read.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from sqlalchemy import Row, delete, func, insert, select
from sqlalchemy.orm import Session

from safepassage.model.registry import (
    Household,
    Person,
    PersonalData,
    Status,
    StatusChangeRefused,
    check_status_change,
)
from safepassage.policy import ALL, Scope, scope_filter
from safepassage.protection.keys import KeyRing
from safepassage.protection.sealing import Sealer
from safepassage.store import audit
from safepassage.store.codec import decode_personal, encode_personal
from safepassage.store.tables import (
    ClearanceRow,
    HouseholdRow,
    LookupRow,
    PersonRow,
    StatusEventRow,
)

CROSSING = "crossing"
HOST = "host"
IN_LIST_LIMIT = 5000
"""Ids per ``IN (...)`` list: PostgreSQL takes at most 65,535 parameters in one statement."""


class UnknownRecord(LookupError):
    """An id that is not in the registry (ids are opaque, so naming them is safe)."""


@dataclass(frozen=True)
class Operator:
    """Who is acting, and with which keys. ``name`` goes into the audit log and history."""

    name: str
    sealer: Sealer

    @classmethod
    def with_ring(cls, name: str, ring: KeyRing) -> Operator:
        return cls(name, Sealer(ring))

    @property
    def ring(self) -> KeyRing:
        return self.sealer.ring


def now() -> datetime:
    return datetime.now(UTC)


def in_utc(stamp: datetime) -> datetime:
    """A stamp as written, in UTC: SQLite hands stamps back without their zone, and a time
    without one is read as anyone's local time (the API promises date-times with offset)."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def new_id(prefix: str) -> str:
    """Opaque ids: random, so that an id says nothing of when or where someone registered."""
    return prefix + secrets.token_hex(8)


def person_place(person_id: str) -> str:
    return f"persons:{person_id}"


def seal_personal(operator: Operator, person_id: str, data: PersonalData) -> bytes:
    return operator.sealer.seal(encode_personal(data), person_place(person_id))


def open_personal(operator: Operator, person_id: str, sealed: bytes) -> PersonalData:
    return decode_personal(operator.sealer.open(sealed, person_place(person_id)))


def lookups_of(operator: Operator, data: PersonalData) -> set[tuple[str, str]]:
    """The blind indexes a person can be found by: source id, ICAO name, document numbers."""
    index = operator.sealer.blind_index
    keys = {("name", index("name", data.name_icao))}
    if data.external_id:
        keys.add(("source", index("source", data.external_id)))
    keys.update(("document", index("document", doc.number)) for doc in data.documents)
    return keys


def fingerprint(operator: Operator, household_id: str, data: PersonalData) -> str:
    """A keyed digest of the whole record, to tell an unchanged re-import from an update
    without opening the stored record."""
    return operator.sealer.blind_index(
        "content", household_id + "\x00" + encode_personal(data).decode()
    )


def save_household(session: Session, operator: Operator, household: Household) -> None:
    """Insert or update a household and replace its clearances (no personal data)."""
    stamp = now()
    row = session.get(HouseholdRow, household.id)
    if row is None:
        session.add(
            HouseholdRow(
                id=household.id,
                origin=household.origin,
                priority=household.priority,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    else:
        row.origin, row.priority, row.updated_at = household.origin, household.priority, stamp
    session.flush()
    session.execute(delete(ClearanceRow).where(ClearanceRow.household_id == household.id))
    for kind, targets in ((CROSSING, household.cleared_for), (HOST, household.hosts)):
        for target in sorted(set(targets)):
            session.add(
                ClearanceRow(
                    household_id=household.id,
                    kind=kind,
                    target=target,
                    granted_at=stamp,
                    granted_by=operator.name,
                )
            )
    session.flush()


def add_persons(session: Session, operator: Operator, persons: Sequence[Person]) -> None:
    """Register persons; each one's first status event records who registered them and when.

    Three multi-row INSERTs per batch, with no ORM object per row: building those cost more
    than the database's own work, and an import of 10,000 rows took several times as long.
    """
    if not persons:
        return
    stamp = now()
    session.execute(
        insert(PersonRow),
        [
            {
                "id": person.id,
                "household_id": person.household_id,
                "status": person.status.value,
                "resume_to": None,
                "retention_until": person.retention_until,
                "sealed": seal_personal(operator, person.id, person.personal),
                "fingerprint": fingerprint(operator, person.household_id, person.personal),
                "merged_into": None,
                "created_at": stamp,
                "updated_at": stamp,
            }
            for person in persons
        ],
    )
    lookups = [
        {"person_id": person.id, "kind": kind, "digest": digest}
        for person in persons
        for kind, digest in lookups_of(operator, person.personal)
    ]
    session.execute(insert(LookupRow), lookups)
    session.execute(
        insert(StatusEventRow),
        [
            {
                "person_id": person.id,
                "from_status": None,
                "to_status": person.status.value,
                "at": stamp,
                "actor": operator.name,
                "place": "",
                "reason": "registered",
            }
            for person in persons
        ],
    )


def add_person(session: Session, operator: Operator, person: Person) -> None:
    add_persons(session, operator, [person])


def update_person(
    session: Session,
    operator: Operator,
    person_id: str,
    household_id: str,
    data: PersonalData,
    *,
    from_source: bool = True,
) -> None:
    """Replace a person's sealed data and blind indexes.

    ``from_source`` says the new data is what the registration source now says (a corrected
    row): only then does the fingerprint follow, because the fingerprint stands for the source
    row last taken in. A merge changes the record but not its source, and a re-import of the
    same file must not undo the merge.
    """
    row = _person_row(session, person_id)
    row.household_id = household_id
    row.sealed = seal_personal(operator, person_id, data)
    if from_source:
        row.fingerprint = fingerprint(operator, household_id, data)
    row.updated_at = now()
    session.execute(delete(LookupRow).where(LookupRow.person_id == person_id))
    session.add_all(
        LookupRow(person_id=person_id, kind=kind, digest=digest)
        for kind, digest in lookups_of(operator, data)
    )


def _person_row(session: Session, person_id: str) -> PersonRow:
    row = session.get(PersonRow, person_id)
    if row is None:
        raise UnknownRecord(f"no person {person_id} in the registry")
    return row


def read_persons(
    session: Session, operator: Operator, person_ids: Sequence[str], *, purpose: str
) -> list[Person]:
    """Open the records of ``person_ids``; the audit entry names them and the purpose."""
    rows: dict[str, PersonRow] = {}
    for start in range(0, len(person_ids), IN_LIST_LIMIT):
        chunk = person_ids[start : start + IN_LIST_LIMIT]
        query = select(PersonRow).where(PersonRow.id.in_(chunk))
        rows.update((row.id, row) for row in session.execute(query).scalars())
    missing = [person_id for person_id in person_ids if person_id not in rows]
    if missing:
        raise UnknownRecord(f"no person {missing[0]} in the registry")
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action="read",
        subject=",".join(person_ids),
        detail={"persons": len(person_ids), "purpose": purpose},
    )
    return [_person(operator, rows[person_id]) for person_id in person_ids]


def _person(operator: Operator, row: PersonRow) -> Person:
    return Person(
        id=row.id,
        household_id=row.household_id,
        status=Status(row.status),
        retention_until=row.retention_until,
        personal=open_personal(operator, row.id, row.sealed),
    )


def find_by(session: Session, operator: Operator, kind: str, value: str) -> list[str]:
    """Ids of the persons whose ``kind`` (source, name, document) equals ``value`` after
    normalisation, found through the blind index without opening any record. The audit
    entry records that a look-up happened, not what was looked for."""
    digest = operator.sealer.blind_index(kind, value)
    found = sorted(
        session.execute(
            select(LookupRow.person_id).where(LookupRow.kind == kind, LookupRow.digest == digest)
        ).scalars()
    )
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action="lookup",
        subject=",".join(found),
        detail={"kind": kind, "found": len(found)},
    )
    return found


def households_by_source(
    session: Session, operator: Operator, source_ids: Sequence[str]
) -> dict[str, str]:
    """Each source person id (as in the registration file) with the household its record is
    in, for joining a partner's file keyed by source ids onto the registry. Ids not found are
    left out; one audit entry records the look-up and how many were found."""
    index = operator.sealer.blind_index
    digests = {index("source", source_id): source_id for source_id in source_ids}
    found: dict[str, str] = {}
    keys = list(digests)
    for start in range(0, len(keys), IN_LIST_LIMIT):
        chunk = keys[start : start + IN_LIST_LIMIT]
        query = (
            select(LookupRow.digest, PersonRow.household_id)
            .join(PersonRow, PersonRow.id == LookupRow.person_id)
            .where(LookupRow.kind == "source", LookupRow.digest.in_(chunk))
        )
        for digest, household_id in session.execute(query):
            found[digests[digest]] = household_id
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action="lookup",
        subject="registry",
        detail={"kind": "source", "asked": len(digests), "found": len(found)},
    )
    return found


def set_status(
    session: Session,
    operator: Operator,
    person_ids: Iterable[str],
    new: Status,
    *,
    place: str = "",
    reason: str = "",
) -> None:
    """Move every person to ``new`` or nobody: one refused change refuses the whole batch,
    so a household is never left half departed."""
    ids = list(person_ids)
    audit.hold_chain(session)  # two scans of one household at once: the second sees the first
    found: dict[str, PersonRow] = {}
    for start in range(0, len(ids), IN_LIST_LIMIT):
        query = select(PersonRow).where(PersonRow.id.in_(ids[start : start + IN_LIST_LIMIT]))
        found.update(
            (row.id, row)
            for row in session.execute(query.execution_options(populate_existing=True)).scalars()
        )
    missing = [person_id for person_id in ids if person_id not in found]
    if missing:
        raise UnknownRecord(f"no person {missing[0]} in the registry")
    rows = [found[person_id] for person_id in ids]
    for row in rows:
        if row.merged_into is not None:
            raise StatusChangeRefused(f"{row.id} was merged into {row.merged_into}; use that id")
        try:
            check_status_change(Status(row.status), new, _status(row.resume_to))
        except StatusChangeRefused as refused:
            raise StatusChangeRefused(f"{row.id}: {refused}") from None
    stamp = now()
    for row in rows:
        old = Status(row.status)
        if new in (Status.ON_HOLD, Status.MISSING) and old not in (
            Status.ON_HOLD,
            Status.MISSING,
        ):
            row.resume_to = old.value
        elif new not in (Status.ON_HOLD, Status.MISSING):
            row.resume_to = None
        row.status, row.updated_at = new.value, stamp
        session.add(
            StatusEventRow(
                person_id=row.id,
                from_status=old.value,
                to_status=new.value,
                at=stamp,
                actor=operator.name,
                place=place,
                reason=reason,
            )
        )
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action="status",
        subject=",".join(ids),
        detail={"to": new.value, "persons": len(ids), "place": place},
    )


def _status(value: str | None) -> Status | None:
    return Status(value) if value else None


@dataclass(frozen=True)
class StatusEvent:
    from_status: Status | None
    to_status: Status
    at: datetime
    actor: str
    place: str
    reason: str


def status_history(session: Session, person_id: str) -> list[StatusEvent]:
    """A person's moves through the pipeline (no personal data: statuses, who, when, where)."""
    _person_row(session, person_id)
    rows = session.execute(
        select(StatusEventRow)
        .where(StatusEventRow.person_id == person_id)
        .order_by(StatusEventRow.id)
    ).scalars()
    return [
        StatusEvent(
            _status(row.from_status),
            Status(row.to_status),
            in_utc(row.at),
            row.actor,
            row.place,
            row.reason,
        )
        for row in rows
    ]


def household_of(session: Session, household_id: str) -> Household:
    found = households_of(session, [household_id])
    if not found:
        raise UnknownRecord(f"no household {household_id} in the registry")
    return found[0]


def households_of(session: Session, household_ids: Sequence[str]) -> list[Household]:
    """The households named that exist, in the order named, in three queries whatever their
    number (a page of them is read at once). Columns, not mapped rows: building a tracked
    object per household cost more than the query under load (benchmarks/load.py)."""
    rows: dict[str, Row[str, str, int]] = {}
    clearances: dict[str, list[tuple[str, str]]] = defaultdict(list)
    members: dict[str, list[str]] = defaultdict(list)
    for start in range(0, len(household_ids), IN_LIST_LIMIT):
        chunk = household_ids[start : start + IN_LIST_LIMIT]
        rows.update(
            (row.id, row)
            for row in session.execute(
                select(HouseholdRow.id, HouseholdRow.origin, HouseholdRow.priority).where(
                    HouseholdRow.id.in_(chunk)
                )
            )
        )
        for household_id, kind, target in session.execute(
            select(ClearanceRow.household_id, ClearanceRow.kind, ClearanceRow.target)
            .where(ClearanceRow.household_id.in_(chunk))
            .order_by(ClearanceRow.target)
        ):
            clearances[household_id].append((kind, target))
        for household_id, person_id in session.execute(
            select(PersonRow.household_id, PersonRow.id)
            .where(PersonRow.household_id.in_(chunk), PersonRow.merged_into.is_(None))
            .order_by(PersonRow.created_at, PersonRow.id)
        ):
            members[household_id].append(person_id)
    return [
        Household(
            id=row.id,
            origin=row.origin,
            priority=row.priority,
            cleared_for=tuple(t for kind, t in clearances[row.id] if kind == CROSSING),
            hosts=tuple(t for kind, t in clearances[row.id] if kind == HOST),
            members=tuple(members[row.id]),
        )
        for row in (rows.get(household_id) for household_id in household_ids)
        if row is not None
    ]


def counts_by_status_and_place(session: Session, scope: Scope = ALL) -> list[tuple[str, str, int]]:
    """(origin, status, persons) over active records: aggregates only, nothing to audit.
    ``scope`` keeps an account's households only, so a field lead's board counts its own."""
    rows = session.execute(
        select(HouseholdRow.origin, PersonRow.status, func.count())
        .join(HouseholdRow, PersonRow.household_id == HouseholdRow.id)
        .where(PersonRow.merged_into.is_(None), scope_filter(scope))
        .group_by(HouseholdRow.origin, PersonRow.status)
        .order_by(HouseholdRow.origin, PersonRow.status)
    ).all()
    return [(origin, status, int(count)) for origin, status, count in rows]


def with_status(person: Person, status: Status) -> Person:
    return replace(person, status=status)


def retention_default(today: date, years: int = 5) -> date:
    """Records are kept five years unless the import says otherwise: long enough for
    resettlement and family reunification cases, short enough not to keep lists forever."""
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)
