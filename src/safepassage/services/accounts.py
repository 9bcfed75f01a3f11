"""Accounts of the web application and the API: passwords, second factor, sessions, lock-out.

An account is a member of staff (coordinator, field lead, liaison, auditor, administrator),
never an evacuee. Signing in takes a password (argon2id) and a TOTP code from an authenticator
app; it opens a session whose token the client holds (a browser as a cookie, an API client as
a bearer token) and the store knows only by its SHA-256, so a copied database signs nobody in.

Repeated failures lock the account for a while (:class:`LockOut`), whatever failed, password
or code, so that guessing either costs the same. Every sign-in, failed or not, is an audit
entry naming the account and the outcome; an attempt on a name that is no account is recorded
without that name, since people type their password into the name field.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.policy import Role, Scope, check_scope
from safepassage.protection.sealing import Sealer
from safepassage.services.registry import Operator, new_id, now
from safepassage.store import audit
from safepassage.store.locking import hold_row
from safepassage.store.tables import AccountRow, SessionRow

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
"""NIST SP 800-63B: length is what makes a password strong, so at least 12 characters and no
composition rules; the upper bound only keeps hashing a request cheap."""

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
TOTP_ISSUER = "SafePassage"
ANONYMOUS = "anonymous"

PASSWORD_HASHER = PasswordHasher()
"""argon2id with RFC 9106's second recommended profile (3 passes over 64 MiB, 4 lanes):
about a third of a second per sign-in on a two-core server. Hashes carry their parameters,
so a stronger profile later re-hashes each password at its next sign-in."""


class AccountRefused(ValueError):
    """An account change that breaks a rule; the message says which, never a password."""


class UnknownAccount(LookupError):
    """No account of that name (account names are staff identifiers, safe to name)."""


class SessionKind(StrEnum):
    COOKIE = "cookie"
    BEARER = "bearer"


class Outcome(StrEnum):
    OK = "ok"
    UNKNOWN_ACCOUNT = "unknown-account"
    WRONG_PASSWORD = "wrong-password"
    WRONG_CODE = "wrong-code"
    LOCKED = "locked"
    DISABLED = "disabled"


@dataclass(frozen=True)
class LockOut:
    """After ``threshold`` failures in a row the account refuses sign-ins for ``minutes``."""

    threshold: int = 5
    minutes: int = 15


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    role: Role
    scope: Scope
    disabled: bool
    locked_until: datetime | None
    failed_attempts: int
    created_at: datetime


@dataclass(frozen=True)
class Enrolment:
    """A new account's second factor, shown once: the secret is sealed in the store and no
    one can read it back through SafePassage."""

    account: Account
    totp_secret: str
    totp_uri: str


@dataclass(frozen=True)
class SignIn:
    outcome: Outcome
    account: Account | None = None
    token: str | None = None
    expires_at: datetime | None = None


def _utc(stamp: datetime) -> datetime:
    """SQLite hands stamps back without their zone; they were written in UTC."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _account(row: AccountRow) -> Account:
    return Account(
        row.id,
        row.name,
        Role(row.role),
        Scope.parse(row.scope),
        row.disabled,
        _utc(row.locked_until) if row.locked_until else None,
        row.failed_attempts,
        _utc(row.created_at),
    )


