"""The audit log, for the auditor: entries (ids and counts, never personal data) and the
check of the whole chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from safepassage.api.deps import ROW_ID_MAX, ServerDep, SessionDep, permit
from safepassage.policy import Action
from safepassage.services import audit_log
from safepassage.services.audit_anchors import verify_with_anchors

router = APIRouter(prefix="/audit", tags=["audit"], dependencies=[permit(Action.AUDIT_READ)])


class AuditEntryOut(BaseModel):
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    detail: str
    key_id: str
    mac: str


class ChainOut(BaseModel):
    intact: bool
    entries: int
    problems: list[str]


@router.get("/entries", summary="Audit entries after a sequence number, oldest first")
def list_entries(
    session: SessionDep,
    after: Annotated[int, Query(ge=0, le=ROW_ID_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
) -> list[AuditEntryOut]:
    rows = audit_log.entries(session, after=after, limit=limit, action=action)
    return [
        AuditEntryOut(
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            action=row.action,
            subject=row.subject,
            detail=row.detail,
            key_id=row.key_id,
            mac=row.mac,
        )
        for row in rows
    ]


@router.get(
    "/verify",
    summary="Check every link of the chain and its head, and the server's audit anchors",
)
def verify(session: SessionDep, server: ServerDep) -> ChainOut:
    """With ``--anchor-dir``, also against every anchor the server wrote there: the log must
    reach each one and hold the entry each one saw."""
    report = verify_with_anchors(session, server.sealer.ring, server.settings.anchor_dir)
    return ChainOut(intact=report.intact, entries=report.entries, problems=list(report.problems))
