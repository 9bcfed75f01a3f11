"""After a rotation nothing in the registry opens or matches with the old key alone, and
everything works with the new ring: reads, look-ups, re-imports, quarantine, merges, audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.formats.registry_rows import ColumnMapping, read_table
from safepassage.protection import KeyRing, SealBroken, Sealer
from safepassage.services import dedup, registry
from safepassage.services.importing import import_rows, list_quarantine
from safepassage.services.keys import KeyNotActive, rotate_keys
from safepassage.services.registry import Operator
from safepassage.store import audit
from safepassage.store.tables import LookupRow, MergeRow, PersonRow, QuarantineRow
from safepassage.synthetic.registry_file import write_registry_file


def test_rotation_reseals_everything(session: Session, tmp_path: Path) -> None:
    old = Operator.with_ring("coordinator", KeyRing.generate())
    source = tmp_path / "registrations.csv"
    write_registry_file(source, 200, seed=5, bad_share=0.05)
    rows = read_table(source).rows
    first = import_rows(session, old, str(source), rows, ColumnMapping.default())
    ids = sorted(session.execute(select(PersonRow.id)).scalars())
    [before_a, before_b] = registry.read_persons(session, old, ids[:2], purpose="test")
    dedup.merge(session, old, ids[0], ids[1])
    document = next(
        p.personal.documents[0].number
        for p in registry.read_persons(session, old, ids, purpose="test")
        if p.personal.documents
    )

    new_ring = old.ring.rotated()
    summary = rotate_keys(session, old, new_ring)
    new = Operator.with_ring("coordinator", new_ring)
    assert (summary.persons, summary.quarantined, summary.merges) == (
        len(ids),
        first.quarantined,
        1,
    )

    sealed = session.execute(select(PersonRow.sealed)).scalars().all()
    assert {Sealer.key_id_of(value) for value in sealed} == {new_ring.active}
    merge = session.execute(select(MergeRow)).scalar_one()
    assert Sealer.key_id_of(merge.sealed_before) == new_ring.active
    quarantined = session.execute(select(QuarantineRow.sealed_row)).scalars().all()
    assert {Sealer.key_id_of(value) for value in quarantined} == {new_ring.active}
    with pytest.raises(SealBroken):
        old.sealer.open(session.get(PersonRow, ids[2]).sealed, "persons:" + ids[2])
    with pytest.raises(KeyNotActive):
        registry.read_persons(session, old, ids[2:3], purpose="test")
    digests = set(session.execute(select(LookupRow.digest)).scalars())
    assert old.sealer.blind_index("document", document) not in digests

    assert registry.find_by(session, new, "document", document) != []
    again = import_rows(session, new, str(source), rows, ColumnMapping.default())
    assert (again.added, again.updated, again.quarantined) == (0, 0, 0)
    assert len(list_quarantine(session)) == first.quarantined
    dedup.unmerge(session, new, merge.id)
    assert registry.read_persons(session, new, ids[:2], purpose="test") == [before_a, before_b]
    assert audit.verify(session, new_ring).intact
