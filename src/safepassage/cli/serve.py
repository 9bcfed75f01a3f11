"""``safepassage serve`` and ``safepassage users``: the web server and its accounts.

The first administrator can only be made here, by someone who holds the database and the key
ring; from then on administrators manage accounts through the API as well. Passwords are
typed at a hidden prompt (or read from ``SAFEPASSAGE_NEW_PASSWORD`` for scripts), never
taken as an option, which would leave them in the shell's history and the process list.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import OperationalError

from safepassage.cli.registry_options import (
    ActorOption,
    DbOption,
    KeyFileOption,
    fail,
    registry_session,
)
from safepassage.policy import Role, Scope, ScopeRefused
from safepassage.services import accounts
from safepassage.services.accounts import AccountRefused, Enrolment, UnknownAccount
from safepassage.store.database import DatabaseUnavailable

PASSWORD_ENV = "SAFEPASSAGE_NEW_PASSWORD"
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})

console = Console()
errors = Console(stderr=True)

commands = typer.Typer()
users_app = typer.Typer(help="Accounts of the web application and the API.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="Account name (a-z, 0-9, '.', '_', '-').")]


@commands.command("serve")
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; anything but loopback needs TLS in front.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    scenario: Annotated[
        Path | None, typer.Option(help="Scenario folder of the operation, for manifests.")
    ] = None,
    plan: Annotated[Path | None, typer.Option(help="The current plan JSON, for manifests.")] = None,
    plan_from_registry: Annotated[
        bool,
        typer.Option("--registry", help="The plan was made from the registry's households."),
    ] = False,
    insecure_cookies: Annotated[
        bool,
        typer.Option(
            "--insecure-cookies",
            help="Send the session cookie over plain HTTP too (a test server on a LAN only).",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=32,
            help="Server processes (PostgreSQL only): one per core takes more requests at "
            "once than one process, whose Python runs on one core at a time.",
        ),
    ] = 1,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Start the web application and the HTTP API (OpenAPI at /api/docs)."""
    # Imported here: the web stack takes longer to load than most commands take to run.
    import uvicorn

    from safepassage.api.app import ServerUnavailable, create_app
    from safepassage.api.settings import Settings

    overrides: dict[str, Any] = {
        "cookie_secure": not insecure_cookies,
        "plan_from_registry": plan_from_registry,
        "workers": workers,
    }
    for name, value in (("database", db), ("key_file", key_file), ("scenario", scenario)):
        if value is not None:
            overrides[name] = value
    if plan is not None:
        overrides["plan"] = plan
    try:
        settings = Settings(**overrides)
        app = create_app(settings)
    except ValidationError as invalid:
        problems = "; ".join(
            f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in invalid.errors()
        )
        raise fail(f"settings: {problems}") from None
    except (ServerUnavailable, DatabaseUnavailable) as unavailable:
        raise fail(str(unavailable)) from None
    except OperationalError as error:
        raise fail(f"cannot open the database: {type(error).__name__}") from None
    if host not in LOOPBACK:
        errors.print(
            f"[yellow]warning:[/yellow] listening on {escape(host)}: put a TLS proxy in front, "
            "passwords and personal data must not cross a network in clear"
        )
    # No access log: a request line carries its query string, and the audit log records what
    # an operation needs to know of who did what. uvloop and httptools (C) instead of asyncio's
    # loop and h11 (Python): with 200 clients h11 alone took 6% of the server's time
    # (benchmarks/load.py, py-spy).
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "loop": "uvloop",
        "http": "httptools",
        "proxy_headers": False,
        "server_header": False,
        "access_log": False,
    }
    if workers == 1:
        uvicorn.run(app, **options)
        return
    # Each worker process builds its own application (and connection pool) from the settings
    # checked above, which reach it through the environment; this one only supervises.
    app.state.server.database.dispose()
    os.environ.update(settings.environment())
    uvicorn.run(
        "safepassage.api.app:app_from_environment", factory=True, workers=workers, **options
    )


def _password() -> str:
    password = os.environ.get(PASSWORD_ENV) or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    return str(password)


