"""Record scope, masking and auditing through the API: what each role sees of whom."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from api_support import (
    ARABIC,
    LOCATION,
    PHONE,
    Deployment,
    bearer,
    cheap_hashing,
    deploy,
    register,
    sign_in,
)
from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import GOOD_ROWS, HEAD, SECRET, TAIL, build, crossing, workbook
from safepassage.formats.plan_json import write_plan
from safepassage.formats.scenario_folder import write_scenario
from safepassage.model import Household, NodeKind, Plan, Stop
from safepassage.model.plan import HouseholdPlan
from safepassage.policy import Role
from safepassage.protection.export_box import open_export
from safepassage.store.tables import AuditRow
from safepassage.synthetic.registry_file import write_registry_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PASSPHRASE = "a long export passphrase"


def _operation(folder: Path) -> tuple[Path, Path]:
    """Both golan households cross in the first window; hjor is planned for jaber."""
    scenario = build(
        nodes=[
            ("nawa", NodeKind.TOWN),
            ("inkhil", NodeKind.TOWN),
            ("golan", NodeKind.CROSSING),
            ("jaber", NodeKind.CROSSING),
        ],
        roads=[
            ("nawa", "golan", 15, 100),
            ("inkhil", "golan", 15, 100),
            ("nawa", "jaber", 15, 100),
        ],
        crossings=[crossing("golan", (0, 4, 100)), crossing("jaber", (0, 4, 100))],
        households=[
            Household("hgbr", 2, "nawa"),
            Household("hdeu", 1, "inkhil"),
            Household("hjor", 1, "nawa"),
        ],
    )
    plan = Plan(
        scenario.name,
        "hand",
        4.0,
        None,
        (
            HouseholdPlan("hgbr", "golan", (Stop("nawa", 0, 0), Stop("golan", 1, 1))),
            HouseholdPlan("hdeu", "golan", (Stop("inkhil", 0, 0), Stop("golan", 1, 1))),
            HouseholdPlan("hjor", "jaber", (Stop("nawa", 0, 0), Stop("jaber", 1, 1))),
        ),
    )
    write_scenario(scenario, folder / "scenario")
    write_plan(plan, scenario.grid, folder / "plan.json")
    return folder / "scenario", folder / "plan.json"


@pytest.fixture(scope="module", autouse=True)
def _fast_hashing() -> Iterator[None]:
    with cheap_hashing():
        yield


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    folder = tmp_path_factory.mktemp("records")
    scenario, plan = _operation(folder)
    deployment = deploy(folder, scenario=scenario, plan=plan)
    register(deployment)
    return deployment


@pytest.fixture(scope="module")
def client(deployment: Deployment) -> Iterator[TestClient]:
    with deployment.client() as client:
        yield client


@pytest.fixture(scope="module")
def as_(client: TestClient, deployment: Deployment) -> dict[Role, dict[str, str]]:
    return {role: bearer(sign_in(client, deployment, role.value)) for role in Role}


def _audit(deployment: Deployment, action: str) -> list[AuditRow]:
    with deployment.session() as session:
        return list(
            session.execute(
                select(AuditRow).where(AuditRow.action == action).order_by(AuditRow.seq)
            ).scalars()
        )


def test_a_host_liaison_sees_only_the_households_proposed_to_its_country(
    client: TestClient, as_: dict[Role, dict[str, str]]
) -> None:
    host = as_[Role.HOST_LIAISON]
    listed = client.get("/api/households", headers=host).json()
    assert [household["id"] for household in listed] == ["hgbr"]
    assert listed[0]["hosts"] == ["GBR"]  # not which other countries were asked
    for path in (
        "/api/households/hdeu",
        "/api/households/hdeu/persons",
        "/api/persons/pd0",
        "/api/status/pd0/history",
    ):
        response = client.get(path, headers=host)
        assert response.status_code == 404, path
        # Exactly what a record that does not exist gets: nothing tells them apart.
        absent = client.get(path.replace("d0", "zz").replace("hdeu", "hzzz"), headers=host)
        assert absent.json()["detail"] == response.json()["detail"].replace("d0", "zz").replace(
            "hdeu", "hzzz"
        )
    moved = client.post(
        "/api/status", headers=host, json={"person_ids": ["pg0", "pd0"], "to": "resettled"}
    )
    assert moved.status_code == 404


def test_the_coordinator_sees_every_household_and_every_country(
    client: TestClient, as_: dict[Role, dict[str, str]]
) -> None:
    listed = client.get("/api/households", headers=as_[Role.COORDINATOR]).json()
    assert [household["id"] for household in listed] == ["hdeu", "hgbr", "hjor"]
    assert next(h for h in listed if h["id"] == "hgbr")["hosts"] == ["CAN", "GBR"]


def test_each_role_sees_as_much_of_a_person_as_it_needs(
    client: TestClient, as_: dict[Role, dict[str, str]]
) -> None:
    full = client.get("/api/persons/pg0", headers=as_[Role.COORDINATOR]).json()
    assert full["phone"] == PHONE and full["name_arabic"] == ARABIC and full["role"] == "volunteer"
    vetting = client.get("/api/persons/pg0", headers=as_[Role.HOST_LIAISON]).json()
    assert vetting["name_icao"] == "TESTPERSON NUMBER PG0" and vetting["birth"] == "1987-04-02"
    assert vetting["documents"][0]["number"] == "NPG0"
    headcount = client.get("/api/persons/pg0", headers=as_[Role.FIELD_LEAD]).json()
    assert headcount["name_icao"] == "T. N. P." and headcount["birth"] == "1987"
    assert headcount["documents"] is None
    for seen in (vetting, headcount):
        text = json.dumps(seen, ensure_ascii=False)
        for secret in (PHONE, ARABIC, LOCATION, "volunteer", "high"):
            assert secret not in text


def test_every_read_of_a_person_is_audited_under_the_account(
    client: TestClient, as_: dict[Role, dict[str, str]], deployment: Deployment
) -> None:
    before = len(_audit(deployment, "read"))
    client.get("/api/households/hgbr/persons", headers=as_[Role.FIELD_LEAD])
    reads = _audit(deployment, "read")[before:]
    assert [(entry.actor, entry.subject) for entry in reads] == [("field_lead", "pg0,pg1")]
    assert json.loads(reads[0].detail) == {"persons": 2, "purpose": "api field_lead"}


def test_a_field_lead_sees_its_assembly_point_and_reports_only_holds(
    client: TestClient, as_: dict[Role, dict[str, str]]
) -> None:
    lead = as_[Role.FIELD_LEAD]
    listed = client.get("/api/households", headers=lead).json()
    assert [household["id"] for household in listed] == ["hgbr", "hjor"]
    assert client.get("/api/persons/pd0", headers=lead).status_code == 404
    refused = client.post(
        "/api/status", headers=lead, json={"person_ids": ["pj0"], "to": "verified"}
    )
    assert refused.status_code == 403
    held = client.post("/api/status", headers=lead, json={"person_ids": ["pj0"], "to": "on_hold"})
    assert held.status_code == 200
    history = client.get("/api/status/pj0/history", headers=lead).json()
    assert [event["to_status"] for event in history][-1] == "on_hold"
    assert history[-1]["actor"] == "field_lead"
    assert all(datetime.fromisoformat(event["at"]).utcoffset() is not None for event in history)
    scan = {"household_id": "hdeu", "kind": "assembly", "place": "nawa", "headcount": 1}
    assert client.post("/api/checkpoints", headers=lead, json=scan).status_code == 404
    crossing_scan = {**scan, "household_id": "hgbr", "kind": "crossing", "place": "golan"}
    assert client.post("/api/checkpoints", headers=lead, json=crossing_scan).status_code == 403


def test_a_transit_liaison_gets_its_crossing_manifest_with_four_fields_only(
    client: TestClient, as_: dict[Role, dict[str, str]], deployment: Deployment
) -> None:
    transit = as_[Role.TRANSIT_LIAISON]
    manifest = client.get("/api/manifests/golan", headers=transit)
    assert manifest.status_code == 200, manifest.text
    body = manifest.json()
    assert body["households"] == 2 and body["persons"] == 3
    assert set(body["rows"][0]) == {
        "household_id",
        "window",
        "name_icao",
        "date_of_birth",
        "nationality",
        "document_number",
    }
    assert client.get("/api/manifests/jaber", headers=transit).status_code == 404
    assert client.get("/api/persons/pg0", headers=transit).status_code == 403
    export = _audit(deployment, "export")[-1]
    assert (export.actor, export.subject) == ("transit_liaison", "manifest:golan")
    sealed = client.post(
        "/api/manifests/golan/sealed", headers=transit, json={"passphrase": PASSPHRASE}
    )
    rows = list(csv.reader(io.StringIO(open_export(sealed.content, PASSPHRASE).decode())))
    assert len(rows) == 1 + 3 and rows[1][2].startswith("TESTPERSON")


def test_a_transit_liaison_confirms_crossings_at_its_crossing_only(
    client: TestClient, as_: dict[Role, dict[str, str]]
) -> None:
    transit = as_[Role.TRANSIT_LIAISON]
    scan = {"household_id": "hdeu", "kind": "crossing", "place": "jaber", "headcount": 1}
    assert client.post("/api/checkpoints", headers=transit, json=scan).status_code == 403
    scan["place"] = "golan"
    recorded = client.post("/api/checkpoints", headers=transit, json=scan)
    assert recorded.status_code == 201
    # Cleared and never assembled nor departed: the registry refuses, the scan is flagged.
    assert recorded.json()["discrepancy"] and recorded.json()["moved"] == []
    outside = {**scan, "household_id": "hjor"}
    assert client.post("/api/checkpoints", headers=transit, json=outside).status_code == 404


def test_a_field_lead_scans_at_its_own_origin_and_nobody_outside_the_scenario(
    client: TestClient, as_: dict[Role, dict[str, str]], deployment: Deployment
) -> None:
    """The field lead of nawa recorded scans at inkhil; anyone recorded them at places the
    scenario does not have (issue: hardening, item 7). Refusals record nothing."""
    scans = len(_audit(deployment, "checkpoint"))
    lead, coordinator = as_[Role.FIELD_LEAD], as_[Role.COORDINATOR]
    elsewhere = {"household_id": "hjor", "kind": "assembly", "place": "inkhil", "headcount": 9}
    refused = client.post("/api/checkpoints", headers=lead, json=elsewhere)
    assert refused.status_code == 403
    assert refused.json()["detail"].endswith("records scans of this household at nawa only")
    unknown = {**elsewhere, "place": "the olive grove"}
    assert client.post("/api/checkpoints", headers=lead, json=unknown).status_code == 403
    answer = client.post("/api/checkpoints", headers=coordinator, json=unknown)
    assert answer.status_code == 400 and "olive" not in answer.text
    assert answer.json()["detail"].endswith("assembly scans are recorded at one of: inkhil, nawa")
    at_a_town = {**elsewhere, "kind": "crossing", "place": "nawa"}
    answer = client.post("/api/checkpoints", headers=coordinator, json=at_a_town)
    assert answer.status_code == 400 and answer.json()["detail"].endswith("one of: golan, jaber")
    assert len(_audit(deployment, "checkpoint")) == scans
    at_home = client.post("/api/checkpoints", headers=lead, json={**elsewhere, "place": "nawa"})
    assert at_home.status_code == 201 and at_home.json()["discrepancy"]


def test_an_auditor_reads_the_log_and_no_one(
    client: TestClient, as_: dict[Role, dict[str, str]]
) -> None:
    auditor = as_[Role.AUDITOR]
    entries = client.get("/api/audit/entries", headers=auditor, params={"limit": 1000}).json()
    assert {"login", "account-create"} <= {entry["action"] for entry in entries}
    text = json.dumps(entries, ensure_ascii=False)
    for secret in (PHONE, ARABIC, LOCATION, "TESTPERSON"):
        assert secret not in text
    assert client.get("/api/audit/verify", headers=auditor).json()["intact"] is True
    assert client.get("/api/households", headers=auditor).status_code == 403


def test_a_search_by_name_goes_in_the_body_and_is_answered_with_ids(
    client: TestClient, as_: dict[Role, dict[str, str]], deployment: Deployment
) -> None:
    found = client.post(
        "/api/persons/search",
        headers=as_[Role.COORDINATOR],
        json={"kind": "name", "value": "testperson number pd0"},
    )
    assert found.json() == {"person_ids": ["pd0"]}
    lookup = _audit(deployment, "lookup")[-1]
    assert "TESTPERSON" not in lookup.detail + lookup.subject
    invalid = client.post(
        "/api/persons/search",
        headers=as_[Role.COORDINATOR],
        json={"kind": "passport-name", "value": "TESTPERSON NUMBER PD0"},
    )
    assert invalid.status_code == 422 and "TESTPERSON" not in invalid.text


def test_a_coordinator_imports_a_file_and_exports_counts(
    client: TestClient, as_: dict[Role, dict[str, str]]
) -> None:
    coordinator = as_[Role.COORDINATOR]
    refused = client.post(
        "/api/imports", headers={**coordinator, "Content-Type": "text/csv"}, content=b"a,b\n1,2\n"
    )
    assert refused.status_code == 400 and refused.json()["detail"]["problems"]
    wrong_type = client.post("/api/imports", headers=coordinator, content=b"a,b\n1,2\n")
    assert wrong_type.status_code == 415
    counts = client.get("/api/exports/hxl", headers=coordinator)
    assert counts.headers["content-type"].startswith("text/csv")
    assert counts.text.splitlines()[1].startswith("#loc+code")


@pytest.mark.parametrize("shared_string", [False, True])
def test_a_malformed_workbook_is_a_400_naming_no_value(
    client: TestClient,
    as_: dict[Role, dict[str, str]],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    shared_string: bool,
) -> None:
    cell = '<c r="A3" t="s"><v>999</v></c>' if shared_string else f'<c r="A3"><v>{SECRET}</v></c>'
    path = workbook(tmp_path / "people.xlsx", HEAD + GOOD_ROWS + f'<row r="3">{cell}</row>' + TAIL)
    with caplog.at_level("DEBUG"):
        refused = client.post(
            "/api/imports",
            headers={**as_[Role.COORDINATOR], "Content-Type": XLSX},
            content=path.read_bytes(),
        )
    assert refused.status_code == 400, refused.text
    [problem] = refused.json()["detail"]["problems"]
    assert problem["row"] == 3 and "save it again as .xlsx" in problem["message"]
    assert SECRET not in refused.text and SECRET not in caplog.text


def test_an_upload_imports_rows_and_quarantines_the_bad_ones_unseen(tmp_path: Path) -> None:
    """On a registry of its own, so that the households it adds are nobody else's concern."""
    deployment = deploy(tmp_path)
    with deployment.client() as client:
        _import(client, bearer(sign_in(client, deployment, Role.COORDINATOR.value)), tmp_path)


