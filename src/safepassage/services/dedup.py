"""Deduplication of the registry: candidate pairs, a review queue, merges that can be undone.

Scoring happens in memory (:mod:`safepassage.dedup`) on records opened for the purpose and
audited as one read; only ids and a probability are stored for each candidate pair. A merge
folds one registration into another (the duplicate's aliases and documents join the kept
record, the duplicate points at the kept one and drops out of plans and counts); the kept
record as it was before is kept sealed in the merge row, so undoing restores both exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.dedup import DedupRecord, find_candidates
from safepassage.dedup.agreement import Agreement, field_agreement
from safepassage.model.registry import Person, PersonalData
from safepassage.services.keys import merge_place
from safepassage.services.registry import (
    Operator,
    UnknownRecord,
    now,
    read_persons,
    update_person,
)
from safepassage.store import audit
from safepassage.store.codec import decode_personal, encode_personal
from safepassage.store.tables import (
    CandidatePairRow,
    HouseholdRow,
    MergeRow,
    PersonRow,
)

PENDING = "pending"
CONFIRMED = "merged"
REJECTED = "distinct"
DEFAULT_THRESHOLD = 0.9


class MergeRefused(ValueError):
    """A merge or undo that would lose or corrupt a record; the message says which rule."""


@dataclass(frozen=True)
class DedupRunSummary:
    persons: int
    candidates: int
    new_pairs: int


@dataclass(frozen=True)
class ReviewItem:
    """A pending pair, both records opened, and how each field compares (agree, close,
    disagree, missing), so that a reviewer sees what the score rests on at a glance."""

    pair_id: int
    probability: float
    left: Person
    right: Person
    fields: tuple[tuple[str, Agreement], ...] = ()


def active_person_ids(session: Session) -> list[str]:
    return list(
        session.execute(
            select(PersonRow.id).where(PersonRow.merged_into.is_(None)).order_by(PersonRow.id)
        ).scalars()
    )


def run_dedup(
    session: Session, operator: Operator, *, threshold: float = DEFAULT_THRESHOLD
) -> DedupRunSummary:
    """Score every active registration against the others and queue new pairs for review.

    A pair already judged (merged or distinct) is not queued again: a reviewer who said two
    people are different should not be asked again at every run.
    """
    records = registry_records(session, operator)
    pairs = find_candidates(records, threshold=threshold)
    known = {
        (left, right)
        for left, right in session.execute(
            select(CandidatePairRow.left_id, CandidatePairRow.right_id)
        )
    }
    added = 0
    for pair in pairs:
        left, right = sorted((pair.left_id, pair.right_id))
        if (left, right) in known:
            continue
        session.add(
            CandidatePairRow(
                left_id=left,
                right_id=right,
                probability=float(pair.match_probability),
                state=PENDING,
            )
        )
        known.add((left, right))
        added += 1
    session.flush()
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action="dedup-run",
        subject="registry",
        detail={"persons": len(records), "candidates": len(pairs), "queued": added},
    )
    return DedupRunSummary(len(records), len(pairs), added)


def registry_records(session: Session, operator: Operator) -> list[DedupRecord]:
    """Every active registration as deduplication sees it (one audited read): names, date of
    birth, sex, documents, phone, household and the household's place."""
    ids = active_person_ids(session)
    persons = read_persons(session, operator, ids, purpose="deduplication") if ids else []
    origins = dict(session.execute(select(HouseholdRow.id, HouseholdRow.origin)).all())
    return [_record(person, origins.get(person.household_id, "")) for person in persons]


def _record(person: Person, place: str) -> DedupRecord:
    data = person.personal
    birth = data.birth
    full_date = birth.iso() if birth is not None and birth.day is not None else None
    return DedupRecord(
        id=person.id,
        name_arabic=data.name_arabic,
        name_latin=data.name_icao,
        birth_year=birth.year if birth is not None else None,
        birth_date=full_date,
        sex=data.sex.value,
        household_id=person.household_id,
        place=place,
        documents=tuple((doc.issuing_country, doc.number) for doc in data.documents),
        phone=data.phone,
    )


def review_queue(session: Session, operator: Operator, *, limit: int = 20) -> list[ReviewItem]:
    """The most likely pending pairs, both records opened (an audited read) for the reviewer."""
    rows = list(
        session.execute(
            select(CandidatePairRow)
            .where(CandidatePairRow.state == PENDING)
            .order_by(CandidatePairRow.probability.desc(), CandidatePairRow.id)
            .limit(limit)
        ).scalars()
    )
    ids = sorted({row.left_id for row in rows} | {row.right_id for row in rows})
    opened = {p.id: p for p in read_persons(session, operator, ids, purpose="dedup review")}
    households = {person.household_id for person in opened.values()}
    origins = dict(
        session.execute(
            select(HouseholdRow.id, HouseholdRow.origin).where(HouseholdRow.id.in_(households))
        ).all()
    )
    records = {
        person_id: _record(person, origins.get(person.household_id, ""))
        for person_id, person in opened.items()
    }
    return [
        ReviewItem(
            row.id,
            row.probability,
            opened[row.left_id],
            opened[row.right_id],
            field_agreement(records[row.left_id], records[row.right_id]),
        )
        for row in rows
    ]


