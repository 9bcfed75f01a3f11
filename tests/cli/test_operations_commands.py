"""The operations commands as a field lead, a coordinator and a border liaison meet them."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from conftest import build, crossing
from safepassage.cli.operations import PASSPHRASE_ENV, commands, export_app
from safepassage.formats.plan_json import write_plan
from safepassage.formats.scenario_folder import write_scenario
from safepassage.model import Household, HouseholdPlan, NodeKind, Plan, Stop
from safepassage.model.registry import Household as RegistryHousehold
from safepassage.model.registry import (
    IdentityDocument,
    PartialDate,
    Person,
    PersonalData,
    Sex,
    Status,
)
from safepassage.protection import KeyRing, write_key_ring
from safepassage.services import registry
from safepassage.services.registry import Operator
from safepassage.store.schema import upgrade
from safepassage.store.sqlite import SQLiteDatabase

app = typer.Typer()
app.add_typer(commands)
app.add_typer(export_app, name="export")
runner = CliRunner()
PASSPHRASE = "a long shared passphrase"


@pytest.fixture
def workplace(tmp_path: Path) -> list[str]:
    """A registry with household H1 (three cleared persons) crossing at x, and the scenario
    and plan that bring it there; returns the registry options every command takes."""
    ring = KeyRing.generate()
    write_key_ring(ring, tmp_path / "keys.json")
    database = SQLiteDatabase(tmp_path / "registry.db")
    upgrade(database)
    operator = Operator.with_ring("setup", ring)
    with database.session() as session:
        registry.save_household(session, operator, RegistryHousehold("H1", "a"))
        for number in range(3):
            person_id = f"P{number}"
            personal = PersonalData(
                name_arabic="شخص تجريبي",
                name_icao=f"TESTPERSON {number}",
                sex=Sex.MALE,
                birth=PartialDate(1990 + number),
                nationality="SYR",
                documents=(IdentityDocument("passport", f"N{number}", "SYR"),),
            )
            registry.add_person(
                session,
                operator,
                Person(person_id, "H1", Status.CLEARED, date(2031, 1, 1), personal),
            )
    database.dispose()
    scenario = build(
        nodes=[("a", NodeKind.TOWN), ("x", NodeKind.CROSSING)],
        roads=[("a", "x", 15, 100)],
        crossings=[crossing("x", (0, 4, 100))],
        households=[Household("H1", 3, "a")],
    )
    write_scenario(scenario, tmp_path / "scenario")
    plan = Plan(
        scenario.name,
        "hand",
        3.0,
        None,
        (HouseholdPlan("H1", "x", (Stop("a", 0, 0), Stop("x", 1, 1))),),
    )
    write_plan(plan, scenario.grid, tmp_path / "plan.json")
    return ["--db", str(tmp_path / "registry.db"), "--key-file", str(tmp_path / "keys.json")]


def test_a_matching_scan_exits_0_and_a_mismatch_exits_1(workplace: list[str]) -> None:
    scan = ["checkpoint", "H1", "--kind", "assembly", "--place", "ap-1", *workplace]
    short = runner.invoke(app, [*scan, "--headcount", "2"])
    assert short.exit_code == 1, short.output
    assert "DISCREPANCY" in short.stdout and "expected 3" in short.stdout
    matched = runner.invoke(app, [*scan, "--headcount", "3"])
    assert matched.exit_code == 0, matched.output
    assert "3 persons now assembled" in matched.stdout
    listed = runner.invoke(app, ["discrepancies", *workplace])
    assert listed.exit_code == 0, listed.output
    assert "H1" in listed.stdout and "counted 2," in listed.stdout and "expected 3" in listed.stdout


def test_an_unknown_household_exits_2(workplace: list[str]) -> None:
    result = runner.invoke(
        app,
        ["checkpoint", "H9", "--kind", "assembly", "--place", "a", "--headcount", "1", *workplace],
    )
    assert result.exit_code == 2 and "no household H9" in result.stderr


def test_a_manifest_prints_csv_and_only_csv(workplace: list[str], tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "manifest",
            "x",
            "--scenario",
            str(tmp_path / "scenario"),
            "--plan",
            str(tmp_path / "plan.json"),
            "--window",
            "1",
            *workplace,
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][2:] == ["name_icao", "date_of_birth", "nationality", "document_number"]
    assert [row[2] for row in rows[1:]] == ["TESTPERSON 0", "TESTPERSON 1", "TESTPERSON 2"]
    assert "1 households, 3 persons" in result.stderr
    assert "TESTPERSON" not in result.stderr


def test_a_sealed_manifest_opens_for_the_recipient_only(
    workplace: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    out = tmp_path / "manifest.sealed"
    made = runner.invoke(
        app,
        [
            "manifest",
            "x",
            "--scenario",
            str(tmp_path / "scenario"),
            "--plan",
            str(tmp_path / "plan.json"),
            "--out",
            str(out),
            *workplace,
        ],
    )
    assert made.exit_code == 0, made.output
    assert made.stdout == "" and b"TESTPERSON" not in out.read_bytes()
    opened = runner.invoke(app, ["export", "open", str(out)])
    assert opened.exit_code == 0, opened.output
    assert "TESTPERSON 2" in opened.stdout
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE + "?")
    refused = runner.invoke(app, ["export", "open", str(out)])
    assert refused.exit_code == 2 and "TESTPERSON" not in refused.output


def test_a_manifest_needs_a_strong_passphrase_and_a_plan_that_verifies(
    workplace: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "short")
    inputs = ["--scenario", str(tmp_path / "scenario"), "--plan", str(tmp_path / "plan.json")]
    out = tmp_path / "m.sealed"
    weak = runner.invoke(app, ["manifest", "x", *inputs, "--out", str(out), *workplace])
    assert weak.exit_code == 2 and "12 characters" in weak.stderr and not out.exists()
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan_file.read_text().replace('"objective": 3.0', '"objective": 9.0'))
    invalid = runner.invoke(app, ["manifest", "x", *inputs, *workplace])
    assert invalid.exit_code == 1 and "objective" in invalid.stderr and invalid.stdout == ""


def test_export_hxl_prints_counts_with_small_ones_suppressed(workplace: list[str]) -> None:
    result = runner.invoke(app, ["export", "hxl", *workplace])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Place,Status,Persons,Suppressed",
        "#loc+code,#status+code,#affected+ind,#meta+suppressed",
        "a,cleared,,<5",
    ]
    shown = runner.invoke(app, ["export", "hxl", "--min-count", "1", *workplace])
    assert shown.stdout.splitlines()[-1] == "a,cleared,3,"
