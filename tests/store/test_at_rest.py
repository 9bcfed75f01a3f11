"""What a stolen database gives away: a byte search of the SQLite file (and its write-ahead
log) and of a PostgreSQL dump, after importing 10,000 synthetic rows, finds no name, date of
birth, document number or phone number in clear."""

from __future__ import annotations

import csv
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from conftest import POSTGRES_URL, POSTGRES_URL_ENV
from safepassage.formats.registry_rows import ColumnMapping, read_table
from safepassage.protection import KeyRing
from safepassage.services.importing import import_rows
from safepassage.services.registry import Operator
from safepassage.store import Database
from safepassage.store.postgresql import PostgresDatabase
from safepassage.store.schema import upgrade
from safepassage.store.sqlite import SQLiteDatabase
from safepassage.synthetic.registry_file import write_registry_file

ROWS = 10_000


PER_KIND = 150


def _needles(source: Path) -> list[bytes]:
    """Names (both scripts), full dates of birth (as written and in ISO form), document and
    phone numbers of the file, up to ``PER_KIND`` of each kind drawn evenly across it: a field
    left unsealed would be in clear for every row, and searching all 40,000 values of 10,000
    rows through tens of megabytes takes minutes. Year-only dates are left out: four digits turn up
    by chance in any large file of random bytes, so finding them would prove nothing."""
    kinds: dict[str, list[bytes]] = {}
    with source.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            for field in ("person/name_ar", "person/name_latin", "person/doc_number"):
                if len(row[field]) >= 6:
                    kinds.setdefault(field, []).append(row[field].encode())
            if row["person/phone_number"]:
                kinds.setdefault("phone", []).append(row["person/phone_number"].encode())
            day, _, rest = row["person/dob"].partition("/")
            month, _, year = rest.partition("/")
            if year:
                kinds.setdefault("dob", []).append(row["person/dob"].encode())
                kinds.setdefault("iso dob", []).append(f"{year}-{month}-{day}".encode())
    assert len(kinds) == 6, sorted(kinds)
    return [
        value
        for values in kinds.values()
        for value in values[:: max(1, len(values) // PER_KIND)][:PER_KIND]
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database: Database = SQLiteDatabase(tmp_path / "registry.db")
        upgrade(database)
        yield database
        database.dispose()
        return
    url = os.environ.get(POSTGRES_URL_ENV, POSTGRES_URL)
    schema = f"at_rest_{uuid.uuid4().hex[:10]}"
    postgres = PostgresDatabase(url, schema=schema)
    with postgres.engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        upgrade(postgres)
        yield postgres
    finally:
        postgres.dispose()
        admin = PostgresDatabase(url)
        with admin.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _stored_bytes(database: Database) -> bytes:
    if isinstance(database, SQLiteDatabase):
        files = [database.path, database.path.with_name(database.path.name + "-wal")]
        return b"".join(path.read_bytes() for path in files if path.exists())
    assert isinstance(database, PostgresDatabase) and database.schema
    url = make_url(database.url)
    dump = subprocess.run(
        [
            "pg_dump",
            "--host",
            url.host or "127.0.0.1",
            "--port",
            str(url.port or 5432),
            "--username",
            url.username or "postgres",
            "--schema",
            database.schema,
            url.database or "test",
        ],
        check=True,
        capture_output=True,
    )
    return dump.stdout


def test_a_byte_search_of_the_stored_registry_finds_nobody(
    empty_database: Database, tmp_path: Path
) -> None:
    source = tmp_path / "registrations.csv"
    write_registry_file(source, ROWS, seed=11, bad_share=0.05)
    operator = Operator.with_ring("tester", KeyRing.generate())
    with empty_database.session() as session:
        summary = import_rows(
            session, operator, str(source), read_table(source).rows, ColumnMapping.default()
        )
    assert summary.rows == ROWS == summary.added + summary.quarantined
    assert summary.quarantined == 500

    stored = _stored_bytes(empty_database)
    assert b"quneitra-crossing" in stored, "the search must see what is kept in clear"
    needles = _needles(source)
    assert len(needles) > 5 * PER_KIND
    leaked = sum(1 for needle in needles if needle in stored)
    assert leaked == 0, f"{leaked} personal values found in clear"
