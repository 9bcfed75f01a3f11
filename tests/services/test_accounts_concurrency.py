"""Sign-ins at once on both engines: the lock-out and one-time codes hold under concurrency.

Each attempt runs in a thread of its own on a database handle of its own (its own engine and
connection, as separate server processes would), and every attempt has hashed its password
before any goes on, so that all of them read the account before any writes: the race the
issue found (8 sign-ins with one code all succeeded, 30 wrong passwords locked nothing).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from conftest import enrolled_account
from safepassage.policy import Role, Scope
from safepassage.protection.keys import KeyRing
from safepassage.services import accounts
from safepassage.services.accounts import LockOut, Outcome, SessionKind
from safepassage.services.registry import Operator, now
from safepassage.store import Database
from safepassage.store.postgresql import PostgresDatabase
from safepassage.store.sqlite import SQLiteDatabase
from safepassage.store.tables import AccountRow, AuditRow, SessionRow

PASSWORD = "correct horse battery staple"
LOCKOUT = LockOut(threshold=5, minutes=15)


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        accounts, "PASSWORD_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def _another_handle(database: Database) -> Database:
    """The same database through an engine of its own."""
    if isinstance(database, SQLiteDatabase):
        return SQLiteDatabase(database.path)
    assert isinstance(database, PostgresDatabase)
    return PostgresDatabase(database.url, schema=database.schema)


def _enrol(database: Database, key_ring: KeyRing) -> str:
    with database.session() as session:
        enrolment = enrolled_account(
            session,
            Operator.with_ring("admin", key_ring),
            "field.lead",
            Role.FIELD_LEAD,
            Scope.parse("origin:nawa"),
            PASSWORD,
        )
    return enrolment.totp_secret


def _at_once(
    database: Database,
    key_ring: KeyRing,
    monkeypatch: pytest.MonkeyPatch,
    attempts: list[tuple[str, str]],
    at: datetime,
    hashes: list[str] | None = None,
) -> list[Outcome]:
    """The outcomes of ``(password, code)`` sign-ins made at once; each argon2 check is
    noted in ``hashes``."""
    hashed_together = threading.Barrier(len(attempts))
    password_matches: Callable[[str, str], bool] = accounts._password_matches

    def in_step(stored: str, password: str) -> bool:
        matches = password_matches(stored, password)
        if hashes is not None:
            hashes.append(password)
        hashed_together.wait(60)
        return matches

    monkeypatch.setattr(accounts, "_password_matches", in_step)
    sealer = Operator.with_ring("server", key_ring).sealer

    def attempt(password: str, code: str) -> Outcome:
        handle = _another_handle(database)
        try:
            with handle.session() as session:
                return accounts.authenticate(
                    session,
                    sealer,
                    "field.lead",
                    password,
                    code,
                    kind=SessionKind.BEARER,
                    lifetime=timedelta(hours=1),
                    lockout=LOCKOUT,
                    at=at,
                ).outcome
        finally:
            handle.dispose()

    with ThreadPoolExecutor(len(attempts)) as pool:
        return list(pool.map(lambda pair: attempt(*pair), attempts))


def _login_details(database: Database) -> list[dict[str, object]]:
    with database.session() as session:
        rows = session.execute(
            select(AuditRow).where(AuditRow.action == "login").order_by(AuditRow.seq)
        ).scalars()
        return [json.loads(row.detail) for row in rows]


def test_thirty_wrong_passwords_at_once_lock_the_account_after_the_fifth(
    committing_database: Database, key_ring: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = _enrol(committing_database, key_ring)
    at = now()
    code = pyotp.TOTP(secret).at(at)
    hashes: list[str] = []
    outcomes = _at_once(
        committing_database,
        key_ring,
        monkeypatch,
        [(f"wrong password number {n}", code) for n in range(30)],
        at,
        hashes,
    )
    assert len(hashes) == 30  # one argon2 check an attempt, none again under the lock
    assert outcomes.count(Outcome.WRONG_PASSWORD) == LOCKOUT.threshold
    assert outcomes.count(Outcome.LOCKED) == 30 - LOCKOUT.threshold
    with committing_database.session() as session:
        row = session.execute(select(AccountRow)).scalar_one()
        assert row.locked_until is not None
        assert accounts._utc(row.locked_until) > at + timedelta(minutes=LOCKOUT.minutes - 1)
    details = _login_details(committing_database)
    assert [detail["outcome"] for detail in details[: LOCKOUT.threshold]] == [
        "wrong-password"
    ] * LOCKOUT.threshold
    assert [detail.get("locked_minutes") for detail in details].count(LOCKOUT.minutes) == 1
    assert details[LOCKOUT.threshold - 1]["locked_minutes"] == LOCKOUT.minutes


def test_one_code_signs_in_once_among_eight_sign_ins_at_once(
    committing_database: Database, key_ring: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = _enrol(committing_database, key_ring)
    at = now()
    code = pyotp.TOTP(secret).at(at)
    outcomes = _at_once(committing_database, key_ring, monkeypatch, [(PASSWORD, code)] * 8, at)
    assert outcomes.count(Outcome.OK) == 1
    assert Outcome.WRONG_PASSWORD not in outcomes
    with committing_database.session() as session:
        assert len(session.execute(select(SessionRow)).all()) == 1
    assert _login_details(committing_database)[0]["outcome"] == "ok"
