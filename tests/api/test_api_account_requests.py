"""The two-person rule over HTTP: asked by an administrator, approved by someone else, enrolled
by the holder alone; nothing in the administrator's answers signs anybody in."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pyotp
import pytest
from api_support import PASSWORD, Deployment, bearer, cheap_hashing, code, deploy, sign_in
from fastapi.testclient import TestClient

from safepassage.policy import Role

NEW_PASSWORD = "a passphrase of my own"


@pytest.fixture(scope="module", autouse=True)
def _fast_hashing() -> Iterator[None]:
    with cheap_hashing():
        yield


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    deployment = deploy(tmp_path_factory.mktemp("requests"))
    deployment.add_account("admin.b", Role.ADMIN, "all")
    return deployment


@pytest.fixture(scope="module")
def client(deployment: Deployment) -> Iterator[TestClient]:
    with deployment.client() as client:
        yield client


@pytest.fixture(scope="module")
def tokens(client: TestClient, deployment: Deployment) -> dict[str, dict[str, str]]:
    """Each deciding account signed in once: a TOTP code is taken once per step."""
    return {
        name: bearer(sign_in(client, deployment, name))
        for name in ("admin", "admin.b", "coordinator", "auditor")
    }


def _sign_in_as(client: TestClient, name: str, password: str, secret: str, offset: int = 0) -> int:
    body = {"name": name, "password": password, "code": code(secret, offset)}
    return client.post("/api/auth/token", json=body).status_code


def test_an_admin_alone_cannot_get_a_signed_in_coordinator(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    admin = tokens["admin"]
    asked = client.post(
        "/api/users", headers=admin, json={"name": "cora", "role": "coordinator"}
    ).json()
    assert asked["state"] == "pending" and asked["requested_by"] == "admin"
    assert "cora" not in {user["name"] for user in client.get("/api/users", headers=admin).json()}
    assert _sign_in_as(client, "cora", PASSWORD, pyotp.random_base32()) == 401

    own = client.post(f"/api/users/requests/{asked['id']}/approve", headers=admin)
    assert own.status_code == 403 and "second person" in own.json()["detail"]
    auditor = tokens["auditor"]
    as_auditor = client.post(f"/api/users/requests/{asked['id']}/approve", headers=auditor)
    assert as_auditor.status_code == 403

    second = tokens["admin.b"]
    approved = client.post(f"/api/users/requests/{asked['id']}/approve", headers=second)
    assert approved.status_code == 200, approved.text
    enrolment_code = approved.json()["enrolment_code"]
    assert approved.json()["request"]["state"] == "approved" and enrolment_code
    again = client.post(f"/api/users/requests/{asked['id']}/approve", headers=second)
    assert again.status_code == 409

    enrolled = client.post("/api/enrol", json={"code": enrolment_code, "password": NEW_PASSWORD})
    assert enrolled.status_code == 200, enrolled.text
    assert enrolled.json()["account"]["role"] == "coordinator"
    assert enrolled.json()["totp_uri"].startswith("otpauth://totp/SafePassage:cora")
    secret = enrolled.json()["totp_secret"]
    assert _sign_in_as(client, "cora", NEW_PASSWORD, secret) == 200
    reused = client.post("/api/enrol", json={"code": enrolment_code, "password": NEW_PASSWORD})
    assert reused.status_code == 400 and enrolment_code not in reused.text

    trail = client.get("/api/audit/entries", headers=admin, params={"limit": 1000}).json()
    about_cora = [
        (entry["action"], entry["actor"]) for entry in trail if "cora" in entry["subject"]
    ]
    assert about_cora == [
        ("account-request", "admin"),
        ("account-approve", "admin.b"),
        ("account-create", "cora"),
        ("account-enrol", "cora"),
        ("login", "cora"),
    ]
    everything = json.dumps(trail)
    for secret_value in (enrolment_code, enrolment_code.replace("-", ""), NEW_PASSWORD, secret):
        assert secret_value not in everything


def test_a_reset_approved_by_a_coordinator_stops_the_old_credentials(
    client: TestClient, deployment: Deployment, tokens: dict[str, dict[str, str]]
) -> None:
    deployment.add_account("lead.r", Role.FIELD_LEAD, "origin:nawa")
    old_token = bearer(sign_in(client, deployment, "lead.r"))
    asked = client.post("/api/users/lead.r/reset", headers=tokens["admin"])
    assert asked.status_code == 202
    assert client.get("/api/auth/me", headers=old_token).status_code == 200  # not yet

    coordinator = tokens["coordinator"]
    pending = client.get("/api/users/requests", headers=coordinator).json()
    assert asked.json()["id"] in {item["id"] for item in pending}
    approved = client.post(
        f"/api/users/requests/{asked.json()['id']}/approve", headers=coordinator
    ).json()
    assert client.get("/api/auth/me", headers=old_token).status_code == 401
    old_secret = deployment.secrets["lead.r"]
    assert _sign_in_as(client, "lead.r", PASSWORD, old_secret, offset=1) == 401

    enrolled = client.post(
        "/api/enrol", json={"code": approved["enrolment_code"], "password": NEW_PASSWORD}
    ).json()
    assert enrolled["totp_secret"] != old_secret
    assert _sign_in_as(client, "lead.r", NEW_PASSWORD, enrolled["totp_secret"]) == 200


def test_a_raised_role_takes_effect_only_once_approved(
    client: TestClient, deployment: Deployment, tokens: dict[str, dict[str, str]]
) -> None:
    deployment.add_account("lead.c", Role.FIELD_LEAD, "origin:nawa")
    lead = bearer(sign_in(client, deployment, "lead.c"))
    search = {"name": "anyone"}
    assert client.post("/api/persons/search", headers=lead, json=search).status_code == 403
    asked = client.post(
        "/api/users/lead.c/change",
        headers=tokens["admin"],
        json={"role": "coordinator", "scope": "all"},
    )
    assert asked.status_code == 202
    assert client.get("/api/auth/me", headers=lead).json()["role"] == "field_lead"
    assert client.post("/api/persons/search", headers=lead, json=search).status_code == 403

    approved = client.post(
        f"/api/users/requests/{asked.json()['id']}/approve", headers=tokens["admin.b"]
    )
    assert approved.json()["enrolment_code"] is None
    assert client.get("/api/auth/me", headers=lead).json()["role"] == "coordinator"


def test_a_refused_request_changes_nothing(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    admin = tokens["admin"]
    asked = client.post(
        "/api/users", headers=admin, json={"name": "never", "role": "auditor"}
    ).json()
    refused = client.post(f"/api/users/requests/{asked['id']}/refuse", headers=admin)
    assert refused.status_code == 200 and refused.json()["state"] == "refused"
    closed = client.post(f"/api/users/requests/{asked['id']}/approve", headers=admin)
    assert closed.status_code == 409
    unknown = client.post("/api/users/requests/q0/approve", headers=admin)
    assert unknown.status_code == 404
    listed = client.get("/api/users/requests", headers=admin, params={"all": "true"}).json()
    assert next(item for item in listed if item["id"] == asked["id"])["state"] == "refused"