def _show(enrolment: Enrolment) -> None:
    account = enrolment.account
    console.print(f"account {account.name}: {account.role.value}, scope {account.scope.text()}")
    console.print(
        "second factor (shown once; add it to an authenticator app, then clear the screen):"
    )
    console.print(f"  secret: {enrolment.totp_secret}", markup=False, highlight=False)
    console.print(f"  uri:    {enrolment.totp_uri}", markup=False, highlight=False)


def _add(
    name: str, role: Role, scope: str, db: str | None, key_file: Path | None, actor: str | None
) -> None:
    try:
        parsed = Scope.parse(scope)
        password = _password()
        with registry_session(db, key_file, actor) as (session, operator):
            enrolment = accounts.create_account(session, operator, name, role, parsed, password)
    except (AccountRefused, ScopeRefused) as refused:
        raise fail(str(refused)) from None
    _show(enrolment)


@users_app.command("create-admin")
def create_admin(
    name: NameArg,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Create an administrator account (the first one can only be made here)."""
    _add(name, Role.ADMIN, "all", db, key_file, actor)


@users_app.command("add")
def add(
    name: NameArg,
    role: Annotated[Role, typer.Option(help="What the account may do.")],
    scope: Annotated[
        str,
        typer.Option(
            help="Records it may touch: all, origin:NODE,..., households:ID,..., "
            "crossing:NODE or host:ISO3 (field leads, transit and host liaisons need one)."
        ),
    ] = "all",
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Create an account with a role and a scope."""
    _add(name, role, scope, db, key_file, actor)


@users_app.command("list")
def list_users(db: DbOption = None, key_file: KeyFileOption = None) -> None:
    """Every account, its role and scope, and whether it is locked."""
    with registry_session(db, key_file, None) as (session, _):
        found = accounts.list_accounts(session)
    table = Table("name", "role", "scope", "state", "created")
    for account in found:
        state = "locked" if account.disabled else "active"
        if account.locked_until is not None:
            state += f", locked out until {account.locked_until.isoformat(timespec='minutes')}"
        table.add_row(
            account.name,
            account.role.value,
            account.scope.text(),
            state,
            account.created_at.date().isoformat(),
        )
    console.print(table)


def _lock(
    name: str, disabled: bool, db: str | None, key_file: Path | None, actor: str | None
) -> None:
    try:
        with registry_session(db, key_file, actor) as (session, operator):
            accounts.set_disabled(session, operator, name, disabled)
    except (UnknownAccount, AccountRefused) as unknown:
        raise fail(str(unknown)) from None
    console.print(f"account {escape(name)} {'locked' if disabled else 'unlocked'}")


@users_app.command("lock")
def lock(
    name: NameArg, db: DbOption = None, key_file: KeyFileOption = None, actor: ActorOption = None
) -> None:
    """Lock an account: it cannot sign in and its sessions stop at once."""
    _lock(name, True, db, key_file, actor)


@users_app.command("unlock")
def unlock(
    name: NameArg, db: DbOption = None, key_file: KeyFileOption = None, actor: ActorOption = None
) -> None:
    """Unlock an account, lifting a lock-out after failed sign-ins too."""
    _lock(name, False, db, key_file, actor)


@users_app.command("sign-out")
def sign_out(
    name: NameArg, db: DbOption = None, key_file: KeyFileOption = None, actor: ActorOption = None
) -> None:
    """End every session of an account, on every device."""
    try:
        with registry_session(db, key_file, actor) as (session, operator):
            accounts.sign_out_everywhere(session, operator, name)
    except (UnknownAccount, AccountRefused) as unknown:
        raise fail(str(unknown)) from None
    console.print(f"every session of {escape(name)} ended")


@users_app.command("reset")
def reset(
    name: NameArg, db: DbOption = None, key_file: KeyFileOption = None, actor: ActorOption = None
) -> None:
    """Give an account a new password and a new second factor (a lost phone)."""
    try:
        password = _password()
        with registry_session(db, key_file, actor) as (session, operator):
            enrolment = accounts.reset_credentials(session, operator, name, password)
    except (UnknownAccount, AccountRefused) as refused:
        raise fail(str(refused)) from None
    _show(enrolment)
