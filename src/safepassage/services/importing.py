"""Importing registry files: every row ends up registered or in quarantine, none is dropped.

A person is known across imports by the blind index of their external id (KoboToolbox's
``_uuid`` or the form's own person id), so importing a file again finds everyone it added:
a row whose record is the same (same keyed fingerprint) changes nothing, a row that differs
updates the record. A row that fails its checks goes to the ``quarantine`` table, sealed with
the reasons (which name fields, never values); its keyed digest keeps the same bad row from
being quarantined twice, and a later valid row for the same person settles it.

Household ids in files are identifiers of the source and may say who a family is (a name, a
phone number), so they are never stored: a new household's id in the registry is the blind
index of the file's household id ("h" and 31 hex digits). The same file id finds the same
household again without a look-up table, even when the file holds only its newest member,
and the id reveals nothing without the keys. A key rotation changes every blind index, so
after one a household is found through its members already registered (their external ids
are re-indexed by the rotation); a file holding only new members of a household created
before the rotation then starts a new household.

Checks that need the whole file come on top of the row's own: a person id given on two rows,
and members of one household whose household columns disagree, are *conflicts*. Only a
corrected file settles a conflict; :func:`retry_quarantine` leaves them where they are, since
re-checking the row alone would let the second row overwrite the first.

The whole import is one unit of work of the caller's session, flushed every
:data:`BATCH_ROWS` rows; it writes one audit entry, with counts and the ids of the records it
added or changed, never per row, and a keyed digest of the content instead of the file name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, bindparam, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from safepassage.formats.problems import Problem
from safepassage.formats.registry_rows import (
    HOUSEHOLD_FIELDS,
    RISK_PRIORITY,
    ColumnMapping,
    Field,
    RawRow,
    RegistryRow,
    RowErrors,
    check_row,
)
from safepassage.model.registry import Household, Person
from safepassage.services.registry import (
    CROSSING,
    HOST,
    Operator,
    add_persons,
    fingerprint,
    in_utc,
    new_id,
    now,
    retention_default,
    save_household,
    update_person,
)
from safepassage.store import audit
from safepassage.store.tables import (
    Base,
    ClearanceRow,
    HouseholdRow,
    LookupRow,
    PersonRow,
    QuarantineRow,
)

BATCH_ROWS = 500
"""Rows between flushes (and progress reports): large enough for few round trips, small
enough that a progress bar moves on a 10,000-row file."""
IN_CHUNK = 500
"""Values per ``IN (...)`` list: far below SQLite's and PostgreSQL's parameter limits."""

SOURCE_INDEX = "source"
"""The blind-index kind of external ids, shared with :func:`services.registry.lookups_of`."""
HOUSEHOLD_INDEX = "household"
ROW_INDEX = "quarantine-row"
IMPORT_INDEX = "import"
IMPORT_ACTION = "import"
RETRY_ACTION = "import-retry"

_T = TypeVar("_T")

Progress = Callable[[int], None]
"""Called with the number of rows just done, once per batch."""


@dataclass(frozen=True)
class ImportSummary:
    """What an import did. Every row is counted once: ``rows`` is the sum of ``added``,
    ``updated``, ``unchanged``, ``quarantined`` (newly) and ``already_quarantined``.
    ``resolved`` counts earlier quarantine entries this import settled; ``problems`` are
    those of this import's bad rows, for the person who ran it."""

    rows: int
    added: int
    updated: int
    unchanged: int
    quarantined: int
    already_quarantined: int
    resolved: int
    households_added: int
    households_updated: int
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class QuarantineEntry:
    """A quarantined row as anyone may see it: where it was and why, not what it holds."""

    id: int
    row_number: int
    reason: str
    created_at: datetime
    resolved_at: datetime | None


