"""Signing in and out: a cookie for the pages, a bearer token for API clients."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, Field

from safepassage.api.deps import CredentialsDep, CurrentAccount, OperatorDep, ServerDep, SessionDep
from safepassage.api.settings import Settings
from safepassage.policy import Role
from safepassage.services import accounts
from safepassage.services.accounts import Account, Outcome, SessionKind

router = APIRouter(prefix="/auth", tags=["auth"])

REFUSED = (
    "sign-in refused: the name, password or code is wrong, or the account is locked "
    "(ask an administrator, or wait for the lock-out to end)"
)
"""One message for every failure: which part was wrong, or that the name is an account at
all, would help whoever is guessing."""


class SignInBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=accounts.MAX_PASSWORD)
    code: str = Field(min_length=1, max_length=16, description="The authenticator app's code.")


class AccountOut(BaseModel):
    name: str
    role: Role
    scope: str

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        return cls(name=account.name, role=account.role, scope=account.scope.text())


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    account: AccountOut


class PasswordBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current: str = Field(min_length=1, max_length=accounts.MAX_PASSWORD)
    new: str = Field(min_length=1, max_length=accounts.MAX_PASSWORD)
    code: str = Field(min_length=1, max_length=16)


def _sign_in(
    server: ServerDep, session: SessionDep, body: SignInBody, kind: SessionKind
) -> accounts.SignIn:
    settings = server.settings
    attempt = accounts.authenticate(
        session,
        server.sealer,
        body.name,
        body.password,
        body.code,
        kind=kind,
        lifetime=settings.session_lifetime,
        lockout=settings.lockout,
    )
    if attempt.outcome is not Outcome.OK:
        session.commit()  # the failure count and the audit entry outlive the refusal
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, REFUSED)
    return attempt


@router.post("/login", summary="Sign in with a session cookie (for browsers)")
def login(
    body: Annotated[SignInBody, Body()],
    response: Response,
    server: ServerDep,
    session: SessionDep,
) -> AccountOut:
    attempt = _sign_in(server, session, body, SessionKind.COOKIE)
    assert attempt.account is not None and attempt.token is not None
    settings = server.settings
    response.set_cookie(
        settings.cookie_name,
        attempt.token,
        max_age=settings.session_minutes * 60,
        path="/",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return AccountOut.of(attempt.account)


@router.post("/token", summary="Sign in for a bearer token (for API clients)")
def token(body: Annotated[SignInBody, Body()], server: ServerDep, session: SessionDep) -> TokenOut:
    attempt = _sign_in(server, session, body, SessionKind.BEARER)
    assert attempt.account is not None and attempt.token is not None
    assert attempt.expires_at is not None
    return TokenOut(
        access_token=attempt.token,
        expires_at=attempt.expires_at,
        account=AccountOut.of(attempt.account),
    )


@router.get("/me", summary="The account signed in")
def me(account: CurrentAccount) -> AccountOut:
    return AccountOut.of(account)


def _forget_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        settings.cookie_name,
        path="/",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End this session")
def logout(
    _account: CurrentAccount,
    credentials: CredentialsDep,
    response: Response,
    server: ServerDep,
    session: SessionDep,
) -> None:
    assert credentials is not None  # a signed-in account came with them
    accounts.sign_out(session, server.sealer, credentials.token)
    _forget_cookie(response, server.settings)


@router.post(
    "/logout-all",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End every session of this account, on every device",
)
def logout_all(
    account: CurrentAccount,
    operator: OperatorDep,
    response: Response,
    server: ServerDep,
    session: SessionDep,
) -> None:
    accounts.sign_out_everywhere(session, operator, account.name)
    _forget_cookie(response, server.settings)


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change this account's password; every session ends",
)
def change_password(
    body: Annotated[PasswordBody, Body()],
    account: CurrentAccount,
    response: Response,
    server: ServerDep,
    session: SessionDep,
) -> None:
    outcome = accounts.change_password(
        session,
        server.sealer,
        account.id,
        body.current,
        body.new,
        body.code,
        lockout=server.settings.lockout,
    )
    if outcome is not Outcome.OK:
        session.commit()
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the current password or the code is wrong")
    _forget_cookie(response, server.settings)
