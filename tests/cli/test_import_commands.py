"""``import`` and ``quarantine`` as a user meets them, on a command line built as main's will be."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from conftest import GOOD_ROWS, HEAD, SECRET, TAIL, workbook
from safepassage.cli.importing import commands, quarantine_app
from safepassage.protection import KeyRing, write_key_ring
from safepassage.store.schema import upgrade
from safepassage.store.sqlite import SQLiteDatabase
from safepassage.synthetic.registry_file import write_registry_file

app = typer.Typer()
app.add_typer(commands)
app.add_typer(quarantine_app, name="quarantine")
runner = CliRunner(env={"COLUMNS": "240"})


@pytest.fixture
def registry_args(tmp_path: Path) -> list[str]:
    database = SQLiteDatabase(tmp_path / "registry.db")
    upgrade(database)
    database.dispose()
    write_key_ring(KeyRing.generate(), tmp_path / "keys.json")
    return ["--db", str(tmp_path / "registry.db"), "--key-file", str(tmp_path / "keys.json")]


def test_import_reports_added_and_quarantined_rows(
    registry_args: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    planted = write_registry_file(path, 50, seed=1, bad_share=0.1)
    result = runner.invoke(app, ["import", str(path), *registry_args, "--actor", "tester"])
    assert result.exit_code == 0, result.output
    assert re.search(rf"quarantined now\s+│\s+{len(planted)} │", result.output)
    assert f"row {planted[0].row}, field '{planted[0].column}'" in result.output

    listed = runner.invoke(app, ["quarantine", "list", "--db", registry_args[1]])
    assert listed.exit_code == 0, listed.output
    assert [int(n) for n in re.findall(r"^│ \d+\s+│ (\d+)", listed.output, re.M)] == [
        p.row for p in planted
    ]

    again = runner.invoke(app, ["import", str(path), *registry_args])
    assert re.search(r"added\s+│\s+0 │", again.output)
    assert re.search(r"already in quarantine\s+│\s+5 │", again.output)


def test_a_file_no_row_could_be_read_from_is_refused(
    registry_args: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_text("_uuid,name_en\nu1,ALI\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(path), *registry_args])
    assert result.exit_code == 2
    assert "nothing was imported" in result.output
    assert "field 'household_id': is required" in result.output


def test_retry_after_a_mapping_fix(registry_args: list[str], tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "_uuid,hh_id,origin,name_en,gender,sex_code,consent\nu1,H,nawa,ALI,ذكر,M,yes\n",
        encoding="utf-8",
    )
    imported = runner.invoke(app, ["import", str(path), *registry_args])
    assert imported.exit_code == 0, imported.output
    assert re.search(r"quarantined now\s+│\s+1 │", imported.output)
    assert "row 2, field 'gender': must be M, F or X" in imported.output
    assert "ذكر" not in imported.output

    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("extends: default\nfields:\n  sex: [sex_code]\n")
    retried = runner.invoke(app, ["quarantine", "retry", "--mapping", str(mapping), *registry_args])
    assert retried.exit_code == 0, retried.output
    assert re.search(r"added\s+│\s+1 │", retried.output)
    assert re.search(r"quarantine entries settled\s+│\s+1 │", retried.output)
    listed = runner.invoke(app, ["quarantine", "list", "--db", registry_args[1]])
    assert "No row is waiting in quarantine." in listed.output


def test_a_malformed_workbook_exits_with_2_and_names_no_value(
    registry_args: list[str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = HEAD + GOOD_ROWS + f'<row r="3"><c r="A3" t="n"><v>{SECRET}</v></c></row>' + TAIL
    path = workbook(tmp_path / "export.xlsx", broken)
    with caplog.at_level("DEBUG"):
        result = runner.invoke(app, ["import", str(path), *registry_args])
    assert result.exit_code == 2, result.output
    assert "row 3: sheet 1 cannot be read from this row on" in " ".join(result.output.split())
    assert SECRET not in result.output and SECRET not in caplog.text
