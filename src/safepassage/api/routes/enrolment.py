"""Enrolment, for the holder of a new or reset account: no sign-in, the one-time code is the
proof. The holder chooses the password; the answer carries the second factor, shown once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from safepassage.api.deps import ServerDep, SessionDep
from safepassage.api.routes.users import AccountDetail
from safepassage.services import account_requests, accounts
from safepassage.services.accounts import Enrolment

router = APIRouter(prefix="/enrol", tags=["auth"])


class EnrolBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=100, description="The one-time enrolment code.")
    password: str = Field(min_length=1, max_length=accounts.MAX_PASSWORD)


class EnrolmentOut(BaseModel):
    """Shown once: add the secret or the URI (as a QR code) to an authenticator app."""

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


@router.post("", summary="Redeem an enrolment code: choose a password, receive the second factor")
def enrol(
    body: Annotated[EnrolBody, Body()], session: SessionDep, server: ServerDep
) -> EnrolmentOut:
    return EnrolmentOut.of(account_requests.enrol(session, server.sealer, body.code, body.password))
