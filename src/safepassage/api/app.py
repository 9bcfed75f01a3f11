"""The web application: :func:`create_app` builds it from :class:`Settings`, nothing at import.

The JSON API lives under ``/api`` (OpenAPI at ``/api/openapi.json``), one router per resource
in :mod:`safepassage.api.routes`; the pages (:mod:`safepassage.web.pages`) are served at ``/``
next to it, signing in with the same session cookie and calling the same services and policy.

Errors say what went wrong with ids and rules only. Request validation errors in particular
are returned without the value that failed: FastAPI's default echoes it, and it may be a
name or a document number typed into a search.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from safepassage.api.deps import Server
from safepassage.api.errors import invalid_request
from safepassage.api.routes import (
    audit,
    auth,
    checkpoints,
    dedup,
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
from safepassage.protection.keys import KeyRing, KeyRingUnavailable, load_key_ring
from safepassage.protection.sealing import Sealer
from safepassage.services.accounts import AccountRefused, UnknownAccount
from safepassage.services.dedup import MergeRefused
from safepassage.services.operations import ManifestRefused, ResolutionRefused
from safepassage.services.registry import UnknownRecord
from safepassage.services.registry_matching import OverrideRefused, RoundRefused
from safepassage.services.registry_planning import RegistryDoesNotFit
from safepassage.store.database import Database, data_folder, open_database
from safepassage.store.schema import current_revision, head_revision
from safepassage.web import app as pages_app

API_PREFIX = "/api"
API_ROUTERS = (
    auth.router,
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
    server = Server(
        settings, database, Sealer(key_ring(settings)), anyio.Semaphore(database.connections)
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        database.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="SafePassage",
        summary="Registry, operations and audit of an evacuation, behind roles and scopes.",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.server = server
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)

    @app.get(f"{API_PREFIX}/health", tags=["meta"], summary="The server is up")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    for error_type, code in _STATUS_OF.items():
        app.add_exception_handler(error_type, _refusal(code))
    app.add_exception_handler(RequestValidationError, invalid_request)
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
