"""Registry commands as a user runs them, on a SQLite registry in a data folder of its own."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import register_people
from safepassage.cli.main import app
from safepassage.protection.keys import load_key_ring
from safepassage.services.demo import bundled_scenario_path
from safepassage.services.registry import Operator
from safepassage.store import open_database

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    for name in ("SAFEPASSAGE_DB", "SAFEPASSAGE_KEY_FILE", "SAFEPASSAGE_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAFEPASSAGE_HOME", str(folder))
    result = runner.invoke(app, ["db", "init"])
    assert result.exit_code == 0, result.output
    database = open_database(folder / "registry.db")
    operator = Operator.with_ring("field-lead", load_key_ring(folder / "keyring.json", {}))
    with database.session() as session:
        register_people(session, operator, size=2)
    database.dispose()
    return folder


def test_db_init_makes_a_registry_and_a_private_key_ring(home: Path) -> None:
    assert (home / "keyring.json").stat().st_mode & 0o777 == 0o600
    again = runner.invoke(app, ["db", "init"])
    assert again.exit_code == 0 and "key ring kept" in again.output


def test_a_refused_status_change_exits_2_and_says_why(home: Path) -> None:
    result = runner.invoke(app, ["status", "set", "P0", "--to", "crossed"])
    assert result.exit_code == 2
    assert "crossed comes after departed" in result.output
    moved = runner.invoke(app, ["status", "set", "P0", "P1", "--to", "verified", "--place", "x"])
    assert moved.exit_code == 0, moved.output
    history = runner.invoke(app, ["status", "history", "P0"])
    assert "verified" in history.output and "registered" in history.output


def test_audit_verify_fails_after_an_edit_of_the_file(home: Path) -> None:
    runner.invoke(app, ["status", "set", "P0", "--to", "verified"])
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0
    with sqlite3.connect(home / "registry.db") as connection:
        connection.execute("UPDATE audit_log SET actor = 'nobody' WHERE seq = 1")
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "entry 1: altered" in result.output


def test_backup_then_restore_into_a_new_registry(home: Path, tmp_path: Path) -> None:
    backup = tmp_path / "registry.backup"
    assert runner.invoke(app, ["backup", str(backup)]).exit_code == 0
    target = str(tmp_path / "restored.db")
    assert runner.invoke(app, ["db", "init", "--db", target]).exit_code == 0
    restored = runner.invoke(app, ["restore", str(backup), "--db", target])
    assert restored.exit_code == 0, restored.output
    assert "restored 2 persons" in restored.output
    again = runner.invoke(app, ["restore", str(backup), "--db", target])
    assert again.exit_code == 2 and "not empty" in again.output
    assert runner.invoke(app, ["audit", "verify", "--db", target]).exit_code == 0


def test_a_registry_behind_the_schema_says_to_upgrade(home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    result = runner.invoke(app, ["audit", "verify", "--db", str(empty)])
    assert result.exit_code == 2
    assert "safepassage db upgrade" in result.output


def test_without_a_key_ring_nothing_opens(home: Path) -> None:
    (home / "keyring.json").unlink()
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 2 and "keys init" in result.output


def test_keys_rotate_rewrites_the_ring_and_everything_still_opens(home: Path) -> None:
    before = load_key_ring(home / "keyring.json", {})
    result = runner.invoke(app, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    after = load_key_ring(home / "keyring.json", {})
    assert after.active != before.active and before.active in after.keys
    assert load_key_ring(home / "keyring.json.previous", {}) == before
    assert "re-sealed 2 persons" in result.output
    history = runner.invoke(app, ["status", "history", "P1"])
    assert history.exit_code == 0 and "registered" in history.output
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


def test_a_kept_demo_registry_plans_verifies_and_gives_a_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEPASSAGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SAFEPASSAGE_EXPORT_PASSPHRASE", "a long enough passphrase")
    for name in ("SAFEPASSAGE_DB", "SAFEPASSAGE_KEY_FILE", "SAFEPASSAGE_KEYS"):
        monkeypatch.delenv(name, raising=False)
    database = str(tmp_path / "home" / "registry.db")
    demo = runner.invoke(app, ["demo", "--db", database])
    assert demo.exit_code == 0, demo.output
    assert "imported into the registry at" in " ".join(demo.output.split())
    scenario = str(bundled_scenario_path())
    plan = str(tmp_path / "p.json")
    planned = runner.invoke(
        app, ["plan", scenario, "--registry", "--from", "2018-07-01T00:00:00+03:00", "--out", plan]
    )
    assert planned.exit_code == 0, planned.output
    assert "710 of 1000" in planned.output
    assert runner.invoke(app, ["verify", scenario, plan]).exit_code == 1
    assert runner.invoke(app, ["verify", scenario, plan, "--registry"]).exit_code == 0
    sealed = tmp_path / "manifest.sealed"
    made = runner.invoke(
        app,
        [
            "manifest",
            "quneitra-crossing",
            "--scenario",
            scenario,
            "--plan",
            plan,
            "--registry",
            "--out",
            str(sealed),
        ],
    )
    assert made.exit_code == 0, made.output
    opened = runner.invoke(app, ["export", "open", str(sealed)])
    assert opened.stdout.startswith("household_id,window,name_icao,date_of_birth")
    assert opened.stdout.count("\n") == 711


def test_dedup_merge_and_undo_from_the_command_line(home: Path) -> None:
    assert runner.invoke(app, ["dedup", "run"]).exit_code == 0
    assert runner.invoke(app, ["dedup", "review"]).exit_code == 0
    merged = runner.invoke(app, ["dedup", "merge", "P0", "P1"])
    assert merged.exit_code == 0 and "merge 1: P1 folded into P0" in merged.output
    again = runner.invoke(app, ["dedup", "merge", "P0", "P1"])
    assert again.exit_code == 2 and "already merged" in again.output
    assert runner.invoke(app, ["dedup", "unmerge", "1"]).exit_code == 0
    undone = runner.invoke(app, ["dedup", "unmerge", "1"])
    assert undone.exit_code == 2 and "already undone" in undone.output
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


def test_a_kept_demo_registry_is_matched_again_with_an_override_on_the_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's round, re-matched from the CLI as its closing lines tell a user to: the
    proposals come back, a ban moves a household, and the results leave only sealed."""
    monkeypatch.setenv("SAFEPASSAGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SAFEPASSAGE_EXPORT_PASSPHRASE", "a long enough passphrase")
    for name in ("SAFEPASSAGE_DB", "SAFEPASSAGE_KEY_FILE", "SAFEPASSAGE_KEYS"):
        monkeypatch.delenv(name, raising=False)
    database = str(tmp_path / "home" / "registry.db")
    demo = runner.invoke(app, ["demo", "--db", database])
    assert demo.exit_code == 0, demo.output
    assert "324 persons placed" in " ".join(demo.output.split())
    scenario = bundled_scenario_path()
    plan = str(tmp_path / "p.json")
    planned = runner.invoke(
        app,
        ["plan", str(scenario), "--registry", "--from", "2018-07-01T00:00:00+03:00", "--out", plan],
    )
    assert planned.exit_code == 0, planned.output
    listed = runner.invoke(app, ["proposals", "list", "--country", "CAN"], env={"COLUMNS": "200"})
    household = re.findall(r"\bh[0-9a-f]{31}\b", listed.output)[0]
    banned = runner.invoke(
        app,
        ["override", "forbid", household, "canada-2018", "--reason", "cousins in Hamburg"],
    )
    assert banned.exit_code == 0, banned.output
    sealed = tmp_path / "results.sealed"
    matched = runner.invoke(
        app,
        [
            "match",
            "--registry",
            "--plan",
            plan,
            "--from-csv",
            str(scenario / "resettlement"),
            "--out",
            str(sealed),
        ],
    )
    assert matched.exit_code == 0, matched.output
    assert "324 of 710" in matched.output
    moved = runner.invoke(app, ["proposals", "list"], env={"COLUMNS": "200"})
    row = next(line for line in moved.output.splitlines() if household in line)
    assert "canada-2018" not in row.split("│")[3]
    decisions = runner.invoke(app, ["override", "list"], env={"COLUMNS": "200"})
    assert household in decisions.output and "cousins in Hamburg" in decisions.output
    assert b"Hamburg" not in sealed.read_bytes() and b"household" not in sealed.read_bytes()
    opened = runner.invoke(app, ["export", "open", str(sealed)])
    assert opened.stdout_bytes.startswith(b"PK")  # the ZIP of the three files
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


