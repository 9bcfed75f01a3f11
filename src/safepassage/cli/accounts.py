"""``safepassage users``: accounts of the web application and the API, under the two-person rule.

The first administrator of an empty registry is made here (``create-admin``), by whoever
holds the database and the key ring; it is the one account whose credentials are shown to
the person who made it. Every other account, role or scope change and credential reset is a
request (``add``, ``change``, ``reset``) that a second person approves (``approve``, here or
on the Approvals page); approving a creation or a reset prints a one-time enrolment code for
the account's holder, who redeems it with ``enrol`` or on the ``/enrol`` page, choosing their
own password. At the command line the person acting is ``--actor`` (default: the login), who
holds the key ring and could read every record anyway; the rule binds the accounts.

Passwords are typed at a hidden prompt, read from ``SAFEPASSAGE_NEW_PASSWORD`` or, with
``--password-stdin``, from the first line of standard input; never taken as an option, which
would leave them in the shell's history and the process list.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import segno
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from safepassage.cli.registry_options import (
    ActorOption,
    DbOption,
    KeyFileOption,
    fail,
    registry_session,
)
from safepassage.policy import Role, Scope, ScopeRefused
from safepassage.services import account_requests, accounts
from safepassage.services.account_requests import (
    AccountRequest,
    DecisionRefused,
    EnrolmentRefused,
    RequestClosed,
    UnknownRequest,
)
from safepassage.services.accounts import AccountRefused, Enrolment, UnknownAccount

PASSWORD_ENV = "SAFEPASSAGE_NEW_PASSWORD"

console = Console()

users_app = typer.Typer(
    help="Accounts of the web application and the API (two-person rule).", no_args_is_help=True
)

NameArg = Annotated[str, typer.Argument(help="Account name (a-z, 0-9, '.', '_', '-').")]
RequestArg = Annotated[str, typer.Argument(help="The request's id (see `users requests`).")]
RoleOption = Annotated[Role, typer.Option(help="What the account may do.")]
ScopeOption = Annotated[
    str,
    typer.Option(
        help="Records it may touch: all, origin:NODE,..., households:ID,..., "
        "crossing:NODE or host:ISO3 (field leads, transit and host liaisons need one)."
    ),
]
PasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input."
    ),
]

REFUSALS = (
    AccountRefused,
    ScopeRefused,
    UnknownAccount,
    UnknownRequest,
    DecisionRefused,
    RequestClosed,
    EnrolmentRefused,
)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = os.environ.get(PASSWORD_ENV) or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    return str(password)


def _show(enrolment: Enrolment) -> None:
    """The second factor, for the holder's eyes: the URI on one line of its own however
    narrow the terminal (a wrapped URI cannot be pasted), and as a QR code on a terminal."""
    account = enrolment.account
    console.print(f"account {account.name}: {account.role.value}, scope {account.scope.text()}")
    console.print(
        "second factor (shown once; add it to an authenticator app, then clear the screen):"
    )
    typer.echo(f"  secret: {enrolment.totp_secret}")
    typer.echo(f"  uri:    {enrolment.totp_uri}")
    if sys.stdout.isatty():
        segno.make(enrolment.totp_uri, error="m").terminal(compact=True)


def _asked(request: AccountRequest) -> None:
    console.print(
        f"request {request.id}: {request.kind.value} {escape(request.account)}, pending. "
        "A second person (another administrator or a coordinator) approves it: "
        f"`safepassage users approve {request.id}` or the Approvals page."
    )


@users_app.command("create-admin")
def create_admin(
    name: NameArg,
    password_stdin: PasswordStdinOption = False,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Create the first administrator of an empty registry (no second person exists yet).
    Without a terminal, give the password in SAFEPASSAGE_NEW_PASSWORD or --password-stdin."""
    try:
        password = _password(password_stdin)
        with registry_session(db, key_file, actor) as (session, operator):
            enrolment = account_requests.create_first_admin(session, operator, name, password)
    except REFUSALS as refused:
        raise fail(str(refused)) from None
    _show(enrolment)


