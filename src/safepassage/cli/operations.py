"""Operations commands: checkpoint scans, crossing manifests, HXL counts, sealed exports.

Personal data leaves only two ways: on standard output, for the operator to pipe where it must
go, or sealed with a passphrase (``--out``). It is never written to a file in clear, and every
summary, warning and error goes to standard error with ids and counts only, so standard output
stays exactly the CSV.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from safepassage.cli.registry_options import (
    PASSPHRASE_ENV,
    ActorOption,
    DbOption,
    FromRegistryOption,
    KeyFileOption,
    errors,
    export_passphrase,
    fail,
    registry_session,
    with_registry_households,
    write_file,
)
from safepassage.formats.plan_json import read_plan
from safepassage.formats.problems import InputError
from safepassage.formats.scenario_folder import read_scenario
from safepassage.model.plan import Plan
from safepassage.model.scenario import Scenario
from safepassage.protection.export_box import (
    ExportBroken,
    open_export,
    seal_export,
)
from safepassage.services import operations, registry
from safepassage.services.operations import CheckpointKind

console = Console()

commands = typer.Typer()
export_app = typer.Typer(
    help="Exports: counts in HXL for partners, and opening a sealed manifest.",
    no_args_is_help=True,
)


@commands.command("checkpoint")
def checkpoint(
    household: Annotated[str, typer.Argument(help="Household id (as scanned).")],
    kind: Annotated[CheckpointKind, typer.Option(help="Which checkpoint scanned it.")],
    place: Annotated[str, typer.Option(help="Where: assembly point or crossing id.")],
    headcount: Annotated[int, typer.Option(min=0, help="Persons counted.")],
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Record a scan; a matching headcount moves the household on. Exit 1 when the scan is
    flagged for the coordinator (headcount off, or the registry refused the move)."""
    try:
        with registry_session(db, key_file, actor) as (session, operator):
            outcome = operations.record_checkpoint(
                session, operator, household, kind, place, headcount
            )
    except (registry.UnknownRecord, ValueError) as unusable:
        raise fail(str(unusable)) from None
    seen = escape(
        f"{household} at {kind.value} {place}: counted {headcount}, expected {outcome.expected}"
    )
    if not outcome.headcount_matches:
        console.print(f"[red]DISCREPANCY[/red] {seen}; no status changed, the coordinator decides")
    elif outcome.refused is not None:
        console.print(f"[red]REFUSED[/red] {seen}; no status changed: {escape(outcome.refused)}")
    elif outcome.moved:
        console.print(f"{seen}; {len(outcome.moved)} persons now {kind.proves.value}")
    else:
        console.print(f"{seen}; everyone was already {kind.proves.value}")
    if outcome.discrepancy:
        raise typer.Exit(1)


@commands.command("discrepancies")
def discrepancies_command(db: DbOption = None, key_file: KeyFileOption = None) -> None:
    """List flagged checkpoints, oldest first."""
    with registry_session(db, key_file, None) as (session, _):
        flagged = operations.discrepancies(session)
    table = Table("checkpoint", "at", "household", "kind", "place", "who", "why")
    for item in flagged:
        table.add_row(
            str(item.checkpoint_id),
            item.at.isoformat(timespec="seconds"),
            item.household_id,
            item.kind.value,
            item.place,
            item.actor,
            item.reason,
        )
    console.print(table)


