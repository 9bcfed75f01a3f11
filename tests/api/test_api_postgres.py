"""The API on PostgreSQL: the same app, signed in, scoped, committing per request."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import bearer, cheap_hashing, deploy, register, sign_in
from sqlalchemy import text

from conftest import POSTGRES_URL, POSTGRES_URL_ENV
from safepassage.policy import Role
from safepassage.store.postgresql import PostgresDatabase


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A schema of its own, named in the URL's connection options as a server would be."""
    base = os.environ.get(POSTGRES_URL_ENV, POSTGRES_URL)
    name = f"test_api_{uuid.uuid4().hex[:12]}"
    admin = PostgresDatabase(base)
    with admin.engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield f"{base}?options=-csearch_path%3D{name}"
    finally:
        with admin.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def test_signing_in_and_scoped_reads_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    with cheap_hashing():
        deployment = deploy(tmp_path, location=postgres_url)
        register(deployment)
        with deployment.client() as client:
            host = bearer(sign_in(client, deployment, Role.HOST_LIAISON.value))
            listed = client.get("/api/households", headers=host).json()
            assert [household["id"] for household in listed] == ["hgbr"]
            assert client.get("/api/persons/pd0", headers=host).status_code == 404
            person = client.get("/api/persons/pg0", headers=host).json()
            assert person["documents"][0]["number"] == "NPG0"
            coordinator = bearer(sign_in(client, deployment, Role.COORDINATOR.value))
            moved = client.post(
                "/api/status", headers=coordinator, json={"person_ids": ["pg0"], "to": "assembled"}
            )
            assert moved.status_code == 200
            refused = client.post(
                "/api/status", headers=coordinator, json={"person_ids": ["pg1"], "to": "crossed"}
            )
            assert refused.status_code == 409
            history = client.get("/api/status/pg0/history", headers=coordinator).json()
            assert [event["to_status"] for event in history] == ["cleared", "assembled"]
            auditor = bearer(sign_in(client, deployment, Role.AUDITOR.value))
            assert client.get("/api/audit/verify", headers=auditor).json()["intact"] is True
    deployment.database.dispose()
