"""/api/docs: Swagger UI from the vendored files, under the pages' CSP, whole without a network.

It loaded Swagger UI from a CDN (a version not pinned, no integrity check, run at the origin
that holds the session cookie, blank offline) and started it with an inline script (issue:
hardening, item 6).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from playwright.sync_api import Page, Route

sys.path.append(str(Path(__file__).resolve().parents[1] / "api"))
sys.path.append(str(Path(__file__).resolve().parent))
from api_support import Deployment
from web_support import browser, live, page  # noqa: F401 (fixtures)

from safepassage.web.common import CONTENT_SECURITY_POLICY


def test_the_docs_page_names_only_this_server_and_carries_the_pages_csp(
    live: tuple[str, Deployment],  # noqa: F811
) -> None:
    _base, deployment = live
    with deployment.client() as client:
        answer = client.get("/api/docs")
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["x-frame-options"] == "DENY"
    addresses = re.findall(r'(?:src|href)="([^"]*)"', answer.text)
    assert addresses and all(
        address.startswith("/static/") and not address.startswith("//") for address in addresses
    )
    assert "<script>" not in answer.text and "style=" not in answer.text  # nothing inline
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in addresses


def test_the_docs_list_every_operation_with_no_network_and_no_csp_violation(
    live: tuple[str, Deployment],  # noqa: F811
    page: Page,  # noqa: F811
) -> None:
    base, _deployment = live
    elsewhere: list[str] = []
    errors: list[str] = []

    def offline(route: Route) -> None:
        if route.request.url.startswith(f"{base}/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.context.route("**/*", offline)
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto(f"{base}/api/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    schema = page.evaluate("fetch('/api/openapi.json').then(response => response.json())")
    operations = sum(len(methods) for methods in schema["paths"].values())
    shown = page.locator(".opblock").count()
    assert shown == operations
    assert page.locator(".opblock-summary-path", has_text="/api/auth/token").count() == 1
    assert errors == []  # a script or style the Content-Security-Policy blocked shows here
    assert elsewhere == []
