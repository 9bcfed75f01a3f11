"""The two-person rule on both engines: an administrator alone never gets a signed-in account."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import enrolled_account
from safepassage.policy import Role, Scope
from safepassage.services import account_requests, accounts
from safepassage.services.account_requests import (
    DecisionRefused,
    EnrolmentRefused,
    RequestClosed,
    RequestKind,
    RequestState,
)
from safepassage.services.accounts import AccountRefused, LockOut, Outcome, SessionKind
from safepassage.services.registry import Operator, now
from safepassage.store.tables import AccountRequestRow, AuditRow

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a different horse entirely"
ALL = Scope.parse("all")


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        accounts, "PASSWORD_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def _as(operator: Operator, name: str) -> Operator:
    return Operator(name, operator.sealer)


def _sign_in(
    session: Session, operator: Operator, name: str, password: str, secret: str, at: datetime
) -> Outcome:
    return accounts.authenticate(
        session,
        operator.sealer,
        name,
        password,
        pyotp.TOTP(secret).at(at),
        kind=SessionKind.BEARER,
        lifetime=timedelta(hours=1),
        lockout=LockOut(),
        at=at,
    ).outcome


def _audit(session: Session) -> list[AuditRow]:
    rows = session.execute(
        select(AuditRow).where(AuditRow.action.like("account-%")).order_by(AuditRow.seq)
    )
    return list(rows.scalars())


@pytest.fixture
def admins(session: Session, operator: Operator) -> tuple[Operator, Operator]:
    """The first administrator (bootstrap) and a second one, made by the rule."""
    account_requests.create_first_admin(session, _as(operator, "root"), "alice", PASSWORD)
    enrolled_account(session, operator, "bob", Role.ADMIN, ALL, PASSWORD)
    return _as(operator, "alice"), _as(operator, "bob")


def test_an_admin_alone_cannot_get_a_signed_in_coordinator(
    session: Session, operator: Operator, admins: tuple[Operator, Operator]
) -> None:
    alice, bob = admins
    asked = account_requests.request_account(session, alice, "cora", Role.COORDINATOR, ALL)
    assert asked.state is RequestState.PENDING and asked.requested_by == "alice"
    assert [account.name for account in accounts.list_accounts(session)] == ["alice", "bob"]
    assert _sign_in(session, operator, "cora", PASSWORD, pyotp.random_base32(), now()) is (
        Outcome.UNKNOWN_ACCOUNT
    )
    with pytest.raises(DecisionRefused, match="second person"):
        account_requests.approve(session, alice, asked.id, role=Role.ADMIN)
    for role in (Role.AUDITOR, Role.FIELD_LEAD, Role.HOST_LIAISON, Role.TRANSIT_LIAISON):
        with pytest.raises(DecisionRefused, match="does not decide"):
            account_requests.approve(session, _as(operator, "someone"), asked.id, role=role)
    approval = account_requests.approve(session, bob, asked.id, role=Role.ADMIN)
    assert approval.code is not None and approval.request.state is RequestState.APPROVED
    assert approval.request.expires_at is not None
    with pytest.raises(RequestClosed):
        account_requests.approve(session, bob, asked.id, role=Role.ADMIN)

    enrolment = account_requests.enrol(session, operator.sealer, approval.code, PASSWORD)
    assert enrolment.account.name == "cora" and enrolment.account.role is Role.COORDINATOR
    assert enrolment.totp_uri.startswith("otpauth://totp/SafePassage:cora?")
    at = now()
    assert _sign_in(session, operator, "cora", PASSWORD, enrolment.totp_secret, at) is Outcome.OK
    with pytest.raises(EnrolmentRefused):
        account_requests.enrol(session, operator.sealer, approval.code, NEW_PASSWORD)

    stored = session.get(AccountRequestRow, asked.id)
    assert stored is not None and stored.state == "enrolled" and stored.code_digest is None
    trail = [(row.action, row.actor) for row in _audit(session) if "cora" in row.subject]
    assert trail == [
        ("account-request", "alice"),
        ("account-approve", "bob"),
        ("account-create", "cora"),
        ("account-enrol", "cora"),
    ]
    for row in _audit(session):
        for secret in (approval.code, approval.code.replace("-", ""), PASSWORD):
            assert secret not in row.detail
        assert enrolment.totp_secret not in row.detail


def test_a_coordinator_may_approve_but_not_a_request_about_itself(
    session: Session, operator: Operator, admins: tuple[Operator, Operator]
) -> None:
    alice, _ = admins
    enrolled_account(session, operator, "cora", Role.COORDINATOR, ALL, PASSWORD)
    cora = _as(operator, "cora")
    own = account_requests.request_reset(session, alice, "cora")
    with pytest.raises(DecisionRefused, match="concerns cora"):
        account_requests.approve(session, cora, own.id, role=Role.COORDINATOR)
    account_requests.refuse(session, alice, own.id, role=Role.ADMIN)
    lead = account_requests.request_account(
        session, alice, "lead", Role.FIELD_LEAD, Scope.parse("origin:nawa")
    )
    assert account_requests.approve(session, cora, lead.id, role=Role.COORDINATOR).code


def test_a_reset_hands_nothing_to_the_admin_and_stops_the_old_credentials(
    session: Session, operator: Operator, admins: tuple[Operator, Operator]
) -> None:
    alice, bob = admins
    old = enrolled_account(session, operator, "cora", Role.COORDINATOR, ALL, PASSWORD)
    at = now()
    assert _sign_in(session, operator, "cora", PASSWORD, old.totp_secret, at) is Outcome.OK
    asked = account_requests.request_reset(session, alice, "cora")
    assert asked.kind is RequestKind.RESET and not hasattr(asked, "code")
    later = at + timedelta(minutes=1)
    assert _sign_in(session, operator, "cora", PASSWORD, old.totp_secret, later) is Outcome.OK

    approval = account_requests.approve(session, bob, asked.id, role=Role.ADMIN)
    assert approval.code is not None
    again = at + timedelta(minutes=2)
    assert _sign_in(session, operator, "cora", PASSWORD, old.totp_secret, again) is (
        Outcome.WRONG_PASSWORD
    )
    enrolment = account_requests.enrol(session, operator.sealer, approval.code, NEW_PASSWORD)
    assert enrolment.totp_secret != old.totp_secret
    fresh = at + timedelta(minutes=3)
    assert _sign_in(session, operator, "cora", NEW_PASSWORD, enrolment.totp_secret, fresh) is (
        Outcome.OK
    )
    actions = [row.action for row in _audit(session) if row.subject == "account:cora"]
    assert actions[-5:] == [
        "account-request",
        "account-void",
        "account-approve",
        "account-reset",
        "account-enrol",
    ]


def test_a_role_or_scope_changes_only_once_approved(
    session: Session, operator: Operator, admins: tuple[Operator, Operator]
) -> None:
    alice, bob = admins
    enrolled_account(
        session, operator, "lead", Role.FIELD_LEAD, Scope.parse("origin:nawa"), PASSWORD
    )
    raised = account_requests.request_change(session, alice, "lead", Role.COORDINATOR, ALL)
    assert accounts.get_account(session, "lead").role is Role.FIELD_LEAD
    with pytest.raises(AccountRefused, match="open already"):
        account_requests.request_change(
            session, alice, "lead", Role.FIELD_LEAD, Scope.parse("origin:nawa,tafas")
        )
    refused = account_requests.refuse(session, bob, raised.id, role=Role.ADMIN)
    assert refused.state is RequestState.REFUSED
    assert accounts.get_account(session, "lead").role is Role.FIELD_LEAD

    widened = account_requests.request_change(
        session, alice, "lead", Role.FIELD_LEAD, Scope.parse("origin:nawa,tafas")
    )
    assert accounts.get_account(session, "lead").scope == Scope.parse("origin:nawa")
    approval = account_requests.approve(session, bob, widened.id, role=Role.ADMIN)
    assert approval.code is None and approval.request.state is RequestState.ENROLLED
    assert accounts.get_account(session, "lead").scope == Scope.parse("origin:nawa,tafas")
    decided = [
        (row.action, row.actor, json.loads(row.detail).get("scope"))
        for row in _audit(session)
        if row.subject == "account:lead"
    ][-5:]
    assert decided == [
        ("account-request", "alice", "all"),
        ("account-refuse", "bob", "all"),
        ("account-request", "alice", "origin:nawa,tafas"),
        ("account-change", "bob", "origin:nawa,tafas"),
        ("account-approve", "bob", "origin:nawa,tafas"),
    ]


def test_an_enrolment_code_expires_and_a_wrong_one_says_nothing(
    session: Session, operator: Operator, admins: tuple[Operator, Operator]
) -> None:
    alice, bob = admins
    asked = account_requests.request_account(session, alice, "aud", Role.AUDITOR, ALL)
    approval = account_requests.approve(session, bob, asked.id, role=Role.ADMIN)
    assert approval.code is not None
    late = now() + account_requests.ENROLMENT_LIFETIME + timedelta(minutes=1)
    with pytest.raises(EnrolmentRefused) as expired:
        account_requests.enrol(session, operator.sealer, approval.code, PASSWORD, at=late)
    with pytest.raises(EnrolmentRefused) as unknown:
        account_requests.enrol(session, operator.sealer, "AAAA-BBBB", PASSWORD)
    assert str(expired.value) == str(unknown.value)
    # The same code, typed in lower case without its dashes, is the same code.
    typed = approval.code.replace("-", "").lower()
    assert account_requests.enrol(session, operator.sealer, typed, PASSWORD).account.name == "aud"


def test_bootstrap_is_only_for_an_empty_registry(
    session: Session, operator: Operator, admins: tuple[Operator, Operator]
) -> None:
    with pytest.raises(AccountRefused, match="has accounts already"):
        account_requests.create_first_admin(session, operator, "mallory", PASSWORD)
    first = next(row for row in _audit(session) if row.subject == "account:alice")
    assert first.action == "account-create" and json.loads(first.detail)["how"] == "bootstrap"


def test_requests_for_taken_names_or_misfit_scopes_are_refused(
    session: Session, admins: tuple[Operator, Operator]
) -> None:
    alice, _ = admins
    with pytest.raises(AccountRefused, match="exists already"):
        account_requests.request_account(session, alice, "Bob", Role.COORDINATOR, ALL)
    account_requests.request_account(session, alice, "cora", Role.COORDINATOR, ALL)
    with pytest.raises(AccountRefused, match="open already"):
        account_requests.request_account(session, alice, "cora", Role.AUDITOR, ALL)
    with pytest.raises(ValueError, match="scope"):
        account_requests.request_account(session, alice, "lead", Role.FIELD_LEAD, ALL)
    listed = account_requests.list_requests(session, open_only=True)
    assert [(item.account, item.kind) for item in listed] == [("cora", RequestKind.CREATE)]