@commands.command("resolve")
def resolve_command(
    checkpoint: Annotated[int, typer.Argument(help="The flagged checkpoint.")],
    note: Annotated[str, typer.Option(help="What was found (no names: ids and facts).")],
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Close a flagged checkpoint with a note; it leaves the list of discrepancies."""
    try:
        with registry_session(db, key_file, actor) as (session, operator):
            operations.resolve_discrepancy(session, operator, checkpoint, note)
    except operations.ResolutionRefused as refused:
        raise fail(str(refused)) from None
    console.print(f"checkpoint {checkpoint} resolved")


@commands.command("manifest")
def manifest_command(
    crossing: Annotated[str, typer.Argument(help="Crossing node id.")],
    scenario: Annotated[Path, typer.Option("--scenario", help="Scenario folder.")],
    plan: Annotated[Path, typer.Option("--plan", help="Plan JSON (must verify).")],
    window: Annotated[
        int | None,
        typer.Option(min=1, help="Only this window (1 = the crossing's first). Default: all."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help=f"Write the manifest sealed with a passphrase (${PASSPHRASE_ENV}, else asked) "
            "instead of printing it; the recipient opens it with `export open`.",
        ),
    ] = None,
    from_registry: FromRegistryOption = False,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """The persons a crossing should expect: ICAO name, date of birth, nationality, document
    number. Printed as CSV, or sealed into --out; the export is audited."""
    loaded_scenario, loaded_plan = _inputs(scenario, plan)
    if from_registry:
        loaded_scenario = with_registry_households(loaded_scenario, db)
    passphrase = export_passphrase(confirm=True) if out is not None else ""
    try:
        with registry_session(db, key_file, actor) as (session, operator):
            made = operations.manifest(
                session,
                operator,
                loaded_scenario,
                loaded_plan,
                crossing,
                None if window is None else window - 1,
            )
            text = io.StringIO()
            operations.write_manifest_csv(made, text)
            payload = text.getvalue().encode()
            if out is None:
                _to_stdout(payload)
            else:
                write_file(out, seal_export(payload, passphrase))
    except operations.PlanDoesNotVerify as invalid:
        errors.print(f"[red]error:[/red] {escape(str(invalid))}", highlight=False)
        raise typer.Exit(1) from None
    except (operations.ManifestRefused, registry.UnknownRecord) as refused:
        raise fail(str(refused)) from None
    which = "all windows" if window is None else f"window {window}"
    where = "" if out is None else f", sealed into {escape(str(out))}"
    errors.print(
        f"manifest of {escape(crossing)}, {which}: {made.households} households, "
        f"{made.persons} persons{where}",
        highlight=False,
    )
    if made.size_mismatches:
        errors.print(
            "[yellow]warning:[/yellow] the registry has another number of travelling members "
            f"than the scenario planned for: {escape(', '.join(made.size_mismatches))}",
            highlight=False,
        )
    if made.without_document:
        errors.print(
            f"[yellow]warning:[/yellow] {made.without_document} persons have no passport or "
            "identity card valid on their crossing day",
            highlight=False,
        )


@export_app.command("hxl")
def export_hxl(
    out: Annotated[Path | None, typer.Option(help="Write the CSV here (default: print).")] = None,
    min_count: Annotated[
        int,
        typer.Option(
            min=1,
            help="Suppress counts below this (shown as <N), so no family can be singled out.",
        ),
    ] = operations.MIN_COUNT,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Persons by place of origin and status as HXL-tagged CSV: no personal data."""
    with registry_session(db, key_file, actor) as (session, operator):
        rows = operations.hxl_counts(session, operator, min_count=min_count)
        text = io.StringIO()
        operations.write_hxl_csv(rows, text)
        if out is None:
            typer.echo(text.getvalue(), nl=False)
        else:
            write_file(out, text.getvalue().encode())
    if out is not None:
        errors.print(f"{len(rows)} rows written to {escape(str(out))}", highlight=False)


@export_app.command("open")
def export_open(
    sealed: Annotated[
        Path, typer.Argument(help="Sealed export file.", exists=True, dir_okay=False)
    ],
) -> None:
    """Print a sealed export (for the recipient, who needs only the file and the passphrase)."""
    passphrase = export_passphrase(confirm=False)
    try:
        data = open_export(sealed.read_bytes(), passphrase)
    except ExportBroken as broken:
        raise fail(str(broken)) from None
    _to_stdout(data)


def _inputs(scenario: Path, plan: Path) -> tuple[Scenario, Plan]:
    try:
        return read_scenario(scenario), read_plan(plan)
    except InputError as error:
        errors.print(f"[red]{len(error.problems)} problem(s) in the input; no manifest made.[/]")
        for problem in error.problems:
            errors.print(f"  {problem}", markup=False, highlight=False)
        raise typer.Exit(2) from None


def _to_stdout(data: bytes) -> None:
    if not sys.stdout.isatty():
        errors.print(
            "[yellow]note:[/yellow] personal data went to standard output; do not keep it in a "
            "file in clear (use --out to seal it)",
            highlight=False,
        )
    stream = typer.get_binary_stream("stdout")
    stream.write(data)
    stream.flush()
