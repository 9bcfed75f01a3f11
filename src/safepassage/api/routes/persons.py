"""Persons: one record as the role may see it, and the coordinator's look-up by blind index.

A look-up value (a name, a document number) travels in a POST body, never in the URL: URLs end
up in access logs, browser histories and proxies.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path
from pydantic import BaseModel, ConfigDict, Field

from safepassage.api.deps import CurrentAccount, OperatorDep, SessionDep, check_persons, permit
from safepassage.policy import Action, PersonView, mask
from safepassage.services import registry

router = APIRouter(prefix="/persons", tags=["persons"])


class SearchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["name", "document", "source"] = Field(
        description="ICAO name, document number or the source's person id."
    )
    value: str = Field(min_length=1, max_length=200)


class SearchOut(BaseModel):
    person_ids: list[str]


@router.get(
    "/{person_id}",
    summary="A person's record, as the role may see it (an audited read)",
    dependencies=[permit(Action.PERSONS_READ)],
)
def read_person(
    person_id: Annotated[str, Path(min_length=1, max_length=32)],
    account: CurrentAccount,
    session: SessionDep,
    operator: OperatorDep,
) -> PersonView:
    check_persons(session, account, [person_id])
    (person,) = registry.read_persons(
        session, operator, [person_id], purpose=f"api {account.role.value}"
    )
    return mask(person, account.role)


@router.post(
    "/search",
    summary="Find persons by exact name, document or source id (blind index; audited)",
    dependencies=[permit(Action.PERSONS_FIND)],
)
def search_persons(
    body: Annotated[SearchBody, Body()], session: SessionDep, operator: OperatorDep
) -> SearchOut:
    return SearchOut(person_ids=registry.find_by(session, operator, body.kind, body.value))
