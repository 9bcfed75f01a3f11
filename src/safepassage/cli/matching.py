"""The ``match`` command: households to pledged places, with the reasons, from CSV files.

Exit codes as everywhere: 0 an assignment that passes the independent check, 1 one that does
not, 2 input that cannot be used (including pins that break a hard rule and floors no
assignment can meet).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from safepassage.cli import render
from safepassage.formats.matching_csv import read_matching_folder, read_weights, write_results
from safepassage.formats.problems import InputError, Problem
from safepassage.matching import (
    MATCHERS,
    FloorsUnreachable,
    MatchingParams,
    MatchingProblem,
    MatchingResult,
    PinRefused,
    explain,
    solve,
)

commands = typer.Typer()
console = Console()
errors = Console(stderr=True)

BINDING_SHOWN = 10


@commands.command("match")
def match(
    from_csv: Annotated[
        Path,
        typer.Option(
            "--from-csv",
            help="Folder with households.csv, pledges.csv and optionally vetting.csv, "
            "outcomes.csv, overrides.csv, rules.yaml.",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(help="Folder for assignment.csv, pledge_use.csv and explanations.json."),
    ],
    weights: Annotated[
        Path | None,
        typer.Option(help="YAML of weights (placement, relatives, language, preference, ...)."),
    ] = None,
    solver: Annotated[str, typer.Option(help=f"Matcher: {', '.join(MATCHERS)}.")] = "milp",
    time_limit: Annotated[float, typer.Option(min=1.0, help="Seconds for the solver.")] = 60.0,
    gap: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Relative gap at which the MILP may stop.")
    ] = 1e-4,
    seed: Annotated[int, typer.Option(help="Seed of the split into parts (large rounds).")] = 0,
) -> None:
    """Match every household to a pledge, optimally, and write the assignment with reasons."""
    try:
        problem = read_matching_folder(from_csv, weights=read_weights(weights) if weights else None)
    except InputError as error:
        render.problems(errors, error.problems)
        raise typer.Exit(2) from None
    if solver not in MATCHERS:
        render.problems(
            errors, [Problem("--solver", None, None, f"use one of {', '.join(MATCHERS)}")]
        )
        raise typer.Exit(2)
    result = run_match(
        problem, out, solver=solver, params=MatchingParams(time_limit, gap), seed=seed
    )
    if not result.is_feasible():
        raise typer.Exit(1)


def run_match(
    problem: MatchingProblem, out: Path, *, solver: str, params: MatchingParams, seed: int
) -> MatchingResult:
    """Solve, write the three files and print the summary (shared by every source of input)."""
    try:
        with errors.status(f"matching ({solver})"):
            result = solve(problem, solver=solver, params=params, seed=seed)
    except (PinRefused, FloorsUnreachable) as refused:
        errors.print(f"[bold red]nothing was matched:[/] {refused}", highlight=False)
        raise typer.Exit(2) from None
    with errors.status("explaining"):
        written = write_results(result, explain(result), out)
    summary(result)
    for path in written:
        console.print(f"  written: {path}", markup=False, highlight=False)
    return result


def summary(result: MatchingResult) -> None:
    problem = result.problem
    table = Table("", "value", title=f"matching ({result.solver}: {result.method})")
    table.add_row("households placed", f"{result.households_placed} of {len(problem.households)}")
    table.add_row(
        "persons placed",
        f"{result.persons_placed} of {problem.total_persons} "
        f"({sum(p.places_persons for p in problem.pledges)} places pledged)",
    )
    table.add_row("objective", f"{result.objective:,.2f}")
    if result.bound is not None and result.gap is not None:
        table.add_row("bound", f"{result.bound:,.2f}")
        table.add_row("gap", f"{result.gap:.4%}")
    table.add_row("status", result.status)
    table.add_row("seconds", f"{result.runtime:.2f}")
    table.add_row("checked", "yes" if result.is_feasible() else "[bold red]NO[/]")
    console.print(table)
    prices = result.prices
    rows = [
        (float(price), pledge.id, capacity)
        for j, pledge in enumerate(problem.pledges)
        for capacity, price in (
            ("persons", prices.persons[j]),
            ("households", prices.households[j]),
            ("medical", prices.medical[j]),
        )
        if price > 1e-9
    ]
    if rows:
        binding = Table("pledge", "capacity", "price", title="binding capacities (highest prices)")
        for price, pledge_id, capacity in sorted(rows, reverse=True)[:BINDING_SHOWN]:
            binding.add_row(pledge_id, capacity, f"{price:.3f}")
        console.print(binding)
    for violation in result.violations[:BINDING_SHOWN]:
        errors.print(
            f"  {violation.rule}: {violation.subject}: {violation.message}",
            markup=False,
            highlight=False,
        )
