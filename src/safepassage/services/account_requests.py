"""The two-person rule on accounts: asking, approving, refusing, and enrolling.

An administrator alone must not be able to read personal data. If creating an account, or
resetting its credentials, handed the new password and TOTP secret to the administrator, they
could sign in as a coordinator they made themselves. So every such change is a *request*
(:class:`RequestKind`): creating an account of any role, changing an account's role or scope,
resetting its credentials. A second, different person approves or refuses it: another
administrator or a coordinator, never the requester and never the account concerned (or, at
the command line, whoever holds the key ring and could read every record anyway).

Approving a creation or a reset produces a one-time **enrolment code**, shown once to the
approver, who hands it to the account's holder out of band. The holder redeems it
(:func:`enrol`), choosing their own password and receiving their TOTP secret, which nobody
else sees. Until then the account does not exist (a creation) or signs nobody in (a reset
voids the old credentials when it is approved). The code is random (160 bits) and kept only
as its SHA-256, and it expires after :data:`ENROLMENT_LIFETIME`.

Every request, approval, refusal and enrolment is an audit entry with ids, roles and scopes
only, never a code, password or secret.

The one exception is the first administrator of an empty registry (:func:`create_first_admin`),
made at the command line by whoever holds the database and the key ring.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.policy import Action, Role, Scope, allowed, check_scope
from safepassage.protection.sealing import Sealer
from safepassage.services import accounts
from safepassage.services.accounts import AccountRefused, Enrolment
from safepassage.services.registry import Operator, new_id, now
from safepassage.store import audit
from safepassage.store.tables import AccountRequestRow, AccountRow

ENROLMENT_LIFETIME = timedelta(hours=72)
"""Long enough to reach a holder in the field over a weekend, short enough that a code
forgotten in a message does not stay a way in."""

CODE_BYTES = 20
"""160 random bits: no online guessing reaches one, so the digest needs no slow hash."""


class RequestKind(StrEnum):
    CREATE = "create"
    CHANGE = "change"
    RESET = "reset"


class RequestState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    ENROLLED = "enrolled"
    EXPIRED = "expired"


OPEN_STATES = frozenset({RequestState.PENDING.value, RequestState.APPROVED.value})


class DecisionRefused(PermissionError):
    """The person deciding may not decide this request (the requester, the account itself,
    or a role that does not approve); the message says which."""


class RequestClosed(ValueError):
    """The request is no longer pending: approved, refused, enrolled or expired already."""


class UnknownRequest(LookupError):
    """No request with that id."""


class EnrolmentRefused(ValueError):
    """A code that is unknown, used or expired: one message for all three, so that trying
    codes tells nothing about which exist."""


@dataclass(frozen=True)
class AccountRequest:
    id: str
    kind: RequestKind
    account: str
    role: Role | None
    scope: Scope | None
    state: RequestState
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class Approval:
    """What the approver receives: the request as decided and, for a creation or a reset,
    the enrolment code to hand to the holder (shown once, stored only as a digest)."""

    request: AccountRequest
    code: str | None


def _utc(stamp: datetime) -> datetime:
    """SQLite hands stamps back without their zone; they were written in UTC."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _state(row: AccountRequestRow, at: datetime) -> RequestState:
    state = RequestState(row.state)
    if (
        state is RequestState.APPROVED
        and row.code_expires_at is not None
        and _utc(row.code_expires_at) <= at
    ):
        return RequestState.EXPIRED
    return state


def _request(row: AccountRequestRow, at: datetime) -> AccountRequest:
    return AccountRequest(
        row.id,
        RequestKind(row.kind),
        row.account_name,
        Role(row.role) if row.role else None,
        Scope.parse(row.scope) if row.scope else None,
        _state(row, at),
        row.requested_by,
        _utc(row.requested_at),
        row.decided_by,
        _utc(row.decided_at) if row.decided_at else None,
        _utc(row.code_expires_at) if row.code_expires_at else None,
    )


def _record(
    session: Session, operator: Operator, action: str, row: AccountRequestRow, **extra: object
) -> None:
    detail: dict[str, object] = {"request": row.id, "kind": row.kind, **extra}
    if row.role is not None:
        detail["role"] = row.role
    if row.scope is not None:
        detail["scope"] = row.scope
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action=action,
        subject=f"account:{row.account_name}",
        detail=detail,
    )


