"""``safepassage import`` and ``safepassage quarantine``: registry files in, bad rows kept.

A file that cannot be read at all (wrong format, duplicate headers, a required column missing)
exits 2 before anything is imported. Otherwise the import always succeeds: rows that fail
their checks are quarantined, listed with the reason, and the command exits 0; the summary
says how many, and ``quarantine list`` shows them again later.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from safepassage.cli import render
from safepassage.cli.registry_options import (
    ActorOption,
    DbOption,
    KeyFileOption,
    check_schema,
    database,
    registry_session,
)
from safepassage.formats.problems import InputError, Problem
from safepassage.formats.registry_rows import ColumnMapping, read_table
from safepassage.services.importing import (
    ImportSummary,
    import_rows,
    list_quarantine,
    retry_quarantine,
)

commands = typer.Typer()
quarantine_app = typer.Typer(
    help="Rows that imports kept back: list them, check them again.", no_args_is_help=True
)

console = Console()
errors = Console(stderr=True)

PROBLEMS_SHOWN = 20
"""Beyond this many the list scrolls past unread; ``quarantine list`` has them all."""

MappingOption = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        help="YAML column mapping (default: the bundled KoboToolbox mapping; see "
        "docs/registry-import.md).",
        show_default=False,
    ),
]


@commands.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8) or XLSX file, header in row 1.")],
    mapping: MappingOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Import persons and households; rows that fail their checks go to quarantine."""
    columns = _mapping(mapping)
    try:
        with errors.status("reading the file"):
            table = read_table(file)
        columns.check_headers(str(file), table.headers)
    except InputError as error:
        raise _refuse(error.problems) from None
    with (
        registry_session(db, key_file, actor) as (session, operator),
        render.progress_bar(errors, len(table.rows), "importing") as advance,
    ):
        summary = import_rows(session, operator, str(file), table.rows, columns, progress=advance)
    unused = columns.columns(table.headers).unused
    if unused:
        errors.print(
            f"not read (no field maps them): {', '.join(unused)}; add them to a --mapping "
            "file to import them",
            markup=False,
            highlight=False,
        )
    _render(summary)


@quarantine_app.command("list")
def list_command(
    all_: Annotated[bool, typer.Option("--all", help="Show entries settled since, too.")] = False,
    db: DbOption = None,
) -> None:
    """List quarantined rows: row number and reason only, so no keys are needed."""
    registry = database(db)
    try:
        check_schema(registry)
        with registry.session() as session:
            entries = list_quarantine(session, include_resolved=all_)
    finally:
        registry.dispose()
    if not entries:
        console.print("The quarantine is empty." if all_ else "No row is waiting in quarantine.")
        return
    table = Table("entry", "row", "kept since", "settled", "why")
    for entry in entries:
        table.add_row(
            str(entry.id),
            str(entry.row_number),
            f"{entry.created_at:%Y-%m-%d %H:%M}",
            f"{entry.resolved_at:%Y-%m-%d %H:%M}" if entry.resolved_at else "",
            entry.reason,
        )
    console.print(table, markup=False, highlight=False)


@quarantine_app.command("retry")
def retry_command(
    mapping: MappingOption = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Check the quarantined rows again (after fixing the mapping) and take in those that pass."""
    columns = _mapping(mapping)
    with (
        registry_session(db, key_file, actor) as (session, operator),
        render.progress_bar(errors, None, "checking quarantined rows") as advance,
    ):
        summary = retry_quarantine(session, operator, columns, progress=advance)
    _render(summary)


def _mapping(path: Path | None) -> ColumnMapping:
    try:
        return ColumnMapping.default() if path is None else ColumnMapping.from_yaml(path)
    except InputError as error:
        raise _refuse(error.problems) from None


def _refuse(problems: Iterable[Problem]) -> typer.Exit:
    found = tuple(problems)
    errors.print(f"[bold red]{len(found)} problem(s); nothing was imported.[/]")
    for problem in found:
        errors.print(f"  {problem}", markup=False, highlight=False)
    return typer.Exit(2)


def _render(summary: ImportSummary) -> None:
    table = Table("rows", title="Import")
    table.add_column("count", justify="right")
    for label, count in (
        ("read", summary.rows),
        ("added", summary.added),
        ("updated", summary.updated),
        ("unchanged", summary.unchanged),
        ("quarantined now", summary.quarantined),
        ("already in quarantine", summary.already_quarantined),
        ("quarantine entries settled", summary.resolved),
        ("households added", summary.households_added),
        ("households updated", summary.households_updated),
    ):
        table.add_row(label, str(count))
    console.print(table)
    if summary.problems:
        console.print(f"[bold]Why rows are in quarantine ({len(summary.problems)} problem(s)):[/]")
        for problem in summary.problems[:PROBLEMS_SHOWN]:
            console.print(f"  {problem}", markup=False, highlight=False)
        hidden = len(summary.problems) - PROBLEMS_SHOWN
        if hidden > 0:
            console.print(f"  ... and {hidden} more: see `safepassage quarantine list`")
