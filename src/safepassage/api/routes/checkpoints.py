"""Checkpoint scans with headcounts, and the coordinator's list of discrepancies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field

from safepassage.api.deps import (
    ROW_ID_MAX,
    CurrentAccount,
    OperatorDep,
    ServerDep,
    SessionDep,
    check_household,
    permit,
)
from safepassage.policy import CHECKPOINT_KINDS, Action, checkpoint_places, may_record_checkpoint
from safepassage.services import operations, registry
from safepassage.services.operation import current_scenario
from safepassage.services.operations import PLACE_LENGTH, CheckpointKind

router = APIRouter(prefix="/checkpoints", tags=["checkpoints"])


class Scan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    household_id: str = Field(min_length=1, max_length=32)
    kind: CheckpointKind
    place: str = Field(
        min_length=1, max_length=PLACE_LENGTH, description="Assembly point or crossing id."
    )
    headcount: int = Field(ge=0, le=10_000)


class ScanOutcome(BaseModel):
    checkpoint_id: int
    household_id: str
    kind: CheckpointKind
    place: str
    headcount: int
    expected: int
    moved: list[str]
    refused: str | None
    discrepancy: bool


class Flagged(BaseModel):
    checkpoint_id: int
    household_id: str
    kind: CheckpointKind
    place: str
    headcount: int
    expected: int
    at: datetime
    actor: str
    reason: str


class Resolution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=200, description="What was found; no names.")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Record a scan; a matching headcount moves the household on",
    dependencies=[permit(Action.CHECKPOINT_RECORD)],
)
def record_checkpoint(
    body: Annotated[Scan, Body()],
    account: CurrentAccount,
    server: ServerDep,
    session: SessionDep,
    operator: OperatorDep,
) -> ScanOutcome:
    role = account.role.value
    if body.kind.value not in CHECKPOINT_KINDS.get(account.role, frozenset()):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"a {role} account may not record a {body.kind.value} scan"
        )
    check_household(session, account, body.household_id)
    origin = registry.household_of(session, body.household_id).origin
    if not may_record_checkpoint(account.role, account.scope, body.kind.value, body.place, origin):
        places = checkpoint_places(account.scope, origin) or frozenset()
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"a {role} account records scans of this household at {', '.join(sorted(places))} only",
        )
    scenario = current_scenario(session, scenario=server.settings.scenario, from_registry=False)
    operations.check_place(scenario, body.kind, body.place)
    outcome = operations.record_checkpoint(
        session, operator, body.household_id, body.kind, body.place, body.headcount
    )
    return ScanOutcome(
        checkpoint_id=outcome.checkpoint_id,
        household_id=outcome.household_id,
        kind=outcome.kind,
        place=outcome.place,
        headcount=outcome.headcount,
        expected=outcome.expected,
        moved=list(outcome.moved),
        refused=outcome.refused,
        discrepancy=outcome.discrepancy,
    )


@router.get(
    "/discrepancies",
    summary="Flagged checkpoints not yet resolved, oldest first",
    dependencies=[permit(Action.CHECKPOINT_REVIEW)],
)
def list_discrepancies(session: SessionDep) -> list[Flagged]:
    return [
        Flagged(
            checkpoint_id=item.checkpoint_id,
            household_id=item.household_id,
            kind=item.kind,
            place=item.place,
            headcount=item.headcount,
            expected=item.expected,
            at=item.at,
            actor=item.actor,
            reason=item.reason,
        )
        for item in operations.discrepancies(session)
    ]


@router.post(
    "/{checkpoint_id}/resolve",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Close a flagged checkpoint with a note",
    dependencies=[permit(Action.CHECKPOINT_REVIEW)],
)
def resolve(
    checkpoint_id: Annotated[int, Path(ge=1, le=ROW_ID_MAX)],
    body: Annotated[Resolution, Body()],
    session: SessionDep,
    operator: OperatorDep,
) -> None:
    operations.resolve_discrepancy(session, operator, checkpoint_id, body.note)