def _open_request(session: Session, name: str, at: datetime) -> AccountRequestRow | None:
    rows = session.execute(
        select(AccountRequestRow).where(
            AccountRequestRow.account_name == name, AccountRequestRow.state.in_(OPEN_STATES)
        )
    ).scalars()
    return next((row for row in rows if _state(row, at) is not RequestState.EXPIRED), None)


def _ask(
    session: Session,
    operator: Operator,
    kind: RequestKind,
    name: str,
    role: Role | None,
    scope: Scope | None,
) -> AccountRequest:
    stamp = now()
    if _open_request(session, name, stamp) is not None:
        raise AccountRefused(
            f"account {name} has a request open already: approve, refuse or let it expire first"
        )
    row = AccountRequestRow(
        id=new_id("q"),
        kind=kind.value,
        account_name=name,
        role=role.value if role else None,
        scope=scope.text() if scope else None,
        state=RequestState.PENDING.value,
        requested_by=operator.name,
        requested_at=stamp,
        decided_by=None,
        decided_at=None,
        code_digest=None,
        code_expires_at=None,
        enrolled_at=None,
    )
    session.add(row)
    session.flush()
    _record(session, operator, "account-request", row)
    return _request(row, stamp)


def request_account(
    session: Session, operator: Operator, name: str, role: Role, scope: Scope
) -> AccountRequest:
    """Ask for a new account of any role. An administrator who could make an auditor or
    another administrator alone could hold that account's credentials and later have its
    role raised, or approve their own requests with it; so every creation waits."""
    normal = accounts.normal_name(name)
    check_scope(role, scope)
    if session.execute(select(AccountRow.id).where(AccountRow.name == normal)).first():
        raise AccountRefused(f"an account named {normal} exists already")
    return _ask(session, operator, RequestKind.CREATE, normal, role, scope)


def request_change(
    session: Session, operator: Operator, name: str, role: Role, scope: Scope
) -> AccountRequest:
    """Ask for a new role or scope. Narrowing waits as well: locking an account is the
    immediate way to take access away."""
    account = accounts.get_account(session, name)
    check_scope(role, scope)
    if account.role is role and account.scope == scope:
        raise AccountRefused(f"account {account.name} has this role and scope already")
    return _ask(session, operator, RequestKind.CHANGE, account.name, role, scope)


def request_reset(session: Session, operator: Operator, name: str) -> AccountRequest:
    """Ask for new credentials for an account (a lost phone, a forgotten password)."""
    account = accounts.get_account(session, name)
    return _ask(session, operator, RequestKind.RESET, account.name, None, None)


def list_requests(session: Session, *, open_only: bool = False) -> list[AccountRequest]:
    """Requests, newest first; ``open_only`` keeps those pending or approved but not yet
    enrolled (a code still valid)."""
    stamp = now()
    query = select(AccountRequestRow).order_by(
        AccountRequestRow.requested_at.desc(), AccountRequestRow.id
    )
    if open_only:
        query = query.where(AccountRequestRow.state.in_(OPEN_STATES))
    found = [_request(row, stamp) for row in session.execute(query).scalars()]
    if open_only:
        found = [item for item in found if item.state is not RequestState.EXPIRED]
    return found


def _pending(session: Session, request_id: str, at: datetime) -> AccountRequestRow:
    row = session.get(AccountRequestRow, request_id, with_for_update=True)
    if row is None:
        raise UnknownRequest(f"no account request {request_id}")
    state = _state(row, at)
    if state is not RequestState.PENDING:
        raise RequestClosed(f"request {row.id} is {state.value}, not pending")
    return row


def _check_decider(operator: Operator, role: Role | None) -> None:
    if role is not None and not allowed(role, Action.ACCOUNTS_APPROVE):
        raise DecisionRefused(f"a {role.value} account does not decide account requests")


