"""The command line as a user meets it: exit codes, messages, files written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safepassage.cli.main import app
from safepassage.services.demo import bundled_scenario_path

runner = CliRunner()


@pytest.fixture
def random_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "random"
    result = runner.invoke(
        app, ["generate", "random", str(folder), "--seed", "1", "--households", "25"]
    )
    assert result.exit_code == 0, result.output
    return folder


def test_plan_then_verify_a_random_scenario(random_folder: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "p.json"
    planned = runner.invoke(app, ["plan", str(random_folder), "--out", str(plan_file)])
    assert planned.exit_code == 0, planned.output
    assert "verified: yes" in planned.output
    checked = runner.invoke(app, ["verify", str(random_folder), str(plan_file)])
    assert checked.exit_code == 0, checked.output
    assert "valid" in checked.output


def test_plan_then_verify_the_bundled_scenario(tmp_path: Path) -> None:
    plan_file = tmp_path / "p.json"
    folder = str(bundled_scenario_path())
    assert runner.invoke(app, ["plan", folder, "--out", str(plan_file)]).exit_code == 0
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    assert data["scenario"] == "southwest-syria-2018"
    assert data["objective"] > 0
    assert runner.invoke(app, ["verify", folder, str(plan_file)]).exit_code == 0


def test_a_plan_from_a_later_instant_moves_nobody_before_it(
    random_folder: Path, tmp_path: Path
) -> None:
    plan_file = tmp_path / "p.json"
    result = runner.invoke(
        app,
        [
            "plan",
            str(random_folder),
            "--from",
            "2018-07-21T06:00:00+03:00",
            "--out",
            str(plan_file),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    for household in data["households"]:
        if household["crossing"] is not None:
            assert household["itinerary"][0]["depart_step"] >= 24


def test_verify_lists_violations_and_exits_1(random_folder: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "p.json"
    runner.invoke(app, ["plan", str(random_folder), "--out", str(plan_file)])
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    moved = next(h for h in data["households"] if h["crossing"] is not None)
    moved["itinerary"][-1]["depart_step"] = 10_000  # beyond the horizon
    plan_file.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(app, ["verify", str(random_folder), str(plan_file)])
    assert result.exit_code == 1
    assert "violation" in result.output
    assert moved["id"] in result.output


def test_verify_exits_2_on_an_unreadable_plan(random_folder: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "broken.json"
    plan_file.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["verify", str(random_folder), str(plan_file)])
    assert result.exit_code == 2
    assert "broken.json" in result.output


def test_bad_scenario_lists_every_problem_and_exits_2(random_folder: Path) -> None:
    edges = random_folder / "edges.csv"
    edges.write_text(
        edges.read_text(encoding="utf-8") + "n0,nowhere,5,100,true,\n", encoding="utf-8"
    )
    (random_folder / "households.csv").write_bytes(
        b"id,size,origin,ready_from,priority\nh1,x,n0,,1\n"
    )
    result = runner.invoke(app, ["plan", str(random_folder)])
    assert result.exit_code == 2
    assert "edges.csv" in result.output and "nowhere" in result.output
    assert "households.csv, row 2, field 'size'" in result.output
    assert "Traceback" not in result.output


def test_a_bad_from_instant_exits_2(random_folder: Path) -> None:
    result = runner.invoke(app, ["plan", str(random_folder), "--from", "yesterday"])
    assert result.exit_code == 2
    assert "ISO 8601" in result.output


def test_an_unknown_solver_exits_2(random_folder: Path) -> None:
    result = runner.invoke(app, ["plan", str(random_folder), "--solver", "magic"])
    assert result.exit_code == 2
    assert "unknown solver" in result.output


def test_demo_tells_who_got_out_who_did_not_and_what_earlier_planning_changes() -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    for expected in (
        "Brought out",
        "Cut off",
        "First departures",
        "Planning from 1 July",
        "SYNTHETIC",
        "1000 registrations imported into a throw-away sealed registry",
        "1000 added, 0 quarantined; 198 households planned from the store",
        "146 households (710 persons) brought out by planning from 1 July, 324 places pledged",
        "324 persons placed; independent check: passed",
        "Pledges used",
        "safepassage serve",
    ):
        assert expected in " ".join(result.output.split())
    assert result.output.count("Verified by the independent verifier: yes") == 2
    assert "town fell" in result.output


@pytest.mark.parametrize("command", [[], ["plan"], ["verify"], ["demo"], ["generate", "random"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_replanning_keeps_the_moves_made_and_verifies(random_folder: Path, tmp_path: Path) -> None:
    first, again = tmp_path / "first.json", tmp_path / "again.json"
    assert runner.invoke(app, ["plan", str(random_folder), "--out", str(first)]).exit_code == 0
    result = runner.invoke(
        app,
        [
            "plan",
            str(random_folder),
            "--fixed",
            str(first),
            "--from",
            "2018-07-21T05:00:00+03:00",
            "--out",
            str(again),
        ],
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["verify", str(random_folder), str(again)]).exit_code == 0
    before = {h["id"]: h for h in json.loads(first.read_text(encoding="utf-8"))["households"]}
    after = {h["id"]: h for h in json.loads(again.read_text(encoding="utf-8"))["households"]}
    for household_id, old in before.items():
        stops = old["itinerary"]
        if old["crossing"] and stops[-1]["depart_step"] < 20:
            assert after[household_id] == old  # crossed before re-planning: kept whole


def test_replanning_needs_from(random_folder: Path, tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    runner.invoke(app, ["plan", str(random_folder), "--out", str(first)])
    result = runner.invoke(app, ["plan", str(random_folder), "--fixed", str(first)])
    assert result.exit_code == 2
    assert "--from" in result.output


@pytest.mark.parametrize("solver", ["ccrp", "exact", "bound"])
def test_every_solver_plans_verifies_and_shows_its_bound(
    random_folder: Path, tmp_path: Path, solver: str
) -> None:
    plan_file = tmp_path / f"{solver}.json"
    result = runner.invoke(
        app, ["plan", str(random_folder), "--solver", solver, "--out", str(plan_file)]
    )
    assert result.exit_code == 0, result.output
    assert "objective / bound" in result.output
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    assert data["solver"] == solver
    assert data["bound"] >= data["objective"]
    assert runner.invoke(app, ["verify", str(random_folder), str(plan_file)]).exit_code == 0


def test_match_runs_from_the_main_command(tmp_path: Path) -> None:
    from safepassage.formats.matching_writing import write_matching_folder
    from safepassage.synthetic.matching_instance import matching_instance

    write_matching_folder(matching_instance(households=60, hosts=6, seed=2), tmp_path / "round")
    result = runner.invoke(
        app, ["match", "--from-csv", str(tmp_path / "round"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "assignment.csv").read_text().count("\n") == 61
