"""What a request needs before its handler runs: a unit of work, the account, its rights.

Every route names its action with :func:`permit`, so the role check happens in one place
(:mod:`safepassage.policy`) before anything is read. Records outside an account's scope are
reported as unknown (404), the same as records that do not exist: a host liaison must not
learn from a 403 which other households the registry holds.

Dependencies that only look at the request or at what another dependency returned are
coroutines. FastAPI runs a plain function in a worker thread, and under load each trip there
and back waits its turn for the interpreter lock behind the threads at work: only the ones
that query the database (the session's account) and the handlers go to a thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, cast
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from safepassage.api.settings import Settings
from safepassage.policy import Action, allowed
from safepassage.protection.sealing import Sealer
from safepassage.services import households
from safepassage.services.accounts import Account, SessionKind, account_for_token
from safepassage.services.database import Database, Session
from safepassage.services.keys import KeysInForce
from safepassage.services.registry import Operator

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ROW_ID_MAX = 2**31 - 1
"""The largest integer id a row can have (PostgreSQL's ``integer``): a larger one in a path is
refused as invalid rather than failing in the database."""


@dataclass(frozen=True)
class Server:
    """What :func:`safepassage.api.app.create_app` sets up once and every request shares."""

    settings: Settings
    database: Database
    keys: KeysInForce
    """The key ring, following the registry's active key: see :func:`get_session`."""
    sessions: anyio.Semaphore
    """As many as the engine has connections: see :func:`get_session`."""

    @property
    def sealer(self) -> Sealer:
        """The sealer of the registry's active key, as of this request's start."""
        return self.keys.sealer


async def get_server(request: Request) -> Server:
    return cast(Server, request.app.state.server)


ServerDep = Annotated[Server, Depends(get_server)]


async def get_session(server: ServerDep) -> AsyncIterator[Session]:
    """One unit of work per request: committed when the handler returns (before the
    response leaves, so a failed commit is an error the client sees), rolled back when it
    raises, so a refused change leaves nothing half done.

    A request holds its connection from its first query to the commit, while its
    dependencies and handler run one after the other in worker threads. Requests therefore
    take turns for the engine's connections here, in the event loop, before they occupy a
    thread: when they waited for a connection in a worker thread, the waiting requests could
    take every thread while those holding the connections needed one to go on, and the
    server stood still until the pool timed out (200 clients, ``benchmarks/load.py``).

    Before the handler runs, the server's key ring follows the registry's active key, so a
    rotation made by another process (``keys rotate``) is taken up by the next request, and a
    request that raced it is refused at its audit entry, never committed with the old key."""
    async with server.sessions:
        session = Session(server.database.engine, expire_on_commit=False)
        try:
            await anyio.to_thread.run_sync(
                server.keys.follow, session, limiter=anyio.CapacityLimiter(1)
            )
            yield session
        except BaseException:
            await _finish(session, commit=False)
            raise
        await _finish(session, commit=True)


async def _finish(session: Session, *, commit: bool) -> None:
    """Commit or roll back, and give the connection back, in a thread outside the shared
    pool (as FastAPI runs a dependency's exit) and whatever cancels the request."""

    def finish() -> None:
        try:
            if commit:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()

    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(finish, limiter=anyio.CapacityLimiter(1))


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

bearer_scheme = HTTPBearer(
    auto_error=False, description="A token from POST /api/auth/token, as `Bearer <token>`."
)


@dataclass(frozen=True)
class Credentials:
    kind: SessionKind
    token: str


async def get_credentials(
    request: Request,
    server: ServerDep,
    header: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Credentials | None:
    """A bearer token from the Authorization header, else the session cookie.

    A cookie rides along with any request the browser makes, including one a hostile page
    sends; the cookie is ``SameSite=Strict``, and a changing request that says it comes
    from another origin is refused as well."""
    if header is not None:
        return Credentials(SessionKind.BEARER, header.credentials)
    cookie = request.cookies.get(server.settings.cookie_name)
    if cookie is None:
        return None
    origin = request.headers.get("origin")
    if (
        request.method not in SAFE_METHODS
        and origin is not None
        and urlsplit(origin).netloc != request.headers.get("host")
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a request from another site")
    return Credentials(SessionKind.COOKIE, cookie)


CredentialsDep = Annotated[Credentials | None, Depends(get_credentials)]


def current_account(session: SessionDep, credentials: CredentialsDep) -> Account:
    account = (
        account_for_token(session, credentials.token, credentials.kind)
        if credentials is not None
        else None
    )
    if account is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "sign in first (POST /api/auth/login or /api/auth/token)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return account


CurrentAccount = Annotated[Account, Depends(current_account)]


class Permit:
    """The role check of one action, as a dependency; ``action`` is what the route does."""

    def __init__(self, action: Action) -> None:
        self.action = action

    async def __call__(self, account: CurrentAccount) -> Account:
        if not allowed(account.role, self.action):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"a {account.role.value} account may not do {self.action.value}",
            )
        return account


def permit(action: Action) -> Any:
    """``dependencies=[permit(Action.X)]`` on a route: the role check runs first."""
    return Depends(Permit(action))


async def get_operator(account: CurrentAccount, server: ServerDep) -> Operator:
    """The services' operator: the account's name goes into the audit log and histories."""
    return Operator(account.name, server.sealer)


OperatorDep = Annotated[Operator, Depends(get_operator)]


def check_household(session: Session, account: Account, household_id: str) -> None:
    """Refuse, as unknown, a household that does not exist or is not in scope."""
    households.check_household(session, account.scope, household_id)


def check_persons(session: Session, account: Account, person_ids: Iterable[str]) -> None:
    """Refuse, as unknown, the first person that does not exist or is not in scope."""
    households.check_persons(session, account.scope, person_ids)