def import_rows(
    session: Session,
    operator: Operator,
    source_name: str,
    rows: Sequence[RawRow],
    mapping: ColumnMapping,
    *,
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportSummary:
    """Import ``rows`` read from ``source_name`` (named in ``problems`` only, never stored)."""
    run = _Run(session, operator, mapping, today or now().date(), progress)
    return run.run([(source_name, row) for row in rows], IMPORT_ACTION, held=())


def retry_quarantine(
    session: Session,
    operator: Operator,
    mapping: ColumnMapping,
    *,
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportSummary:
    """Check every unresolved quarantined row again (after the mapping was fixed, say) and
    take in those that now pass; conflicts stay until a corrected file is imported."""
    entries = session.execute(
        select(QuarantineRow).where(QuarantineRow.resolved_at.is_(None)).order_by(QuarantineRow.id)
    ).scalars()
    items: list[tuple[str, RawRow]] = []
    held: list[tuple[Problem, str]] = []
    for entry in entries:
        label = f"quarantine entry {entry.id}"
        raw, conflict = _unseal(operator, entry)
        if conflict:
            held.append((Problem(label, entry.row_number, None, entry.reason), entry.row_digest))
        else:
            items.append((label, raw))
    run = _Run(session, operator, mapping, today or now().date(), progress)
    return run.run(items, RETRY_ACTION, held=held)


def list_quarantine(session: Session, *, include_resolved: bool = False) -> list[QuarantineEntry]:
    """No personal data comes out, so listing needs no keys and writes no audit entry."""
    query = select(QuarantineRow).order_by(QuarantineRow.id)
    if not include_resolved:
        query = query.where(QuarantineRow.resolved_at.is_(None))
    return [
        QuarantineEntry(
            row.id,
            row.row_number,
            row.reason,
            in_utc(row.created_at),
            in_utc(row.resolved_at) if row.resolved_at else None,
        )
        for row in session.execute(query).scalars()
    ]


def rekey_quarantine(session: Session, operator: Operator, new: Operator) -> int:
    """Re-seal every quarantined row with ``new``'s keys and recompute its digests, for key
    rotation: nothing may stay that the old key alone can open or match. The digest of the
    import an entry came from cannot be recomputed (it covers the whole file), so it is
    replaced by a keyed digest of itself: entries of one import still share it."""
    count = 0
    for entry in session.execute(select(QuarantineRow)).scalars():
        envelope = _open_envelope(operator, entry)
        raw = _raw_row(envelope)
        external_id = str(envelope["external_id"])
        entry.row_digest = new.sealer.blind_index(ROW_INDEX, _canonical(raw))
        entry.source_key = (
            new.sealer.blind_index(SOURCE_INDEX, external_id) if external_id else None
        )
        entry.source_digest = new.sealer.blind_index(IMPORT_INDEX, entry.source_digest)
        entry.sealed_row = new.sealer.seal(
            json.dumps(envelope, ensure_ascii=False).encode(), _place(entry.row_digest)
        )
        count += 1
    session.flush()
    return count


# -- one run over rows -----------------------------------------------------------------------


@dataclass
class _Item:
    label: str
    raw: RawRow
    digest: str
    outcome: RegistryRow | RowErrors
    conflict: bool = False
    source_key: str | None = None
    household_key: str = ""
    household_id: str = ""


@dataclass(frozen=True)
class _Stored:
    """What the registry holds of a person the file names, read without opening anything."""

    id: str
    household_id: str
    fingerprint: str
    retention_until: date


@dataclass
class _Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    already_quarantined: int = 0
    households_added: int = 0
    households_updated: int = 0
    changed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class _Run:
    def __init__(
        self,
        session: Session,
        operator: Operator,
        mapping: ColumnMapping,
        today: date,
        progress: Progress | None,
    ) -> None:
        self.session, self.operator, self.mapping = session, operator, mapping
        self.today, self.progress = today, progress
        self.index = operator.sealer.blind_index
        self.counts = _Counts()

    def run(
        self,
        rows: Sequence[tuple[str, RawRow]],
        action: str,
        held: Sequence[tuple[Problem, str]],
    ) -> ImportSummary:
        """``held`` are quarantined rows (problem, row digest) not checked again: they are
        counted as still in quarantine and never settled by this run."""
        items = [self._check(label, raw) for label, raw in rows]
        self.content = _content_digest(items)
        self._check_across_rows(items)
        stored = self._stored_persons(items)
        self._refuse_ambiguous(items, stored)
        self._assign_households(items, stored)
        existing = self._stored_households(items)
        wanted = self._households(items, existing)
        quarantined = self._stored_quarantine(items)
        saved: set[str] = set()
        seen_bad = {digest for _, digest in held}
        for start in range(0, len(items), BATCH_ROWS):
            batch = items[start : start + BATCH_ROWS]
            needed = [
                wanted[item.household_id]
                for item in batch
                if isinstance(item.outcome, RegistryRow) and item.household_id not in saved
            ]
            self._save_households(needed, existing)
            saved.update(household.id for household in needed)
            new: list[Person] = []
            for item in batch:
                if isinstance(item.outcome, RegistryRow):
                    known = stored.get(item.source_key or "", [])
                    if known:
                        self._update(item, item.outcome, known[0])
                    else:
                        new.append(self._new_person(item, item.outcome))
                else:
                    self._quarantine(item, item.outcome, quarantined, seen_bad)
            add_persons(self.session, self.operator, new)
            self.session.flush()
            if self.progress is not None:
                self.progress(len(batch))
        resolved = self._resolve(items, seen_bad)
        counts = self.counts
        counts.already_quarantined += len(held)
        counts.problems.extend(problem for problem, _ in held)
        summary = ImportSummary(
            rows=len(items) + len(held),
            added=counts.added,
            updated=counts.updated,
            unchanged=counts.unchanged,
            quarantined=counts.quarantined,
            already_quarantined=counts.already_quarantined,
            resolved=resolved,
            households_added=counts.households_added,
            households_updated=counts.households_updated,
            problems=tuple(counts.problems),
        )
        audit.record(
            self.session,
            self.operator.ring,
            actor=self.operator.name,
            action=action,
            subject=",".join(sorted(counts.changed)),
            detail={
                "content": self.content,
                **{
                    name: getattr(summary, name)
                    for name in (
                        "rows",
                        "added",
                        "updated",
                        "unchanged",
                        "quarantined",
                        "already_quarantined",
                        "resolved",
                        "households_added",
                        "households_updated",
                    )
                },
            },
        )
        return summary

    # -- checking ---------------------------------------------------------------------------

    def _check(self, label: str, raw: RawRow) -> _Item:
        columns = self.mapping.columns(tuple(raw.values))
        outcome = check_row(raw, columns, file=label, today=self.today)
        item = _Item(label, raw, self.index(ROW_INDEX, _canonical(raw)), outcome)
        external_id = (
            outcome.personal.external_id
            if isinstance(outcome, RegistryRow)
            else outcome.external_id
        )
        if external_id:
            item.source_key = self.index(SOURCE_INDEX, external_id)
        if isinstance(outcome, RegistryRow):
            item.household_key = self.index(HOUSEHOLD_INDEX, outcome.household.source_id)
        return item

    def _check_across_rows(self, items: Iterable[_Item]) -> None:
        """A person once per file; one household described the same way on every row."""
        person_row: dict[str, int] = {}
        household_row: dict[str, RegistryRow] = {}
        for item in items:
            row = item.outcome
            if not isinstance(row, RegistryRow) or item.source_key is None:
                continue
            header_of = self.mapping.columns(tuple(item.raw.values)).header_of
            problems = []
            if item.source_key in person_row:
                problems.append(
                    Problem(
                        item.label,
                        row.number,
                        header_of[Field.EXTERNAL_ID],
                        f"is also on row {person_row[item.source_key]}: a person is on one "
                        "row of a file; correct the id or delete one of the rows",
                    )
                )
            first = household_row.get(item.household_key)
            if first is not None:
                for name in HOUSEHOLD_FIELDS:
                    if getattr(first.household, name) != getattr(row.household, name):
                        problems.append(
                            Problem(
                                item.label,
                                row.number,
                                header_of.get(name, name.value),
                                f"differs from row {first.number}, in the same household: "
                                "every member's row must describe the household alike",
                            )
                        )
            if problems:
                self._make_conflict(item, row, problems)
            else:
                person_row[item.source_key] = row.number
                household_row.setdefault(item.household_key, row)

    def _make_conflict(self, item: _Item, row: RegistryRow, problems: Sequence[Problem]) -> None:
        item.outcome = RowErrors(row.number, row.personal.external_id, tuple(problems))
        item.conflict = True

    def _stored_persons(self, items: Sequence[_Item]) -> dict[str, list[_Stored]]:
        """The registered persons each valid row's external id finds. Two simple queries
        rather than a join: PostgreSQL planned the join with 500 bound digests a hundred
        times slower than either half."""
        keys = [
            item.source_key
            for item in items
            if isinstance(item.outcome, RegistryRow) and item.source_key is not None
        ]
        person_ids: dict[str, list[str]] = {}
        for chunk in _chunks(keys):
            for digest, person_id in self.session.execute(
                select(LookupRow.digest, LookupRow.person_id).where(
                    LookupRow.kind == SOURCE_INDEX, _among(LookupRow.digest, chunk)
                )
            ):
                person_ids.setdefault(digest, []).append(person_id)
        found: dict[str, _Stored] = {}
        for chunk in _chunks(sorted({i for ids in person_ids.values() for i in ids})):
            for person_id, household_id, content, retention in self.session.execute(
                select(
                    PersonRow.id,
                    PersonRow.household_id,
                    PersonRow.fingerprint,
                    PersonRow.retention_until,
                ).where(_among(PersonRow.id, chunk))
            ):
                found[person_id] = _Stored(person_id, household_id, content, retention)
        return {digest: [found[i] for i in ids] for digest, ids in person_ids.items()}

    def _refuse_ambiguous(self, items: Iterable[_Item], stored: dict[str, list[_Stored]]) -> None:
        for item in items:
            row = item.outcome
            if isinstance(row, RegistryRow) and len(stored.get(item.source_key or "", [])) > 1:
                header = self.mapping.columns(tuple(item.raw.values)).header_of[Field.EXTERNAL_ID]
                self._make_conflict(
                    item,
                    row,
                    [
                        Problem(
                            item.label,
                            item.raw.number,
                            header,
                            "belongs to several registrations: merge them, then import again",
                        )
                    ],
                )

    # -- households -------------------------------------------------------------------------

    def _assign_households(self, items: Sequence[_Item], stored: dict[str, list[_Stored]]) -> None:
        """Find each household of the file in the registry: by the id it was created with,
        else by the household its members already registered live in (the way back after a
        key rotation changed every blind index), else it is new. A registry household goes
        to one household of the file only, so a family split in two stays split."""
        valid = [item for item in items if isinstance(item.outcome, RegistryRow)]
        keys = list(dict.fromkeys(item.household_key for item in valid))
        known: set[str] = set()
        for chunk in _chunks([_household_id(key) for key in keys]):
            known.update(
                self.session.execute(
                    select(HouseholdRow.id).where(_among(HouseholdRow.id, chunk))
                ).scalars()
            )
        chosen = {key: _household_id(key) for key in keys if _household_id(key) in known}
        taken = set(chosen.values())
        for item in valid:
            if item.household_key in chosen:
                continue
            for person in stored.get(item.source_key or "", []):
                if person.household_id not in taken:
                    chosen[item.household_key] = person.household_id
                    taken.add(person.household_id)
                    break
        for item in valid:
            item.household_id = chosen.setdefault(
                item.household_key, _household_id(item.household_key)
            )

    def _households(
        self, items: Iterable[_Item], existing: dict[str, Household]
    ) -> dict[str, Household]:
        """Each household as its valid rows describe it. An empty priority follows the
        highest risk among those members, and never lowers a stored priority: a file may
        hold only some members (or a retry a single one), and a volunteer at high risk
        left out of it is still in the household."""
        wanted: dict[str, Household] = {}
        for item in items:
            row = item.outcome
            if not isinstance(row, RegistryRow):
                continue
            fields = row.household
            priority = (
                fields.priority if fields.priority is not None else RISK_PRIORITY[row.personal.risk]
            )
            for known in (wanted.get(item.household_id), existing.get(item.household_id)):
                if known is not None and fields.priority is None:
                    priority = max(priority, known.priority)
            wanted[item.household_id] = Household(
                item.household_id, fields.origin, priority, fields.cleared_for, fields.hosts
            )
        return wanted

    def _stored_households(self, items: Iterable[_Item]) -> dict[str, Household]:
        ids = {item.household_id for item in items if isinstance(item.outcome, RegistryRow)}
        rows: dict[str, HouseholdRow] = {}
        granted: dict[tuple[str, str], list[str]] = {}
        for chunk in _chunks(sorted(ids)):
            rows.update(
                (row.id, row)
                for row in self.session.execute(
                    select(HouseholdRow).where(_among(HouseholdRow.id, chunk))
                ).scalars()
            )
            for household_id, kind, target in self.session.execute(
                select(ClearanceRow.household_id, ClearanceRow.kind, ClearanceRow.target).where(
                    _among(ClearanceRow.household_id, chunk)
                )
            ):
                granted.setdefault((household_id, kind), []).append(target)
        return {
            household_id: Household(
                household_id,
                row.origin,
                row.priority,
                tuple(sorted(granted.get((household_id, CROSSING), []))),
                tuple(sorted(granted.get((household_id, HOST), []))),
            )
            for household_id, row in rows.items()
        }

    def _save_households(
        self, households: Sequence[Household], existing: dict[str, Household]
    ) -> None:
        """Changed households through :func:`save_household`; new ones inserted together,
        with the rows it writes, as it flushes twice per household."""
        stamp = now()
        new = []
        for household in dict.fromkeys(households):
            before = existing.get(household.id)
            if before is None:
                new.append(household)
            elif before != household:
                save_household(self.session, self.operator, household)
                self.counts.households_updated += 1
        self.counts.households_added += len(new)
        self._insert(
            HouseholdRow,
            [
                {
                    "id": household.id,
                    "origin": household.origin,
                    "priority": household.priority,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
                for household in new
            ],
        )
        self._insert(
            ClearanceRow,
            [
                {
                    "household_id": household.id,
                    "kind": kind,
                    "target": target,
                    "granted_at": stamp,
                    "granted_by": self.operator.name,
                }
                for household in new
                for kind, targets in ((CROSSING, household.cleared_for), (HOST, household.hosts))
                for target in targets
            ],
        )

    def _insert(self, table: type[Base], rows: list[dict[str, object]]) -> None:
        """One multi-row INSERT, without building an ORM object per row (which cost more
        than the database's own work)."""
        if rows:
            self.session.execute(insert(table), rows)

    # -- rows in ----------------------------------------------------------------------------

    def _new_person(self, item: _Item, row: RegistryRow) -> Person:
        person = Person(
            id=new_id("p"),
            household_id=item.household_id,
            status=row.status,
            retention_until=row.retention_until or retention_default(self.today),
            personal=row.personal,
        )
        self.counts.added += 1
        self.counts.changed.append(person.id)
        return person

    def _update(self, item: _Item, row: RegistryRow, known: _Stored) -> None:
        changed = False
        if fingerprint(self.operator, item.household_id, row.personal) != known.fingerprint:
            update_person(self.session, self.operator, known.id, item.household_id, row.personal)
            changed = True
        if row.retention_until is not None and row.retention_until != known.retention_until:
            person_row = self.session.get(PersonRow, known.id)
            assert person_row is not None, "the person was found a moment ago"
            person_row.retention_until = row.retention_until
            changed = True
        if changed:
            self.counts.updated += 1
            self.counts.changed.append(known.id)
        else:
            self.counts.unchanged += 1

    # -- rows to quarantine -----------------------------------------------------------------

    def _stored_quarantine(self, items: Sequence[_Item]) -> dict[str, QuarantineRow]:
        digests = [item.digest for item in items if isinstance(item.outcome, RowErrors)]
        stored: dict[str, QuarantineRow] = {}
        for chunk in _chunks(digests):
            stored.update(
                (row.row_digest, row)
                for row in self.session.execute(
                    select(QuarantineRow).where(_among(QuarantineRow.row_digest, chunk))
                ).scalars()
            )
        return stored

    def _quarantine(
        self,
        item: _Item,
        errors: RowErrors,
        stored: dict[str, QuarantineRow],
        seen_bad: set[str],
    ) -> None:
        """A bad row seen before (in this run or an earlier one) is counted, not stored
        again; it is reopened if settled since, and its reason follows the latest check."""
        self.counts.problems.extend(errors.problems)
        reason = _reason(errors.problems)
        known = stored.get(item.digest)
        if item.digest in seen_bad:
            self.counts.already_quarantined += 1
        elif known is not None:
            self.counts.already_quarantined += 1
            if known.reason != reason:
                known.reason = reason
                known.sealed_row = self._seal(item, errors, known.row_number)
            if known.resolved_at is not None:
                known.resolved_at = None
        else:
            self.session.add(
                QuarantineRow(
                    source_digest=self.content,
                    source_key=item.source_key,
                    row_number=item.raw.number,
                    row_digest=item.digest,
                    sealed_row=self._seal(item, errors, item.raw.number),
                    reason=reason,
                    created_at=now(),
                    resolved_at=None,
                )
            )
            self.counts.quarantined += 1
        seen_bad.add(item.digest)

    def _seal(self, item: _Item, errors: RowErrors, number: int) -> bytes:
        """The raw row as read, with what a retry and a key rotation need to know of it."""
        envelope = {
            "row": number,
            "values": dict(item.raw.values),
            "overflow": list(item.raw.overflow),
            "too_long": list(item.raw.too_long),
            "conflict": item.conflict,
            "external_id": errors.external_id,
        }
        return self.operator.sealer.seal(
            json.dumps(envelope, ensure_ascii=False).encode(), _place(item.digest)
        )

    def _resolve(self, items: Sequence[_Item], bad: set[str]) -> int:
        """Settle the earlier entries of the people (or the very rows) that came in valid,
        unless the same bad row is still in this import."""
        good_keys = {item.source_key for item in items if isinstance(item.outcome, RegistryRow)}
        good_rows = {item.digest for item in items if isinstance(item.outcome, RegistryRow)}
        open_entries = self.session.execute(
            select(QuarantineRow.id, QuarantineRow.source_key, QuarantineRow.row_digest).where(
                QuarantineRow.resolved_at.is_(None)
            )
        ).all()
        settled = [
            entry_id
            for entry_id, key, digest in open_entries
            if digest not in bad and (key in good_keys or digest in good_rows)
        ]
        stamp = now()
        for chunk in _chunks(settled):
            self.session.execute(
                update(QuarantineRow)
                .where(_among(QuarantineRow.id, chunk))
                .values(resolved_at=stamp)
            )
        return len(settled)


def _unseal(operator: Operator, entry: QuarantineRow) -> tuple[RawRow, bool]:
    envelope = _open_envelope(operator, entry)
    return _raw_row(envelope), bool(envelope["conflict"])


def _open_envelope(operator: Operator, entry: QuarantineRow) -> dict[str, Any]:
    opened: dict[str, Any] = json.loads(
        operator.sealer.open(entry.sealed_row, _place(entry.row_digest))
    )
    return opened


def _raw_row(envelope: dict[str, Any]) -> RawRow:
    """Entries sealed before cells were cut to length have no ``too_long``."""
    return RawRow(
        envelope["row"],
        envelope["values"],
        tuple(envelope["overflow"]),
        tuple(envelope.get("too_long", ())),
    )


def _household_id(household_key: str) -> str:
    """A new household's id: the blind index of the file's household id, so that the next
    import of the same household finds it without any look-up table."""
    return "h" + household_key[:31]


def _place(row_digest: str) -> str:
    return f"quarantine:{row_digest}"


def _canonical(raw: RawRow) -> str:
    """The row's content apart from its position and its empty cells, so the same row moved
    down a file, or given an extra empty column, is still the same row. A cell cut to length
    is named as such, so the cut row is not the same as one that ends there."""
    filled = sorted((header, value) for header, value in raw.values.items() if value.strip())
    cut = [list(raw.too_long)] if raw.too_long else []
    return json.dumps([filled, list(raw.overflow), *cut], ensure_ascii=False)


def _content_digest(items: Iterable[_Item]) -> str:
    """Names what was imported without the file's name: a digest of the (keyed) row digests
    in order, so the same content gives the same digest and nothing else can be learnt."""
    body = "\n".join(f"{item.raw.number}:{item.digest}" for item in items)
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def _reason(problems: Iterable[Problem]) -> str:
    return "; ".join(
        f"'{problem.field}' {problem.message}" if problem.field else problem.message
        for problem in problems
    )


def _among(column: InstrumentedAttribute[_T], values: Sequence[_T]) -> ColumnElement[bool]:
    """``column IN (values)`` with the values written into the statement: PostgreSQL then
    matches them through a hash table, where 500 bound parameters were compared one by one
    with every row (seconds per import when the table's statistics lag behind an import)."""
    return column.in_(
        bindparam(f"{column.key}_among", list(values), expanding=True, literal_execute=True)
    )


def _chunks(values: Sequence[_T]) -> Iterable[Sequence[_T]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]
