"""405 for a method an address does not take, where the pages' mount would answer 404.

The pages are mounted at ``/`` after the API, so a request no API route takes in full falls
through to them: ``PUT /api/households`` or ``TRACE /api/health`` answered 404, as if the
address did not exist, and without the ``Allow`` header a client needs. TRACE, TRACK and
CONNECT are taken nowhere (TRACE echoes a request, headers and all, back to whoever can read
the answer), so they are 405 at every address.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence

from fastapi import Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.routing import compile_path

NEVER_TAKEN = frozenset({"TRACE", "TRACK", "CONNECT"})

Addresses = Sequence[tuple[re.Pattern[str], frozenset[str]]]


def _addresses(request: Request) -> Addresses:
    """Each route's address pattern and methods (the pages' mount has none)."""
    return [
        (compile_path(route.path)[0], frozenset(route.methods))
        for route in iter_route_contexts(request.app.routes)
        if route.methods and route.path
    ]


def _methods_here(addresses: Addresses, path: str, method: str) -> frozenset[str] | None:
    """The methods the API's routes take at ``path``, or ``None`` when one of them takes
    ``method`` there."""
    methods: set[str] = set()
    for pattern, taken in addresses:
        if pattern.match(path):
            if method in taken:
                return None
            methods |= taken
    return frozenset(methods)


def _refused(methods: frozenset[str]) -> Response:
    listed = ", ".join(sorted(methods))
    detail = f"this address takes {listed} only" if methods else "no address takes this method"
    return JSONResponse(
        {"detail": f"method not allowed: {detail}"},
        status_code=status.HTTP_405_METHOD_NOT_ALLOWED,
        headers={"Allow": listed},
    )


def refuse_methods_not_taken(
    api_prefix: str,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """The middleware: under ``api_prefix`` by the API's own routes; elsewhere the pages
    answer 405 for their own addresses, and a method never taken is 405 at any other."""

    addresses: list[
        Addresses
    ] = []  # read from the app at the first request: routes are fixed by then

    async def refuse(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        if path == api_prefix or path.startswith(f"{api_prefix}/"):
            if not addresses:
                addresses.append(_addresses(request))
            methods = _methods_here(addresses[0], path, request.method)
            if methods is not None and (methods or request.method in NEVER_TAKEN):
                return _refused(methods)
            return await call_next(request)
        if request.method in NEVER_TAKEN:
            response = await call_next(request)
            if response.status_code == status.HTTP_404_NOT_FOUND:
                return _refused(frozenset())
            return response
        return await call_next(request)

    return refuse
