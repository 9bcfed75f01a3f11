"""The ``match`` command: households to pledged places, with the reasons, from CSV files or
from the registry; ``override`` records a coordinator's pins and bans, ``proposals`` shows and
accepts the registry's latest round.

Exit codes as everywhere: 0 an assignment that passes the independent check, 1 one that does
not, 2 input that cannot be used (including pins that break a hard rule and floors no
assignment can meet).

From the registry the three result files are as sensitive as the registry itself, so they are
written only sealed with a passphrase, in one ZIP that ``safepassage export open`` opens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from safepassage.cli import render
from safepassage.cli.registry_options import (
    PASSPHRASE_ENV,
    ActorOption,
    DbOption,
    KeyFileOption,
    export_passphrase,
    fail,
    registry_session,
    write_file,
)
from safepassage.formats.matching_csv import RecordedRound, read_matching_folder, read_weights
from safepassage.formats.matching_writing import results_archive, write_results
from safepassage.formats.plan_json import read_plan
from safepassage.formats.problems import InputError, Problem
from safepassage.matching import (
    MATCHERS,
    FloorsUnreachable,
    MatchingParams,
    MatchingProblem,
    MatchingResult,
    OverrideKind,
    PinRefused,
    Weights,
    explain,
    solve,
)
from safepassage.protection.export_box import seal_export
from safepassage.services.registry import UnknownRecord
from safepassage.services.registry_matching import (
    OverrideRefused,
    accept_proposals,
    lift_override,
    proposals,
    record_override,
    recorded_overrides,
    recorded_round,
    save_proposals,
)

commands = typer.Typer()
override_app = typer.Typer(
    help="A coordinator's decisions on matching pairs, kept with the reason and audited.",
    no_args_is_help=True,
)
proposals_app = typer.Typer(
    help="The registry's latest matching round: what it proposes, and accepting it.",
    no_args_is_help=True,
)
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
            "outcomes.csv, overrides.csv, rules.yaml. With --registry: pledges.csv and "
            "optionally households.csv (preferences, languages...), vetting.csv, outcomes.csv, "
            "rules.yaml.",
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for assignment.csv, pledge_use.csv and explanations.json. With "
            f"--registry: a file, the three sealed in a ZIP with a passphrase (${PASSPHRASE_ENV}, "
            "else asked); optional, the proposals are kept in the registry anyway.",
        ),
    ] = None,
    weights: Annotated[
        Path | None,
        typer.Option(help="YAML of weights (placement, relatives, language, preference, ...)."),
    ] = None,
    solver: Annotated[str, typer.Option(help=f"Matcher: {', '.join(MATCHERS)}.")] = "milp",
    time_limit: Annotated[
        float | None,
        typer.Option(
            min=1.0,
            help="Seconds of wall clock for the solver, only if given: the assignment then "
            "depends on the machine's load. Without it the solver stops on the gap or the node "
            "limit, with the same result on any machine.",
        ),
    ] = None,
    gap: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Relative gap at which the solver stops.")
    ] = 1e-4,
    node_limit: Annotated[
        int, typer.Option(min=1, help="Branch-and-bound nodes per MILP (a work limit).")
    ] = MatchingParams.node_limit,
    seed: Annotated[int, typer.Option(help="Seed of the split into parts (large rounds).")] = 0,
    from_registry: Annotated[
        bool,
        typer.Option(
            "--registry",
            help="Match the registry's households across the border (--db), with their host "
            "clearances and recorded overrides, and keep the proposals there.",
        ),
    ] = False,
    plan: Annotated[
        Path | None,
        typer.Option(
            help="With --registry: match the households this plan brings out (before they "
            "cross, as hosts pledged and vetted in 2018) instead of those across the border.",
        ),
    ] = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Match every household to a pledge, optimally, and write the assignment with reasons."""
    if solver not in MATCHERS:
        render.problems(
            errors, [Problem("--solver", None, None, f"use one of {', '.join(MATCHERS)}")]
        )
        raise typer.Exit(2)
    if not from_registry and out is None:
        render.problems(errors, [Problem("--out", None, None, "name the folder for the results")])
        raise typer.Exit(2)
    if plan is not None and not from_registry:
        render.problems(errors, [Problem("--plan", None, None, "takes --registry too")])
        raise typer.Exit(2)
    chosen = read_weights(weights) if weights else None
    params = MatchingParams(time_limit=time_limit, gap=gap, node_limit=node_limit)
    if from_registry:
        planned = None if plan is None else _planned_out(plan)
        result = _match_registry(
            from_csv, out, chosen, solver, params, seed, planned, (db, key_file, actor)
        )
    else:
        assert out is not None
        problem = _read(from_csv, chosen, None)
        result = _solve(problem, solver, params, seed)
        with errors.status("explaining"):
            written = write_results(result, explain(result), out)
        summary(result)
        for path in written:
            console.print(f"  written: {path}", markup=False, highlight=False)
    if not result.is_feasible():
        raise typer.Exit(1)


