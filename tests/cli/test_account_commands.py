"""``users`` as an operator runs it: the first administrator, then requests a second person
approves and the holder redeems, on a SQLite registry of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from argon2 import PasswordHasher
from typer.testing import CliRunner

from safepassage.cli import accounts as accounts_cli
from safepassage.protection.keys import KeyRing, write_key_ring
from safepassage.services import accounts
from safepassage.store import open_database
from safepassage.store.schema import upgrade

PASSWORD = "correct horse battery staple"
runner = CliRunner()
CODE = re.compile(r"^  ([A-Z2-7]{4}(?:-[A-Z2-7]{4}){7})$", re.MULTILINE)
REQUEST = re.compile(r"request (q[0-9a-f]{16})")


def _app() -> typer.Typer:
    """The Typer as ``cli/main.py`` mounts it."""
    app = typer.Typer()
    app.add_typer(accounts_cli.users_app, name="users")
    return app


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("SAFEPASSAGE_DB", "SAFEPASSAGE_KEY_FILE", "SAFEPASSAGE_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAFEPASSAGE_HOME", str(tmp_path))
    monkeypatch.setenv(accounts_cli.PASSWORD_ENV, PASSWORD)
    monkeypatch.setattr(
        accounts, "PASSWORD_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    database = open_database(tmp_path / "registry.db")
    upgrade(database)
    database.dispose()
    write_key_ring(KeyRing.generate(), tmp_path / "keyring.json")
    return tmp_path


def _request_id(output: str) -> str:
    found = REQUEST.search(output)
    assert found, output
    return found.group(1)


def _code(output: str) -> str:
    found = CODE.search(output)
    assert found, output
    return found.group(1)


def test_the_first_administrator_is_made_only_on_an_empty_registry(home: Path) -> None:
    made = runner.invoke(_app(), ["users", "create-admin", "root"])
    assert made.exit_code == 0, made.output
    uri = next(line for line in made.output.splitlines() if "otpauth://" in line)
    assert uri.strip().startswith("uri:    otpauth://totp/SafePassage:root?secret=")
    assert uri.rstrip().endswith("issuer=SafePassage")  # one line, however narrow
    assert PASSWORD not in made.output
    again = runner.invoke(_app(), ["users", "create-admin", "second"])
    assert again.exit_code == 2 and "has accounts already" in again.output


def test_create_admin_reads_the_password_from_standard_input(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(accounts_cli.PASSWORD_ENV)
    made = runner.invoke(
        _app(), ["users", "create-admin", "root", "--password-stdin"], input=f"{PASSWORD}\n"
    )
    assert made.exit_code == 0, made.output
    assert "otpauth://totp/SafePassage:root" in made.output


def test_an_account_is_asked_for_approved_by_another_and_enrolled_by_its_holder(
    home: Path,
) -> None:
    runner.invoke(_app(), ["users", "create-admin", "root"])
    unscoped = runner.invoke(_app(), ["users", "add", "lead", "--role", "field_lead"])
    assert unscoped.exit_code == 2 and "households or origin" in unscoped.output
    asked = runner.invoke(
        _app(),
        ["users", "add", "lead", "--role", "field_lead", "--scope", "origin:nawa"],
    )
    assert asked.exit_code == 0, asked.output
    assert "otpauth" not in asked.output and "secret" not in asked.output
    request_id = _request_id(asked.output)
    assert "lead" not in runner.invoke(_app(), ["users", "list"]).output
    assert request_id in runner.invoke(_app(), ["users", "requests"]).output

    own = runner.invoke(_app(), ["users", "approve", request_id])
    assert own.exit_code == 2 and "second person" in own.output
    approved = runner.invoke(_app(), ["users", "approve", request_id, "--actor", "second"])
    assert approved.exit_code == 0, approved.output
    code = _code(approved.output)
    enrolled = runner.invoke(_app(), ["users", "enrol", code])
    assert enrolled.exit_code == 0, enrolled.output
    assert "otpauth://totp/SafePassage:lead" in enrolled.output
    listed = runner.invoke(_app(), ["users", "list"])
    assert "field_lead" in listed.output and "origin:nawa" in listed.output
    reused = runner.invoke(_app(), ["users", "enrol", code])
    assert reused.exit_code == 2 and "unknown, used or expired" in reused.output


def test_reset_and_change_are_requests_and_refuse_closes_one(home: Path) -> None:
    runner.invoke(_app(), ["users", "create-admin", "root"])
    for command in (["reset", "root"], ["change", "root", "--role", "auditor"]):
        asked = runner.invoke(_app(), ["users", *command, "--actor", "other"])
        assert asked.exit_code == 0, asked.output
        assert "otpauth" not in asked.output
        request_id = _request_id(asked.output)
        refused = runner.invoke(_app(), ["users", "refuse", request_id])
        assert refused.exit_code == 0 and "refused" in refused.output
        closed = runner.invoke(_app(), ["users", "approve", request_id])
        assert closed.exit_code == 2 and "refused, not pending" in closed.output
    assert "admin" in runner.invoke(_app(), ["users", "list"]).output
    history = runner.invoke(_app(), ["users", "requests", "--all"]).output
    assert history.count("│ refu") == 2  # the state column, narrowed to the terminal


def test_lock_unlock_and_sign_out(home: Path) -> None:
    runner.invoke(_app(), ["users", "create-admin", "root"])
    for command in ("lock", "unlock", "sign-out"):
        result = runner.invoke(_app(), ["users", command, "root"])
        assert result.exit_code == 0, (command, result.output)
    assert "locked" in runner.invoke(_app(), ["users", "lock", "root"]).output
    assert "locked" in runner.invoke(_app(), ["users", "list"]).output
    unknown = runner.invoke(_app(), ["users", "lock", "nobody"])
    assert unknown.exit_code == 2 and "no account nobody" in unknown.output
