"""Signing in and out over HTTP: cookies, tokens, lock-out, sign-out everywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from api_support import (
    PASSWORD,
    Deployment,
    bearer,
    cheap_hashing,
    code,
    cookie,
    deploy,
    sign_in,
)
from fastapi.testclient import TestClient
from sqlalchemy import select

from safepassage.policy import Role
from safepassage.store.tables import AuditRow, SessionRow

LOCKOUT = 3


@pytest.fixture(scope="module", autouse=True)
def _fast_hashing() -> Iterator[None]:
    with cheap_hashing():
        yield


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    return deploy(tmp_path_factory.mktemp("auth"), lockout_threshold=LOCKOUT)


@pytest.fixture(scope="module")
def client(deployment: Deployment) -> Iterator[TestClient]:
    with deployment.client() as client:
        yield client


def _sign_in_body(deployment: Deployment, name: str, password: str = PASSWORD) -> dict[str, str]:
    return {"name": name, "password": password, "code": code(deployment.secrets[name])}


def _logins(deployment: Deployment) -> list[AuditRow]:
    with deployment.session() as session:
        return list(
            session.execute(
                select(AuditRow).where(AuditRow.action == "login").order_by(AuditRow.seq)
            ).scalars()
        )


def test_the_session_cookie_is_secure_http_only_and_same_site(
    client: TestClient, deployment: Deployment
) -> None:
    deployment.add_account("cookie.user", Role.COORDINATOR, "all")
    response = client.post("/api/auth/login", json=_sign_in_body(deployment, "cookie.user"))
    client.cookies.clear()
    assert response.json() == {"name": "cookie.user", "role": "coordinator", "scope": "all"}
    header = response.headers["set-cookie"]
    assert header.startswith("__Host-safepassage=")
    for attribute in ("HttpOnly", "Path=/", "SameSite=strict", "Secure"):
        assert attribute in header
    token = header.split(";")[0].split("=", 1)[1]
    headers = cookie(deployment, token)
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    # The cookie is not a bearer token, nor the other way round.
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 401
    foreign = {**headers, "Origin": "https://elsewhere.example"}
    assert client.post("/api/auth/logout", headers=foreign).status_code == 403
    same = {**headers, "Origin": "https://testserver"}
    assert client.post("/api/auth/logout", headers=same).status_code == 204
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_only_a_digest_of_each_token_is_stored(client: TestClient, deployment: Deployment) -> None:
    deployment.add_account("digest.user", Role.AUDITOR, "all")
    token = sign_in(client, deployment, "digest.user")
    with deployment.session() as session:
        stored = list(session.execute(select(SessionRow.digest)).scalars())
        raw = session.connection().exec_driver_sql("SELECT * FROM sessions").all()
    assert token not in repr(raw)
    assert len(stored) >= 1 and all(len(digest) == 64 for digest in stored)


def test_a_wrong_password_or_code_is_refused_alike_and_audited_without_secrets(
    client: TestClient, deployment: Deployment
) -> None:
    deployment.add_account("typo.user", Role.AUDITOR, "all")
    wrong_password = _sign_in_body(deployment, "typo.user", "not the password at all")
    wrong_code = {**_sign_in_body(deployment, "typo.user"), "code": "000000"}
    unknown = {**_sign_in_body(deployment, "typo.user"), "name": "my secret password"}
    answers = [client.post("/api/auth/token", json=body) for body in (wrong_password, wrong_code)]
    answers.append(client.post("/api/auth/token", json=unknown))
    assert {answer.status_code for answer in answers} == {401}
    assert len({answer.text for answer in answers}) == 1
    entries = _logins(deployment)[-3:]
    outcomes = [(entry.actor, json.loads(entry.detail)["outcome"]) for entry in entries]
    assert outcomes == [
        ("typo.user", "wrong-password"),
        ("typo.user", "wrong-code"),
        ("anonymous", "unknown-account"),
    ]
    text = " ".join(entry.subject + entry.detail for entry in entries)
    assert "not the password" not in text and "my secret" not in text and PASSWORD not in text


def test_repeated_failures_lock_the_account_until_an_administrator_unlocks_it(
    client: TestClient, deployment: Deployment
) -> None:
    deployment.add_account("guessed", Role.COORDINATOR, "all")
    for attempt in range(LOCKOUT):
        guess = _sign_in_body(deployment, "guessed", f"guess number {attempt} is wrong")
        assert client.post("/api/auth/token", json=guess).status_code == 401
    assert (
        client.post("/api/auth/token", json=_sign_in_body(deployment, "guessed")).status_code == 401
    )
    assert json.loads(_logins(deployment)[-1].detail)["outcome"] == "locked"
    admin = bearer(sign_in(client, deployment, "admin"))
    listed = {user["name"]: user for user in client.get("/api/users", headers=admin).json()}
    assert listed["guessed"]["locked_until"] is not None
    assert client.post("/api/users/guessed/unlock", headers=admin).status_code == 200
    assert (
        client.post("/api/auth/token", json=_sign_in_body(deployment, "guessed")).status_code == 200
    )


def test_signing_out_everywhere_ends_cookies_and_tokens(
    client: TestClient, deployment: Deployment
) -> None:
    deployment.add_account("everywhere", Role.FIELD_LEAD, "households:h1")
    token = bearer(sign_in(client, deployment, "everywhere"))
    session_cookie = cookie(
        deployment, sign_in(client, deployment, "everywhere", offset=1, how="login")
    )
    assert client.get("/api/auth/me", headers=session_cookie).status_code == 200
    assert client.post("/api/auth/logout-all", headers=token).status_code == 204
    assert client.get("/api/auth/me", headers=token).status_code == 401
    assert client.get("/api/auth/me", headers=session_cookie).status_code == 401


def test_an_administrator_asks_locks_and_resets_an_account(
    client: TestClient, deployment: Deployment
) -> None:
    """The administrator's answers carry no credentials: the holder enrols (see
    tests/api/test_api_account_requests.py for the whole rule)."""
    deployment.add_account("admin.two", Role.ADMIN, "all")
    admin = bearer(sign_in(client, deployment, "admin.two"))
    asked = {"name": "host.gbr", "role": "host_liaison", "scope": "host:gbr"}
    with_password = {**asked, "password": PASSWORD}
    assert client.post("/api/users", headers=admin, json=with_password).status_code == 422
    unscoped = {**asked, "scope": "all"}
    assert client.post("/api/users", headers=admin, json=unscoped).status_code == 400
    created = client.post("/api/users", headers=admin, json=asked)
    assert created.status_code == 202 and created.json()["state"] == "pending"
    assert created.json()["scope"] == "host:GBR" and "totp_secret" not in created.text
    deployment.add_account("host.two", Role.HOST_LIAISON, "host:GBR")
    host = bearer(sign_in(client, deployment, "host.two"))
    assert client.get("/api/households", headers=host).status_code == 200
    assert client.post("/api/users/host.two/lock", headers=admin).json()["disabled"] is True
    assert client.get("/api/households", headers=host).status_code == 401
    reset = client.post("/api/users/host.two/reset", headers=admin)
    assert reset.status_code == 202 and reset.json()["kind"] == "reset"
    assert "secret" not in reset.text and "code" not in reset.text


def test_a_password_change_needs_the_old_one_and_ends_every_session(
    client: TestClient, deployment: Deployment
) -> None:
    deployment.add_account("changer", Role.AUDITOR, "all")
    token = bearer(sign_in(client, deployment, "changer"))
    secret = deployment.secrets["changer"]
    change = {
        "current": "not my password",
        "new": "a brand new passphrase",
        "code": code(secret, 1),
    }
    assert client.post("/api/auth/password", headers=token, json=change).status_code == 403
    change["current"] = PASSWORD
    assert client.post("/api/auth/password", headers=token, json=change).status_code == 204
    assert client.get("/api/auth/me", headers=token).status_code == 401
