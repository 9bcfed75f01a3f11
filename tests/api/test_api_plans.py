"""The plan through the API: read within the scope, and checked by the verifier as
``safepassage verify`` checks it."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import Deployment, bearer, cheap_hashing, deploy, register, sign_in
from fastapi.testclient import TestClient

from safepassage.formats.scenario_folder import read_scenario
from safepassage.planning import solve
from safepassage.policy import Role
from safepassage.services.demo import bundled_scenario_path


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Deployment]]:
    with cheap_hashing():
        deployment = deploy(tmp_path_factory.mktemp("plans"))
        register(deployment)
        with deployment.client() as client:
            yield client, deployment


@pytest.fixture(scope="module")
def as_(client: tuple[TestClient, Deployment]) -> dict[Role, dict[str, str]]:
    with cheap_hashing():
        return {role: bearer(sign_in(client[0], client[1], role.value)) for role in Role}


@pytest.fixture(scope="module")
def served(client: tuple[TestClient, Deployment], as_: dict[Role, dict[str, str]]) -> Any:
    response = client[0].get("/api/plan", headers=as_[Role.COORDINATOR])
    assert response.status_code == 200, response.text
    return response.json()


def test_a_coordinator_reads_the_whole_plan_the_server_runs(served: Any) -> None:
    expected = solve(read_scenario(bundled_scenario_path()), solver="fast").plan
    assert len(served["households"]) == len(expected.households)
    out = {entry["id"] for entry in served["households"] if entry["crossing"]}
    assert out == {entry.household for entry in expected.evacuated}


def test_a_field_lead_reads_only_its_households_entries(
    client: tuple[TestClient, Deployment], as_: dict[Role, dict[str, str]], served: Any
) -> None:
    """The field lead of nawa holds registry households the bundled plan does not have."""
    theirs = client[0].get("/api/plan", headers=as_[Role.FIELD_LEAD]).json()
    assert theirs["households"] == [] and served["households"]


def test_the_verifier_passes_the_served_plan_and_names_what_breaks_a_changed_one(
    client: tuple[TestClient, Deployment], as_: dict[Role, dict[str, str]], served: Any
) -> None:
    coordinator = as_[Role.COORDINATOR]
    passed = client[0].post("/api/plan/verify", json=served, headers=coordinator).json()
    assert passed["valid"] and passed["violations"] == []
    broken = copy.deepcopy(served)
    moved = next(entry for entry in broken["households"] if entry["crossing"])
    arrival = moved["itinerary"][-1]
    arrival["arrive_step"] = arrival["depart_step"] = 0  # across before any window opens
    failed = client[0].post("/api/plan/verify", json=broken, headers=coordinator).json()
    assert not failed["valid"]
    assert {v["household"] for v in failed["violations"]} == {moved["id"]}
    nonsense = client[0].post("/api/plan/verify", json={"plan": 1}, headers=coordinator)
    assert nonsense.status_code == 400 and nonsense.json()["detail"].startswith("not a plan")
    refused = client[0].post("/api/plan/verify", json=served, headers=as_[Role.FIELD_LEAD])
    assert refused.status_code == 403
