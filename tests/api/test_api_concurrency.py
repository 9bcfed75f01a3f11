"""More requests at once than the database has connections and the server has threads."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx2
import pytest
from api_support import (
    BASE_URL,
    PASSWORD,
    bearer,
    cheap_hashing,
    code,
    deploy,
    register,
    sign_in,
)

from safepassage.api.app import create_app
from safepassage.policy import Role
from safepassage.services import accounts
from safepassage.store.sqlite import SQLiteDatabase


def test_requests_beyond_the_pool_wait_their_turn_without_taking_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request holds its connection across the worker threads its dependencies and
    handler run in. Requests that waited for a connection in a worker thread took every
    thread while the ones holding the connections needed one to go on: the server stood
    still until the pool timed out, then failed them (200 clients, benchmarks/load.py).
    Here one connection, two threads and eight requests at once."""
    monkeypatch.setattr(SQLiteDatabase, "pool_size", 1)
    monkeypatch.setattr(SQLiteDatabase, "pool_overflow", 0)
    with cheap_hashing():
        deployment = deploy(tmp_path)
        register(deployment)
        with deployment.client() as client:
            token = sign_in(client, deployment, Role.COORDINATOR.value)

    async def burst() -> list[int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 2
        app = create_app(deployment.settings)
        async with httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url=BASE_URL, headers=bearer(token)
        ) as http:
            answers = await asyncio.gather(
                *(http.get("/api/households/hgbr") for _ in range(4)),
                *(http.get("/api/households/hgbr/persons") for _ in range(4)),
            )
        app.state.server.database.dispose()
        return [answer.status_code for answer in answers]

    assert asyncio.run(burst()) == [200] * 8
    deployment.database.dispose()


def test_one_code_posted_eight_times_at_once_signs_in_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight requests with one valid code, each having hashed its password before any goes
    on: one token, seven refusals (all eight were signed in before the account was held
    and read again after hashing)."""
    with cheap_hashing():
        deployment = deploy(tmp_path)
        password_matches = accounts._password_matches
        hashed_together = threading.Barrier(8)

        def in_step(stored: str, password: str) -> bool:
            matches = password_matches(stored, password)
            hashed_together.wait(60)
            return matches

        monkeypatch.setattr(accounts, "_password_matches", in_step)
        name = Role.FIELD_LEAD.value
        body = {"name": name, "password": PASSWORD, "code": code(deployment.secrets[name])}

        async def burst() -> list[int]:
            app = create_app(deployment.settings)
            async with httpx2.AsyncClient(
                transport=httpx2.ASGITransport(app=app), base_url=BASE_URL
            ) as http:
                answers = await asyncio.gather(
                    *(http.post("/api/auth/token", json=body) for _ in range(8))
                )
            app.state.server.database.dispose()
            return sorted(answer.status_code for answer in answers)

        assert asyncio.run(burst()) == [200] + [401] * 7


def test_a_request_goes_to_a_worker_thread_only_to_query_or_handle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every trip to a worker thread and back waits for the interpreter lock behind the
    threads at work, which under load cost more than the queries (benchmarks/load.py): the
    dependencies that only read the request or the account run in the event loop. A read
    of a household takes five trips: the registry's active key (so that a rotation made by
    another process is followed), the account's query, the handler, FastAPI's check of what
    a plain handler returned, and the commit."""
    with cheap_hashing():
        deployment = deploy(tmp_path)
        register(deployment)
        with deployment.client() as client:
            token = sign_in(client, deployment, Role.COORDINATOR.value)
    trips: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(function: Any, *args: Any, **options: Any) -> Any:
        inner = getattr(function, "func", function)  # FastAPI passes partials
        trips.append(getattr(inner, "__qualname__", "?"))
        return await run_sync(function, *args, **options)

    async def read() -> int:
        app = create_app(deployment.settings)
        async with httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url=BASE_URL, headers=bearer(token)
        ) as http:
            await http.get("/api/households/hgbr")  # the first request warms the pool up
            monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
            answer = await http.get("/api/households/hgbr")
        app.state.server.database.dispose()
        return answer.status_code

    assert asyncio.run(read()) == 200
    assert trips == [
        "KeysInForce.follow",
        "current_account",
        "_run_sync_endpoint",
        "ModelField.validate",
        "_finish.<locals>.finish",
    ]
    deployment.database.dispose()
