"""The API's documentation page: Swagger UI from the vendored npm files, under the pages' CSP.

FastAPI's own page loads Swagger UI from a CDN (a version not pinned, no integrity check, run
at the origin that holds the session cookie, and blank without a connection) and starts it
with an inline script, which the pages' Content-Security-Policy forbids. This one loads the
files vendored under ``/static/vendor/swagger-ui`` (``npm run vendor``) and starts them from
``/static/api-docs.js``.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from safepassage.web.common import render


def api_docs(request: Request) -> HTMLResponse:
    return render(request, "api_docs.html", {"openapi_url": request.app.openapi_url})
