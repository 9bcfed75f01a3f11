"""Purging records past their retention date: data kept longer than needed is data that can
leak. A purge deletes the person and everything that names them (look-ups, history, review
pairs, merges), then any household left empty; the audit log keeps only the count and ids.

On SQLite ``secure_delete`` overwrites the freed pages; on PostgreSQL the rows are gone from
queries at once and from the files at the next VACUUM (run ``VACUUM`` after a purge).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from safepassage.services.registry import Operator
from safepassage.store import audit
from safepassage.store.tables import (
    CandidatePairRow,
    CheckpointRow,
    ClearanceRow,
    HouseholdRow,
    LookupRow,
    MergeRow,
    PersonRow,
    StatusEventRow,
)


@dataclass(frozen=True)
class PurgeSummary:
    persons: int
    households: int


def purge_expired(session: Session, operator: Operator, today: date) -> PurgeSummary:
    """Delete every person whose retention date is before ``today``.

    A merged record goes with the record it was merged into only if both are expired: a
    merge is undone by restoring the merged record, so it lives as long as the one it joined.
    """
    expired = set(
        session.execute(select(PersonRow.id).where(PersonRow.retention_until < today)).scalars()
    )
    kept_into = dict(
        session.execute(
            select(PersonRow.id, PersonRow.merged_into).where(
                PersonRow.id.in_(expired), PersonRow.merged_into.is_not(None)
            )
        ).all()
    )
    expired -= {pid for pid, into in kept_into.items() if into not in expired}
    ids = sorted(expired)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(delete(LookupRow).where(LookupRow.person_id.in_(chunk)))
        session.execute(delete(StatusEventRow).where(StatusEventRow.person_id.in_(chunk)))
        session.execute(
            delete(CandidatePairRow).where(
                or_(CandidatePairRow.left_id.in_(chunk), CandidatePairRow.right_id.in_(chunk))
            )
        )
        session.execute(
            delete(MergeRow).where(or_(MergeRow.kept_id.in_(chunk), MergeRow.merged_id.in_(chunk)))
        )
        session.execute(
            delete(PersonRow).where(PersonRow.id.in_(chunk), PersonRow.merged_into.is_not(None))
        )
    # Records merged into others are gone now, so no expired record is still pointed at.
    for start in range(0, len(ids), 500):
        session.execute(delete(PersonRow).where(PersonRow.id.in_(ids[start : start + 500])))
    occupied = select(PersonRow.household_id)
    empty = list(
        session.execute(select(HouseholdRow.id).where(HouseholdRow.id.not_in(occupied))).scalars()
    )
    for start in range(0, len(empty), 500):
        chunk = empty[start : start + 500]
        session.execute(delete(ClearanceRow).where(ClearanceRow.household_id.in_(chunk)))
        session.execute(delete(CheckpointRow).where(CheckpointRow.household_id.in_(chunk)))
        session.execute(delete(HouseholdRow).where(HouseholdRow.id.in_(chunk)))
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action="purge",
        subject=",".join(ids),
        detail={"persons": len(ids), "households": len(empty), "before": today.isoformat()},
    )
    return PurgeSummary(len(ids), len(empty))
