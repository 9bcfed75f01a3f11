"""What every registry command shares: where the database and the keys are, who is acting.

A command opens one unit of work with :func:`registry_session`; it commits when the command
succeeds and rolls back when it fails, so a refused change or a crash leaves nothing half done.
Failures a user can fix (no database, schema behind, no keys) exit 2 with what to do.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from safepassage.model import Scenario
from safepassage.protection.export_box import WeakPassphrase, check_passphrase
from safepassage.protection.keys import (
    KeyRing,
    KeyRingOutOfStep,
    KeyRingUnavailable,
    load_key_ring,
)
from safepassage.services.database import (
    Database,
    DatabaseUnavailable,
    OperationalError,
    Session,
    current_revision,
    data_folder,
    head_revision,
    open_database,
)
from safepassage.services.keys import KeyNotActive, ring_in_force
from safepassage.services.registry import Operator
from safepassage.services.registry_planning import RegistryDoesNotFit, scenario_from_registry

errors = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLite file or PostgreSQL URL (default: $SAFEPASSAGE_DB, else registry.db in "
        "the data folder, $SAFEPASSAGE_HOME or ~/.local/share/safepassage).",
        show_default=False,
    ),
]
KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="Key ring file (default: $SAFEPASSAGE_KEY_FILE, $SAFEPASSAGE_KEYS, else "
        "keyring.json in the data folder). Keep it apart from the database and its backups.",
        show_default=False,
    ),
]
FromRegistryOption = Annotated[
    bool,
    typer.Option(
        "--registry",
        help="Take the households from the registry (--db) instead of households.csv.",
    ),
]
ActorOption = Annotated[
    str | None,
    typer.Option("--actor", help="Who is acting, for the audit log (default: your login)."),
]


def fail(message: str) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}")
    return typer.Exit(2)


def default_key_file() -> Path:
    return data_folder() / "keyring.json"


def key_ring(key_file: Path | None) -> KeyRing:
    try:
        return load_key_ring(key_file)
    except KeyRingUnavailable as missing:
        fallback = default_key_file()
        if key_file is None and fallback.is_file():
            try:
                return load_key_ring(fallback)
            except KeyRingUnavailable as broken:
                raise fail(str(broken)) from None
        raise fail(str(missing)) from None


def database(location: str | None) -> Database:
    try:
        return open_database(location)
    except DatabaseUnavailable as error:
        raise fail(str(error)) from None


def check_schema(db: Database) -> None:
    try:
        current = current_revision(db)
    except (OperationalError, DatabaseUnavailable) as error:
        raise fail(f"cannot open {db.name}: {type(error).__name__}") from None
    if current != head_revision():
        raise fail(
            f"the registry at {db.name} is at schema {current or 'none'}, this SafePassage "
            f"needs {head_revision()}: run `safepassage db upgrade`"
        )


def with_registry_households(scenario: Scenario, location: str | None) -> Scenario:
    """The scenario's households replaced by the registry's (no key needed: origins, sizes,
    priorities and clearances are kept in clear)."""
    db = database(location)
    try:
        check_schema(db)
        with db.session() as session:
            return scenario_from_registry(scenario, session)
    except RegistryDoesNotFit as misfit:
        raise fail(str(misfit)) from None
    finally:
        db.dispose()


@contextmanager
def registry_session(
    location: str | None, key_file: Path | None, actor: str | None, *, following: bool = True
) -> Iterator[tuple[Session, Operator]]:
    """A unit of work whose operator seals with the key the registry records as active
    (``following``), so a command run after a rotation, or after one interrupted between its
    commit and the switch of the ring file, seals and looks up with the right key. Only
    commands that seal nothing (checking or anchoring the audit log) pass ``following=False``."""
    db = database(location)
    try:
        check_schema(db)
        ring = key_ring(key_file)
        with db.session() as session:
            if following:
                try:
                    ring = ring_in_force(session, ring)
                except KeyRingOutOfStep as out_of_step:
                    raise fail(str(out_of_step)) from None
            try:
                yield session, Operator.with_ring(actor or getpass.getuser(), ring)
            except KeyNotActive as rotated:
                raise fail(str(rotated)) from None
    finally:
        db.dispose()


PASSPHRASE_ENV = "SAFEPASSAGE_EXPORT_PASSPHRASE"


def export_passphrase(*, confirm: bool) -> str:
    passphrase = os.environ.get(PASSPHRASE_ENV) or typer.prompt(
        "Export passphrase", hide_input=True, confirmation_prompt=confirm
    )
    if confirm:
        try:
            check_passphrase(passphrase)
        except WeakPassphrase as weak:
            raise fail(str(weak)) from None
    return str(passphrase)


def write_file(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        raise fail(f"cannot write {path}: {error.strerror or type(error).__name__}") from None
