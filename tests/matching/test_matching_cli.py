"""``safepassage match`` on a CSV folder: files written, exit codes 0 / 1 / 2."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from safepassage.cli.matching import commands
from safepassage.formats.matching_writing import write_matching_folder
from safepassage.matching import Override, OverrideKind
from safepassage.synthetic.matching_instance import matching_instance

app = typer.Typer()
app.add_typer(commands)
runner = CliRunner()


def test_match_writes_the_assignment_and_the_explanations(tmp_path: Path) -> None:
    write_matching_folder(matching_instance(80, 6, seed=9), tmp_path / "round")
    (tmp_path / "weights.yaml").write_text("language: 3\n")
    result = runner.invoke(
        app,
        [
            "match",
            "--from-csv",
            str(tmp_path / "round"),
            "--out",
            str(tmp_path / "out"),
            "--weights",
            str(tmp_path / "weights.yaml"),
            "--time-limit",
            "20",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "households placed" in result.output
    document = json.loads((tmp_path / "out" / "explanations.json").read_text(encoding="utf-8"))
    assert document["weights"]["language"] == 3.0
    assert document["feasible"] is True
    with (tmp_path / "out" / "assignment.csv").open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 80
    assert (tmp_path / "out" / "pledge_use.csv").exists()


def test_the_greedy_baseline_runs_too(tmp_path: Path) -> None:
    write_matching_folder(matching_instance(30, 4, seed=1), tmp_path / "round")
    folder, out = str(tmp_path / "round"), str(tmp_path / "out")
    result = runner.invoke(app, ["match", "--from-csv", folder, "--out", out, "--solver", "greedy"])
    assert result.exit_code == 0, result.output


def test_unusable_input_exits_2_with_the_problems(tmp_path: Path) -> None:
    (tmp_path / "round").mkdir()
    (tmp_path / "round" / "households.csv").write_text("id,size\nh1,many\n", encoding="utf-8")
    result = runner.invoke(
        app, ["match", "--from-csv", str(tmp_path / "round"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "households.csv, row 2, field 'size'" in result.output
    assert "pledges.csv: file is missing" in result.output
    assert not (tmp_path / "out").exists()


def test_a_pin_against_a_hard_rule_exits_2(tmp_path: Path) -> None:
    problem = matching_instance(20, 4, seed=2)
    big = next(h for h in problem.households if h.size >= 2)
    small = dataclasses.replace(problem.pledges[0], max_household_size=1)
    problem = dataclasses.replace(
        problem,
        pledges=(small, *problem.pledges[1:]),
        overrides=(Override(big.id, small.id, OverrideKind.PIN, "asked"),),
    )
    write_matching_folder(problem, tmp_path / "round")
    result = runner.invoke(
        app, ["match", "--from-csv", str(tmp_path / "round"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "nothing was matched" in result.output
