"""Key rotation: re-seal every sealed value and recompute every blind index with a new key.

Rotation is what an operation does when a key may have leaked (a laptop lost at a border), so
it must leave nothing behind that the old key alone can open or match: every person's record,
every merge snapshot, every quarantined row, every matching override's reason and proposal's
explanation and every account's second-factor secret is
opened with the old key and sealed with the new one, and the look-ups, fingerprints and
quarantine digests are recomputed with the new index key, all in one transaction. The CLI
writes the new key ring only after this succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from safepassage.model.registry import PersonalData
from safepassage.protection.keys import KeyRing
from safepassage.services.accounts import rekey_accounts
from safepassage.services.importing import rekey_quarantine
from safepassage.services.registry import (
    Operator,
    fingerprint,
    lookups_of,
    open_personal,
    seal_personal,
)
from safepassage.services.registry_matching import rekey_matching
from safepassage.store import audit
from safepassage.store.codec import decode_personal
from safepassage.store.tables import LookupRow, MergeRow, PersonRow

BATCH = 2000


@dataclass(frozen=True)
class RotationSummary:
    persons: int
    quarantined: int
    merges: int


def merge_place(kept_id: str, merged_id: str) -> str:
    return f"merges:{kept_id}:{merged_id}"


def _sources_before_merges(session: Session, operator: Operator) -> dict[str, PersonalData]:
    """For each record that absorbed duplicates, what it was before its first merge still in
    force: its fingerprint stands for that (the source row), not for what merges added."""
    first: dict[str, PersonalData] = {}
    query = select(MergeRow).where(MergeRow.undone_at.is_(None)).order_by(MergeRow.id)
    for merge in session.execute(query).scalars():
        if merge.kept_id not in first:
            place = merge_place(merge.kept_id, merge.merged_id)
            first[merge.kept_id] = decode_personal(operator.sealer.open(merge.sealed_before, place))
    return first


def rotate_keys(session: Session, operator: Operator, new_ring: KeyRing) -> RotationSummary:
    """Re-seal the registry from ``operator``'s ring to ``new_ring`` (which must still hold
    the old keys: the audit log's older entries are checked with them)."""
    new = Operator.with_ring(operator.name, new_ring)
    sources = _sources_before_merges(session, operator)
    ids = list(session.execute(select(PersonRow.id).order_by(PersonRow.id)).scalars())
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        session.execute(delete(LookupRow).where(LookupRow.person_id.in_(chunk)))
        for row in session.execute(select(PersonRow).where(PersonRow.id.in_(chunk))).scalars():
            data = open_personal(operator, row.id, row.sealed)
            row.sealed = seal_personal(new, row.id, data)
            row.fingerprint = fingerprint(new, row.household_id, sources.get(row.id, data))
            session.add_all(
                LookupRow(person_id=row.id, kind=kind, digest=digest)
                for kind, digest in lookups_of(new, data)
            )
        session.flush()
    merges = 0
    for merge in session.execute(select(MergeRow)).scalars():
        place = merge_place(merge.kept_id, merge.merged_id)
        merge.sealed_before = new.sealer.seal(
            operator.sealer.open(merge.sealed_before, place), place
        )
        merges += 1
    quarantined = rekey_quarantine(session, operator, new)
    rekey_accounts(session, operator, new)
    rekey_matching(session, operator, new)
    session.flush()
    audit.record(
        session,
        new_ring,
        actor=operator.name,
        action="keys-rotate",
        subject="registry",
        detail={"from": operator.ring.active, "to": new_ring.active, "persons": len(ids)},
    )
    return RotationSummary(len(ids), quarantined, merges)
