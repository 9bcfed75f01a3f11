"""A running server follows a key rotation made by another process (``keys rotate``), and
writes signed audit anchors at an interval (``serve --anchor-dir``)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import bearer, cheap_hashing, deploy, sign_in
from sqlalchemy import delete, select, text, update
from typer.testing import CliRunner

from conftest import POSTGRES_URL, POSTGRES_URL_ENV
from safepassage.cli.main import app
from safepassage.policy import Role
from safepassage.protection import load_key_ring
from safepassage.services import registry
from safepassage.services.audit_anchors import read_anchors, verify_with_anchors
from safepassage.services.keys import ring_in_force
from safepassage.services.registry import Operator
from safepassage.store import audit
from safepassage.store.postgresql import PostgresDatabase
from safepassage.store.tables import AuditHeadRow, AuditRow, PersonRow
from safepassage.synthetic.registry_file import write_registry_file

runner = CliRunner()


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A registry's ``--db``: a SQLite file, or a PostgreSQL schema of its own named in the
    URL's connection options, as a server and a command in another process reach it."""
    if request.param == "sqlite":
        yield str(tmp_path / "registry.db")
        return
    base = os.environ.get(POSTGRES_URL_ENV, POSTGRES_URL)
    name = f"test_rot_{uuid.uuid4().hex[:12]}"
    admin = PostgresDatabase(base)
    with admin.engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield f"{base}?options=-csearch_path%3D{name}"
    finally:
        with admin.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def test_a_running_server_follows_a_rotation_made_by_another_process(
    location: str, tmp_path: Path
) -> None:
    key_file = tmp_path / "keyring.json"
    source = tmp_path / "export.csv"
    write_registry_file(source, 40, seed=7, bad_share=0.05)
    csv = {"Content-Type": "text/csv"}
    with cheap_hashing():
        deployment = deploy(tmp_path, location=location)
        with deployment.client() as client:
            coordinator = bearer(sign_in(client, deployment, Role.COORDINATOR.value))
            first = client.post(
                "/api/imports", headers={**coordinator, **csv}, content=source.read_bytes()
            )
            assert first.status_code == 200, first.text

            rotated = runner.invoke(
                app, ["keys", "rotate", "--db", location, "--key-file", str(key_file)]
            )
            assert rotated.exit_code == 0, rotated.output

            with deployment.session() as session:
                operator = Operator.with_ring(
                    "tester", ring_in_force(session, load_key_ring(key_file, {}))
                )
                ids = sorted(session.execute(select(PersonRow.id)).scalars())
                persons = registry.read_persons(session, operator, ids, purpose="test")
            for person in persons[:20]:
                found = client.post(
                    "/api/persons/search",
                    headers=coordinator,
                    json={"kind": "source", "value": person.personal.external_id},
                )
                assert found.status_code == 200, found.text
                assert found.json()["person_ids"] == [person.id]
            again = client.post(
                "/api/imports", headers={**coordinator, **csv}, content=source.read_bytes()
            )
            assert again.status_code == 200, again.text
            assert again.json()["added"] == 0
            assert again.json()["unchanged"] == first.json()["added"]
            auditor = bearer(sign_in(client, deployment, Role.AUDITOR.value))
            assert client.get("/api/audit/verify", headers=auditor).json()["intact"] is True
        deployment.database.dispose()


def test_the_server_writes_audit_anchors_that_catch_a_rollback(
    location: str, tmp_path: Path
) -> None:
    """Someone who kept a copy of the head row deletes the entries written since and puts
    the copy back: the chain and its head verify, the server's later anchor does not."""
    anchors = tmp_path / "anchors"

    def anchored() -> list[int]:
        return sorted(anchor.seq for anchor in read_anchors(anchors)[0].values())

    with cheap_hashing():
        deployment = deploy(tmp_path, location=location, anchor_dir=anchors, anchor_seconds=0.1)
        ring = load_key_ring(deployment.settings.key_file, {})
        with deployment.client() as client:
            deadline = time.monotonic() + 60
            while not anchored() and time.monotonic() < deadline:
                time.sleep(0.05)
            auditor = bearer(sign_in(client, deployment, Role.AUDITOR.value))
            assert client.get("/api/audit/verify", headers=auditor).json()["intact"] is True
            with deployment.session() as session:
                kept = session.execute(select(AuditHeadRow)).scalar_one()
                seq, mac, head_mac = kept.seq, kept.mac, kept.head_mac
            sign_in(client, deployment, Role.COORDINATOR.value)  # the chain moves on
            while anchored()[-1] <= seq and time.monotonic() < deadline:
                time.sleep(0.05)
            assert anchored()[-1] > seq and not read_anchors(anchors)[1]

            with deployment.session() as session:
                session.execute(delete(AuditRow).where(AuditRow.seq > seq))
                session.execute(update(AuditHeadRow).values(seq=seq, mac=mac, head_mac=head_mac))
            with deployment.session() as session:
                assert audit.verify(session, ring).intact  # the chain alone cannot tell
            report = client.get("/api/audit/verify", headers=auditor).json()
        assert report["intact"] is False
        assert any("deleted or the database was rolled back" in p for p in report["problems"])
        with deployment.session() as session:
            assert not verify_with_anchors(session, ring, anchors).intact
        deployment.database.dispose()
