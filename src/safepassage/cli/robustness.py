"""``safepassage robustness``: how a plan fares in the futures the scenario thinks possible."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from safepassage.cli import render
from safepassage.formats.plan_json import read_plan, write_plan
from safepassage.formats.problems import InputError, Problem
from safepassage.formats.scenario_folder import read_scenario
from safepassage.formats.uncertainty_law import Uncertainty, read_uncertainty
from safepassage.model import Plan, Scenario
from safepassage.robustness.choice import Risk, RobustChoice, choose_robust_plan
from safepassage.robustness.evaluation import Evaluation, evaluate
from safepassage.robustness.plots import draw_distribution
from safepassage.robustness.runners import SampleTask, runner_named
from safepassage.verifier import verify

commands = typer.Typer()
console = Console()
errors = Console(stderr=True)

MOST_AT_RISK = 10
"""Households listed as most at risk: those with the lowest chance of getting out."""

MOST_FUTURES = 20
"""Futures listed one by one; drawn futures are many, and the plot shows them all."""


DEFAULT_SAMPLES = 1000

NO_FUTURES = (
    "no futures: list the futures the operation may meet with their probabilities, or an "
    "uncertainty law to draw them from (see docs/planning-model.md, 'Uncertain futures')"
)


@commands.command()
def robustness(
    scenario_folder: Annotated[
        Path,
        typer.Argument(
            help="Scenario folder whose scenario.yaml gives `futures` or `uncertainty`."
        ),
    ],
    plan_file: Annotated[Path, typer.Argument(help="Plan JSON, valid on the nominal files.")],
    samples: Annotated[
        int | None,
        typer.Option(
            min=1, help=f"Futures to draw from `uncertainty` (default {DEFAULT_SAMPLES})."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the drawn futures.")] = 0,
    replan: Annotated[
        bool,
        typer.Option(
            "--replan",
            help="Re-plan the households not yet across as news comes, keeping what is in "
            "motion, as a crisis cell would (default: the plan run as written).",
        ),
    ] = False,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Local processes (default: one per core).")
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(envvar="SAFEPASSAGE_DASK", help="Run on this Dask cluster (tcp://host:port)."),
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Draw the distribution of persons out here (PNG or SVG).")
    ] = None,
) -> None:
    """Value a plan in every future of the scenario, or in drawn ones (exit 1: plan not valid)."""
    scenario, uncertainty, plan = _read(scenario_folder, plan_file, samples)
    report = verify(scenario, plan)
    if not report.is_valid():
        errors.print(
            f"[bold red]The plan is not valid on the nominal scenario[/] "
            f"({len(report.violations)} violation(s)): run `safepassage verify` to see them; "
            "nothing was evaluated."
        )
        raise typer.Exit(1)
    task = SampleTask(
        scenario, plan, futures=uncertainty.futures, law=uncertainty.law, seed=seed, replan=replan
    )
    count = len(uncertainty.futures) or samples or DEFAULT_SAMPLES
    runner = runner_named(dask, workers)
    with render.progress_bar(errors, count, "valuing the plan in each future") as advance:
        evaluation = evaluate(
            task, None if uncertainty.futures else count, runner=runner, progress=advance
        )
    _show(scenario, plan, evaluation)
    if plot is not None:
        draw_distribution(evaluation, plot)
        console.print(f"  distribution drawn in {plot}", markup=False, highlight=False)


def _read(
    scenario_folder: Path, plan_file: Path, samples: int | None
) -> tuple[Scenario, Uncertainty, Plan]:
    problems: list[Problem] = []
    scenario = plan = None
    uncertainty = Uncertainty()
    try:
        scenario = read_scenario(scenario_folder)
        uncertainty = read_uncertainty(scenario_folder, scenario)
        if uncertainty.empty:
            problems.append(
                Problem(
                    "scenario.yaml",
                    None,
                    "futures",
                    NO_FUTURES,
                )
            )
        elif uncertainty.futures and samples is not None:
            problems.append(
                Problem(
                    "--samples",
                    None,
                    None,
                    "the scenario lists its futures, and each is valued exactly: leave out "
                    "--samples, or give an uncertainty law instead of the list",
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
    return scenario, uncertainty, plan


def _show(scenario: Scenario, plan: Plan, evaluation: Evaluation) -> None:
    total = scenario.total_value
    console.print(
        f"Expected value {evaluation.expected_value:,.1f} of {total:,.1f} (priority-weighted); "
        f"expected persons out {evaluation.expected_persons:,.1f} of {scenario.total_persons:,}"
        + (
            ""
            if evaluation.exact
            else f" (standard error {evaluation.standard_error:,.2f}, "
            f"{len(evaluation.outcomes):,} futures drawn)"
        )
        + "."
    )
    console.print(
        f"5th percentile {evaluation.low_quantile:,.1f}; worst {evaluation.worst:,.1f}; "
        f"CVaR 10% (mean of the worst tenth) {evaluation.cvar:,.1f}."
    )
    futures = Table("future", "probability", "value", "persons out", title="By future")
    for outcome in evaluation.outcomes[:MOST_FUTURES]:
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
    planned = {entry.household for entry in plan.households if entry.evacuated}
    ranked = sorted(
        (
            (household, chance)
            for household, chance in zip(
                evaluation.household_ids, evaluation.household_chance.tolist(), strict=True
            )
            if household in planned
        ),
        key=lambda pair: pair[1],
    )
    risk = Table("household", "chance of getting out", title="Planned households most at risk")
    for household, chance in ranked[:MOST_AT_RISK]:
        risk.add_row(escape(household), f"{chance:.0%}")
    console.print(risk)


def plan_robust(
    scenario_folder: Path,
    scenario: Scenario,
    *,
    risk: Risk,
    samples: int | None,
    seed: int,
    workers: int | None,
    dask: str | None,
    out: Path | None,
) -> None:
    """``plan --robust``: the candidate that holds up best, with the wait-and-see bound."""
    try:
        uncertainty = read_uncertainty(scenario_folder, scenario)
    except InputError as error:
        render.problems(errors, error.problems)
        raise typer.Exit(2) from None
    if uncertainty.empty:
        render.problems(
            errors,
            (Problem("scenario.yaml", None, "futures", NO_FUTURES),),
        )
        raise typer.Exit(2)
    with errors.status("choosing a robust plan") as status:
        choice = choose_robust_plan(
            scenario,
            uncertainty,
            risk=risk,
            samples=samples or DEFAULT_SAMPLES,
            seed=seed,
            runner=runner_named(dask, workers),
            report=lambda step: status.update(step),
        )
    _show_choice(scenario, choice)
    if out is not None:
        write_plan(choice.chosen.plan, scenario.grid, out)
        console.print(f"  plan written to {out}", markup=False, highlight=False)


def _show_choice(scenario: Scenario, choice: RobustChoice) -> None:
    table = Table(
        "candidate",
        "expected value (95% interval)",
        "expected persons",
        "5th percentile",
        "CVaR 10%",
        title=f"Candidates, valued on {len(choice.nominal.evaluation.outcomes):,} futures",
    )
    for candidate in choice.candidates:
        e = candidate.evaluation
        low, high = e.interval
        mark = " (chosen)" if candidate is choice.chosen else ""
        table.add_row(
            escape(candidate.label + mark),
            f"{e.expected_value:,.1f}" + ("" if e.exact else f" ({low:,.1f} - {high:,.1f})"),
            f"{e.expected_persons:,.1f}",
            f"{e.low_quantile:,.1f}",
            f"{e.cvar:,.1f}",
        )
    console.print(table)
    if choice.dropped:
        console.print(
            f"{len(choice.dropped)} candidate(s) dropped: not valid on the nominal files.",
            markup=False,
        )
    chosen = choice.chosen.evaluation
    console.print(
        f"Chosen by {choice.risk.value}: {choice.chosen.label}; expected value "
        f"{chosen.expected_value:,.1f}, {choice.gain:+,.1f} against the nominal plan.",
        markup=False,
        highlight=False,
    )
    bound = choice.bound
    if bound is not None:
        low, high = bound.interval
        console.print(
            f"Wait-and-see bound (no plan, even re-planned with hindsight, can expect more): "
            f"{bound.value:,.1f}"
            + ("" if low == high else f" (95% interval {low:,.1f} - {high:,.1f})")
            + f" over {bound.futures:,} futures, where the chosen plan expects "
            f"{bound.candidate_means[choice.chosen.label]:,.1f}.",
            markup=False,
            highlight=False,
        )
    verified = verify(scenario, choice.chosen.plan).is_valid()
    console.print(f"  verified on the nominal files: {'yes' if verified else 'NO'}")
