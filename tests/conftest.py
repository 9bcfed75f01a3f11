"""Tiny scenarios built in code, shared by tests across the package."""

from __future__ import annotations

import io
import os
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from safepassage.model import (
    Crossing,
    Household,
    Node,
    NodeKind,
    Road,
    Scenario,
    TimeGrid,
    Window,
    Zone,
)
from safepassage.model.registry import (
    Household as RegistryHousehold,
)
from safepassage.model.registry import (
    IdentityDocument,
    PartialDate,
    Person,
    PersonalData,
    Sex,
    Status,
)
from safepassage.planning import time_expanded
from safepassage.planning.diagnosis import cleared_crossings
from safepassage.planning.step_network import StepNetwork
from safepassage.policy import Role, Scope
from safepassage.protection import KeyRing
from safepassage.services import account_requests, registry
from safepassage.services.accounts import Enrolment
from safepassage.services.registry import Operator
from safepassage.store import Database
from safepassage.store.postgresql import PostgresDatabase
from safepassage.store.schema import upgrade
from safepassage.store.sqlite import SQLiteDatabase

START = datetime.fromisoformat("2018-07-21T00:00:00+03:00")


def at(step: int) -> datetime:
    """The instant at which a 15-minute step of the test grid begins."""
    return START + timedelta(minutes=15 * step)


def build(
    *,
    nodes: Iterable[tuple[str, NodeKind] | tuple[str, NodeKind, int]],
    roads: Iterable[tuple[str, str, int, int]],
    crossings: Iterable[Crossing],
    households: Iterable[Household],
    zones: Iterable[Zone] = (),
    horizon: int = 40,
) -> Scenario:
    """Roads as ``(from, to, minutes, persons per hour)``, one direction each."""
    return Scenario(
        name="hand-worked",
        grid=TimeGrid(START, 15, horizon),
        nodes=tuple(
            Node(spec[0], spec[0].title(), 33.0, 36.0, spec[1], spec[2] if len(spec) > 2 else None)
            for spec in nodes
        ),
        roads=tuple(Road(a, b, Fraction(m), Fraction(c)) for a, b, m, c in roads),
        crossings=tuple(crossings),
        zones=tuple(zones),
        households=tuple(households),
    )


def crossing(node: str, *windows: tuple[int, int, int], clearance: bool = False) -> Crossing:
    """Windows as ``(open step, close step, capacity)``."""
    return Crossing(
        node, "Elsewhere", clearance, tuple(Window(at(o), at(c), cap) for o, c, cap in windows)
    )


@pytest.fixture
def bottleneck() -> Scenario:
    """A short road taking one household a step, a longer one taking two, a window of 3 steps.

    Four households of five: two by the short road (leaving at steps 0 and 1), two together by
    the long road (leaving at step 0). All twenty persons can cross; no more can exist.
    """
    return build(
        nodes=[("a", NodeKind.TOWN), ("b", NodeKind.JUNCTION), ("x", NodeKind.CROSSING)],
        roads=[("a", "x", 15, 20), ("a", "b", 15, 40), ("b", "x", 15, 40)],
        crossings=[crossing("x", (0, 3, 100))],
        households=[Household(f"h{i}", 5, "a") for i in range(4)],
    )


# --- The registry's databases: every store test runs on SQLite and on PostgreSQL. -----------

POSTGRES_URL_ENV = "SAFEPASSAGE_TEST_POSTGRES"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def key_ring() -> KeyRing:
    return KeyRing.generate()


@contextmanager
def migrated(engine: str, folder: Path) -> Iterator[Database]:
    """A new database migrated to head: a SQLite file in ``folder``, or a PostgreSQL schema
    of its own, dropped afterwards. PostgreSQL is not skipped when the server is missing: CI
    has one, and a registry test that silently did not run would prove nothing."""
    if engine == "sqlite":
        database: Database = SQLiteDatabase(folder / "registry.db")
        upgrade(database)
        yield database
        database.dispose()
        return
    name = f"test_{uuid.uuid4().hex[:12]}"
    postgres = PostgresDatabase(os.environ.get(POSTGRES_URL_ENV, POSTGRES_URL), schema=name)
    with postgres.engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        upgrade(postgres)
        yield postgres
    finally:
        postgres.dispose()
        cleanup = PostgresDatabase(os.environ.get(POSTGRES_URL_ENV, POSTGRES_URL))
        with cleanup.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        cleanup.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A database per engine for the whole run; tests see it through :func:`session`."""
    with migrated(request.param, tmp_path_factory.mktemp("registry")) as database:
        yield database


@pytest.fixture(params=["sqlite", "postgresql"])
def committing_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database of the test's own, per engine, for tests whose sessions really commit
    (concurrent writers): nothing they leave reaches other tests."""
    with migrated(request.param, tmp_path) as database:
        yield database


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    """A session whose every commit is a savepoint inside one transaction rolled back at the
    end, so each test sees an empty registry and leaves it empty."""
    with database.engine.connect() as connection:
        transaction = connection.begin()
        with Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as session:
            yield session
        transaction.rollback()


