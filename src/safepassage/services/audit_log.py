"""The audit log as people read it on a page: the latest entries first, a page at a time.

Entries hold ids, counts, roles and outcomes, never personal data (``store.audit.record``
takes nothing else), so the administrator, the auditor and the coordinator may all read them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.store.tables import AuditRow


@dataclass(frozen=True)
class AuditLine:
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    detail: str


def latest_entries(
    session: Session, *, before: int | None = None, limit: int = 100, action: str | None = None
) -> list[AuditLine]:
    """Up to ``limit`` entries older than sequence number ``before`` (the newest when
    ``None``), newest first, of one ``action`` if given."""
    query = select(AuditRow)
    if before is not None:
        query = query.where(AuditRow.seq < before)
    if action is not None:
        query = query.where(AuditRow.action == action)
    rows = session.execute(query.order_by(AuditRow.seq.desc()).limit(limit)).scalars()
    return [
        AuditLine(row.seq, row.at, row.actor, row.action, row.subject, row.detail) for row in rows
    ]