def _read(folder: Path, weights: Weights | None, recorded: RecordedRound | None) -> MatchingProblem:
    try:
        return read_matching_folder(folder, weights=weights, recorded=recorded)
    except InputError as error:
        render.problems(errors, error.problems)
        raise typer.Exit(2) from None


def _solve(
    problem: MatchingProblem, solver: str, params: MatchingParams, seed: int
) -> MatchingResult:
    try:
        with errors.status(f"matching ({solver})"):
            return solve(problem, solver=solver, params=params, seed=seed)
    except (PinRefused, FloorsUnreachable) as refused:
        errors.print(f"[bold red]nothing was matched:[/] {refused}", highlight=False)
        raise typer.Exit(2) from None


def _match_registry(
    folder: Path,
    out: Path | None,
    weights: Weights | None,
    solver: str,
    params: MatchingParams,
    seed: int,
    planned: list[str] | None,
    where: tuple[str | None, Path | None, str | None],
) -> MatchingResult:
    """Three steps, so that no transaction is held open while the solver runs: read the
    round (its audited read commits), solve, then keep the proposals."""
    passphrase = export_passphrase(confirm=True) if out is not None else ""
    try:
        with registry_session(*where) as (session, operator):
            recorded = recorded_round(session, operator, planned)
    except UnknownRecord as unknown:
        raise fail(f"{unknown}: was the plan made with --registry on this registry?") from None
    if not recorded.households:
        raise fail(
            "no household in the registry has members across the border (crossed or "
            "in_transit): there is nobody to match yet (or give --plan)"
        )
    result = _solve(_read(folder, weights, recorded), solver, params, seed)
    with errors.status("explaining"):
        explanations = explain(result)
    if result.is_feasible():
        with registry_session(*where) as (session, operator):
            kept = save_proposals(session, operator, result, explanations)
    summary(result)
    if result.is_feasible():
        console.print(f"  proposals kept in the registry: {kept} households")
    if out is not None:
        write_file(out, seal_export(results_archive(result, explanations), passphrase))
        console.print(f"  written, sealed: {out}", markup=False, highlight=False)
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
        binding = Table("pledge", "capacity", "price", title="priced capacities (highest prices)")
        for price, pledge_id, capacity in sorted(rows, reverse=True)[:BINDING_SHOWN]:
            binding.add_row(pledge_id, capacity, f"{price:.3f}")
        console.print(binding)
    for violation in result.violations[:BINDING_SHOWN]:
        errors.print(
            f"  {violation.rule}: {violation.subject}: {violation.message}",
            markup=False,
            highlight=False,
        )


def _planned_out(path: Path) -> list[str]:
    try:
        plan = read_plan(path)
    except InputError as error:
        render.problems(errors, error.problems)
        raise typer.Exit(2) from None
    return [entry.household for entry in plan.evacuated]


