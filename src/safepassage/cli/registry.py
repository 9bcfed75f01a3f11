"""Registry commands: the database, the keys, the audit log, statuses, backups and purges."""

from __future__ import annotations

import getpass
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from safepassage.cli.registry_options import (
    ActorOption,
    DbOption,
    KeyFileOption,
    check_schema,
    database,
    default_key_file,
    fail,
    registry_session,
)
from safepassage.model.registry import Status, StatusChangeRefused
from safepassage.protection.keys import (
    KEY_FILE_ENV,
    KEYS_ENV,
    KeyRing,
    KeyRingUnavailable,
    write_key_ring,
)
from safepassage.services import backup, registry, retention
from safepassage.services.audit_anchors import verify_with_anchors, write_anchor
from safepassage.services.database import current_revision, head_revision, upgrade
from safepassage.services.keys import rotate_key_file

console = Console()

db_app = typer.Typer(help="Create and upgrade the registry database.", no_args_is_help=True)
keys_app = typer.Typer(help="The key ring that seals personal data.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
status_app = typer.Typer(help="Move persons through the pipeline.", no_args_is_help=True)
commands = typer.Typer()


@db_app.command("init")
def db_init(db: DbOption = None, key_file: KeyFileOption = None) -> None:
    """Create the database (and a key ring if there is none) and bring the schema to head."""
    target = database(db)
    try:
        upgrade(target)
    finally:
        target.dispose()
    console.print(f"registry ready at {target.name} (schema {head_revision()})")
    _ensure_key_ring(key_file)


def _ensure_key_ring(key_file: Path | None) -> None:
    if key_file is None and (os.environ.get(KEY_FILE_ENV) or os.environ.get(KEYS_ENV)):
        return
    path = key_file or default_key_file()
    if path.exists():
        console.print(f"key ring kept at {path}")
        return
    write_key_ring(KeyRing.generate(), path)
    console.print(
        f"new key ring written to {path}: keep a copy apart from the database and its backups; "
        "without it nothing in the registry can be read again"
    )


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Bring the schema to the version this SafePassage needs (migrations are kept)."""
    target = database(db)
    try:
        before = current_revision(target)
        upgrade(target)
    finally:
        target.dispose()
    console.print(f"{target.name}: schema {before or 'none'} -> {head_revision()}")


@keys_app.command("init")
def keys_init(key_file: KeyFileOption = None) -> None:
    """Write a new key ring (never over an existing one)."""
    path = key_file or default_key_file()
    if path.exists():
        raise fail(f"{path} exists already; a new ring would lock the registry out of its data")
    write_key_ring(KeyRing.generate(), path)
    console.print(f"new key ring written to {path}")


@keys_app.command("rotate")
def keys_rotate(
    db: DbOption = None, key_file: KeyFileOption = None, actor: ActorOption = None
) -> None:
    """Add a new active key and re-seal everything with it; old keys stay for old backups.

    Safe to interrupt at any point: run it again to finish. The file rotated is the one every
    other command reads (--key-file, else $SAFEPASSAGE_KEY_FILE, else the data folder's)."""
    if os.environ.get(KEYS_ENV) and not (key_file or os.environ.get(KEY_FILE_ENV)):
        raise fail(f"rotation rewrites a key file, and the ring is in ${KEYS_ENV}: pass --key-file")
    path = key_file or Path(os.environ.get(KEY_FILE_ENV) or default_key_file())
    if not path.is_file():
        raise fail(f"rotation rewrites the key file, and there is none at {path}: pass --key-file")
    target = database(db)
    try:
        check_schema(target)
        summary = rotate_key_file(target, path, actor or getpass.getuser())
    except KeyRingUnavailable as unusable:
        raise fail(str(unusable)) from None
    finally:
        target.dispose()
    if summary.resumed:
        console.print(
            f"active key now {summary.active}: finished a rotation interrupted after the "
            "registry was re-sealed"
        )
        return
    console.print(
        f"active key now {summary.active}; re-sealed {summary.persons} persons, "
        f"{summary.quarantined} quarantined rows, {summary.merges} merges"
    )


AnchorOption = Annotated[
    Path | None,
    typer.Option(
        "--anchor",
        help="An audit anchor file, or a folder of them (`audit anchor`, `serve --anchor-dir`): "
        "fail if the log is behind any of them or differs from it.",
        show_default=False,
    ),
]


@audit_app.command("verify")
def audit_verify(
    db: DbOption = None, key_file: KeyFileOption = None, anchor: AnchorOption = None
) -> None:
    """Check every link of the audit chain; exit 1 if anything was edited, deleted or moved."""
    with registry_session(db, key_file, "auditor", following=False) as (session, operator):
        report = verify_with_anchors(session, operator.ring, anchor)
    if report.intact:
        console.print(f"audit log intact: {report.entries} entries")
        return
    for problem in report.problems:
        console.print(f"[red]{escape(problem)}[/red]")
    console.print(f"audit log BROKEN: {len(report.problems)} problems in {report.entries} entries")
    raise typer.Exit(1)


@audit_app.command("anchor")
def audit_anchor(
    folder: Annotated[
        Path,
        typer.Argument(
            help="Folder to write the anchor into: keep it where whoever can write to the "
            "database cannot (another machine, write-once media).",
            file_okay=False,
        ),
    ],
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Write a signed checkpoint of the audit chain (entry number, its MAC, time)."""
    with registry_session(db, key_file, "auditor", following=False) as (session, operator):
        try:
            written = write_anchor(session, operator.ring, folder)
        except OSError as error:
            raise fail(
                f"cannot write to {folder}: {error.strerror or type(error).__name__}"
            ) from None
    console.print(f"audit anchor written to {folder}: entry {written.seq}")


@status_app.command("set")
def status_set(
    persons: Annotated[list[str], typer.Argument(help="Person ids.", show_default=False)],
    to: Annotated[Status, typer.Option("--to", help="The new status.")],
    place: Annotated[str, typer.Option(help="Where the change was seen.")] = "",
    reason: Annotated[str, typer.Option(help="Why (no personal data).")] = "",
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Move persons to a status; the pipeline's rules apply to all of them or none."""
    try:
        with registry_session(db, key_file, actor) as (session, operator):
            registry.set_status(session, operator, persons, to, place=place, reason=reason)
    except (StatusChangeRefused, registry.UnknownRecord) as refused:
        raise fail(str(refused)) from None
    console.print(f"{len(persons)} persons now {to.value}")


@status_app.command("history")
def status_history(
    person: Annotated[str, typer.Argument(help="Person id.")],
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """A person's moves through the pipeline: who, when, where."""
    try:
        with registry_session(db, key_file, None) as (session, _):
            events = registry.status_history(session, person)
    except registry.UnknownRecord as unknown:
        raise fail(str(unknown)) from None
    table = Table("at", "from", "to", "who", "where", "why")
    for event in events:
        table.add_row(
            event.at.isoformat(timespec="seconds"),
            event.from_status.value if event.from_status else "",
            event.to_status.value,
            event.actor,
            event.place,
            event.reason,
        )
    console.print(table)


@commands.command("backup")
def backup_command(
    out: Annotated[Path, typer.Argument(help="Backup file to write (sealed).")],
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Write an encrypted backup of the whole registry."""
    with registry_session(db, key_file, actor) as (session, operator):
        summary = backup.write_backup(session, operator, out)
    console.print(
        f"backup written to {out}: {summary.rows.get('persons', 0)} persons, "
        f"{summary.rows.get('audit_log', 0)} audit entries"
    )


@commands.command("restore")
def restore_command(
    source: Annotated[Path, typer.Argument(help="Backup file to restore.", exists=True)],
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Restore a backup into an empty registry (run `db init` for a new one first)."""
    try:
        with registry_session(db, key_file, actor) as (session, operator):
            summary = backup.restore_backup(session, operator, source)
    except backup.BackupRefused as refused:
        raise fail(str(refused)) from None
    console.print(f"restored {summary.rows.get('persons', 0)} persons")


@commands.command("purge")
def purge_command(
    before: Annotated[
        str | None,
        typer.Option(help="Purge records whose retention date is before this (default: today)."),
    ] = None,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Delete every record past its retention date, for good."""
    try:
        cutoff = date.fromisoformat(before) if before else datetime.now(UTC).date()
    except ValueError:
        raise fail("--before takes a date, YYYY-MM-DD") from None
    with registry_session(db, key_file, actor) as (session, operator):
        summary = retention.purge_expired(session, operator, cutoff)
    console.print(f"purged {summary.persons} persons and {summary.households} empty households")
