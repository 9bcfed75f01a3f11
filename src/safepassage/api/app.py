"""The web application: :func:`create_app` builds it from :class:`Settings`, nothing at import.

The JSON API lives under ``/api`` (OpenAPI at ``/api/openapi.json``), one router per resource
in :mod:`safepassage.api.routes`; the pages (:mod:`safepassage.web.pages`) are served at ``/``
next to it, signing in with the same session cookie and calling the same services and policy.

Errors say what went wrong with ids and rules only. Request validation errors in particular
are returned without the value that failed: FastAPI's default echoes it, and it may be a
name or a document number typed into a search.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from safepassage.api.deps import Server
from safepassage.api.errors import invalid_request
from safepassage.api.methods import refuse_methods_not_taken
from safepassage.api.routes import (
    account_requests,
    audit,
    auth,
    checkpoints,
    dedup,
    enrolment,
    exports,
    households,
    imports,
    manifests,
    matching,
    persons,
    plans,
    users,
)
from safepassage.api.routes import status as status_routes
from safepassage.api.settings import Settings
from safepassage.matching import FloorsUnreachable, PinRefused
from safepassage.model.registry import StatusChangeRefused
from safepassage.policy import ScopeRefused
from safepassage.protection.export_box import WeakPassphrase
from safepassage.protection.keys import (
    KeyRing,
    KeyRingOutOfStep,
    KeyRingUnavailable,
    load_key_ring,
)
from safepassage.services.account_requests import (
    DecisionRefused,
    EnrolmentRefused,
    RequestClosed,
    UnknownRequest,
)
from safepassage.services.accounts import AccountRefused, UnknownAccount
from safepassage.services.audit_anchors import ChainPosition, anchor_if_moved
from safepassage.services.database import (
    Database,
    DatabaseError,
    current_revision,
    data_folder,
    head_revision,
    open_database,
)
from safepassage.services.dedup import MergeRefused
from safepassage.services.keys import KeyNotActive, KeysInForce
from safepassage.services.operations import ManifestRefused, PlaceRefused, ResolutionRefused
from safepassage.services.registry import UnknownRecord
from safepassage.services.registry_matching import OverrideRefused, RoundRefused
from safepassage.services.registry_planning import RegistryDoesNotFit
from safepassage.web import app as pages_app
from safepassage.web.api_docs import api_docs

logger = logging.getLogger(__name__)

API_PREFIX = "/api"
API_ROUTERS = (
    auth.router,
    enrolment.router,
    account_requests.router,
    users.router,
    households.router,
    persons.router,
    status_routes.router,
    checkpoints.router,
    manifests.router,
    exports.router,
    imports.router,
    dedup.router,
    audit.router,
    matching.router,
    plans.router,
)

_STATUS_OF: dict[type[Exception], int] = {
    UnknownRecord: status.HTTP_404_NOT_FOUND,
    UnknownAccount: status.HTTP_404_NOT_FOUND,
    UnknownRequest: status.HTTP_404_NOT_FOUND,
    DecisionRefused: status.HTTP_403_FORBIDDEN,
    RequestClosed: status.HTTP_409_CONFLICT,
    EnrolmentRefused: status.HTTP_400_BAD_REQUEST,
    StatusChangeRefused: status.HTTP_409_CONFLICT,
    MergeRefused: status.HTTP_409_CONFLICT,
    ResolutionRefused: status.HTTP_409_CONFLICT,
    ManifestRefused: status.HTTP_409_CONFLICT,
    RegistryDoesNotFit: status.HTTP_409_CONFLICT,
    AccountRefused: status.HTTP_400_BAD_REQUEST,
    ScopeRefused: status.HTTP_400_BAD_REQUEST,
    WeakPassphrase: status.HTTP_400_BAD_REQUEST,
    OverrideRefused: status.HTTP_409_CONFLICT,
    PinRefused: status.HTTP_409_CONFLICT,
    FloorsUnreachable: status.HTTP_409_CONFLICT,
    RoundRefused: status.HTTP_400_BAD_REQUEST,
    PlaceRefused: status.HTTP_400_BAD_REQUEST,
    KeyNotActive: status.HTTP_503_SERVICE_UNAVAILABLE,
    KeyRingOutOfStep: status.HTTP_503_SERVICE_UNAVAILABLE,
}
"""The services' refusals, whose messages are written for the person acting (ids, rules).
A request of the right shape that a rule refuses is a 400; 422 is kept for requests that
do not match the schema, as FastAPI documents it."""


class Message(BaseModel):
    detail: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status.HTTP_400_BAD_REQUEST: {"model": Message, "description": "Refused by a rule."},
    status.HTTP_401_UNAUTHORIZED: {"model": Message, "description": "Not signed in."},
    status.HTTP_403_FORBIDDEN: {"model": Message, "description": "Not for this role."},
    status.HTTP_404_NOT_FOUND: {"model": Message, "description": "Unknown or out of scope."},
    status.HTTP_409_CONFLICT: {"model": Message, "description": "The registry's state refuses it."},
}

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
"""No response is cached anywhere (they may carry personal data), none is framed."""


class ServerUnavailable(Exception):
    """The server cannot start with these settings; the message says what to do."""


def key_ring(settings: Settings) -> KeyRing:
    """As the CLI finds it: the settings' file, the environment, else the data folder's."""
    try:
        return load_key_ring(settings.key_file)
    except KeyRingUnavailable as missing:
        fallback = data_folder() / "keyring.json"
        if settings.key_file is None and fallback.is_file():
            try:
                return load_key_ring(fallback)
            except KeyRingUnavailable as broken:
                raise ServerUnavailable(str(broken)) from None
        raise ServerUnavailable(str(missing)) from None


def check_database(database: Database) -> None:
    current = current_revision(database)
    if current != head_revision():
        raise ServerUnavailable(
            f"the registry at {database.name} is at schema {current or 'none'}, this "
            f"SafePassage needs {head_revision()}: run `safepassage db upgrade`"
        )


def keys_in_force(settings: Settings, database: Database) -> KeysInForce:
    """The ring as the registry seals with it now, reloaded from the same place whenever a
    rotation changes the registry's active key."""
    keys = KeysInForce(key_ring(settings), lambda: key_ring(settings))
    try:
        with database.session() as session:
            keys.follow(session)
    except KeyRingOutOfStep as out_of_step:
        raise ServerUnavailable(str(out_of_step)) from None
    return keys


