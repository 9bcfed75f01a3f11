"""A method an address does not take is 405 with ``Allow``, never 404; TRACE is taken nowhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import Deployment, cheap_hashing, deploy
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with cheap_hashing():
        deployment: Deployment = deploy(tmp_path_factory.mktemp("methods"))
    with deployment.client() as client:
        yield client
    deployment.database.dispose()


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("TRACE", "/api/health", "GET"),
        ("OPTIONS", "/api/health", "GET"),
        ("PUT", "/api/households", "GET"),
        ("DELETE", "/api/auth/token", "POST"),
        ("PATCH", "/api/households/hgbr", "GET"),
        ("TRACE", "/api/no-such-address", ""),
        ("TRACE", "/", "GET"),
        ("TRACE", "/no-such-page", ""),
        ("TRACK", "/api/health", "GET"),
    ],
)
def test_a_method_not_taken_is_405_with_the_methods_that_are(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    """The pages' mount at ``/`` answered 404 for every API address asked with a method its
    routes do not take, TRACE included (issue: hardening, item 7)."""
    answer = client.request(method, path)
    assert answer.status_code == 405
    assert answer.headers["allow"] == allow
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.json()["detail"].lower().startswith("method not allowed")


def test_addresses_that_exist_or_do_not_answer_as_before(client: TestClient) -> None:
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/no-such-address").status_code == 404
    assert client.get("/no-such-page").status_code == 404
    assert client.post("/api/auth/token", json={}).status_code == 422
