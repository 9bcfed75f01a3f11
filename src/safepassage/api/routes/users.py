"""Accounts, for administrators: list, lock, unlock, sign out, and *ask* for a new account,
a new role or scope, or new credentials. Those three are requests a second person decides
(:mod:`safepassage.api.routes.account_requests`); no answer here carries a password, a
second factor or an enrolment code."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Path, status
from pydantic import BaseModel, ConfigDict, Field

from safepassage.api.deps import OperatorDep, SessionDep, permit
from safepassage.api.routes.account_requests import RequestOut
from safepassage.policy import Action, Role, Scope
from safepassage.services import account_requests, accounts
from safepassage.services.accounts import Account

router = APIRouter(prefix="/users", tags=["users"], dependencies=[permit(Action.ACCOUNTS_MANAGE)])

NamePath = Annotated[str, Path(min_length=1, max_length=64)]


class AccountDetail(BaseModel):
    name: str
    role: Role
    scope: str
    disabled: bool
    locked_until: datetime | None
    failed_attempts: int
    created_at: datetime

    @classmethod
    def of(cls, account: Account) -> AccountDetail:
        return cls(
            name=account.name,
            role=account.role,
            scope=account.scope.text(),
            disabled=account.disabled,
            locked_until=account.locked_until,
            failed_attempts=account.failed_attempts,
            created_at=account.created_at,
        )


class NewAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    role: Role
    scope: str = Field(
        "all",
        max_length=2000,
        description="all, origin:NODE,..., households:ID,..., crossing:NODE or host:ISO3",
    )


class NewAccess(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    scope: str = Field("all", max_length=2000, description="as for a new account")


@router.get("", summary="Every account")
def list_users(session: SessionDep) -> list[AccountDetail]:
    return [AccountDetail.of(account) for account in accounts.list_accounts(session)]


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask for an account; a second person approves it, its holder enrols",
)
def create_user(
    body: Annotated[NewAccount, Body()], session: SessionDep, operator: OperatorDep
) -> RequestOut:
    return RequestOut.of(
        account_requests.request_account(
            session, operator, body.name, body.role, Scope.parse(body.scope)
        )
    )


@router.post(
    "/{name}/change",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask for a new role or scope; it takes effect once a second person approves it",
)
def change_user(
    name: NamePath, body: Annotated[NewAccess, Body()], session: SessionDep, operator: OperatorDep
) -> RequestOut:
    return RequestOut.of(
        account_requests.request_change(session, operator, name, body.role, Scope.parse(body.scope))
    )


@router.post("/{name}/lock", summary="Lock an account; its sessions stop at once")
def lock_user(name: NamePath, session: SessionDep, operator: OperatorDep) -> AccountDetail:
    return AccountDetail.of(accounts.set_disabled(session, operator, name, True))


@router.post("/{name}/unlock", summary="Unlock an account, lifting any lock-out")
def unlock_user(name: NamePath, session: SessionDep, operator: OperatorDep) -> AccountDetail:
    return AccountDetail.of(accounts.set_disabled(session, operator, name, False))


@router.post(
    "/{name}/sign-out",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End every session of an account",
)
def sign_out_user(name: NamePath, session: SessionDep, operator: OperatorDep) -> None:
    accounts.sign_out_everywhere(session, operator, name)


@router.post(
    "/{name}/reset",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask for new credentials (a lost phone); the holder enrols once approved",
)
def reset_user(name: NamePath, session: SessionDep, operator: OperatorDep) -> RequestOut:
    return RequestOut.of(account_requests.request_reset(session, operator, name))