@pytest.fixture
def operator(key_ring: KeyRing) -> Operator:
    return Operator.with_ring("tester", key_ring)


def register_people(session: Session, operator: Operator, size: int = 2) -> list[str]:
    """Household H1 of Nawa with persons P0, P1...; passports N077, N177..."""
    household = RegistryHousehold("H1", "nawa", 2, ("golan",), ("GBR",))
    registry.save_household(session, operator, household)
    ids = []
    for number in range(size):
        person = Person(
            id=f"P{number}",
            household_id="H1",
            status=Status.REGISTERED,
            retention_until=date(2031, 1, 1),
            personal=PersonalData(
                name_arabic="محمد الحريري",
                name_icao=f"MOHAMMAD ALHARIRI {number}",
                sex=Sex.MALE,
                birth=PartialDate(1980 + number),
                documents=(IdentityDocument("passport", f"N{number}77", "SYR"),),
            ),
        )
        registry.add_person(session, operator, person)
        ids.append(person.id)
    session.flush()
    return ids


def enrolled_account(
    session: Session, operator: Operator, name: str, role: Role, scope: Scope, password: str
) -> Enrolment:
    """An account made the only way there is: asked for, approved by a second person,
    enrolled by its holder; for tests that need accounts to exist rather than the rule."""
    asked = account_requests.request_account(
        session, Operator("requester", operator.sealer), name, role, scope
    )
    approval = account_requests.approve(
        session, Operator("approver", operator.sealer), asked.id, role=None
    )
    assert approval.code is not None
    return account_requests.enrol(session, operator.sealer, approval.code, password)


# -- hand-made workbooks ----------------------------------------------------------------------

SECRET = "Mohammad Al-Hariri"
"""A (synthetic) name in a broken cell: it must come back in no message and no log."""
SHEET = "xl/worksheets/sheet1.xml"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<sheetData>"
)
TAIL = "</sheetData></worksheet>"


def text_cell(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


GOOD_ROWS = (
    '<row r="1">' + text_cell("A1", "person_id") + text_cell("B1", "sex") + "</row>"
    '<row r="2">' + text_cell("A2", "k1") + text_cell("B2", "f") + "</row>"
)


def workbook(path: Path, sheet_xml: str | bytes, *, level: int = 6) -> Path:
    """A workbook openpyxl wrote, with its first sheet's XML replaced."""
    book = Workbook()
    book.active.append(["x"])
    buffer = io.BytesIO()
    book.save(buffer)
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == SHEET:
                data = sheet_xml.encode() if isinstance(sheet_xml, str) else sheet_xml
            target.writestr(info.filename, data)
    return path


def full_lp_optimum(scenario: Scenario) -> float:
    """The LP the bound proves, written out over every node-step and solved in one go
    by HiGHS: the reference the column generation must reach."""
    supplies: dict[tuple[frozenset[int], float], dict[tuple[int, int], int]] = defaultdict(
        lambda: defaultdict(int)
    )
    for h in scenario.households:
        allowed = cleared_crossings(scenario, h)
        if allowed:
            supplies[(allowed, h.priority)][
                (scenario.node_index(h.origin), scenario.ready_step(h))
            ] += h.size
    commodities = tuple(
        time_expanded.Commodity(1, p, a, tuple((o, r, n) for (o, r), n in sorted(s.items())))
        for (a, p), s in supplies.items()
    )
    if not commodities:
        return 0.0
    model = time_expanded.build(StepNetwork.compile(scenario), commodities, integer=False)
    solution = time_expanded.solve(model)
    assert solution.optimal
    return solution.objective
