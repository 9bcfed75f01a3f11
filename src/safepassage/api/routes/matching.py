"""Resettlement matching on the registry: runs, proposals, overrides, accepting a round.

The same services as ``safepassage match --registry``, ``override`` and ``proposals``. A
host liaison reads the proposals to its own country only, and only their fit (see
:data:`~safepassage.services.registry_matching.HOST_VIEW`); running, overruling and accepting
are the coordinator's.

A run reads the round (an audited read of medical needs) and commits before the solver
starts, so no write lock or transaction is held while it works; the proposals are kept in a
second transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from safepassage.api.deps import ROW_ID_MAX, CurrentAccount, OperatorDep, SessionDep, permit
from safepassage.matching import (
    MATCHERS,
    HostKind,
    MatchingParams,
    OverrideKind,
    Pledge,
    explain,
    solve,
)
from safepassage.policy import Action, ScopeKind
from safepassage.services import registry_matching

router = APIRouter(prefix="/matching", tags=["matching"])

HouseholdPath = Annotated[str, Path(min_length=1, max_length=32)]
PledgePath = Annotated[str, Path(min_length=1, max_length=64)]
RUN_SECONDS_MAX = 60.0


class PledgeIn(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    kind: HostKind = HostKind.COUNTRY
    country: str = Field(min_length=3, max_length=3, pattern="^[A-Z]{3}$")
    places_persons: int = Field(ge=0, le=10_000_000)
    places_households: int | None = Field(default=None, ge=0, le=10_000_000)
    max_household_size: int | None = Field(default=None, ge=1, le=1000)
    medical_places: int = Field(default=0, ge=0, le=10_000_000)
    languages: list[str] = Field(default_factory=list, max_length=50)
    deadline: date | None = None
    requires_vetting: bool = True


class RunIn(BaseModel):
    pledges: list[PledgeIn] = Field(min_length=1, max_length=1000)
    households: list[str] | None = Field(
        default=None,
        max_length=200_000,
        description="Households to match (those a plan brings out); default: every household "
        "with members across the border.",
    )
    solver: str = Field(default="milp", pattern="^(" + "|".join(MATCHERS) + ")$")
    time_limit: float = Field(default=30.0, ge=1.0, le=RUN_SECONDS_MAX)


class RunOut(BaseModel):
    households: int
    households_placed: int
    persons: int
    persons_placed: int
    objective: float
    bound: float | None
    gap: float | None
    status: str
    checked: bool
    proposals_kept: int


class ProposalOut(BaseModel):
    household: str
    pledge: str | None
    country: str | None
    points: float | None
    proposed_at: str
    proposed_by: str
    explanation: dict[str, Any]


class OverrideIn(BaseModel):
    kind: OverrideKind
    reason: str = Field(min_length=1, max_length=registry_matching.REASON_LIMIT)


class OverrideOut(BaseModel):
    household: str
    pledge: str
    kind: OverrideKind
    reason: str
    decided_at: str
    decided_by: str


class AcceptOut(BaseModel):
    persons_matched: int


def _countries(account: CurrentAccount) -> list[str] | None:
    return sorted(account.scope.values) if account.scope.kind is ScopeKind.HOST else None


def _proposal_out(proposal: registry_matching.Proposal, countries: list[str] | None) -> ProposalOut:
    explanation = dict(proposal.explanation)
    return ProposalOut(
        household=proposal.household,
        pledge=proposal.pledge,
        country=proposal.country,
        points=proposal.points,
        proposed_at=proposal.proposed_at,
        proposed_by=proposal.proposed_by,
        explanation=explanation if countries is None else registry_matching.host_view(explanation),
    )


@router.get(
    "/proposals",
    summary="The latest round's proposals (a host liaison: those to its country)",
    dependencies=[permit(Action.MATCHING_READ)],
)
def list_proposals(
    account: CurrentAccount,
    session: SessionDep,
    operator: OperatorDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=ROW_ID_MAX)] = 0,
) -> list[ProposalOut]:
    countries = _countries(account)
    found = registry_matching.proposals(session, operator, countries=countries)
    return [_proposal_out(item, countries) for item in found[offset : offset + limit]]


@router.get(
    "/proposals/{household_id}",
    summary="One household's proposal with the reasons",
    dependencies=[permit(Action.MATCHING_READ)],
)
def read_proposal(
    household_id: HouseholdPath, account: CurrentAccount, session: SessionDep, operator: OperatorDep
) -> ProposalOut:
    countries = _countries(account)
    found = registry_matching.proposals(
        session, operator, countries=countries, households=[household_id]
    )
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no proposal for this household")
    return _proposal_out(found[0], countries)


@router.post(
    "/runs",
    summary="Match the registry's round to the pledges given and keep the proposals",
    dependencies=[permit(Action.MATCHING_RUN)],
)
async def run_matching(body: RunIn, session: SessionDep, operator: OperatorDep) -> RunOut:
    pledges = [
        Pledge(**{**item.model_dump(), "languages": frozenset(item.languages)})
        for item in body.pledges
    ]
    recorded = await run_in_threadpool(
        registry_matching.recorded_round, session, operator, body.households
    )
    problem = registry_matching.registry_problem(recorded, pledges)
    await run_in_threadpool(session.commit)  # the audited read stands, the lock goes
    result = await run_in_threadpool(
        solve, problem, solver=body.solver, params=MatchingParams(time_limit=body.time_limit)
    )
    kept = 0
    if result.is_feasible():
        explanations = await run_in_threadpool(explain, result)
        kept = await run_in_threadpool(
            registry_matching.save_proposals, session, operator, result, explanations
        )
    return RunOut(
        households=len(problem.households),
        households_placed=result.households_placed,
        persons=problem.total_persons,
        persons_placed=result.persons_placed,
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        status=result.status,
        checked=result.is_feasible(),
        proposals_kept=kept,
    )


@router.post(
    "/accept",
    summary="Move the members across the border of every proposed household to matched",
    dependencies=[permit(Action.MATCHING_RUN)],
)
def accept(session: SessionDep, operator: OperatorDep) -> AcceptOut:
    return AcceptOut(persons_matched=registry_matching.accept_proposals(session, operator))


@router.get(
    "/overrides",
    summary="Every recorded pin and ban with its reason",
    dependencies=[permit(Action.MATCHING_OVERRIDE)],
)
def list_overrides(session: SessionDep, operator: OperatorDep) -> list[OverrideOut]:
    return [
        OverrideOut(**vars(item))
        for item in registry_matching.recorded_overrides(session, operator)
    ]


@router.put(
    "/overrides/{household_id}/{pledge}",
    summary="Pin or forbid a household and pledge, with the reason (audited)",
    dependencies=[permit(Action.MATCHING_OVERRIDE)],
)
def put_override(
    household_id: HouseholdPath,
    pledge: PledgePath,
    body: OverrideIn,
    session: SessionDep,
    operator: OperatorDep,
) -> OverrideOut:
    registry_matching.record_override(
        session, operator, household_id, pledge, body.kind, body.reason
    )
    recorded = registry_matching.recorded_overrides(session, operator, [household_id])
    return OverrideOut(**vars(next(item for item in recorded if item.pledge == pledge)))


@router.delete(
    "/overrides/{household_id}/{pledge}",
    summary="Lift a pin or a ban (audited)",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[permit(Action.MATCHING_OVERRIDE)],
)
def delete_override(
    household_id: HouseholdPath, pledge: PledgePath, session: SessionDep, operator: OperatorDep
) -> None:
    registry_matching.lift_override(session, operator, household_id, pledge)
