"""``safepassage robustness``: how a plan fares in the futures the scenario thinks possible."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from safepassage.cli import render
from safepassage.formats.futures import read_futures
from safepassage.formats.plan_json import read_plan
from safepassage.formats.problems import InputError, Problem
from safepassage.formats.scenario_folder import read_scenario
from safepassage.model import Plan, Scenario
from safepassage.model.futures import Future
from safepassage.robustness.evaluation import Evaluation, evaluate_fixed
from safepassage.verifier import verify

commands = typer.Typer()
console = Console()
errors = Console(stderr=True)

MOST_AT_RISK = 10
"""Households listed as most at risk: those with the lowest chance of getting out."""


@commands.command()
def robustness(
    scenario_folder: Annotated[
        Path, typer.Argument(help="Scenario folder whose scenario.yaml lists `futures`.")
    ],
    plan_file: Annotated[Path, typer.Argument(help="Plan JSON, valid on the nominal files.")],
) -> None:
    """Value a plan run as written in every future of the scenario (exit 1: plan not valid)."""
    scenario, futures, plan = _read(scenario_folder, plan_file)
    report = verify(scenario, plan)
    if not report.is_valid():
        errors.print(
            f"[bold red]The plan is not valid on the nominal scenario[/] "
            f"({len(report.violations)} violation(s)): run `safepassage verify` to see them; "
            "nothing was evaluated."
        )
        raise typer.Exit(1)
    _show(scenario, evaluate_fixed(scenario, plan, futures))


def _read(scenario_folder: Path, plan_file: Path) -> tuple[Scenario, tuple[Future, ...], Plan]:
    problems: list[Problem] = []
    scenario = plan = None
    futures: tuple[Future, ...] = ()
    try:
        scenario = read_scenario(scenario_folder)
        futures = read_futures(scenario_folder, scenario)
        if not futures:
            problems.append(
                Problem(
                    "scenario.yaml",
                    None,
                    "futures",
                    "no futures: list the futures the operation may meet, each with its "
                    "probability (see docs/planning-model.md, 'Uncertain futures')",
                )
            )
    except InputError as error:
        problems.extend(error.problems)
    try:
        plan = read_plan(plan_file)
    except InputError as error:
        problems.extend(error.problems)
    if problems or scenario is None or plan is None:
        render.problems(errors, problems, outcome="nothing was evaluated")
        raise typer.Exit(2)
    return scenario, futures, plan


def _show(scenario: Scenario, evaluation: Evaluation) -> None:
    total = scenario.total_value
    console.print(
        f"Expected value {evaluation.expected_value:,.1f} of {total:,.1f} (priority-weighted); "
        f"expected persons out {evaluation.expected_persons:,.1f} of {scenario.total_persons:,}"
        + ("" if evaluation.exact else f" (standard error {evaluation.standard_error:,.2f})")
        + "."
    )
    console.print(
        f"5th percentile {evaluation.low_quantile:,.1f}; worst {evaluation.worst:,.1f}; "
        f"CVaR 10% (mean of the worst tenth) {evaluation.cvar:,.1f}."
    )
    futures = Table("future", "probability", "value", "persons out", title="By future")
    for outcome in evaluation.outcomes:
        futures.add_row(
            escape(outcome.name),
            f"{outcome.weight:.4g}",
            f"{outcome.value:,.1f}",
            f"{outcome.persons:,}",
        )
    console.print(futures)
    crossings = Table("crossing", "expected persons", title="Expected use of each crossing")
    for node, persons in evaluation.crossing_use.items():
        crossings.add_row(escape(node), f"{persons:,.1f}")
    console.print(crossings)
    ranked = sorted(
        zip(evaluation.household_ids, evaluation.household_chance.tolist(), strict=True),
        key=lambda pair: pair[1],
    )
    risk = Table("household", "chance of getting out", title="Planned households most at risk")
    for household, chance in ranked[:MOST_AT_RISK]:
        risk.add_row(escape(household), f"{chance:.0%}")
    console.print(risk)