def _import(client: TestClient, coordinator: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    planted = write_registry_file(path, 30, seed=3, bad_share=0.1)
    imported = client.post(
        "/api/imports",
        headers={**coordinator, "Content-Type": "text/csv; charset=utf-8"},
        content=path.read_bytes(),
    )
    assert imported.status_code == 200, imported.text
    summary = imported.json()
    assert summary["quarantined"] == len(planted) and summary["added"] == 30 - len(planted)
    assert {problem["row"] for problem in summary["problems"]} == {p.row for p in planted}
    held = client.get("/api/imports/quarantine", headers=coordinator).json()
    assert sorted(entry["row_number"] for entry in held) == sorted(p.row for p in planted)
    again = client.post(
        "/api/imports",
        headers={**coordinator, "Content-Type": "text/csv"},
        content=path.read_bytes(),
    )
    assert again.json()["added"] == 0 and again.json()["unchanged"] == 30 - len(planted)


def test_a_convoy_lead_sees_the_households_of_its_convoy(
    client: TestClient, deployment: Deployment
) -> None:
    deployment.add_account("convoy.lead", Role.FIELD_LEAD, "households:hdeu,hjor")
    lead = bearer(sign_in(client, deployment, "convoy.lead"))
    listed = client.get("/api/households", headers=lead).json()
    assert [household["id"] for household in listed] == ["hdeu", "hjor"]
