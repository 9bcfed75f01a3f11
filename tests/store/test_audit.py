"""The audit chain must fail verification after any edit, deletion or reordering of a row."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, event, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from conftest import register_people
from safepassage.protection import KeyRing
from safepassage.protection.audit_chain import entry_mac
from safepassage.protection.keys import Purpose
from safepassage.services.registry import Operator
from safepassage.store import audit
from safepassage.store.active_key import KeyNotActive, activate
from safepassage.store.schema import upgrade
from safepassage.store.sqlite import SQLiteDatabase
from safepassage.store.tables import AuditHeadRow, AuditRow


def _write(session: Session, ring: KeyRing, count: int = 5) -> None:
    for number in range(count):
        audit.record(
            session, ring, actor="tester", action="read", subject=f"P{number}", detail={"n": 1}
        )


def _edit(session: Session) -> None:
    session.execute(update(AuditRow).where(AuditRow.seq == 3).values(subject="P9"))


def _edit_detail(session: Session) -> None:
    session.execute(update(AuditRow).where(AuditRow.seq == 2).values(detail='{"n":2}'))


def _delete_middle(session: Session) -> None:
    session.execute(delete(AuditRow).where(AuditRow.seq == 2))


def _delete_last(session: Session) -> None:
    session.execute(delete(AuditRow).where(AuditRow.seq == 5))


def _delete_last_and_roll_head_back(session: Session) -> None:
    """An attacker who deletes the last entry and points the head at the one before."""
    before = session.execute(select(AuditRow).where(AuditRow.seq == 4)).scalar_one()
    session.execute(delete(AuditRow).where(AuditRow.seq == 5))
    session.execute(update(AuditHeadRow).values(seq=4, mac=before.mac))


def _reorder(session: Session) -> None:
    session.execute(update(AuditRow).where(AuditRow.seq == 2).values(seq=-2))
    session.execute(update(AuditRow).where(AuditRow.seq == 3).values(seq=2))
    session.execute(update(AuditRow).where(AuditRow.seq == -2).values(seq=3))


def _recompute_without_key(session: Session) -> None:
    """Editing a row and rehashing it with a key of one's own must not pass."""
    _edit(session)
    rows = session.execute(select(AuditRow).order_by(AuditRow.seq)).scalars().all()
    forged = KeyRing.generate()
    previous = rows[1].mac
    for row in rows[2:]:
        row.prev_mac = previous
        row.mac = entry_mac(
            forged.derive(Purpose.AUDIT, "k1"),
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            action=row.action,
            subject=row.subject,
            detail=row.detail,
            key_id=row.key_id,
            prev_mac=row.prev_mac,
        )
        previous = row.mac
    session.flush()


def test_an_untouched_log_verifies(session: Session, key_ring: KeyRing) -> None:
    _write(session, key_ring)
    report = audit.verify(session, key_ring)
    assert report.intact and report.entries == 5


@pytest.mark.parametrize(
    "tamper",
    [
        _edit,
        _edit_detail,
        _delete_middle,
        _delete_last,
        _delete_last_and_roll_head_back,
        _reorder,
        _recompute_without_key,
    ],
)
def test_any_tampering_is_found(
    session: Session, key_ring: KeyRing, tamper: Callable[[Session], None]
) -> None:
    _write(session, key_ring)
    session.flush()
    tamper(session)
    session.expire_all()
    report = audit.verify(session, key_ring)
    assert not report.intact, tamper.__name__


def test_entries_written_before_a_key_rotation_still_verify(
    session: Session, key_ring: KeyRing
) -> None:
    _write(session, key_ring, 2)
    rotated = key_ring.rotated()
    activate(session, rotated.active)
    _write(session, rotated, 2)
    assert audit.verify(session, rotated).intact


def test_an_entry_with_a_key_the_registry_does_not_seal_with_is_refused(
    session: Session, key_ring: KeyRing
) -> None:
    """A process still holding the ring from before a rotation (or one from after a
    rotation the database never committed) must not add anything sealed with it."""
    _write(session, key_ring, 1)
    with pytest.raises(KeyNotActive):
        _write(session, key_ring.rotated(), 1)
    activate(session, key_ring.rotated().active)
    with pytest.raises(KeyNotActive):
        _write(session, key_ring, 1)


def test_on_sqlite_an_entry_holds_the_head_until_it_commits(
    tmp_path: Path, key_ring: KeyRing
) -> None:
    """pysqlite begins a transaction at its first write, so an entry that was a unit of
    work's only write (an audited read) read the head holding no lock, and a writer that
    appended in between took the same sequence number (found by ``benchmarks/load.py``).
    Here another writer tries just after the first one read the head: it must wait its
    turn."""
    database = SQLiteDatabase(tmp_path / "registry.db")
    upgrade(database)
    impatient = create_engine(database.url, connect_args={"timeout": 0.1})
    with database.session() as session:
        _write(session, key_ring, 1)
    attempts: list[str] = []

    def append_meanwhile(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("SELECT") and "FROM audit_head" in statement and not attempts:
            attempts.append("tried")
            try:
                with Session(impatient) as other, other.begin():
                    audit.record(other, key_ring, actor="other", action="read", subject="P8")
            except OperationalError:  # database is locked: the first writer's turn
                attempts.append("waited")

    event.listen(database.engine, "after_cursor_execute", append_meanwhile)
    with database.session() as session:
        audit.record(session, key_ring, actor="tester", action="read", subject="P9")
    event.remove(database.engine, "after_cursor_execute", append_meanwhile)
    with database.session() as session:
        audit.record(session, key_ring, actor="other", action="read", subject="P8")
        report = audit.verify(session, key_ring)
    impatient.dispose()
    database.dispose()
    assert attempts == ["tried", "waited"]
    assert report.intact and report.entries == 3


def test_a_wiped_log_on_a_registry_with_records_is_found(
    session: Session, operator: Operator
) -> None:
    """``delete from audit_log; delete from audit_head`` left a chain of 0 entries that
    verified: every record is written with an entry, so records and no log is a wipe."""
    register_people(session, operator)
    _write(session, operator.ring, 2)
    assert audit.verify(session, operator.ring).intact
    session.execute(delete(AuditRow))
    session.execute(delete(AuditHeadRow))
    session.expire_all()
    report = audit.verify(session, operator.ring)
    assert not report.intact and report.entries == 0
    assert "the log was wiped" in report.problems[0]


def test_an_empty_registry_with_an_empty_log_verifies(session: Session, key_ring: KeyRing) -> None:
    report = audit.verify(session, key_ring)
    assert report.intact and report.entries == 0
