"""``serve`` and ``users`` as an operator runs them, on a SQLite registry of their own."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import pytest
import typer
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from typer.testing import CliRunner

from safepassage.cli import serve
from safepassage.protection.keys import KeyRing, write_key_ring
from safepassage.services import accounts
from safepassage.store import open_database
from safepassage.store.schema import upgrade
from safepassage.store.sqlite import SQLiteDatabase

PASSWORD = "correct horse battery staple"
runner = CliRunner()


def _app() -> typer.Typer:
    """The two Typers as ``cli/main.py`` mounts them."""
    app = typer.Typer()
    app.add_typer(serve.commands)
    app.add_typer(serve.users_app, name="users")
    return app


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("SAFEPASSAGE_DB", "SAFEPASSAGE_KEY_FILE", "SAFEPASSAGE_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAFEPASSAGE_HOME", str(tmp_path))
    monkeypatch.setenv(serve.PASSWORD_ENV, PASSWORD)
    monkeypatch.setattr(
        accounts, "PASSWORD_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    database = open_database(tmp_path / "registry.db")
    upgrade(database)
    database.dispose()
    write_key_ring(KeyRing.generate(), tmp_path / "keyring.json")
    return tmp_path


def test_the_first_administrator_is_made_from_the_command_line(home: Path) -> None:
    made = runner.invoke(_app(), ["users", "create-admin", "root"])
    assert made.exit_code == 0, made.output
    assert "secret:" in made.output and "otpauth://totp/SafePassage:root" in made.output
    assert PASSWORD not in made.output
    again = runner.invoke(_app(), ["users", "create-admin", "root"])
    assert again.exit_code == 2 and "exists already" in again.output


def test_accounts_are_added_with_a_role_and_the_scope_it_needs(home: Path) -> None:
    unscoped = runner.invoke(_app(), ["users", "add", "lead", "--role", "field_lead"])
    assert unscoped.exit_code == 2 and "households or origin" in unscoped.output
    added = runner.invoke(
        _app(), ["users", "add", "lead", "--role", "field_lead", "--scope", "origin:nawa"]
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(_app(), ["users", "list"])
    assert "field_lead" in listed.output and "origin:nawa" in listed.output


def test_lock_unlock_sign_out_and_reset(home: Path) -> None:
    runner.invoke(_app(), ["users", "add", "auditor", "--role", "auditor"])
    for command in ("lock", "unlock", "sign-out", "reset"):
        result = runner.invoke(_app(), ["users", command, "auditor"])
        assert result.exit_code == 0, (command, result.output)
    assert "locked" in runner.invoke(_app(), ["users", "lock", "auditor"]).output
    assert "locked" in runner.invoke(_app(), ["users", "list"]).output
    unknown = runner.invoke(_app(), ["users", "lock", "nobody"])
    assert unknown.exit_code == 2 and "no account nobody" in unknown.output


def test_serve_builds_the_app_on_loopback_by_default(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: dict[str, Any] = {}

    def run(app: FastAPI, **options: Any) -> None:
        started.update(options, app=app)

    monkeypatch.setattr(uvicorn, "run", run)
    result = runner.invoke(_app(), ["serve"])
    assert result.exit_code == 0, result.output
    assert isinstance(started["app"], FastAPI)
    assert (started["host"], started["port"]) == ("127.0.0.1", 8000)
    assert started["app"].state.server.settings.cookie_secure is True
    assert started["access_log"] is False  # request lines carry query strings
    assert (started["loop"], started["http"]) == ("uvloop", "httptools")


def test_serve_refuses_a_registry_behind_its_schema(home: Path, tmp_path: Path) -> None:
    stale = tmp_path / "stale.db"
    result = runner.invoke(_app(), ["serve", "--db", str(stale)])
    assert result.exit_code == 2 and "db upgrade" in result.output


def test_serve_refuses_to_start_without_its_key_ring(home: Path) -> None:
    result = runner.invoke(_app(), ["serve", "--key-file", str(home / "missing.json")])
    assert result.exit_code == 2 and "no key file" in result.output


def test_serve_refuses_several_workers_on_sqlite(home: Path) -> None:
    result = runner.invoke(_app(), ["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "need PostgreSQL" in result.output and "one worker" in result.output


def test_several_workers_get_the_checked_settings_through_the_environment(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers are new processes: what ``serve`` checked reaches them as variables, and
    the factory each worker calls builds the same application from them."""
    monkeypatch.setattr(os, "environ", dict(os.environ))
    started: dict[str, Any] = {}

    def run(app: str, **options: Any) -> None:
        module, name = app.split(":")
        assert options.pop("factory") is True
        started.update(options, app=getattr(importlib.import_module(module), name)())

    monkeypatch.setattr(uvicorn, "run", run)
    # SQLite stands in for PostgreSQL here; tests/api/test_api_workers.py runs the real thing.
    monkeypatch.setattr(SQLiteDatabase, "several_processes", True)
    key_file = home / "keyring.json"
    result = runner.invoke(
        _app(), ["serve", "--workers", "3", "--insecure-cookies", "--key-file", str(key_file)]
    )
    assert result.exit_code == 0, result.output
    assert started["workers"] == 3 and started["access_log"] is False
    settings = started["app"].state.server.settings
    assert (settings.workers, settings.key_file, settings.cookie_secure) == (3, key_file, False)