def approve(
    session: Session,
    operator: Operator,
    request_id: str,
    *,
    role: Role | None,
    at: datetime | None = None,
) -> Approval:
    """Approve a pending request as ``operator``: the signed-in account of ``role``, or
    ``role=None`` for whoever holds the key ring at the command line.

    The approver must differ from the requester and from the account concerned. A change
    takes effect at once; a reset voids the old credentials at once; a creation or a reset
    returns the enrolment code, for the approver to hand to the holder."""
    stamp = at or now()
    _check_decider(operator, role)
    row = _pending(session, request_id, stamp)
    if operator.name == row.requested_by:
        raise DecisionRefused(
            f"{operator.name} asked for request {row.id}: a second person must approve it"
        )
    if operator.name == row.account_name:
        raise DecisionRefused(f"request {row.id} concerns {operator.name}: someone else decides")
    kind = RequestKind(row.kind)
    code: str | None = None
    if kind is RequestKind.CHANGE:
        assert row.role is not None and row.scope is not None
        accounts.change_access(
            session, operator, row.account_name, Role(row.role), Scope.parse(row.scope)
        )
        row.state = RequestState.ENROLLED.value
        row.enrolled_at = stamp
    else:
        if (
            kind is RequestKind.CREATE
            and session.execute(
                select(AccountRow.id).where(AccountRow.name == row.account_name)
            ).first()
        ):
            raise AccountRefused(f"an account named {row.account_name} exists already")
        if kind is RequestKind.RESET:
            accounts.void_credentials(session, operator, row.account_name)
        code = _new_code()
        row.code_digest = _digest(code)
        row.code_expires_at = stamp + ENROLMENT_LIFETIME
        row.state = RequestState.APPROVED.value
    row.decided_by, row.decided_at = operator.name, stamp
    session.flush()
    _record(session, operator, "account-approve", row)
    return Approval(_request(row, stamp), code)


def refuse(
    session: Session, operator: Operator, request_id: str, *, role: Role | None
) -> AccountRequest:
    """Refuse a pending request. Refusing grants nothing, so the requester may withdraw
    their own request this way."""
    stamp = now()
    _check_decider(operator, role)
    row = _pending(session, request_id, stamp)
    row.state = RequestState.REFUSED.value
    row.decided_by, row.decided_at = operator.name, stamp
    session.flush()
    _record(session, operator, "account-refuse", row)
    return _request(row, stamp)


def _new_code() -> str:
    """Base32 in groups of four, easy to read out over a telephone and to type."""
    text = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode()
    return "-".join(text[start : start + 4] for start in range(0, len(text), 4))


def _digest(code: str) -> str:
    normal = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normal.encode()).hexdigest()


def enrol(
    session: Session, sealer: Sealer, code: str, password: str, *, at: datetime | None = None
) -> Enrolment:
    """The holder's side: redeem an enrolment code with the password they chose, and receive
    the TOTP secret (shown to them once). The code works once."""
    stamp = at or now()
    if len(code) > 100:
        raise EnrolmentRefused("this enrolment code is unknown, used or expired")
    row = session.execute(
        select(AccountRequestRow)
        .where(AccountRequestRow.code_digest == _digest(code))
        .with_for_update()
    ).scalar_one_or_none()
    if row is None or _state(row, stamp) is not RequestState.APPROVED:
        raise EnrolmentRefused("this enrolment code is unknown, used or expired: ask for a new one")
    holder = Operator(row.account_name, sealer)
    if RequestKind(row.kind) is RequestKind.CREATE:
        assert row.role is not None and row.scope is not None
        enrolment = accounts.create_account(
            session,
            holder,
            row.account_name,
            Role(row.role),
            Scope.parse(row.scope),
            password,
            how=f"request {row.id}",
        )
    else:
        enrolment = accounts.reset_credentials(session, holder, row.account_name, password)
    row.state = RequestState.ENROLLED.value
    row.enrolled_at = stamp
    row.code_digest = None
    session.flush()
    _record(session, holder, "account-enrol", row)
    return enrolment


def create_first_admin(session: Session, operator: Operator, name: str, password: str) -> Enrolment:
    """The first administrator of an empty registry, with its credentials shown to whoever
    runs the command: the one exception to the two-person rule, since nobody is there yet
    to approve. Refused once any account or request exists."""
    if (
        session.execute(select(AccountRow.id).limit(1)).first()
        or session.execute(select(AccountRequestRow.id).limit(1)).first()
    ):
        raise AccountRefused(
            "the registry has accounts already: ask for another administrator with "
            "`users add NAME --role admin`, which a second person approves"
        )
    return accounts.create_account(
        session, operator, name, Role.ADMIN, Scope.parse("all"), password, how="bootstrap"
    )
