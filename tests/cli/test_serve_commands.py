"""``serve`` as an operator runs it, on a SQLite registry of its own."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import pytest
import typer
import uvicorn
from fastapi import FastAPI
from typer.testing import CliRunner

from safepassage.cli import serve
from safepassage.protection.keys import KeyRing, write_key_ring
from safepassage.store import open_database
from safepassage.store.schema import upgrade
from safepassage.store.sqlite import SQLiteDatabase

runner = CliRunner()


def _app() -> typer.Typer:
    """The Typer as ``cli/main.py`` mounts it."""
    app = typer.Typer()
    app.add_typer(serve.commands)
    return app


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("SAFEPASSAGE_DB", "SAFEPASSAGE_KEY_FILE", "SAFEPASSAGE_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAFEPASSAGE_HOME", str(tmp_path))
    database = open_database(tmp_path / "registry.db")
    upgrade(database)
    database.dispose()
    write_key_ring(KeyRing.generate(), tmp_path / "keyring.json")
    return tmp_path


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
