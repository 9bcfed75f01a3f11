"""Every page x every role, as tests/api/test_api_roles.py does for the API: the pages are
their own application, so their table is written here. Anonymous visitors are sent to sign
in (303) or refused (401); a role the policy does not let see the map is sent to its own
first page."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts

sys.path.append(str(Path(__file__).resolve().parents[1] / "api"))
from api_support import Deployment, bearer, cheap_hashing, deploy, register, sign_in

from safepassage.matching import HostKind, Pledge, explain, solve
from safepassage.policy import Role
from safepassage.services import registry_matching
from safepassage.web.common import CONTENT_SECURITY_POLICY

PUBLIC = "public"
READERS = frozenset({Role.COORDINATOR, Role.FIELD_LEAD, Role.HOST_LIAISON})
RUNNERS = frozenset({Role.COORDINATOR, Role.FIELD_LEAD})
RECORDERS = frozenset({Role.COORDINATOR, Role.FIELD_LEAD, Role.TRANSIT_LIAISON})
MATCHERS = frozenset({Role.COORDINATOR, Role.HOST_LIAISON})
ADMIN = frozenset({Role.ADMIN})
DECIDERS = frozenset({Role.ADMIN, Role.COORDINATOR})
AUDIT_READERS = frozenset({Role.ADMIN, Role.COORDINATOR, Role.AUDITOR})

EXPECTED: dict[tuple[str, str], frozenset[Role] | str] = {
    ("GET", "/signin"): PUBLIC,
    ("POST", "/signin"): PUBLIC,
    ("POST", "/signout"): PUBLIC,
    ("GET", "/"): READERS,
    ("GET", "/map/data.json"): READERS,
    ("GET", "/registry"): READERS,
    ("POST", "/registry"): READERS,
    ("POST", "/registry/find"): frozenset({Role.COORDINATOR}),
    ("GET", "/registry/{household_id}"): READERS,
    ("GET", "/operations"): RUNNERS,
    ("GET", "/operations/counts"): RUNNERS,
    ("GET", "/checkpoint"): RECORDERS,
    ("POST", "/checkpoint"): RECORDERS,
    ("GET", "/plan"): RUNNERS,
    ("GET", "/plan/safe-over-time.svg"): RUNNERS,
    ("GET", "/plan/crossing-use.svg"): RUNNERS,
    ("GET", "/matching"): MATCHERS,
    ("GET", "/matching/{household_id}"): MATCHERS,
    ("POST", "/matching/{household_id}/overrides"): frozenset({Role.COORDINATOR}),
    ("POST", "/matching/{household_id}/overrides/lift"): frozenset({Role.COORDINATOR}),
    ("GET", "/accounts"): ADMIN,
    ("POST", "/accounts/request"): ADMIN,
    ("POST", "/accounts/{name}/reset"): ADMIN,
    ("POST", "/accounts/{name}/change"): ADMIN,
    ("GET", "/approvals"): DECIDERS,
    ("POST", "/approvals/{request_id}/approve"): DECIDERS,
    ("POST", "/approvals/{request_id}/refuse"): DECIDERS,
    ("GET", "/audit"): AUDIT_READERS,
    ("GET", "/enrol"): PUBLIC,
    ("POST", "/enrol"): PUBLIC,
}
ANONYMOUS = {
    ("GET", "/signin"): 200,
    ("POST", "/signin"): 401,
    ("POST", "/signout"): 303,
    ("GET", "/"): 303,
    ("GET", "/map/data.json"): 401,
    ("GET", "/registry"): 303,
    ("POST", "/registry"): 303,
    ("POST", "/registry/find"): 303,
    ("GET", "/registry/{household_id}"): 303,
    ("GET", "/operations"): 303,
    ("GET", "/operations/counts"): 401,
    ("GET", "/checkpoint"): 303,
    ("POST", "/checkpoint"): 303,
    ("GET", "/plan"): 303,
    ("GET", "/plan/safe-over-time.svg"): 401,
    ("GET", "/plan/crossing-use.svg"): 401,
    ("GET", "/matching"): 303,
    ("GET", "/matching/{household_id}"): 303,
    ("POST", "/matching/{household_id}/overrides"): 303,
    ("POST", "/matching/{household_id}/overrides/lift"): 303,
    ("GET", "/accounts"): 303,
    ("POST", "/accounts/request"): 303,
    ("POST", "/accounts/{name}/reset"): 303,
    ("POST", "/accounts/{name}/change"): 303,
    ("GET", "/approvals"): 303,
    ("POST", "/approvals/{request_id}/approve"): 303,
    ("POST", "/approvals/{request_id}/refuse"): 303,
    ("GET", "/audit"): 303,
    ("GET", "/enrol"): 200,
    ("POST", "/enrol"): 400,
}
REFUSED_FORMS = {
    ("POST", "/accounts/request"),
    ("POST", "/accounts/{name}/reset"),
    ("POST", "/accounts/{name}/change"),
    ("POST", "/approvals/{request_id}/approve"),
    ("POST", "/approvals/{request_id}/refuse"),
}
"""Let through, these answer an empty form or an unknown account or request with 400."""
HOMES = {Role.ADMIN: "/accounts", Role.TRANSIT_LIAISON: "/checkpoint", Role.AUDITOR: "/audit"}
"""Where ``/`` sends the roles that do not see the map."""
PATH_VALUES = {"household_id": "hgbr", "name": "nobody", "request_id": "q0"}
"""A household in the scope of every role that reads households (api_support.HOUSEHOLDS)."""


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with cheap_hashing():
        deployment = deploy(tmp_path_factory.mktemp("pages"))
        register(deployment)
        with deployment.session() as session:  # hgbr proposed to GBR, its host liaison's
            operator = deployment.operator()
            recorded = registry_matching.recorded_round(session, operator, ["hgbr"])
            uk = Pledge("uk", HostKind.COUNTRY, "GBR", places_persons=2)
            result = solve(registry_matching.registry_problem(recorded, [uk]))
            registry_matching.save_proposals(session, operator, result, explain(result))
        yield deployment


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
        for (method, route), roles in EXPECTED.items():
            path = route.format(**PATH_VALUES)
            anonymous = client.request(method, path, follow_redirects=False)
            assert anonymous.status_code == ANONYMOUS[(method, route)], (method, path)
            if roles == PUBLIC:
                continue
            for role in Role:
                if path == "/" and role in HOMES:
                    sent = client.get(path, headers=tokens[role], follow_redirects=False)
                    assert sent.status_code == 303 and sent.headers["location"] == HOMES[role]
                    continue
                response = client.request(method, path, headers=tokens[role])
                allowed = 400 if (method, route) in REFUSED_FORMS else 200
                assert response.status_code == (allowed if role in roles else 403), (path, role)
                if path == "/":
                    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
                    assert response.headers["x-frame-options"] == "DENY"
