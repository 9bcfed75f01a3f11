"""schemathesis against the OpenAPI schema: whatever it sends, the server never fails (5xx).

Requests go in as the coordinator (as the administrator under ``/api/users``), so that they
reach the handlers rather than stop at the sign-in check. Signing out and changing the
password are left out: they would end the session the rest of the run uses.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from api_support import Deployment, bearer, cheap_hashing, deploy, register, sign_in
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import response_schema_conformance

from safepassage.api.app import create_app
from safepassage.policy import Role

EXCLUDED = r"^/api/auth/(logout|logout-all|password)$"
EXAMPLES = 10
SLOW = {"/api/dedup/run": 2}
"""Examples per operation; a deduplication run scores the registry with Splink (a second)."""


@pytest.fixture(scope="module", autouse=True)
def _fast_hashing() -> Iterator[None]:
    with cheap_hashing():
        yield


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    deployment = deploy(tmp_path_factory.mktemp("fuzz"))
    register(deployment)
    return deployment


@pytest.fixture(scope="module")
def api_schema(deployment: Deployment) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_asgi("/api/openapi.json", create_app(deployment.settings))


@pytest.fixture(scope="module")
def headers(deployment: Deployment) -> dict[Role, dict[str, str]]:
    with deployment.client() as client:
        return {
            role: bearer(sign_in(client, deployment, role.value))
            for role in (Role.ADMIN, Role.COORDINATOR)
        }


def _fuzz(operation: APIOperation, mode: GenerationMode, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=SLOW.get(operation.path, EXAMPLES),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        # The same requests on every run: CI must not pass or fail by the luck of the draw.
        derandomize=True,
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )

    try:
        check()
    except Unsatisfiable:
        # Nothing to get wrong: an operation without parameters has no invalid requests.
        assert mode is GenerationMode.NEGATIVE


def test_no_request_makes_the_server_fail(
    api_schema: schemathesis.schemas.BaseSchema, headers: dict[Role, dict[str, str]]
) -> None:
    """Valid and invalid requests to every operation; each response must also match the
    schema the API publishes."""
    selected = api_schema.exclude(path_regex=EXCLUDED)
    operations = [result.ok() for result in selected.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:
        role = Role.ADMIN if operation.path.startswith("/api/users") else Role.COORDINATOR
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, headers[role])