HouseholdArgument = Annotated[str, typer.Argument(help="Household id.")]
PledgeArgument = Annotated[str, typer.Argument(help="Pledge id (as in pledges.csv).")]
ReasonOption = Annotated[
    str, typer.Option(help="Why: kept sealed with the decision, never in the audit log.")
]


def _decide(
    kind: OverrideKind,
    household: str,
    pledge: str,
    reason: str,
    db: str | None,
    key_file: Path | None,
    actor: str | None,
) -> None:
    try:
        with registry_session(db, key_file, actor) as (session, operator):
            record_override(session, operator, household, pledge, kind, reason)
    except (OverrideRefused, UnknownRecord) as refused:
        raise fail(str(refused)) from None
    errors.print(f"recorded: {kind.value} {household} to {pledge}", highlight=False)


@override_app.command("pin")
def pin(
    household: HouseholdArgument,
    pledge: PledgeArgument,
    reason: ReasonOption,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Place a household with a pledge whatever the score (never against a hard rule)."""
    _decide(OverrideKind.PIN, household, pledge, reason, db, key_file, actor)


@override_app.command("forbid")
def forbid(
    household: HouseholdArgument,
    pledge: PledgeArgument,
    reason: ReasonOption,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Never place a household with a pledge."""
    _decide(OverrideKind.FORBID, household, pledge, reason, db, key_file, actor)


@override_app.command("lift")
def lift(
    household: HouseholdArgument,
    pledge: PledgeArgument,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Withdraw a pin or a ban: the next round decides the pair on its scores again."""
    try:
        with registry_session(db, key_file, actor) as (session, operator):
            lift_override(session, operator, household, pledge)
    except UnknownRecord as refused:
        raise fail(str(refused)) from None
    errors.print(f"lifted: {household} and {pledge}", highlight=False)


@override_app.command("list")
def list_overrides(
    db: DbOption = None, key_file: KeyFileOption = None, actor: ActorOption = None
) -> None:
    """Every recorded decision with its reason, who made it and when."""
    with registry_session(db, key_file, actor) as (session, operator):
        found = recorded_overrides(session, operator)
    table = Table(title="overrides")
    table.add_column("household", no_wrap=True)
    for name in ("pledge", "decision", "reason", "by", "at"):
        table.add_column(name)
    for item in found:
        table.add_row(
            item.household,
            item.pledge,
            item.kind.value,
            item.reason,
            item.decided_by,
            item.decided_at,
        )
    console.print(table)


@proposals_app.command("list")
def list_proposals(
    country: Annotated[
        str | None, typer.Option(help="Only the households proposed to this country.")
    ] = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """The latest round's proposal for each household, with the reason in one line."""
    with registry_session(db, key_file, actor) as (session, operator):
        found = proposals(session, operator, countries=None if country is None else [country])
    table = Table(title="proposals")
    table.add_column("household", no_wrap=True)  # whole: it is what a pin or a ban names
    for name in ("persons", "pledge", "country", "value", "why"):
        table.add_column(name)
    for item in found:
        explanation = item.explanation
        alternatives = explanation.get("alternatives") or []
        why = explanation.get("unplaced") or (
            f"best other: {alternatives[0]['pledge']} ({alternatives[0]['why_not']})"
            if alternatives
            else ""
        )
        table.add_row(
            item.household,
            str(explanation.get("size", "")),
            item.pledge or "-",
            item.country or "-",
            "" if item.points is None else f"{item.points:.2f}",
            why,
        )
    console.print(table)


@proposals_app.command("accept")
def accept(db: DbOption = None, key_file: KeyFileOption = None, actor: ActorOption = None) -> None:
    """Move the members across the border of every household with a proposal to matched."""
    with registry_session(db, key_file, actor) as (session, operator):
        moved = accept_proposals(session, operator)
    errors.print(f"matched: {moved} persons", highlight=False)
