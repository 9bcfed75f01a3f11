"""Appending to and checking the audit chain stored in ``audit_log`` and ``audit_head``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import literal, select, update
from sqlalchemy.orm import Session

from safepassage.protection.audit_chain import (
    GENESIS,
    AuditEntry,
    ChainReport,
    entry_mac,
    head_mac,
    verify_chain,
)
from safepassage.protection.keys import KeyRing, Purpose
from safepassage.store.active_key import check_active
from safepassage.store.tables import (
    AccountRow,
    ActiveKeyRow,
    AuditHeadRow,
    AuditRow,
    HouseholdRow,
    PersonRow,
)

HEAD_ID = 1


def hold_chain(session: Session) -> AuditHeadRow | None:
    """Lock the chain's head until the transaction ends, and return it.

    Every change appends to the chain, so holding its head makes writers take turns: the
    chain never forks, and a check made after taking it (a status change's rules) still
    holds when the change commits. ``FOR UPDATE`` on PostgreSQL. SQLite ignores ``FOR
    UPDATE``, and pysqlite begins a transaction only at its first write, so a head read before
    any write holds no lock and another writer could append between it and the insert after
    it (an audited read, whose only write is its entry, failed so under load). An update of
    the head that changes nothing takes SQLite's write lock first, waiting its turn under the
    busy timeout. Before the very first entry there is no head to lock on PostgreSQL: two
    first entries at once collide on the head's key and the second fails, it never forks.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(AuditHeadRow)
            .where(AuditHeadRow.id == HEAD_ID)
            .values(seq=AuditHeadRow.seq)
            .execution_options(synchronize_session=False)
        )
    return session.execute(
        select(AuditHeadRow).where(AuditHeadRow.id == HEAD_ID).with_for_update()
    ).scalar_one_or_none()


def record(
    session: Session,
    ring: KeyRing,
    *,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one entry in the caller's transaction, so the entry and the change it records
    commit or vanish together. ``subject`` and ``detail`` must hold ids and counts only.

    Refused (:class:`KeyNotActive`) when ``ring`` is not the one the registry seals with
    now: whatever the caller sealed or indexed in this transaction would not match the rest.
    """
    head = hold_chain(session)
    check_active(session, ring)
    seq = (head.seq if head else 0) + 1
    prev_mac = head.mac if head else GENESIS
    key = ring.derive(Purpose.AUDIT)
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    text = json.dumps(detail or {}, sort_keys=True, separators=(",", ":"))
    mac = entry_mac(
        key,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        detail=text,
        key_id=ring.active,
        prev_mac=prev_mac,
    )
    session.add(
        AuditRow(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            detail=text,
            key_id=ring.active,
            prev_mac=prev_mac,
            mac=mac,
        )
    )
    sealed_head = head_mac(key, seq, mac)
    if head is None:
        session.add(AuditHeadRow(id=HEAD_ID, seq=seq, mac=mac, head_mac=sealed_head))
    else:
        head.seq, head.mac, head.head_mac = seq, mac, sealed_head
    session.flush()
    return seq


def entries(session: Session) -> Iterator[AuditEntry]:
    rows = session.execute(select(AuditRow).order_by(AuditRow.seq)).scalars()
    for row in rows.yield_per(5000):
        yield AuditEntry(
            row.seq,
            row.at,
            row.actor,
            row.action,
            row.subject,
            row.detail,
            row.key_id,
            row.prev_mac,
            row.mac,
        )


def verify(session: Session, ring: KeyRing) -> ChainReport:
    head = session.get(AuditHeadRow, HEAD_ID)
    report = verify_chain(
        entries(session),
        lambda key_id: ring.derive(Purpose.AUDIT, key_id),
        (head.seq, head.mac, head.head_mac) if head else None,
    )
    if report.entries == 0 and _holds_records(session):
        return ChainReport(
            0,
            (
                *report.problems,
                "the log is empty, but the registry holds records, and every record is "
                "written with an entry: the log was wiped",
            ),
        )
    return report


def _holds_records(session: Session) -> bool:
    """Whether the registry holds a person, a household, an account, or the record of its
    active key: each is written in the same transaction as an audit entry (the key's record
    by the first entry ever written)."""
    return any(
        session.execute(select(literal(1)).select_from(table).limit(1)).first() is not None
        for table in (PersonRow, HouseholdRow, AccountRow, ActiveKeyRow)
    )


def last_entry(session: Session) -> tuple[int, str]:
    """Sequence number and MAC of the chain's last entry: (0, GENESIS) for an empty chain."""
    row = session.execute(
        select(AuditRow.seq, AuditRow.mac).order_by(AuditRow.seq.desc()).limit(1)
    ).first()
    return (row.seq, row.mac) if row is not None else (0, GENESIS)


def macs_at(session: Session, seqs: Iterable[int]) -> dict[int, str]:
    """The MAC of each entry among ``seqs`` the log holds."""
    wanted = sorted(set(seqs))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = select(AuditRow.seq, AuditRow.mac).where(AuditRow.seq.in_(chunk))
        found.update((row.seq, row.mac) for row in session.execute(query))
    return found
