"""Accounts, for administrators: create, lock, unlock, sign out, reset credentials."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Path, status
from pydantic import BaseModel, ConfigDict, Field

from safepassage.api.deps import OperatorDep, SessionDep, permit
from safepassage.policy import Action, Role, Scope
from safepassage.services import accounts
from safepassage.services.accounts import Account, Enrolment

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


class EnrolmentOut(BaseModel):
    """Shown once: hand the secret or the URI (as a QR code) to the account's owner."""

    account: AccountDetail
    totp_secret: str
    totp_uri: str

    @classmethod
    def of(cls, enrolment: Enrolment) -> EnrolmentOut:
        return cls(
            account=AccountDetail.of(enrolment.account),
            totp_secret=enrolment.totp_secret,
            totp_uri=enrolment.totp_uri,
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
    password: str = Field(min_length=1, max_length=accounts.MAX_PASSWORD)


class NewPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=1, max_length=accounts.MAX_PASSWORD)


@router.get("", summary="Every account")
def list_users(session: SessionDep) -> list[AccountDetail]:
    return [AccountDetail.of(account) for account in accounts.list_accounts(session)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an account")
def create_user(
    body: Annotated[NewAccount, Body()], session: SessionDep, operator: OperatorDep
) -> EnrolmentOut:
    enrolment = accounts.create_account(
        session, operator, body.name, body.role, Scope.parse(body.scope), body.password
    )
    return EnrolmentOut.of(enrolment)


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


@router.post("/{name}/reset", summary="New password and second factor (a lost phone)")
def reset_user(
    name: NamePath,
    body: Annotated[NewPassword, Body()],
    session: SessionDep,
    operator: OperatorDep,
) -> EnrolmentOut:
    return EnrolmentOut.of(accounts.reset_credentials(session, operator, name, body.password))
