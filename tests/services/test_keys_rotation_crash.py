"""``keys rotate`` killed (SIGKILL) at each step leaves a registry that works: re-importing the
same rows adds nobody twice, every person is found by their blind indexes, and the audit log
verifies; running ``keys rotate`` again finishes the rotation.

The rotation runs as the real command in a child process (``python -m
safepassage.cli.main``); the child kills itself at the step under test through SQLAlchemy's
session events and the atomic replace of the key file, which every rotation goes through,
so nothing in the product knows it is being tested.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from safepassage.cli.main import app
from safepassage.formats.registry_rows import ColumnMapping, read_table
from safepassage.protection import KeyRing, Sealer, load_key_ring, write_key_ring
from safepassage.services import registry
from safepassage.services.importing import import_rows
from safepassage.services.keys import ring_in_force
from safepassage.services.registry import Operator
from safepassage.store import Database, audit
from safepassage.store.postgresql import PostgresDatabase
from safepassage.store.tables import PersonRow
from safepassage.synthetic.registry_file import write_registry_file

SOURCES = Path(__file__).resolve().parents[2] / "src"

KILLER = """
import os, runpy, signal, sys
from pathlib import Path
from sqlalchemy import event
from sqlalchemy.orm import Session

phase, key_file = sys.argv[1], Path(sys.argv[2])
sys.argv = ["safepassage", *sys.argv[3:]]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if phase == "ring-written":
    replace = Path.replace
    def replace_then_die(self, target):
        moved = replace(self, target)
        if Path(target) == key_file:
            die()
        return moved
    Path.replace = replace_then_die
else:
    @event.listens_for(Session, "after_flush")
    def wrote(session, _context):
        if session.new or session.dirty or session.deleted:
            session.info["wrote"] = True
            if phase == "re-sealing":
                die()

    @event.listens_for(Session, "before_commit")
    def before(session):
        if phase == "before-commit" and session.info.get("wrote"):
            die()

    @event.listens_for(Session, "after_commit")
    def after(session):
        if phase == "after-commit" and session.info.get("wrote"):
            die()

runpy.run_module("safepassage.cli.main", run_name="__main__", alter_sys=True)
"""

PHASES = ["ring-written", "re-sealing", "before-commit", "after-commit"]
"""The key file first replaced; persons re-sealed but not committed; everything flushed but
not committed; committed before the ring's switch."""

runner = CliRunner()


def cli_location(database: Database) -> str:
    """What ``--db`` takes to reach ``database`` from another process."""
    if isinstance(database, PostgresDatabase):
        return f"{database.url}?options=-csearch_path%3D{database.schema}"
    return database.url.removeprefix("sqlite:///")


def check_everyone_found(database: Database, key_file: Path, source: Path, persons: int) -> None:
    """What the next process does: load the ring, follow the registry's active key,
    re-import the file, look everyone up."""
    rows = read_table(source).rows
    with database.session() as session:
        operator = Operator.with_ring(
            "field-office", ring_in_force(session, load_key_ring(key_file, {}))
        )
        again = import_rows(session, operator, str(source), rows, ColumnMapping.default())
        assert (again.added, again.updated, again.quarantined) == (0, 0, 0)
        ids = sorted(session.execute(select(PersonRow.id)).scalars())
        assert len(ids) == persons
        for person in registry.read_persons(session, operator, ids, purpose="test"):
            found = registry.find_by(session, operator, "source", person.personal.external_id)
            assert found == [person.id]
        sealed = session.execute(select(PersonRow.sealed)).scalars().all()
        assert {Sealer.key_id_of(value) for value in sealed} == {operator.ring.active}
    verified = runner.invoke(
        app, ["audit", "verify", "--db", cli_location(database), "--key-file", str(key_file)]
    )
    assert verified.exit_code == 0, verified.output


@pytest.mark.parametrize("phase", PHASES)
def test_a_rotation_killed_at_any_step_leaves_a_registry_that_works(
    committing_database: Database, tmp_path: Path, phase: str
) -> None:
    key_file = tmp_path / "keyring.json"
    write_key_ring(KeyRing.generate(), key_file)
    source = tmp_path / "registrations.csv"
    write_registry_file(source, 60, seed=11, bad_share=0.05)
    with committing_database.session() as session:
        first = import_rows(
            session,
            Operator.with_ring("field-office", load_key_ring(key_file, {})),
            str(source),
            read_table(source).rows,
            ColumnMapping.default(),
        )
    location = cli_location(committing_database)
    rotate = ["keys", "rotate", "--db", location, "--key-file", str(key_file)]
    child = subprocess.run(
        [sys.executable, "-c", KILLER, phase, str(key_file), *rotate],
        env={**os.environ, "PYTHONPATH": str(SOURCES)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]

    check_everyone_found(committing_database, key_file, source, first.added)

    finished = runner.invoke(app, rotate)
    assert finished.exit_code == 0, finished.output
    ring = load_key_ring(key_file, {})
    assert ring.pending is None and ring.active != "k1"
    with committing_database.session() as session:
        assert ring_in_force(session, ring) == ring
        assert audit.verify(session, ring).intact
    check_everyone_found(committing_database, key_file, source, first.added)
