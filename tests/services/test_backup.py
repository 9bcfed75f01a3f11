from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from conftest import register_people
from safepassage.protection import KeyRing
from safepassage.services import backup, registry
from safepassage.services.backup import BackupRefused
from safepassage.services.registry import Operator
from safepassage.store import Database, audit
from safepassage.store.schema import upgrade
from safepassage.store.sqlite import SQLiteDatabase


@pytest.fixture
def empty_registry(tmp_path: Path) -> Database:
    database = SQLiteDatabase(tmp_path / "restored.db")
    upgrade(database)
    return database


def test_restore_gives_back_exactly_what_backup_saw(
    session: Session, operator: Operator, empty_registry: Database, tmp_path: Path
) -> None:
    register_people(session, operator, size=3)
    from safepassage.model.registry import Status

    registry.set_status(session, operator, ["P1"], Status.VERIFIED, place="nawa")
    path = tmp_path / "registry.backup"
    backup.write_backup(session, operator, path)
    seen = backup.snapshot(session)
    assert b"MOHAMMAD" not in path.read_bytes() and b"N177" not in path.read_bytes()

    with empty_registry.session() as target:
        summary = backup.restore_backup(target, operator, path)
        restored = backup.snapshot(target)
        assert audit.verify(target, operator.ring).intact
    assert summary.rows["persons"] == 3
    restore_entry = restored["audit_log"].pop()
    assert restore_entry[3] == "restore"
    restored["audit_head"] = seen["audit_head"]
    assert restored == seen


def test_a_backup_does_not_open_without_its_key(
    session: Session, operator: Operator, empty_registry: Database, tmp_path: Path
) -> None:
    register_people(session, operator, size=1)
    path = tmp_path / "registry.backup"
    backup.write_backup(session, operator, path)
    stranger = Operator.with_ring("stranger", KeyRing.generate())
    with empty_registry.session() as target, pytest.raises(BackupRefused, match="does not open"):
        backup.restore_backup(target, stranger, path)


def test_an_altered_backup_is_refused(operator: Operator, session: Session, tmp_path: Path) -> None:
    path = tmp_path / "registry.backup"
    backup.write_backup(session, operator, path)
    blob = bytearray(path.read_bytes())
    blob[-5] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(BackupRefused, match="altered"):
        backup.read_backup(path, operator.ring)


def test_restore_refuses_a_registry_that_is_not_empty(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    register_people(session, operator, size=1)
    path = tmp_path / "registry.backup"
    backup.write_backup(session, operator, path)
    with pytest.raises(BackupRefused, match="not empty"):
        backup.restore_backup(session, operator, path)


def test_purge_removes_expired_records_and_keeps_the_rest(
    session: Session, operator: Operator
) -> None:
    from safepassage.services.retention import purge_expired
    from safepassage.store.tables import PersonRow

    register_people(session, operator, size=2)
    session.get(PersonRow, "P0").retention_until = date(2020, 1, 1)  # type: ignore[union-attr]
    summary = purge_expired(session, operator, date(2026, 1, 1))
    assert (summary.persons, summary.households) == (1, 0)
    assert registry.household_of(session, "H1").members == ("P1",)
    with pytest.raises(registry.UnknownRecord):
        registry.status_history(session, "P0")
    assert purge_expired(session, operator, date(2040, 1, 1)).households == 1
    assert audit.verify(session, operator.ring).intact
