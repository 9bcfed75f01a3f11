"""``serve --workers 2`` on PostgreSQL: two processes answer, sharing sessions and the chain."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from api_support import PASSWORD, bearer, cheap_hashing, code, deploy, register
from sqlalchemy import text

from conftest import POSTGRES_URL, POSTGRES_URL_ENV
from safepassage.store import audit, open_database
from safepassage.store.postgresql import PostgresDatabase

SERVE = "from safepassage.cli.main import app; app(prog_name='safepassage')"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A schema of its own, named in the URL as a deployment sharing a database names it."""
    base = os.environ.get(POSTGRES_URL_ENV, POSTGRES_URL)
    name = f"test_workers_{uuid.uuid4().hex[:12]}"
    admin = PostgresDatabase(base)
    with admin.engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield f"{base}?options=-csearch_path%3D{name}"
    finally:
        with admin.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _workers(pid: int) -> list[int]:
    """The worker processes uvicorn spawned (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [
        int(child)
        for child in children
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


def test_two_workers_share_sessions_and_the_audit_chain(postgres_url: str, tmp_path: Path) -> None:
    with cheap_hashing():
        deployment = deploy(tmp_path, location=postgres_url)
        register(deployment)
    deployment.database.dispose()
    port = _free_port()
    command = [sys.executable, "-c", SERVE, "serve", "--workers", "2", "--db", postgres_url]
    command += ["--key-file", str(tmp_path / "keyring.json"), "--port", str(port)]
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, log.read_text()
            try:
                if httpx2.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        # uvicorn's supervisor and its two workers, each with its own application and pool.
        workers = _workers(server.pid)
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = _workers(server.pid)
        assert len(workers) == 2, log.read_text()

        signed = httpx2.post(
            f"{base}/api/auth/token",
            json={
                "name": "coordinator",
                "password": PASSWORD,
                "code": code(deployment.secrets["coordinator"]),
            },
        )
        assert signed.status_code == 200, signed.text
        token = bearer(signed.json()["access_token"])
        # Each request on a new connection: the kernel hands them to either worker, and a
        # token one process issued must sign in at the other; each read writes the chain.
        answers = [
            httpx2.get(f"{base}/api/households/hgbr/persons", headers=token).status_code
            for _ in range(20)
        ]
        assert answers == [200] * 20
        moved = httpx2.post(
            f"{base}/api/status", headers=token, json={"person_ids": ["pg0"], "to": "on_hold"}
        )
        assert moved.status_code == 200, moved.text
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(60)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    database = open_database(postgres_url)
    with database.session() as session:
        report = audit.verify(session, deployment.ring)
    database.dispose()
    assert report.intact and report.entries > 20