@users_app.command("add")
def add(
    name: NameArg,
    role: RoleOption,
    scope: ScopeOption = "all",
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Ask for an account with a role and a scope; it exists once approved and enrolled."""
    try:
        parsed = Scope.parse(scope)
        with registry_session(db, key_file, actor) as (session, operator):
            asked = account_requests.request_account(session, operator, name, role, parsed)
    except REFUSALS as refused:
        raise fail(str(refused)) from None
    _asked(asked)


@users_app.command("change")
def change(
    name: NameArg,
    role: RoleOption,
    scope: ScopeOption = "all",
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Ask for a new role or scope for an account; it takes effect once approved."""
    try:
        parsed = Scope.parse(scope)
        with registry_session(db, key_file, actor) as (session, operator):
            asked = account_requests.request_change(session, operator, name, role, parsed)
    except REFUSALS as refused:
        raise fail(str(refused)) from None
    _asked(asked)


@users_app.command("reset")
def reset(
    name: NameArg, db: DbOption = None, key_file: KeyFileOption = None, actor: ActorOption = None
) -> None:
    """Ask for new credentials for an account (a lost phone); the old ones stop working when
    a second person approves, and the holder enrols anew."""
    try:
        with registry_session(db, key_file, actor) as (session, operator):
            asked = account_requests.request_reset(session, operator, name)
    except REFUSALS as refused:
        raise fail(str(refused)) from None
    _asked(asked)


@users_app.command("requests")
def requests(
    every: Annotated[
        bool, typer.Option("--all", help="Decided and enrolled requests too, not only open ones.")
    ] = False,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Account requests, newest first: pending ones wait for a second person."""
    with registry_session(db, key_file, None) as (session, _):
        found = account_requests.list_requests(session, open_only=not every)
    table = Table("kind", "account", "role", "scope", "state", "asked by", "decided by")
    table.columns.insert(0, Column("id", no_wrap=True))
    for item in found:
        table.add_row(
            item.id,
            item.kind.value,
            item.account,
            item.role.value if item.role else "",
            item.scope.text() if item.scope else "",
            item.state.value,
            item.requested_by,
            item.decided_by or "",
        )
    console.print(table)


@users_app.command("approve")
def approve(
    request_id: RequestArg,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Approve a request as a second person; prints the holder's one-time enrolment code."""
    try:
        with registry_session(db, key_file, actor) as (session, operator):
            approval = account_requests.approve(session, operator, request_id, role=None)
    except REFUSALS as refused:
        raise fail(str(refused)) from None
    decided = approval.request
    console.print(f"request {decided.id} approved: {decided.kind.value} {escape(decided.account)}")
    if approval.code is not None and decided.expires_at is not None:
        console.print(
            "enrolment code (shown once; give it to the holder alone, who redeems it with "
            f"`safepassage users enrol` or on the /enrol page before "
            f"{decided.expires_at.isoformat(timespec='minutes')}):"
        )
        typer.echo(f"  {approval.code}")


@users_app.command("refuse")
def refuse(
    request_id: RequestArg,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Refuse (or, as its requester, withdraw) a pending request."""
    try:
        with registry_session(db, key_file, actor) as (session, operator):
            decided = account_requests.refuse(session, operator, request_id, role=None)
    except REFUSALS as refused:
        raise fail(str(refused)) from None
    console.print(f"request {decided.id} refused")


@users_app.command("enrol")
def enrol(
    code: Annotated[
        str | None,
        typer.Argument(help="The enrolment code (asked for when left out).", show_default=False),
    ] = None,
    password_stdin: PasswordStdinOption = False,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Redeem an enrolment code as the account's holder: choose a password, receive the
    second factor."""
    try:
        typed = code or str(typer.prompt("Enrolment code", hide_input=True))
        password = _password(password_stdin)
        with registry_session(db, key_file, None) as (session, operator):
            enrolment = account_requests.enrol(session, operator.sealer, typed, password)
    except REFUSALS as refused:
        raise fail(str(refused)) from None
    _show(enrolment)


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
    except REFUSALS as unknown:
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
    except REFUSALS as unknown:
        raise fail(str(unknown)) from None
    console.print(f"every session of {escape(name)} ended")