def _pair(session: Session, pair_id: int) -> CandidatePairRow:
    row = session.get(CandidatePairRow, pair_id)
    if row is None:
        raise UnknownRecord(f"no candidate pair {pair_id}")
    return row


def mark_distinct(session: Session, operator: Operator, pair_id: int) -> None:
    row = _pair(session, pair_id)
    if row.state != PENDING:
        raise MergeRefused(f"pair {pair_id} was already judged {row.state}")
    row.state, row.reviewed_by, row.reviewed_at = REJECTED, operator.name, now()
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action="dedup-distinct",
        subject=f"{row.left_id},{row.right_id}",
        detail={"pair": pair_id},
    )


def merge(session: Session, operator: Operator, kept_id: str, merged_id: str) -> int:
    """Fold ``merged_id`` into ``kept_id``; returns the merge's id (for ``unmerge``)."""
    if kept_id == merged_id:
        raise MergeRefused("a record cannot be merged into itself")
    rows = {
        row.id: row
        for row in session.execute(
            select(PersonRow).where(PersonRow.id.in_([kept_id, merged_id]))
        ).scalars()
    }
    for person_id in (kept_id, merged_id):
        if person_id not in rows:
            raise UnknownRecord(f"no person {person_id} in the registry")
        if rows[person_id].merged_into is not None:
            raise MergeRefused(f"{person_id} is already merged into {rows[person_id].merged_into}")
    kept_row, merged_row = rows[kept_id], rows[merged_id]
    kept, duplicate = read_persons(session, operator, [kept_id, merged_id], purpose="merge")
    place = merge_place(kept_id, merged_id)
    before = operator.sealer.seal(encode_personal(kept.personal), place)
    update_person(
        session,
        operator,
        kept_id,
        kept_row.household_id,
        _absorb(kept.personal, duplicate.personal),
        from_source=False,
    )
    merged_row.merged_into = kept_id
    stamp = now()
    merge_row = MergeRow(
        kept_id=kept_id, merged_id=merged_id, sealed_before=before, at=stamp, actor=operator.name
    )
    session.add(merge_row)
    for pair in session.execute(
        select(CandidatePairRow).where(
            CandidatePairRow.state == PENDING,
            CandidatePairRow.left_id == min(kept_id, merged_id),
            CandidatePairRow.right_id == max(kept_id, merged_id),
        )
    ).scalars():
        pair.state, pair.reviewed_by, pair.reviewed_at = CONFIRMED, operator.name, stamp
    session.flush()
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action="dedup-merge",
        subject=f"{kept_id},{merged_id}",
        detail={"merge": merge_row.id},
    )
    return merge_row.id


def _absorb(kept: PersonalData, duplicate: PersonalData) -> PersonalData:
    """The kept record, plus what only the duplicate knew: its names as aliases, its
    documents, needs; a birth date more precise than the kept one."""
    names = [duplicate.name_icao, duplicate.name_arabic, *duplicate.aliases]
    aliases = tuple(
        dict.fromkeys(
            [
                *kept.aliases,
                *(n for n in names if n and n not in (kept.name_icao, kept.name_arabic)),
            ]
        )
    )
    numbers = {doc.number for doc in kept.documents}
    documents = kept.documents + tuple(
        doc for doc in duplicate.documents if doc.number not in numbers
    )
    needs = tuple(dict.fromkeys(kept.needs + duplicate.needs))
    birth = kept.birth
    if duplicate.birth is not None and (
        birth is None
        or (birth.year == duplicate.birth.year and len(duplicate.birth.iso()) > len(birth.iso()))
    ):
        birth = duplicate.birth
    return replace(kept, aliases=aliases, documents=documents, needs=needs, birth=birth)


def unmerge(session: Session, operator: Operator, merge_id: int) -> None:
    """Undo a merge: the kept record returns to what it was, the duplicate is active again."""
    row = session.get(MergeRow, merge_id)
    if row is None:
        raise UnknownRecord(f"no merge {merge_id}")
    if row.undone_at is not None:
        raise MergeRefused(f"merge {merge_id} was already undone")
    later = session.execute(
        select(MergeRow.id).where(
            MergeRow.kept_id == row.kept_id, MergeRow.id > row.id, MergeRow.undone_at.is_(None)
        )
    ).first()
    if later is not None:
        raise MergeRefused(f"undo merge {later[0]} first: it changed the same kept record since")
    place = merge_place(row.kept_id, row.merged_id)
    before = decode_personal(operator.sealer.open(row.sealed_before, place))
    kept_row = session.get(PersonRow, row.kept_id)
    merged_row = session.get(PersonRow, row.merged_id)
    assert kept_row is not None and merged_row is not None  # foreign keys
    update_person(session, operator, row.kept_id, kept_row.household_id, before, from_source=False)
    merged_row.merged_into = None
    stamp = now()
    row.undone_at, row.undone_by = stamp, operator.name
    for pair in session.execute(
        select(CandidatePairRow).where(
            CandidatePairRow.left_id == min(row.kept_id, row.merged_id),
            CandidatePairRow.right_id == max(row.kept_id, row.merged_id),
        )
    ).scalars():
        pair.state, pair.reviewed_by, pair.reviewed_at = PENDING, None, None
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action="dedup-unmerge",
        subject=f"{row.kept_id},{row.merged_id}",
        detail={"merge": merge_id},
    )