def check_anchor_folder(settings: Settings) -> None:
    if settings.anchor_dir is None:
        return
    try:
        settings.anchor_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ServerUnavailable(
            f"cannot use {settings.anchor_dir} for audit anchors: "
            f"{error.strerror or type(error).__name__}"
        ) from None


async def keep_anchoring(server: Server, folder: Path) -> None:
    """Write an audit anchor at the start and then every ``anchor_seconds`` the chain has
    moved. A failed write (the folder's share away, the database busy) is logged by its kind
    and tried again at the next turn: the server goes on serving."""
    written: ChainPosition | None = None

    def anchor() -> ChainPosition:
        with server.database.session() as session:
            return anchor_if_moved(session, server.keys.follow(session).ring, folder, written)

    while True:
        try:
            written = await anyio.to_thread.run_sync(anchor, limiter=anyio.CapacityLimiter(1))
        except (OSError, DatabaseError, KeyRingUnavailable) as error:
            logger.warning("audit anchor not written: %s", type(error).__name__)
        await anyio.sleep(server.settings.anchor_seconds)


def create_app(settings: Settings) -> FastAPI:
    """The application for ``settings``: the key ring is loaded and the database's schema
    checked now, so a server that starts can serve."""
    database = open_database(settings.database)
    if settings.workers > 1 and not database.several_processes:
        raise ServerUnavailable(
            f"{settings.workers} workers need PostgreSQL: {database.name} is SQLite, which "
            "takes one writer at a time, so serve it with one worker (the default)"
        )
    check_database(database)
    check_anchor_folder(settings)
    server = Server(
        settings,
        database,
        keys_in_force(settings, database),
        anyio.Semaphore(database.connections),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with anyio.create_task_group() as background:
            if settings.anchor_dir is not None:
                background.start_soon(keep_anchoring, server, settings.anchor_dir)
            yield
            background.cancel_scope.cancel()
        database.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="SafePassage",
        summary="Registry, operations and audit of an evacuation, behind roles and scopes.",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.server = server
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)

    app.get(f"{API_PREFIX}/docs", include_in_schema=False)(api_docs)

    @app.get(f"{API_PREFIX}/health", tags=["meta"], summary="The server is up")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    for error_type, code in _STATUS_OF.items():
        app.add_exception_handler(error_type, _refusal(code))
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.middleware("http")(refuse_methods_not_taken(API_PREFIX))
    app.middleware("http")(_security_headers)
    app.mount("/", pages_app.application(server))  # last: whatever the API does not answer
    return app


def app_from_environment() -> FastAPI:
    """The application of a worker process of ``serve --workers``, whose settings come in
    the environment (:meth:`Settings.environment`) that the ``serve`` command set."""
    # Every field has a default, given to Field positionally, which mypy does not see.
    return create_app(Settings())  # type: ignore[call-arg]


def _refusal(code: int) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(_request: Request, error: Exception) -> Response:
        return JSONResponse({"detail": str(error)}, status_code=code)

    return handle


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
