"""A live server and Debian's Chromium for the browser tests of every page.

The server runs in a thread on a free loopback port with a fresh deployment; Chromium treats
``http://127.0.0.1`` as a secure origin, so the ``__Host-`` cookie of a production server is
what the browser holds here too. Screenshots go to a temporary folder, or to the folder named
by ``SAFEPASSAGE_SCREENSHOTS`` (``docs/screenshots`` to refresh the documentation's).

A test module takes the fixtures by importing them: ``from web_support import browser, live,
page, shots``.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

sys.path.append(str(Path(__file__).resolve().parents[1] / "api"))
from api_support import PASSWORD, Deployment, cheap_hashing, code, deploy, register

from safepassage.api.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
PLANNING_MS = 180_000
"""The first map plans the bundled scenario (numba compiles the router on first use)."""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Deployment]]:
    with cheap_hashing():
        deployment = deploy(tmp_path_factory.mktemp("web"))
        register(deployment)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(deployment.settings), host="127.0.0.1", port=port, log_level="warning"
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", deployment
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: apt-get install chromium (tools/run_tests.py does)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    named = os.environ.get("SAFEPASSAGE_SCREENSHOTS")
    folder = Path(named) if named else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(page: Page, base: str, deployment: Deployment, name: str, *, offset: int = 0) -> None:
    page.goto(f"{base}/")
    assert page.url == f"{base}/signin"
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.fill("#code", code(deployment.secrets[name], offset))
    page.click("#signin")