def _place(account_id: str) -> str:
    return f"accounts:{account_id}"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(name: str, password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountRefused(
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters; a few words make one"
        )
    if name in password.casefold():
        raise AccountRefused("a password must not contain the account's name")


def normal_name(name: str) -> str:
    normal = name.strip().casefold()
    if not NAME_PATTERN.fullmatch(normal):
        raise AccountRefused(
            "an account name has 2 to 64 characters: letters a-z, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return normal


def _row(session: Session, name: str) -> AccountRow:
    row = session.execute(
        select(AccountRow).where(AccountRow.name == normal_name(name))
    ).scalar_one_or_none()
    if row is None:
        raise UnknownAccount(f"no account {name.strip().casefold()}")
    return row


def _new_secret(operator: Operator, row: AccountRow) -> tuple[str, str]:
    secret = pyotp.random_base32()
    row.totp_secret = operator.sealer.seal(secret.encode(), _place(row.id))
    row.totp_last_step = None
    uri = pyotp.TOTP(secret).provisioning_uri(name=row.name, issuer_name=TOTP_ISSUER)
    return secret, uri


def create_account(
    session: Session,
    operator: Operator,
    name: str,
    role: Role,
    scope: Scope,
    password: str,
    *,
    how: str,
) -> Enrolment:
    """A new account with its holder's password and a fresh TOTP secret.

    Only two paths lead here (``how`` says which in the audit entry): the holder redeeming
    an approved request's enrolment code, and the first administrator of an empty registry
    (:mod:`safepassage.services.account_requests`). The shells never call it directly, so
    whoever asks for an account never holds its credentials."""
    normal = normal_name(name)
    check_scope(role, scope)
    check_password(normal, password)
    if session.execute(select(AccountRow.id).where(AccountRow.name == normal)).first():
        raise AccountRefused(f"an account named {normal} exists already")
    stamp = now()
    row = AccountRow(
        id=new_id("a"),
        name=normal,
        role=role.value,
        scope=scope.text(),
        password_hash=PASSWORD_HASHER.hash(password),
        failed_attempts=0,
        locked_until=None,
        disabled=False,
        sessions_valid_after=stamp,
        created_at=stamp,
    )
    secret, uri = _new_secret(operator, row)
    session.add(row)
    session.flush()
    _record(session, operator, "account-create", row, {"role": role.value, "how": how})
    return Enrolment(_account(row), secret, uri)


def reset_credentials(session: Session, operator: Operator, name: str, password: str) -> Enrolment:
    """The holder's new password and a new second factor (a lost phone), every session
    signed out, any lock-out lifted: the holder's side of an approved reset, after
    :func:`void_credentials` stopped the old ones."""
    row = _row(session, name)
    check_password(row.name, password)
    row.password_hash = PASSWORD_HASHER.hash(password)
    secret, uri = _new_secret(operator, row)
    row.failed_attempts, row.locked_until = 0, None
    row.sessions_valid_after = now()
    _record(session, operator, "account-reset", row)
    return Enrolment(_account(row), secret, uri)


def void_credentials(session: Session, operator: Operator, name: str) -> None:
    """The password and second factor stop working and every session ends, when a reset is
    approved: the password becomes a random one nobody was told and the TOTP secret a fresh
    one nobody saw, so sign-in fails as for a wrong password until the holder enrols."""
    row = _row(session, name)
    row.password_hash = PASSWORD_HASHER.hash(secrets.token_urlsafe(32))
    _new_secret(operator, row)
    row.failed_attempts, row.locked_until = 0, None
    row.sessions_valid_after = now()
    _record(session, operator, "account-void", row)


def change_access(
    session: Session, operator: Operator, name: str, role: Role, scope: Scope
) -> Account:
    """A new role and scope, when a change request is approved; open sessions carry on
    with the new rights, since every request reads the account afresh."""
    row = _row(session, name)
    check_scope(role, scope)
    row.role, row.scope = role.value, scope.text()
    _record(session, operator, "account-change", row, {"role": role.value, "scope": row.scope})
    return _account(row)


def list_accounts(session: Session) -> list[Account]:
    rows = session.execute(select(AccountRow).order_by(AccountRow.name)).scalars()
    return [_account(row) for row in rows]


def get_account(session: Session, name: str) -> Account:
    return _account(_row(session, name))


def set_disabled(session: Session, operator: Operator, name: str, disabled: bool) -> Account:
    """Lock an account by hand (its sessions stop working at once) or unlock it, which also
    lifts a lock-out after failed sign-ins."""
    row = _row(session, name)
    row.disabled = disabled
    if not disabled:
        row.failed_attempts, row.locked_until = 0, None
    _record(session, operator, "account-lock" if disabled else "account-unlock", row)
    return _account(row)


def sign_out_everywhere(session: Session, operator: Operator, name: str) -> None:
    """Every cookie and token of the account, on every device, stops working."""
    row = _row(session, name)
    row.sessions_valid_after = now()
    _record(session, operator, "logout-all", row)


def sign_out(session: Session, sealer: Sealer, token: str) -> None:
    found = session.execute(
        select(SessionRow, AccountRow)
        .join(AccountRow, SessionRow.account_id == AccountRow.id)
        .where(SessionRow.digest == digest(token))
    ).first()
    if found is None:
        return
    row, account = found
    if row.revoked_at is None:
        row.revoked_at = now()
        _record(session, Operator(account.name, sealer), "logout", account, {"kind": row.kind})


def rekey_accounts(session: Session, operator: Operator, new: Operator) -> int:
    """Re-seal every TOTP secret with ``new``'s keys, for key rotation."""
    count = 0
    for row in session.execute(select(AccountRow)).scalars():
        place = _place(row.id)
        row.totp_secret = new.sealer.seal(operator.sealer.open(row.totp_secret, place), place)
        count += 1
    session.flush()
    return count


@cache
def _decoy_hash() -> str:
    """Verified against when the name is no account, so that a refusal takes as long either
    way and timing does not tell which names exist."""
    return PASSWORD_HASHER.hash(secrets.token_hex(16))


def _password_matches(stored: str, password: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _code_step(secret: str, code: str, last_step: int | None, at: datetime) -> int | None:
    """The time step ``code`` belongs to, if it is valid and newer than the last one used.

    One step either side of now is accepted for clocks that drift; a code used once is
    refused after, as RFC 6238 asks, so a code seen over a shoulder cannot be replayed.
    """
    code = "".join(code.split())
    totp = pyotp.TOTP(secret)
    current = totp.timecode(at)
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            return step
    return None


def authenticate(
    session: Session,
    sealer: Sealer,
    name: str,
    password: str,
    code: str,
    *,
    kind: SessionKind,
    lifetime: timedelta,
    lockout: LockOut,
    at: datetime | None = None,
) -> SignIn:
    """Check a sign-in and open a session on success. Failures are returned, not raised,
    so that the caller commits the failure count and the audit entry before refusing."""
    stamp = at or now()
    try:
        row = _row(session, name)
    except (UnknownAccount, AccountRefused):
        _password_matches(_decoy_hash(), password)
        audit.record(
            session,
            sealer.ring,
            actor=ANONYMOUS,
            action="login",
            subject="",
            detail={"outcome": Outcome.UNKNOWN_ACCOUNT.value, "kind": kind.value},
        )
        return SignIn(Outcome.UNKNOWN_ACCOUNT)
    outcome = _attempt(
        session, sealer, row, password, code, stamp, lockout, "login", {"kind": kind.value}
    )
    if outcome is not Outcome.OK:
        return SignIn(outcome, _account(row))
    row.failed_attempts, row.locked_until = 0, None
    if PASSWORD_HASHER.check_needs_rehash(row.password_hash):
        row.password_hash = PASSWORD_HASHER.hash(password)
    token = secrets.token_urlsafe(32)
    expires = stamp + lifetime
    session.add(
        SessionRow(
            account_id=row.id,
            digest=digest(token),
            kind=kind.value,
            created_at=stamp,
            expires_at=expires,
            revoked_at=None,
        )
    )
    session.flush()
    return SignIn(Outcome.OK, _account(row), token, expires)


def _attempt(
    session: Session,
    sealer: Sealer,
    row: AccountRow,
    password: str,
    code: str,
    at: datetime,
    lockout: LockOut,
    action: str,
    context: dict[str, object],
) -> Outcome:
    """Check a password and code, count a failure towards the lock-out, audit the outcome.

    The password is hashed first, holding nothing: argon2 takes a third of a second, and
    holding the account meanwhile (on SQLite, the whole database) would let a guesser stall
    everyone. The account is then held until the transaction ends and read again, and the
    lock-out, the count and the last code used are judged on that reading: parallel attempts
    take turns there, so a code signs in once and the threshold-th failure locks, however
    many arrive at once (before, each read the same count and the same last code).
    """
    hashed = row.password_hash
    password_matches = _password_matches(hashed, password)
    if hold_row(session, AccountRow, row.id) is None:
        raise UnknownAccount("the account no longer exists")
    if row.password_hash != hashed:  # changed meanwhile: a reset, or a re-hash at sign-in
        password_matches = _password_matches(row.password_hash, password)
    outcome = _check(row, sealer, password_matches, code, at)
    detail: dict[str, object] = {**context, "outcome": outcome.value}
    if outcome in (Outcome.WRONG_PASSWORD, Outcome.WRONG_CODE):
        row.failed_attempts += 1
        if row.failed_attempts >= lockout.threshold:
            row.locked_until = at + timedelta(minutes=lockout.minutes)
            row.failed_attempts = 0
            detail["locked_minutes"] = lockout.minutes
    _record(session, Operator(row.name, sealer), action, row, detail)
    return outcome


def _check(
    row: AccountRow, sealer: Sealer, password_matches: bool, code: str, at: datetime
) -> Outcome:
    """The outcome for an account held and freshly read. The password was hashed before
    whatever the account's state, so that a refusal takes as long for a locked account as
    for a wrong password."""
    if row.disabled:
        return Outcome.DISABLED
    if row.locked_until is not None and _utc(row.locked_until) > at:
        return Outcome.LOCKED
    if not password_matches:
        return Outcome.WRONG_PASSWORD
    secret = sealer.open(row.totp_secret, _place(row.id)).decode()
    step = _code_step(secret, code, row.totp_last_step, at)
    if step is None:
        return Outcome.WRONG_CODE
    row.totp_last_step = step
    return Outcome.OK


def change_password(
    session: Session,
    sealer: Sealer,
    account_id: str,
    current: str,
    new: str,
    code: str,
    *,
    lockout: LockOut,
) -> Outcome:
    """The account's own password change, proven with the current password and a code as
    at sign-in (failures count towards the lock-out: a stolen session must not become a
    way to guess the password). Every session ends, this one included, so a thief's
    session ends with the old password. Returns the check's outcome, like
    :func:`authenticate`, so the caller commits a failure before refusing."""
    row = session.get(AccountRow, account_id)
    if row is None:
        raise UnknownAccount("the account no longer exists")
    check_password(row.name, new)
    stamp = now()
    outcome = _attempt(session, sealer, row, current, code, stamp, lockout, "password-change", {})
    if outcome is Outcome.OK:
        row.password_hash = PASSWORD_HASHER.hash(new)
        row.sessions_valid_after = stamp
    return outcome


def account_for_token(
    session: Session, token: str, kind: SessionKind, at: datetime | None = None
) -> Account | None:
    """The account a session token signs in, or ``None`` when the token is unknown, of the
    other kind, expired, revoked, older than a sign-out everywhere, or its account locked
    by hand. A lock-out after failed sign-ins leaves open sessions alone: it stops guessing,
    and the guesser is not the one holding the session."""
    stamp = at or now()
    found = session.execute(
        select(SessionRow, AccountRow)
        .join(AccountRow, SessionRow.account_id == AccountRow.id)
        .where(SessionRow.digest == digest(token), SessionRow.kind == kind.value)
    ).first()
    if found is None:
        return None
    row, account = found
    if (
        row.revoked_at is not None
        or _utc(row.expires_at) <= stamp
        or _utc(row.created_at) <= _utc(account.sessions_valid_after)
        or account.disabled
    ):
        return None
    return _account(account)


def _record(
    session: Session,
    operator: Operator,
    action: str,
    row: AccountRow,
    detail: dict[str, object] | None = None,
) -> None:
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action=action,
        subject=f"account:{row.name}",
        detail=detail,
    )
