"""The administrator's pages and enrolment: accounts, approvals, the audit log, ``/enrol``.

The pages call the same services as ``safepassage users`` and ``/api/users``, under the
two-person rule (:mod:`safepassage.services.account_requests`): the Accounts page *asks* for
an account, a role or scope change or a reset; the Approvals page lets another administrator
or a coordinator decide, and shows the enrolment code once, to the approver; the holder
redeems it on ``/enrol``, which needs no sign-in and shows the second factor once, to them.
No page shows an administrator a password, a second factor or an enrolment code it asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Path, Query, Request, Response, status

from safepassage.api.deps import ROW_ID_MAX, ServerDep, SessionDep
from safepassage.policy import Action, Role, Scope, ScopeRefused
from safepassage.services import account_requests, accounts, audit_log
from safepassage.services.account_requests import (
    DecisionRefused,
    EnrolmentRefused,
    RequestClosed,
    UnknownRequest,
)
from safepassage.services.accounts import Account, AccountRefused, UnknownAccount
from safepassage.services.registry import Operator
from safepassage.web.common import PageAccount, admit, render
from safepassage.web.forms import FormFields

router = APIRouter()

REFUSALS = (
    AccountRefused,
    ScopeRefused,
    UnknownAccount,
    UnknownRequest,
    DecisionRefused,
    RequestClosed,
)
AUDIT_PAGE = 100
NamePath = Annotated[str, Path(min_length=1, max_length=64)]
RequestPath = Annotated[str, Path(min_length=1, max_length=32)]


def _role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise AccountRefused("choose one of the roles offered") from None


def _accounts_page(
    request: Request,
    session: SessionDep,
    account: Account,
    *,
    outcome: str | None = None,
    problem: str | None = None,
) -> Response:
    return render(
        request,
        "accounts.html",
        {
            "account": account,
            "accounts": accounts.list_accounts(session),
            "requests": account_requests.list_requests(session, open_only=True),
            "roles": list(Role),
            "outcome": outcome,
            "problem": problem,
        },
        status.HTTP_400_BAD_REQUEST if problem else status.HTTP_200_OK,
    )


@router.get("/accounts")
def accounts_page(request: Request, account: PageAccount, session: SessionDep) -> Response:
    admitted = admit(request, account, Action.ACCOUNTS_MANAGE)
    if isinstance(admitted, Response):
        return admitted
    return _accounts_page(request, session, admitted)


@router.post("/accounts/request")
def request_account(
    request: Request,
    fields: FormFields,
    account: PageAccount,
    session: SessionDep,
    server: ServerDep,
) -> Response:
    admitted = admit(request, account, Action.ACCOUNTS_MANAGE)
    if isinstance(admitted, Response):
        return admitted
    operator = Operator(admitted.name, server.sealer)
    try:
        asked = account_requests.request_account(
            session,
            operator,
            fields.get("name", ""),
            _role(fields.get("role", "")),
            Scope.parse(fields.get("scope", "") or "all"),
        )
    except REFUSALS as refused:
        return _accounts_page(request, session, admitted, problem=str(refused))
    return _accounts_page(
        request,
        session,
        admitted,
        outcome=f"Request {asked.id} for account {asked.account} is pending: another "
        "administrator or a coordinator approves it on the Approvals page.",
    )


@router.post("/accounts/{name}/reset")
def request_reset(
    request: Request,
    name: NamePath,
    account: PageAccount,
    session: SessionDep,
    server: ServerDep,
    _fields: FormFields,
) -> Response:
    admitted = admit(request, account, Action.ACCOUNTS_MANAGE)
    if isinstance(admitted, Response):
        return admitted
    try:
        asked = account_requests.request_reset(
            session, Operator(admitted.name, server.sealer), name
        )
    except REFUSALS as refused:
        return _accounts_page(request, session, admitted, problem=str(refused))
    return _accounts_page(
        request,
        session,
        admitted,
        outcome=f"Reset {asked.id} of {asked.account} is pending; the old credentials work "
        "until a second person approves it.",
    )


@router.post("/accounts/{name}/change")
def request_change(
    request: Request,
    name: NamePath,
    fields: FormFields,
    account: PageAccount,
    session: SessionDep,
    server: ServerDep,
) -> Response:
    admitted = admit(request, account, Action.ACCOUNTS_MANAGE)
    if isinstance(admitted, Response):
        return admitted
    try:
        asked = account_requests.request_change(
            session,
            Operator(admitted.name, server.sealer),
            name,
            _role(fields.get("role", "")),
            Scope.parse(fields.get("scope", "") or "all"),
        )
    except REFUSALS as refused:
        return _accounts_page(request, session, admitted, problem=str(refused))
    return _accounts_page(
        request,
        session,
        admitted,
        outcome=f"Change {asked.id} of {asked.account} is pending; it takes effect once a "
        "second person approves it.",
    )


def _approvals_page(
    request: Request, session: SessionDep, account: Account, code: int = 200, **extra: Any
) -> Response:
    context = {
        "account": account,
        "requests": account_requests.list_requests(session, open_only=True),
        "approval": None,
        "outcome": None,
        "problem": None,
        **extra,
    }
    return render(request, "approvals.html", context, code)


@router.get("/approvals")
def approvals_page(request: Request, account: PageAccount, session: SessionDep) -> Response:
    admitted = admit(request, account, Action.ACCOUNTS_APPROVE)
    if isinstance(admitted, Response):
        return admitted
    return _approvals_page(request, session, admitted)


@router.post("/approvals/{request_id}/approve")
def approve(
    request: Request,
    request_id: RequestPath,
    account: PageAccount,
    session: SessionDep,
    server: ServerDep,
    _fields: FormFields,
) -> Response:
    """The enrolment code is in this one answer, to the approver, and nowhere else."""
    return _decide(
        request,
        account,
        session,
        server,
        lambda operator, role: {
            "approval": account_requests.approve(session, operator, request_id, role=role)
        },
    )


@router.post("/approvals/{request_id}/refuse")
def refuse(
    request: Request,
    request_id: RequestPath,
    account: PageAccount,
    session: SessionDep,
    server: ServerDep,
    _fields: FormFields,
) -> Response:
    def refused(operator: Operator, role: Role) -> dict[str, Any]:
        decided = account_requests.refuse(session, operator, request_id, role=role)
        return {"outcome": f"Request {decided.id} refused: nothing changed."}

    return _decide(request, account, session, server, refused)


def _decide(
    request: Request,
    account: PageAccount,
    session: SessionDep,
    server: ServerDep,
    decide: Callable[[Operator, Role], dict[str, Any]],
) -> Response:
    """An approver's decision, then the approvals page with what came of it, or with the
    refusal of the decision itself."""
    admitted = admit(request, account, Action.ACCOUNTS_APPROVE)
    if isinstance(admitted, Response):
        return admitted
    try:
        shown = decide(Operator(admitted.name, server.sealer), admitted.role)
    except REFUSALS as refused:
        return _approvals_page(
            request, session, admitted, status.HTTP_400_BAD_REQUEST, problem=str(refused)
        )
    return _approvals_page(request, session, admitted, **shown)


@router.get("/audit")
def audit_page(
    request: Request,
    account: PageAccount,
    session: SessionDep,
    before: Annotated[int | None, Query(ge=1, le=ROW_ID_MAX)] = None,
    action: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
) -> Response:
    """Entries hold ids and outcomes only, so the page shows them as stored."""
    admitted = admit(request, account, Action.AUDIT_READ)
    if isinstance(admitted, Response):
        return admitted
    lines = audit_log.latest_entries(session, before=before, limit=AUDIT_PAGE, action=action)
    return render(
        request,
        "audit.html",
        {
            "account": admitted,
            "lines": lines,
            "action": action or "",
            "older": lines[-1].seq if len(lines) == AUDIT_PAGE else None,
        },
    )


@router.get("/enrol")
def enrol_page(request: Request, account: PageAccount) -> Response:
    return render(request, "enrol.html", {"account": account, "enrolment": None, "problem": None})


@router.post("/enrol")
def enrol(
    request: Request,
    fields: FormFields,
    account: PageAccount,
    session: SessionDep,
    server: ServerDep,
) -> Response:
    """A plain function, run in a worker thread: hashing the new password takes a while.
    The answer is the only place the holder's second factor is ever shown."""
    password = fields.get("password", "")
    if password != fields.get("repeat", ""):
        return _enrol_refused(request, account, "the two passwords differ: type one twice")
    try:
        enrolment = account_requests.enrol(session, server.sealer, fields.get("code", ""), password)
    except (EnrolmentRefused, AccountRefused) as refused:
        return _enrol_refused(request, account, str(refused))
    qr = segno.make(enrolment.totp_uri, error="m").svg_data_uri(scale=4)
    context = {"account": account, "enrolment": enrolment, "qr": qr, "problem": None}
    return render(request, "enrol.html", context)


def _enrol_refused(request: Request, account: Account | None, problem: str) -> Response:
    context = {"account": account, "enrolment": None, "problem": problem}
    return render(request, "enrol.html", context, status.HTTP_400_BAD_REQUEST)
