"""Every endpoint x every role: the set of roles let through is exactly the one written here.

The routes are enumerated from the application, so an endpoint added without a line below
fails the test until someone decides who may call it. "Let through" means past the role
check: the request may still be refused as unknown (404) or invalid (422), never with 403.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import Deployment, bearer, cheap_hashing, cookie, deploy, register, sign_in
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from safepassage.policy import Role

PUBLIC = "public"
A, C, F, T, H, AU = (
    Role.ADMIN,
    Role.COORDINATOR,
    Role.FIELD_LEAD,
    Role.TRANSIT_LIAISON,
    Role.HOST_LIAISON,
    Role.AUDITOR,
)
EVERYONE = frozenset(Role)

EXPECTED: dict[tuple[str, str], frozenset[Role] | str] = {
    ("GET", "/api/openapi.json"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
    ("GET", "/api/health"): PUBLIC,
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/token"): PUBLIC,
    ("GET", "/api/auth/me"): EVERYONE,
    ("POST", "/api/auth/logout"): EVERYONE,
    ("POST", "/api/auth/logout-all"): EVERYONE,
    ("POST", "/api/auth/password"): EVERYONE,
    ("GET", "/api/users"): frozenset({A}),
    ("POST", "/api/users"): frozenset({A}),
    ("POST", "/api/users/{name}/lock"): frozenset({A}),
    ("POST", "/api/users/{name}/unlock"): frozenset({A}),
    ("POST", "/api/users/{name}/sign-out"): frozenset({A}),
    ("POST", "/api/users/{name}/reset"): frozenset({A}),
    ("POST", "/api/users/{name}/change"): frozenset({A}),
    ("GET", "/api/users/requests"): frozenset({A, C}),
    ("POST", "/api/users/requests/{request_id}/approve"): frozenset({A, C}),
    ("POST", "/api/users/requests/{request_id}/refuse"): frozenset({A, C}),
    ("POST", "/api/enrol"): PUBLIC,
    ("GET", "/api/households"): frozenset({C, F, H}),
    ("GET", "/api/households/{household_id}"): frozenset({C, F, H}),
    ("GET", "/api/households/{household_id}/persons"): frozenset({C, F, H}),
    ("GET", "/api/persons/{person_id}"): frozenset({C, F, H}),
    ("POST", "/api/persons/search"): frozenset({C}),
    ("POST", "/api/status"): frozenset({C, F, H}),
    ("GET", "/api/status/{person_id}/history"): frozenset({C, F, H}),
    ("POST", "/api/checkpoints"): frozenset({C, F, T}),
    ("GET", "/api/checkpoints/discrepancies"): frozenset({C}),
    ("POST", "/api/checkpoints/{checkpoint_id}/resolve"): frozenset({C}),
    ("GET", "/api/manifests/{crossing}"): frozenset({C, T}),
    ("POST", "/api/manifests/{crossing}/sealed"): frozenset({C, T}),
    ("GET", "/api/exports/hxl"): frozenset({C}),
    ("GET", "/api/plan"): frozenset({C, F}),
    ("POST", "/api/plan/verify"): frozenset({C}),
    ("GET", "/api/matching/proposals"): frozenset({C, H}),
    ("GET", "/api/matching/proposals/{household_id}"): frozenset({C, H}),
    ("POST", "/api/matching/runs"): frozenset({C}),
    ("POST", "/api/matching/accept"): frozenset({C}),
    ("GET", "/api/matching/overrides"): frozenset({C}),
    ("PUT", "/api/matching/overrides/{household_id}/{pledge}"): frozenset({C}),
    ("DELETE", "/api/matching/overrides/{household_id}/{pledge}"): frozenset({C}),
    ("POST", "/api/imports"): frozenset({C}),
    ("GET", "/api/imports/quarantine"): frozenset({C}),
    ("POST", "/api/imports/quarantine/retry"): frozenset({C}),
    ("POST", "/api/dedup/run"): frozenset({C}),
    ("GET", "/api/dedup/review"): frozenset({C}),
    ("POST", "/api/dedup/merge"): frozenset({C}),
    ("POST", "/api/dedup/merges/{merge_id}/undo"): frozenset({C}),
    ("POST", "/api/dedup/pairs/{pair_id}/distinct"): frozenset({C}),
    ("GET", "/api/audit/entries"): frozenset({A, C, AU}),
    ("GET", "/api/audit/verify"): frozenset({A, C, AU}),
}

LOGOUT = ("POST", "/api/auth/logout")
LOGOUT_ALL = ("POST", "/api/auth/logout-all")
"""Called last, as they end the session that calls them: signing out of a cookie session
first, then everywhere with the bearer token."""

PATH_VALUES = {
    "name": "nobody",
    "household_id": "hgbr",
    "person_id": "pg0",
    "crossing": "golan",
    "checkpoint_id": "1",
    "merge_id": "1",
    "pair_id": "1",
    "pledge": "uk",
    "request_id": "q0",
}


@pytest.fixture(scope="module", autouse=True)
def _fast_hashing() -> Iterator[None]:
    with cheap_hashing():
        yield


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    deployment = deploy(tmp_path_factory.mktemp("roles"))
    register(deployment)
    return deployment


@pytest.fixture(scope="module")
def client(deployment: Deployment) -> Iterator[TestClient]:
    with deployment.client() as client:
        yield client


def _routes(client: TestClient) -> list[tuple[str, str]]:
    found = []
    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        for method in sorted((route.methods or set()) - {"HEAD"}):
            found.append((method, route.path))
    return found


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    url = path.format(
        **{name: value for name, value in PATH_VALUES.items() if f"{{{name}}}" in path}
    )
    return client.request(method, url, headers=headers).status_code


def test_every_route_has_its_allowed_roles_written_down(client: TestClient) -> None:
    assert sorted(_routes(client)) == sorted(EXPECTED)


def test_each_role_is_let_through_exactly_where_the_table_says(
    client: TestClient, deployment: Deployment
) -> None:
    tokens = {role: bearer(sign_in(client, deployment, role.value)) for role in Role}
    cookies = {
        role: cookie(deployment, sign_in(client, deployment, role.value, offset=1, how="login"))
        for role in Role
    }
    order = {LOGOUT: 1, LOGOUT_ALL: 2}
    routes = sorted(_routes(client), key=lambda route: order.get(route, 0))
    seen: dict[tuple[str, str], set[Role]] = {}
    for method, path in routes:
        expected = EXPECTED[(method, path)]
        anonymous = _call(client, method, path, {})
        assert anonymous < 500
        assert (anonymous == 401) == (expected != PUBLIC), (method, path, anonymous)
        passed = set()
        for role in Role:
            headers = cookies[role] if (method, path) == LOGOUT else tokens[role]
            code = _call(client, method, path, headers)
            assert code < 500 and code != 401, (method, path, role, code)
            if code != 403:
                passed.add(role)
        seen[(method, path)] = passed
    assert seen == {
        route: set(Role) if roles == PUBLIC else set(roles) for route, roles in EXPECTED.items()
    }
