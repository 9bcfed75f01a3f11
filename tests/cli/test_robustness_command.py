"""``safepassage robustness`` as a coordinator runs it on a scenario folder with futures."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from safepassage.cli.main import app
from safepassage.formats.scenario_folder import write_scenario
from safepassage.synthetic.random_scenario import random_scenario

FUTURES = """\
futures:
  - {name: as planned, probability: 0.75}
  - name: border shut
    probability: 0.25
    crossings: [CROSSINGS]
"""


def test_robustness_reports_the_expected_value_of_a_planned_scenario(tmp_path: Path) -> None:
    scenario = random_scenario(5, households=60)
    folder = tmp_path / "scenario"
    write_scenario(scenario, folder)
    shut = ", ".join(f"{{node: {c.node}, windows: []}}" for c in scenario.crossings)
    with (folder / "scenario.yaml").open("a", encoding="utf-8") as stream:
        stream.write(FUTURES.replace("CROSSINGS", shut))
    runner = CliRunner()
    planned = runner.invoke(
        app, ["plan", str(folder), "--no-bound", "--out", str(tmp_path / "p.json")]
    )
    assert planned.exit_code == 0, planned.output
    result = runner.invoke(
        app, ["robustness", str(folder), str(tmp_path / "p.json")], terminal_width=120
    )
    assert result.exit_code == 0, result.output
    assert "border shut" in result.output
    assert "worst 0.0" in result.output


def test_robustness_without_futures_says_what_to_add(tmp_path: Path) -> None:
    folder = tmp_path / "scenario"
    write_scenario(random_scenario(5, households=10), folder)
    runner = CliRunner()
    runner.invoke(app, ["plan", str(folder), "--no-bound", "--out", str(tmp_path / "p.json")])
    result = runner.invoke(app, ["robustness", str(folder), str(tmp_path / "p.json")])
    assert result.exit_code == 2
    assert "no futures: list the futures" in result.output
    assert "nothing was evaluated" in result.output
