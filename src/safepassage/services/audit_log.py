"""The audit log as people read it: entries (ids, counts, roles and outcomes, never personal
data) and the check of the whole chain; the same calls for the API, the pages and the CLI.

``store.audit.record`` takes nothing personal, so the administrator, the auditor and the
coordinator may all read the entries.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.protection.audit_chain import ChainReport
from safepassage.protection.keys import KeyRing
from safepassage.store import audit
from safepassage.store.tables import AuditRow


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    detail: str
    key_id: str
    mac: str


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        row.seq, row.at, row.actor, row.action, row.subject, row.detail, row.key_id, row.mac
    )


def entries(
    session: Session, *, after: int = 0, limit: int = 100, action: str | None = None
) -> list[AuditEntry]:
    """Entries after sequence number ``after``, oldest first, of one ``action`` if given."""
    query = select(AuditRow).where(AuditRow.seq > after)
    if action is not None:
        query = query.where(AuditRow.action == action)
    return [
        _entry(row) for row in session.execute(query.order_by(AuditRow.seq).limit(limit)).scalars()
    ]


def latest_entries(
    session: Session, *, before: int | None = None, limit: int = 100, action: str | None = None
) -> list[AuditEntry]:
    """Up to ``limit`` entries older than sequence number ``before`` (the newest when
    ``None``), newest first, of one ``action`` if given: the audit page, a page at a time."""
    query = select(AuditRow)
    if before is not None:
        query = query.where(AuditRow.seq < before)
    if action is not None:
        query = query.where(AuditRow.action == action)
    rows = session.execute(query.order_by(AuditRow.seq.desc()).limit(limit)).scalars()
    return [_entry(row) for row in rows]


def verify_chain(session: Session, ring: KeyRing) -> ChainReport:
    """Every link of the chain and its head, checked with the audit key."""
    return audit.verify(session, ring)
