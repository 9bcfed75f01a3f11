"""Every page x every role, as tests/api/test_api_roles.py does for the API: the pages are
their own application, so their table is written here. Anonymous visitors are sent to sign
in (303) or refused (401); a role the policy does not let see the map gets a 403."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts

sys.path.append(str(Path(__file__).resolve().parents[1] / "api"))
from api_support import Deployment, bearer, cheap_hashing, deploy, sign_in

from safepassage.policy import Role
from safepassage.web.common import CONTENT_SECURITY_POLICY

PUBLIC = "public"
READERS = frozenset({Role.COORDINATOR, Role.FIELD_LEAD, Role.HOST_LIAISON})

EXPECTED: dict[tuple[str, str], frozenset[Role] | str] = {
    ("GET", "/signin"): PUBLIC,
    ("POST", "/signin"): PUBLIC,
    ("POST", "/signout"): PUBLIC,
    ("GET", "/"): READERS,
    ("GET", "/map/data.json"): READERS,
}
ANONYMOUS = {
    ("GET", "/signin"): 200,
    ("POST", "/signin"): 401,
    ("POST", "/signout"): 303,
    ("GET", "/"): 303,
    ("GET", "/map/data.json"): 401,
}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with cheap_hashing():
        yield deploy(tmp_path_factory.mktemp("pages"))


def test_every_page_has_its_allowed_roles_written_down(deployment: Deployment) -> None:
    with deployment.client() as client:
        pages = next(route for route in client.app.routes if getattr(route, "path", None) == "")  # type: ignore[attr-defined]
        found = {
            (method, route.path)
            for route in iter_route_contexts(pages.app.routes)
            for method in (route.methods or set()) - {"HEAD"}
        }
    assert found == set(EXPECTED)


def test_each_role_reaches_exactly_the_pages_the_table_says(deployment: Deployment) -> None:
    with deployment.client() as client:
        tokens = {role: bearer(sign_in(client, deployment, role.value)) for role in Role}
        for (method, path), roles in EXPECTED.items():
            anonymous = client.request(method, path, follow_redirects=False)
            assert anonymous.status_code == ANONYMOUS[(method, path)], (method, path)
            if roles == PUBLIC:
                continue
            for role in Role:
                response = client.request(method, path, headers=tokens[role])
                assert response.status_code == (200 if role in roles else 403), (path, role)
                if path == "/":
                    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
                    assert response.headers["x-frame-options"] == "DENY"
