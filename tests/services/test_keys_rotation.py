"""After a rotation nothing in the registry opens or matches with the old key alone, and
everything works with the new ring: reads, look-ups, re-imports, quarantine, merges, audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.formats.registry_rows import ColumnMapping, read_table
from safepassage.protection import KeyRing, SealBroken, Sealer, load_key_ring, write_key_ring
from safepassage.services import dedup, registry
from safepassage.services.importing import import_rows, list_quarantine
from safepassage.services.keys import KeyNotActive, KeysInForce, rotate_key_file, rotate_keys
from safepassage.services.registry import Operator
from safepassage.store import Database, audit
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


def test_a_long_running_process_follows_a_rotation_made_by_another(
    committing_database: Database, tmp_path: Path
) -> None:
    """The server's ring (``KeysInForce``) after ``keys rotate`` in another process: a unit
    of work begun before the rotation and writing after it is refused, not committed with
    the old key; the next one reloads the ring and finds everyone, and a re-import adds no
    one."""
    key_file = tmp_path / "keyring.json"
    write_key_ring(KeyRing.generate(), key_file)
    keys = KeysInForce(load_key_ring(key_file, {}), lambda: load_key_ring(key_file, {}))
    source = tmp_path / "registrations.csv"
    write_registry_file(source, 30, seed=9)
    rows = read_table(source).rows
    with committing_database.session() as session:
        operator = Operator("server", keys.follow(session))
        first = import_rows(session, operator, str(source), rows, ColumnMapping.default())

    with committing_database.session() as session:
        stale = Operator("server", keys.follow(session))
        assert rotate_key_file(committing_database, key_file, "admin").persons == first.added
        with pytest.raises(KeyNotActive):
            import_rows(session, stale, str(source), rows, ColumnMapping.default())
        session.rollback()

    with committing_database.session() as session:
        operator = Operator("server", keys.follow(session))
        assert operator.ring.active == "k2"
        again = import_rows(session, operator, str(source), rows, ColumnMapping.default())
        assert (again.added, again.updated) == (0, 0)
        ids = sorted(session.execute(select(PersonRow.id)).scalars())
        assert len(ids) == first.added
        for person in registry.read_persons(session, operator, ids, purpose="test"):
            found = registry.find_by(session, operator, "source", person.personal.external_id)
            assert found == [person.id]
        assert audit.verify(session, operator.ring).intact