def _copy_registry(source: Path, target: Path) -> None:
    """A whole copy of a SQLite registry, as a backup of the file would be."""
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


def test_audit_verify_with_anchors_catches_a_registry_rolled_back_to_an_older_copy(
    home: Path, tmp_path: Path
) -> None:
    older = tmp_path / "older.db"
    assert runner.invoke(app, ["status", "set", "P0", "--to", "verified"]).exit_code == 0
    _copy_registry(home / "registry.db", older)
    assert runner.invoke(app, ["status", "set", "P1", "--to", "verified"]).exit_code == 0
    anchors = tmp_path / "anchors"
    anchored = runner.invoke(app, ["audit", "anchor", str(anchors)])
    assert anchored.exit_code == 0, anchored.output
    assert runner.invoke(app, ["audit", "verify", "--anchor", str(anchors)]).exit_code == 0
    _copy_registry(older, home / "registry.db")
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0  # the chain alone cannot tell
    result = runner.invoke(app, ["audit", "verify", "--anchor", str(anchors)])
    assert result.exit_code == 1
    assert "the database was rolled back" in " ".join(result.output.split())


def test_a_key_file_or_a_registry_older_than_the_other_is_refused_until_rotated(
    home: Path, tmp_path: Path
) -> None:
    older_ring = tmp_path / "keyring-before.json"
    older_ring.write_bytes((home / "keyring.json").read_bytes())
    older_registry = tmp_path / "registry-before.db"
    _copy_registry(home / "registry.db", older_registry)
    assert runner.invoke(app, ["status", "set", "P0", "--to", "verified"]).exit_code == 0
    assert runner.invoke(app, ["keys", "rotate"]).exit_code == 0

    stale = runner.invoke(
        app, ["status", "set", "P1", "--to", "verified", "--key-file", str(older_ring)]
    )
    assert stale.exit_code == 2
    assert "key file is older than the database" in " ".join(stale.output.split())

    _copy_registry(older_registry, home / "registry.db")
    restored = runner.invoke(app, ["status", "set", "P1", "--to", "verified"])
    assert restored.exit_code == 2
    assert "safepassage keys rotate" in " ".join(restored.output.split())
    rotated = runner.invoke(app, ["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    assert runner.invoke(app, ["status", "set", "P1", "--to", "verified"]).exit_code == 0
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


def test_a_backup_from_before_a_rotation_restores_and_is_rotated_before_use(
    home: Path, tmp_path: Path
) -> None:
    """Its records are sealed with a key retired since: restored as they were, then refused
    for sealing until `keys rotate` re-seals them with a new key."""
    assert runner.invoke(app, ["status", "set", "P0", "--to", "verified"]).exit_code == 0
    backup = tmp_path / "registry.backup"
    assert runner.invoke(app, ["backup", str(backup)]).exit_code == 0
    assert runner.invoke(app, ["keys", "rotate"]).exit_code == 0
    target = str(tmp_path / "restored.db")
    assert runner.invoke(app, ["db", "init", "--db", target]).exit_code == 0
    restored = runner.invoke(app, ["restore", str(backup), "--db", target])
    assert restored.exit_code == 0, restored.output
    refused = runner.invoke(app, ["status", "set", "P1", "--to", "verified", "--db", target])
    assert refused.exit_code == 2 and "keys rotate" in " ".join(refused.output.split())
    assert runner.invoke(app, ["keys", "rotate", "--db", target]).exit_code == 0
    moved = runner.invoke(app, ["status", "set", "P1", "--to", "verified", "--db", target])
    assert moved.exit_code == 0, moved.output
    assert runner.invoke(app, ["audit", "verify", "--db", target]).exit_code == 0


def test_keys_rotate_rotates_the_key_file_the_other_commands_read(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    (home / "keyring.json").rename(elsewhere)
    monkeypatch.setenv("SAFEPASSAGE_KEY_FILE", str(elsewhere))
    rotated = runner.invoke(app, ["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    assert load_key_ring(elsewhere, {}).active == "k2"
    assert runner.invoke(app, ["status", "set", "P0", "--to", "verified"]).exit_code == 0
    monkeypatch.delenv("SAFEPASSAGE_KEY_FILE")
    monkeypatch.setenv("SAFEPASSAGE_KEYS", elsewhere.read_text())
    refused = runner.invoke(app, ["keys", "rotate"])
    assert refused.exit_code == 2 and "SAFEPASSAGE_KEYS" in refused.output
