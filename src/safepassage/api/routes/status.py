"""Moving persons through the pipeline by hand, and their history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field

from safepassage.api.deps import CurrentAccount, OperatorDep, SessionDep, check_persons, permit
from safepassage.model.registry import Status
from safepassage.policy import Action, may_set_status
from safepassage.services import registry

router = APIRouter(prefix="/status", tags=["status"])


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_ids: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        min_length=1, max_length=1000
    )
    to: Status
    place: str = Field("", max_length=64, description="Where the change was seen (an id).")
    reason: str = Field("", max_length=200, description="Why; ids and facts, no names.")


class StatusChanged(BaseModel):
    persons: int
    to: Status


class StatusEventOut(BaseModel):
    from_status: Status | None
    to_status: Status
    at: datetime
    actor: str
    place: str
    reason: str


@router.post(
    "",
    summary="Move persons to a status, all of them or none",
    dependencies=[permit(Action.STATUS_SET)],
)
def set_status(
    body: Annotated[StatusChange, Body()],
    account: CurrentAccount,
    session: SessionDep,
    operator: OperatorDep,
) -> StatusChanged:
    if not may_set_status(account.role, body.to):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"a {account.role.value} account may not set {body.to.value}",
        )
    ids = list(dict.fromkeys(body.person_ids))
    check_persons(session, account, ids)
    registry.set_status(session, operator, ids, body.to, place=body.place, reason=body.reason)
    return StatusChanged(persons=len(ids), to=body.to)


@router.get(
    "/{person_id}/history",
    summary="A person's moves through the pipeline: who, when, where",
    dependencies=[permit(Action.STATUS_HISTORY)],
)
def status_history(
    person_id: Annotated[str, Path(min_length=1, max_length=32)],
    account: CurrentAccount,
    session: SessionDep,
) -> list[StatusEventOut]:
    check_persons(session, account, [person_id])
    return [
        StatusEventOut(
            from_status=event.from_status,
            to_status=event.to_status,
            at=event.at,
            actor=event.actor,
            place=event.place,
            reason=event.reason,
        )
        for event in registry.status_history(session, person_id)
    ]
