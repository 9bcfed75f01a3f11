"""Account requests, for the second person: administrators and coordinators list the
requests, approve or refuse them. Approving a creation or a reset answers with the one-time
enrolment code, to the approver only, for the account's holder."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from safepassage.api.deps import CurrentAccount, OperatorDep, SessionDep, permit
from safepassage.policy import Action, Role
from safepassage.services import account_requests
from safepassage.services.account_requests import AccountRequest, RequestKind, RequestState

router = APIRouter(
    prefix="/users/requests", tags=["users"], dependencies=[permit(Action.ACCOUNTS_APPROVE)]
)

RequestPath = Annotated[str, Path(min_length=1, max_length=32)]


class RequestOut(BaseModel):
    id: str
    kind: RequestKind
    account: str
    role: Role | None
    scope: str | None
    state: RequestState
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    expires_at: datetime | None

    @classmethod
    def of(cls, request: AccountRequest) -> RequestOut:
        return cls(
            id=request.id,
            kind=request.kind,
            account=request.account,
            role=request.role,
            scope=request.scope.text() if request.scope else None,
            state=request.state,
            requested_by=request.requested_by,
            requested_at=request.requested_at,
            decided_by=request.decided_by,
            decided_at=request.decided_at,
            expires_at=request.expires_at,
        )


class ApprovalOut(BaseModel):
    """``enrolment_code`` is shown once: give it to the account's holder alone, who redeems
    it at ``POST /api/enrol`` or on the ``/enrol`` page before ``request.expires_at``."""

    request: RequestOut
    enrolment_code: str | None


@router.get("", summary="Account requests, newest first (open ones only unless all=true)")
def list_requests(
    session: SessionDep, every: Annotated[bool, Query(alias="all")] = False
) -> list[RequestOut]:
    return [
        RequestOut.of(item) for item in account_requests.list_requests(session, open_only=not every)
    ]


@router.post("/{request_id}/approve", summary="Approve a request as a second person")
def approve_request(
    request_id: RequestPath, session: SessionDep, operator: OperatorDep, account: CurrentAccount
) -> ApprovalOut:
    approval = account_requests.approve(session, operator, request_id, role=account.role)
    return ApprovalOut(request=RequestOut.of(approval.request), enrolment_code=approval.code)


@router.post("/{request_id}/refuse", summary="Refuse (or withdraw) a pending request")
def refuse_request(
    request_id: RequestPath, session: SessionDep, operator: OperatorDep, account: CurrentAccount
) -> RequestOut:
    return RequestOut.of(account_requests.refuse(session, operator, request_id, role=account.role))
