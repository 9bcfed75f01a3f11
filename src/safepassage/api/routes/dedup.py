"""Deduplication: score the registry, review likely pairs side by side, merge, undo."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from safepassage.api.deps import ROW_ID_MAX, CurrentAccount, OperatorDep, SessionDep, permit
from safepassage.policy import Action, PersonView, mask
from safepassage.services import dedup

router = APIRouter(prefix="/dedup", tags=["dedup"], dependencies=[permit(Action.DEDUP)])

IdPath = Annotated[int, Path(ge=1, le=ROW_ID_MAX)]


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(dedup.DEFAULT_THRESHOLD, ge=0.5, le=1.0)


class RunOut(BaseModel):
    persons: int
    candidates: int
    new_pairs: int


class PairOut(BaseModel):
    pair_id: int
    probability: float
    left: PersonView
    right: PersonView
    fields: dict[str, str] = Field(
        description="Each field (given name, family name, date of birth, document, phone, "
        "sex, household, place): agree, close, disagree or missing"
    )


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kept: str = Field(min_length=1, max_length=32)
    merged: str = Field(min_length=1, max_length=32)


class MergeOut(BaseModel):
    merge_id: int


@router.post("/run", summary="Score every active registration; queue likely duplicates")
def run(body: Annotated[RunRequest, Body()], session: SessionDep, operator: OperatorDep) -> RunOut:
    summary = dedup.run_dedup(session, operator, threshold=body.threshold)
    return RunOut(
        persons=summary.persons, candidates=summary.candidates, new_pairs=summary.new_pairs
    )


@router.get("/review", summary="The most likely pending pairs, both records (an audited read)")
def review(
    account: CurrentAccount,
    session: SessionDep,
    operator: OperatorDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[PairOut]:
    return [
        PairOut(
            pair_id=item.pair_id,
            probability=item.probability,
            left=mask(item.left, account.role),
            right=mask(item.right, account.role),
            fields={name: agreement.value for name, agreement in item.fields},
        )
        for item in dedup.review_queue(session, operator, limit=limit)
    ]


@router.post("/merge", summary="Fold a duplicate into the registration kept")
def merge(
    body: Annotated[MergeRequest, Body()], session: SessionDep, operator: OperatorDep
) -> MergeOut:
    return MergeOut(merge_id=dedup.merge(session, operator, body.kept, body.merged))


@router.post(
    "/merges/{merge_id}/undo",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Undo a merge: both registrations return as they were",
)
def undo(merge_id: IdPath, session: SessionDep, operator: OperatorDep) -> None:
    dedup.unmerge(session, operator, merge_id)


@router.post(
    "/pairs/{pair_id}/distinct",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Record that a candidate pair are two different people",
)
def distinct(pair_id: IdPath, session: SessionDep, operator: OperatorDep) -> None:
    dedup.mark_distinct(session, operator, pair_id)
