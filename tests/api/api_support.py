"""A server on a fresh SQLite file, its accounts, and signing them in (shared by tests/api)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyotp
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from conftest import enrolled_account
from safepassage.api.app import create_app
from safepassage.api.settings import Settings
from safepassage.model.registry import (
    Household,
    IdentityDocument,
    PartialDate,
    Person,
    PersonalData,
    RiskLevel,
    Sex,
    Status,
)
from safepassage.policy import Role, Scope
from safepassage.protection.keys import KeyRing, write_key_ring
from safepassage.services import accounts, registry
from safepassage.services.registry import Operator
from safepassage.store import Database, open_database
from safepassage.store.schema import upgrade

PASSWORD = "correct horse battery staple"
BASE_URL = "https://testserver"

SCOPES = {
    Role.ADMIN: "all",
    Role.COORDINATOR: "all",
    Role.FIELD_LEAD: "origin:nawa",
    Role.TRANSIT_LIAISON: "crossing:golan",
    Role.HOST_LIAISON: "host:GBR",
    Role.AUDITOR: "all",
}


@dataclass
class Deployment:
    """A server's database, keys and settings, and the TOTP secrets of its accounts."""

    database: Database
    ring: KeyRing
    settings: Settings
    secrets: dict[str, str] = field(default_factory=dict)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.database.session() as session:
            yield session

    def operator(self, name: str = "tester") -> Operator:
        return Operator.with_ring(name, self.ring)

    def add_account(self, name: str, role: Role, scope: str) -> None:
        with self.session() as session:
            enrolment = enrolled_account(
                session, self.operator(), name, role, Scope.parse(scope), PASSWORD
            )
        self.secrets[name] = enrolment.totp_secret

    def client(self) -> TestClient:
        return TestClient(create_app(self.settings), base_url=BASE_URL)


def deploy(folder: Path, location: str | None = None, **settings: Any) -> Deployment:
    """A migrated database (a new SQLite file unless ``location`` names one), a key file,
    and one account per role, named after it."""
    location = location or str(folder / "registry.db")
    database = open_database(location)
    upgrade(database)
    ring = KeyRing.generate()
    write_key_ring(ring, folder / "keyring.json")
    deployment = Deployment(
        database,
        ring,
        Settings(database=location, key_file=folder / "keyring.json", **settings),
    )
    for role, scope in SCOPES.items():
        deployment.add_account(role.value, role, scope)
    return deployment


@contextmanager
def cheap_hashing() -> Iterator[None]:
    """argon2id at its cheapest, so that tests signing in dozens of times stay quick; the
    production profile is checked in tests/services/test_accounts.py."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            accounts,
            "PASSWORD_HASHER",
            PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
        )
        yield


def code(secret: str, offset: int = 0) -> str:
    """A TOTP code ``offset`` steps from now. A code is accepted once, so a second sign-in
    within 30 seconds takes the next step's code (the server accepts one step of drift)."""
    return pyotp.TOTP(secret).at(time.time(), counter_offset=offset)


def sign_in(
    client: TestClient, deployment: Deployment, name: str, *, offset: int = 0, how: str = "token"
) -> str:
    """A bearer token (``how="token"``) or a session cookie (``how="login"``) of ``name``."""
    response = client.post(
        f"/api/auth/{how}",
        json={"name": name, "password": PASSWORD, "code": code(deployment.secrets[name], offset)},
    )
    assert response.status_code == 200, response.text
    if how == "login":
        client.cookies.clear()  # each request says which session it uses
        return str(response.cookies[deployment.settings.cookie_name])
    return str(response.json()["access_token"])


def cookie(deployment: Deployment, value: str) -> dict[str, str]:
    return {"Cookie": f"{deployment.settings.cookie_name}={value}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ARABIC = "شخص تجريبي"
PHONE = "+963000000000"
LOCATION = "a village nobody may know"


def personal(person_id: str) -> PersonalData:
    return PersonalData(
        name_arabic=ARABIC,
        name_icao=f"TESTPERSON NUMBER {person_id.upper()}",
        sex=Sex.FEMALE,
        birth=PartialDate(1987, 4, 2),
        role="volunteer",
        nationality="SYR",
        documents=(IdentityDocument("passport", f"N{person_id.upper()}", "SYR"),),
        needs=("insulin",),
        risk=RiskLevel.HIGH,
        location=LOCATION,
        phone=PHONE,
    )


HOUSEHOLDS = {
    # id: (origin, crossings cleared for, host countries, members)
    "hgbr": ("nawa", ("golan",), ("GBR", "CAN"), ("pg0", "pg1")),
    "hdeu": ("inkhil", ("golan",), ("DEU",), ("pd0",)),
    "hjor": ("nawa", ("jaber",), ("DEU",), ("pj0",)),
}
"""Field lead of nawa: hgbr, hjor. Transit liaison of golan: hgbr, hdeu. Host liaison of
GBR: hgbr only."""


def register(deployment: Deployment) -> None:
    with deployment.session() as session:
        operator = deployment.operator()
        for household_id, (origin, cleared, hosts, members) in HOUSEHOLDS.items():
            registry.save_household(
                session, operator, Household(household_id, origin, 1, cleared, hosts)
            )
            registry.add_persons(
                session,
                operator,
                [
                    Person(member, household_id, Status.CLEARED, date(2031, 1, 1), personal(member))
                    for member in members
                ],
            )
