"""Audit anchors kept outside the database catch what the chain alone cannot: a wiped log, an
older head row put back after deleting the entries behind it, a database rolled back to an
older copy (and written to since), and an anchor that was edited or forged."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from conftest import register_people
from safepassage.protection import KeyRing
from safepassage.services.audit_anchors import read_anchors, verify_with_anchors, write_anchor
from safepassage.services.keys import rotate_keys
from safepassage.services.registry import Operator
from safepassage.store import audit
from safepassage.store.tables import AuditHeadRow, AuditRow


def _entries(session: Session, ring: KeyRing, count: int) -> None:
    for number in range(count):
        audit.record(session, ring, actor="tester", action="read", subject=f"P{number}")
    session.flush()


def _verify(session: Session, ring: KeyRing, folder: Path) -> tuple[str, ...]:
    session.expire_all()
    return verify_with_anchors(session, ring, folder).problems


def test_a_log_that_reaches_every_anchor_verifies(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    register_people(session, operator)
    _entries(session, operator.ring, 2)
    write_anchor(session, operator.ring, tmp_path)
    _entries(session, operator.ring, 3)
    write_anchor(session, operator.ring, tmp_path)
    _entries(session, operator.ring, 2)
    assert len(read_anchors(tmp_path)[0]) == 2
    assert _verify(session, operator.ring, tmp_path) == ()


def test_a_wiped_log_is_behind_its_anchor(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    register_people(session, operator)
    _entries(session, operator.ring, 2)
    write_anchor(session, operator.ring, tmp_path)
    session.execute(delete(AuditRow))
    session.execute(delete(AuditHeadRow))
    problems = _verify(session, operator.ring, tmp_path)
    assert any("the log was wiped" in problem for problem in problems)
    assert any("saw the log at entry 2, but it ends at entry 0" in p for p in problems)


def test_an_older_head_put_back_after_deleting_later_entries_is_found(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    _entries(session, operator.ring, 3)
    kept = session.execute(select(AuditHeadRow)).scalar_one()
    seq, mac, head_mac = kept.seq, kept.mac, kept.head_mac
    _entries(session, operator.ring, 2)
    write_anchor(session, operator.ring, tmp_path)
    session.execute(delete(AuditRow).where(AuditRow.seq > seq))
    session.execute(update(AuditHeadRow).values(seq=seq, mac=mac, head_mac=head_mac))
    session.expire_all()
    assert audit.verify(session, operator.ring).intact  # the chain alone cannot tell
    problems = _verify(session, operator.ring, tmp_path)
    assert len(problems) == 1 and "saw the log at entry 5, but it ends at entry 3" in problems[0]


def test_a_database_rolled_back_and_written_to_since_diverges_from_its_anchor(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    """A copy from entry 3 put back, then used: entry 5 exists again, but it is another."""
    _entries(session, operator.ring, 3)
    kept = session.execute(select(AuditHeadRow)).scalar_one()
    seq, mac, head_mac = kept.seq, kept.mac, kept.head_mac
    _entries(session, operator.ring, 2)
    write_anchor(session, operator.ring, tmp_path)
    session.execute(delete(AuditRow).where(AuditRow.seq > seq))
    session.execute(update(AuditHeadRow).values(seq=seq, mac=mac, head_mac=head_mac))
    session.expire_all()
    _entries(session, operator.ring, 4)
    assert audit.verify(session, operator.ring).intact
    problems = _verify(session, operator.ring, tmp_path)
    assert len(problems) == 1 and "entry 5 is not the one anchored" in problems[0]


def test_an_edited_or_foreign_anchor_is_refused(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    _entries(session, operator.ring, 3)
    write_anchor(session, KeyRing.generate(), tmp_path / "foreign")
    [path] = (tmp_path / "foreign").iterdir()
    assert "signature does not match" in _verify(session, operator.ring, path)[0]
    write_anchor(session, operator.ring, tmp_path / "edited")
    [path] = (tmp_path / "edited").iterdir()
    document = json.loads(path.read_text())
    path.write_text(json.dumps({**document, "seq": 2}))
    assert "signature does not match" in _verify(session, operator.ring, path)[0]
    (tmp_path / "empty").mkdir()
    assert "no audit anchors" in _verify(session, operator.ring, tmp_path / "empty")[0]
    (tmp_path / "empty" / "audit-anchor-x.json").write_text("not json")
    assert "cannot be read" in _verify(session, operator.ring, tmp_path / "empty")[0]


def test_anchors_from_before_a_key_rotation_still_verify(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    register_people(session, operator)
    _entries(session, operator.ring, 2)
    write_anchor(session, operator.ring, tmp_path)
    rotated = operator.ring.rotated()
    rotate_keys(session, operator, rotated)
    write_anchor(session, rotated, tmp_path)
    keys = {anchor.key_id for anchor in read_anchors(tmp_path)[0].values()}
    assert keys == {operator.ring.active, rotated.active}
    assert _verify(session, rotated, tmp_path) == ()
