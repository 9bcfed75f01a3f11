"""Households in the account's scope: ids, origins, clearances, members and their statuses.

Nothing here is personal data except through ``/persons``, which opens the members' records
(an audited read) and shows them as the role may see them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from safepassage.api.deps import (
    ROW_ID_MAX,
    CurrentAccount,
    OperatorDep,
    SessionDep,
    check_household,
    permit,
)
from safepassage.model.registry import Household, Status
from safepassage.policy import Action, PersonView, mask, visible_hosts
from safepassage.services import households, registry

router = APIRouter(prefix="/households", tags=["households"])

HouseholdPath = Annotated[str, Path(min_length=1, max_length=32)]


class HouseholdOut(BaseModel):
    id: str
    origin: str
    priority: int
    cleared_for: list[str]
    hosts: list[str]
    members: int


class MemberOut(BaseModel):
    id: str
    status: Status


class HouseholdDetail(HouseholdOut):
    member_statuses: list[MemberOut]


def _out(household: Household, account: CurrentAccount) -> HouseholdOut:
    return HouseholdOut(
        id=household.id,
        origin=household.origin,
        priority=household.priority,
        cleared_for=list(household.cleared_for),
        hosts=list(visible_hosts(account.scope, household.hosts)),
        members=len(household.members),
    )


@router.get(
    "",
    summary="Households in the account's scope",
    dependencies=[permit(Action.HOUSEHOLDS_READ)],
)
def list_households(
    account: CurrentAccount,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=ROW_ID_MAX)] = 0,
) -> list[HouseholdOut]:
    found = households.households_in_scope(session, account.scope, limit=limit, offset=offset)
    return [_out(household, account) for household in found]


@router.get(
    "/{household_id}",
    summary="A household and its members' statuses",
    dependencies=[permit(Action.HOUSEHOLDS_READ)],
)
def read_household(
    household_id: HouseholdPath, account: CurrentAccount, session: SessionDep
) -> HouseholdDetail:
    detail = households.household_detail(session, account.scope, household_id)
    return HouseholdDetail(
        **_out(detail.household, account).model_dump(),
        member_statuses=[
            MemberOut(id=member, status=detail.statuses[member])
            for member in detail.household.members
        ],
    )


@router.get(
    "/{household_id}/persons",
    summary="The members' records, as the role may see them (an audited read)",
    dependencies=[permit(Action.PERSONS_READ)],
)
def read_household_persons(
    household_id: HouseholdPath,
    account: CurrentAccount,
    session: SessionDep,
    operator: OperatorDep,
) -> list[PersonView]:
    check_household(session, account, household_id)
    members = list(registry.household_of(session, household_id).members)
    if not members:
        return []
    persons = registry.read_persons(session, operator, members, purpose=f"api {account.role.value}")
    return [mask(person, account.role) for person in persons]
