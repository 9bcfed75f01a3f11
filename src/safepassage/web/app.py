"""The pages as their own application, mounted under the API's.

They answer a browser (redirects, HTML) where the API answers a client (401, JSON), are not
part of the OpenAPI document, and share the server's database, keys and settings. One router
per group of pages, as the API has one per resource.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles

from safepassage.api.deps import Server
from safepassage.api.errors import invalid_request
from safepassage.web import (
    account_pages,
    matching_pages,
    operations_pages,
    pages,
    plan_pages,
    registry_pages,
)
from safepassage.web.common import HERE, STATIC_PREFIX


def application(server: Server) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.server = server
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.include_router(pages.router)
    app.include_router(registry_pages.router)
    app.include_router(operations_pages.router)
    app.include_router(plan_pages.router)
    app.include_router(matching_pages.router)
    app.include_router(account_pages.router)
    app.mount(STATIC_PREFIX, StaticFiles(directory=HERE / "static"), name="static")
    return app
