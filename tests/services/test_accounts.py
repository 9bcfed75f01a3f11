"""Accounts on both engines: passwords, second factor, lock-out, sessions, key rotation."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import enrolled_account
from safepassage.policy import Role, Scope, ScopeRefused
from safepassage.protection.keys import KeyRing
from safepassage.protection.sealing import SealBroken
from safepassage.services import accounts
from safepassage.services.accounts import (
    AccountRefused,
    LockOut,
    Outcome,
    SessionKind,
    account_for_token,
    authenticate,
)
from safepassage.services.registry import Operator, now
from safepassage.store.active_key import activate
from safepassage.store.tables import AccountRow, AuditRow, SessionRow

PASSWORD = "correct horse battery staple"
HOUR = timedelta(hours=1)
LOCKOUT = LockOut(threshold=3, minutes=15)


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The production profile is checked once below; elsewhere hashing is cheap."""
    monkeypatch.setattr(
        accounts, "PASSWORD_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def secret(session: Session, operator: Operator) -> str:
    enrolment = enrolled_account(
        session, operator, "Field.Lead", Role.FIELD_LEAD, Scope.parse("origin:nawa"), PASSWORD
    )
    return enrolment.totp_secret


def _code(secret: str, at: datetime, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(at, counter_offset=offset)


def _sign_in(
    session: Session,
    operator: Operator,
    secret: str,
    at: datetime,
    *,
    password: str = PASSWORD,
    code: str | None = None,
    kind: SessionKind = SessionKind.BEARER,
) -> accounts.SignIn:
    return authenticate(
        session,
        operator.sealer,
        "field.lead",
        password,
        _code(secret, at) if code is None else code,
        kind=kind,
        lifetime=HOUR,
        lockout=LOCKOUT,
        at=at,
    )


def _row(session: Session) -> AccountRow:
    return session.execute(select(AccountRow).where(AccountRow.name == "field.lead")).scalar_one()


def test_the_production_hash_is_argon2id_at_rfc_9106_strength() -> None:
    hasher = PasswordHasher()
    assert hasher.hash(PASSWORD).startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_an_account_keeps_a_hash_and_a_sealed_second_factor(
    session: Session, operator: Operator, secret: str
) -> None:
    row = _row(session)
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert secret.encode() not in row.totp_secret
    other = Operator.with_ring("other", KeyRing.generate())
    with pytest.raises(SealBroken):
        other.sealer.open(row.totp_secret, f"accounts:{row.id}")
    created = session.execute(
        select(AuditRow).where(AuditRow.action == "account-create")
    ).scalar_one()
    assert created.subject == "account:field.lead" and PASSWORD not in created.detail


@pytest.mark.parametrize(
    ("name", "role", "scope", "password", "error"),
    [
        ("x", Role.AUDITOR, "all", PASSWORD, AccountRefused),
        ("ok.name", Role.AUDITOR, "all", "too short", AccountRefused),
        ("ok.name", Role.AUDITOR, "all", "ok.name and more words", AccountRefused),
        ("ok.name", Role.HOST_LIAISON, "all", PASSWORD, ScopeRefused),
        ("ok.name", Role.COORDINATOR, "origin:nawa", PASSWORD, ScopeRefused),
        ("field.lead", Role.AUDITOR, "all", PASSWORD, AccountRefused),
    ],
)
def test_weak_or_misfit_accounts_are_refused(
    session: Session,
    operator: Operator,
    secret: str,
    name: str,
    role: Role,
    scope: str,
    password: str,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        accounts.create_account(
            session, operator, name, role, Scope.parse(scope), password, how="enrolment"
        )


def test_a_sign_in_opens_a_session_known_only_by_its_digest(
    session: Session, operator: Operator, secret: str
) -> None:
    at = now()
    signed = _sign_in(session, operator, secret, at)
    assert signed.outcome is Outcome.OK and signed.token is not None
    stored = session.execute(select(SessionRow)).scalar_one()
    assert stored.digest == accounts.digest(signed.token) and signed.token not in stored.digest
    account = account_for_token(session, signed.token, SessionKind.BEARER, at + HOUR / 2)
    assert account is not None and account.scope == Scope.parse("origin:nawa")
    assert account_for_token(session, signed.token, SessionKind.COOKIE, at) is None
    assert account_for_token(session, signed.token, SessionKind.BEARER, at + 2 * HOUR) is None


def test_a_code_is_taken_once_and_one_step_of_drift_either_way(
    session: Session, operator: Operator, secret: str
) -> None:
    at = now()
    late = _sign_in(session, operator, secret, at, code=_code(secret, at, -1))
    assert late.outcome is Outcome.OK
    again = _sign_in(session, operator, secret, at, code=_code(secret, at, -1))
    assert again.outcome is Outcome.WRONG_CODE
    assert _sign_in(session, operator, secret, at, code=_code(secret, at, -2)).outcome is (
        Outcome.WRONG_CODE
    )
    assert _sign_in(session, operator, secret, at).outcome is Outcome.OK
    assert _sign_in(session, operator, secret, at, code=_code(secret, at, 1)).outcome is Outcome.OK


def test_failures_lock_the_account_then_the_lock_out_ends(
    session: Session, operator: Operator, secret: str
) -> None:
    at = now()
    for attempt in range(LOCKOUT.threshold):
        wrong = _sign_in(session, operator, secret, at, password=f"wrong password {attempt}")
        assert wrong.outcome is Outcome.WRONG_PASSWORD
    assert _sign_in(session, operator, secret, at).outcome is Outcome.LOCKED
    later = at + timedelta(minutes=LOCKOUT.minutes, seconds=1)
    assert _sign_in(session, operator, secret, later).outcome is Outcome.OK
    details = [
        json.loads(row.detail)
        for row in session.execute(
            select(AuditRow).where(AuditRow.action == "login").order_by(AuditRow.seq)
        ).scalars()
    ]
    assert [detail["outcome"] for detail in details] == [
        "wrong-password",
        "wrong-password",
        "wrong-password",
        "locked",
        "ok",
    ]
    assert details[2]["locked_minutes"] == LOCKOUT.minutes


def test_wrong_codes_count_towards_the_lock_out_like_wrong_passwords(
    session: Session, operator: Operator, secret: str
) -> None:
    at = now()
    for _ in range(LOCKOUT.threshold):
        assert _sign_in(session, operator, secret, at, code="123456").outcome in (
            Outcome.WRONG_CODE,
            Outcome.OK,  # one chance in a million that 123456 is the code
        )
    assert _row(session).locked_until is not None


def test_signing_out_everywhere_ends_cookies_and_tokens_begun_before(
    session: Session, operator: Operator, secret: str
) -> None:
    at = now()
    token = _sign_in(session, operator, secret, at - HOUR / 2).token
    cookie = _sign_in(
        session, operator, secret, at - HOUR / 4, kind=SessionKind.COOKIE, code=None
    ).token
    assert token is not None and cookie is not None
    accounts.sign_out_everywhere(session, operator, "field.lead")
    assert account_for_token(session, token, SessionKind.BEARER, at) is None
    assert account_for_token(session, cookie, SessionKind.COOKIE, at) is None


def test_signing_out_ends_this_session_only(
    session: Session, operator: Operator, secret: str
) -> None:
    at = now()
    first = _sign_in(session, operator, secret, at, code=_code(secret, at, -1)).token
    second = _sign_in(session, operator, secret, at).token
    assert first is not None and second is not None
    accounts.sign_out(session, operator.sealer, first)
    assert account_for_token(session, first, SessionKind.BEARER, at) is None
    assert account_for_token(session, second, SessionKind.BEARER, at) is not None


def test_a_locked_account_stops_at_once_and_unlocking_lifts_a_lock_out(
    session: Session, operator: Operator, secret: str
) -> None:
    at = now()
    token = _sign_in(session, operator, secret, at).token
    assert token is not None
    accounts.set_disabled(session, operator, "field.lead", True)
    assert account_for_token(session, token, SessionKind.BEARER, at) is None
    assert _sign_in(session, operator, secret, at).outcome is Outcome.DISABLED
    _row(session).locked_until = at + HOUR
    accounts.set_disabled(session, operator, "field.lead", False)
    assert _row(session).locked_until is None
    assert account_for_token(session, token, SessionKind.BEARER, at) is not None


def test_a_password_change_proves_the_old_one_and_signs_out_everywhere(
    session: Session, operator: Operator, secret: str
) -> None:
    at = now()
    token = _sign_in(session, operator, secret, at - HOUR / 2).token
    assert token is not None
    account_id = _row(session).id
    new = "an entirely new passphrase"
    refused = accounts.change_password(
        session,
        operator.sealer,
        account_id,
        "wrong password!",
        new,
        _code(secret, at),
        lockout=LOCKOUT,
    )
    assert refused is Outcome.WRONG_PASSWORD and _row(session).failed_attempts == 1
    changed = accounts.change_password(
        session, operator.sealer, account_id, PASSWORD, new, _code(secret, at), lockout=LOCKOUT
    )
    assert changed is Outcome.OK
    assert account_for_token(session, token, SessionKind.BEARER, at) is None
    signed = _sign_in(session, operator, secret, at + HOUR, password=new)
    assert signed.outcome is Outcome.OK


def test_key_rotation_re_seals_second_factors(
    session: Session, operator: Operator, secret: str
) -> None:
    rotated = Operator.with_ring(operator.name, operator.ring.rotated())
    assert accounts.rekey_accounts(session, operator, rotated) == 1
    activate(session, rotated.ring.active)  # as the rest of a rotation does
    sealed = _row(session).totp_secret
    assert rotated.sealer.key_id_of(sealed) == rotated.ring.active
    at = now()
    signed = authenticate(
        session,
        rotated.sealer,
        "field.lead",
        PASSWORD,
        _code(secret, at),
        kind=SessionKind.BEARER,
        lifetime=HOUR,
        lockout=LOCKOUT,
        at=at,
    )
    assert signed.outcome is Outcome.OK


def test_a_code_in_another_script_is_a_wrong_code(
    session: Session, operator: Operator, secret: str
) -> None:
    assert _sign_in(session, operator, secret, now(), code="١٢٣٤٥٦").outcome is Outcome.WRONG_CODE
