"""The registry, the operations board and the checkpoint form.

In Debian's Chromium against a live server (:mod:`web_support`) where the browser is the
point: the URLs it requests, what the Content-Security-Policy lets run, htmx refreshing the
board while another tab records a checkpoint. Through a TestClient where a browser adds
nothing: masking per role, scope, refusals and the checks of each form.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote_plus

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page
from sqlalchemy import func, select, text

sys.path.append(str(Path(__file__).resolve().parents[1] / "api"))
sys.path.append(str(Path(__file__).resolve().parent))
from api_support import (
    ARABIC,
    LOCATION,
    PASSWORD,
    PHONE,
    Deployment,
    bearer,
    cheap_hashing,
    code,
    deploy,
    personal,
    register,
)
from api_support import sign_in as api_sign_in
from web_support import browser, live, page, shots

from conftest import POSTGRES_URL, POSTGRES_URL_ENV
from safepassage.model.registry import Household
from safepassage.policy import Role
from safepassage.services import registry
from safepassage.store.postgresql import PostgresDatabase
from safepassage.store.tables import AuditRow, CheckpointRow, PersonRow
from safepassage.web.common import CONTENT_SECURITY_POLICY, FORM_LIMIT

__all__ = ["browser", "live", "page", "shots"]  # fixtures used by name

NAME = personal("pg0").name_icao
BOARD_MS = 15_000
"""Long enough for the board's poll (every 5 s) to come round twice."""

_serial = itertools.count()


def new_account(deployment: Deployment, role: Role, scope: str) -> str:
    """An account of its own for each test: a TOTP code is taken once, so two sign-ins of
    one account within 30 seconds would be refused."""
    name = f"{role.value.replace('_', '-')}-{next(_serial)}"
    deployment.add_account(name, role, scope)
    return name


def enter(page: Page, base: str, deployment: Deployment, role: Role, scope: str) -> str:
    """Signs a new account in with the sign-in form's post, leaving the browser holding the
    session cookie, without opening the map (which plans the bundled scenario first)."""
    name = new_account(deployment, role, scope)
    response = page.request.post(
        f"{base}/signin",
        form={"name": name, "password": PASSWORD, "code": code(deployment.secrets[name])},
        max_redirects=0,
    )
    assert response.status == 303
    return name


def watch(page: Page) -> tuple[list[str], list[str]]:
    """The URLs the page requests and the errors its console shows (a script or style the
    Content-Security-Policy blocked would show there)."""
    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    return requested, errors


def offsite(base: str, requested: list[str]) -> list[str]:
    return [url for url in requested if not url.startswith(f"{base}/")]


@contextmanager
def client_as(
    deployment: Deployment, role: Role, scope: str
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    name = new_account(deployment, role, scope)
    with deployment.client() as client:
        yield client, bearer(api_sign_in(client, deployment, name))


def audit_count(deployment: Deployment, action: str) -> int:
    with deployment.session() as session:
        return session.execute(
            select(func.count()).select_from(AuditRow).where(AuditRow.action == action)
        ).scalar_one()


def checkpoints(deployment: Deployment) -> int:
    with deployment.session() as session:
        return session.execute(select(func.count()).select_from(CheckpointRow)).scalar_one()


def statuses_of(deployment: Deployment, household_id: str) -> list[str]:
    with deployment.session() as session:
        return sorted(
            session.execute(
                select(PersonRow.status).where(PersonRow.household_id == household_id)
            ).scalars()
        )


def listed(page: Page) -> list[str]:
    households: list[str] = page.locator("#households tr[data-household]").evaluate_all(
        "rows => rows.map(row => row.dataset.household)"
    )
    return households


# --- in the browser --------------------------------------------------------------------------


def test_a_host_liaison_sees_its_own_countrys_households_and_no_other(
    live: tuple[str, Deployment], page: Page
) -> None:
    """hgbr was vetted by GBR (and CAN); hdeu and hjor by DEU only. Neither the pages nor the
    API tell the GBR liaison that the others exist, nor which other country vetted hgbr."""
    base, deployment = live
    requested, errors = watch(page)
    enter(page, base, deployment, Role.HOST_LIAISON, "host:GBR")
    page.goto(f"{base}/registry")
    assert listed(page) == ["hgbr"]
    assert page.inner_text("tr[data-household='hgbr'] td.hosts") == "GBR"
    assert page.locator("#find-value").count() == 0  # the look-up is the coordinator's alone

    page.fill("#filter", "inkhil")
    page.click("#filter-go")
    page.wait_for_url(f"{base}/registry")
    assert listed(page) == []
    assert "inkhil" not in "".join(requested)  # what is typed in a box is posted, not in a URL

    page.goto(f"{base}/registry")
    page.click("a[href='/registry/hgbr']")
    page.wait_for_url(f"{base}/registry/hgbr")
    assert page.inner_text(".facts .hosts") == "GBR"
    members = page.inner_text(".members")
    assert NAME in members and "NPG0" in members  # a host country vets identity and documents
    assert PHONE not in members and LOCATION not in members and ARABIC not in members

    for other in ("hdeu", "hjor"):
        response = page.goto(f"{base}/registry/{other}")
        assert response is not None and response.status == 404
        assert "No household with this id" in page.inner_text("main")
        assert page.request.get(f"{base}/api/households/{other}").status == 404
        assert page.request.get(f"{base}/api/households/{other}/persons").status == 404
    api = page.request.get(f"{base}/api/households").json()
    assert [household["id"] for household in api] == ["hgbr"]
    not_found = "Failed to load resource: the server responded with a status of 404 (Not Found)"
    assert errors == [not_found, not_found]  # Chromium's report of the two pages refused
    assert offsite(base, requested) == []


def test_a_coordinator_finds_a_person_by_name_without_the_name_in_any_url(
    live: tuple[str, Deployment], page: Page, shots: Path
) -> None:
    base, deployment = live
    requested, errors = watch(page)
    enter(page, base, deployment, Role.COORDINATOR, "all")
    lookups = audit_count(deployment, "lookup")
    page.goto(f"{base}/registry")
    page.select_option("#find-kind", "name")
    page.fill("#find-value", NAME.lower())  # the blind index ignores case
    page.click("#find-go")
    page.wait_for_selector(".found")
    assert page.url == f"{base}/registry/find"
    assert page.locator(".found tbody tr").all_inner_texts() == ["hgbr\tpg0"]
    assert NAME.casefold() not in page.content().casefold()  # not written back either
    page.screenshot(path=shots / "registry.png", full_page=True)

    assert audit_count(deployment, "lookup") == lookups + 1
    with deployment.session() as session:
        leaked = session.execute(
            select(func.count())
            .select_from(AuditRow)
            .where(AuditRow.subject.contains(NAME) | AuditRow.detail.contains(NAME))
        ).scalar_one()
    assert leaked == 0

    page.click(".found a[href='/registry/hgbr']")
    page.wait_for_url(f"{base}/registry/hgbr")
    member = page.inner_text("section[data-person='pg0']")
    assert NAME in member and PHONE in member and ARABIC in member  # the coordinator sees all
    assert all(NAME.casefold() not in unquote_plus(url).casefold() for url in requested)
    assert errors == []
    assert offsite(base, requested) == []


def test_a_field_lead_records_a_checkpoint_and_the_open_board_counts_it_unreloaded(
    live: tuple[str, Deployment], page: Page, shots: Path
) -> None:
    """hjor (nawa, one member, cleared) is counted at its assembly point in one tab; the board
    open in another tab shows one more person assembled at its next poll, in the same
    document (a reload would have lost the marker set on its window)."""
    base, deployment = live
    board_requests, board_errors = watch(page)
    enter(page, base, deployment, Role.FIELD_LEAD, "origin:nawa")
    page.goto(f"{base}/operations")
    assembled = "#board .tile[data-status='assembled'] .count"
    before = int(page.inner_text(assembled))
    page.evaluate("window.sameDocument = true")
    assert page.locator("#board tr[data-place]").evaluate_all(
        "rows => rows.map(row => row.dataset.place)"
    ) == ["nawa"]  # inkhil's households are not the field lead's

    form = page.context.new_page()
    form_requests, form_errors = watch(form)
    form.goto(f"{base}/checkpoint")
    form.fill("#household", "hjor")
    form.select_option("#kind", "assembly")
    form.fill("#place", "nawa")
    form.fill("#headcount", "1")
    form.click("#record")
    form.wait_for_selector("#outcome")
    assert form.get_attribute("#outcome", "data-discrepancy") == "false"
    assert "1 person moved to assembled" in " ".join(form.inner_text("#outcome").split())
    assert form.locator("#recent tbody tr").count() == 1
    assert statuses_of(deployment, "hjor") == ["assembled"]
    form.screenshot(path=shots / "checkpoint.png", full_page=True)

    page.wait_for_function(
        "([selector, count]) => Number(document.querySelector(selector).textContent) === count",
        arg=[assembled, before + 1],
        timeout=BOARD_MS,
    )
    assert page.evaluate("window.sameDocument") is True
    page.screenshot(path=shots / "operations.png", full_page=True)
    assert board_errors == [] and form_errors == []
    assert offsite(base, board_requests + form_requests) == []


def test_the_board_says_when_its_counts_could_not_be_refreshed(
    live: tuple[str, Deployment], page: Page
) -> None:
    base, deployment = live
    enter(page, base, deployment, Role.COORDINATOR, "all")
    page.goto(f"{base}/operations")
    assert page.locator("#stale").is_hidden()
    page.route("**/operations/counts", lambda route: route.abort())
    page.wait_for_selector("#stale", state="visible", timeout=BOARD_MS)
    assert page.get_attribute("#board", "data-stale") == "true"
    page.unroute("**/operations/counts")
    page.wait_for_selector("#stale", state="hidden", timeout=BOARD_MS)


def test_the_board_sends_the_browser_to_sign_in_when_the_session_ends(
    live: tuple[str, Deployment], page: Page
) -> None:
    base, deployment = live
    enter(page, base, deployment, Role.FIELD_LEAD, "origin:nawa")
    page.goto(f"{base}/operations")
    page.context.clear_cookies()
    page.wait_for_url(f"{base}/signin", timeout=BOARD_MS)


# --- through a TestClient --------------------------------------------------------------------


def test_a_field_lead_sees_only_its_assembly_points_households(
    live: tuple[str, Deployment],
) -> None:
    """Out of scope and unknown answer alike, so the answer tells nothing of what exists."""
    _base, deployment = live
    with client_as(deployment, Role.FIELD_LEAD, "origin:nawa") as (client, headers):
        table = client.get("/registry", headers=headers).text
        assert 'data-household="hgbr"' in table and 'data-household="hjor"' in table
        assert "hdeu" not in table
        out_of_scope = client.get("/registry/hdeu", headers=headers)
        unknown = client.get("/registry/hnobody", headers=headers)
        assert out_of_scope.status_code == unknown.status_code == 404
        assert out_of_scope.text == unknown.text
        assert client.get("/api/households/hdeu", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("role", "scope"),
    [(Role.COORDINATOR, "all"), (Role.HOST_LIAISON, "host:GBR"), (Role.FIELD_LEAD, "origin:nawa")],
)
def test_a_households_members_are_masked_as_the_api_masks_them_and_each_view_is_audited(
    live: tuple[str, Deployment], role: Role, scope: str
) -> None:
    _base, deployment = live
    with client_as(deployment, role, scope) as (client, headers):
        api = json.dumps(
            client.get("/api/households/hgbr/persons", headers=headers).json(), ensure_ascii=False
        )
        reads = audit_count(deployment, "read")
        page = client.get("/registry/hgbr", headers=headers).text
    assert audit_count(deployment, "read") == reads + 1
    shown = (NAME, "T. N. P.", "1987-04-02", "NPG0", ARABIC, PHONE, LOCATION, "volunteer")
    for value in shown:
        assert (value in page) == (value in api), (role, value)
    assert "1987" in page and "insulin" in page  # every role sees the year and the needs
    with deployment.session() as session:
        entry = session.execute(
            select(AuditRow).where(AuditRow.action == "read").order_by(AuditRow.seq.desc())
        ).scalar()
    assert entry is not None and entry.subject == "pg0,pg1"
    assert json.loads(entry.detail)["purpose"] == f"page {role.value}"


def test_the_name_search_refuses_quietly_and_never_writes_the_name_back_or_to_a_log(
    live: tuple[str, Deployment], caplog: pytest.LogCaptureFixture
) -> None:
    _base, deployment = live
    with client_as(deployment, Role.FIELD_LEAD, "origin:nawa") as (client, headers):
        refused = client.post(
            "/registry/find", data={"kind": "name", "value": NAME}, headers=headers
        )
        assert refused.status_code == 403
    with client_as(deployment, Role.COORDINATOR, "all") as (client, headers):
        lookups = audit_count(deployment, "lookup")
        cases = {
            "Search by: choose": {"kind": "phone", "value": NAME},
            "Name: type it": {"kind": "name", "value": "   "},
            "Document number: type it": {"kind": "document", "value": NAME + "X" * 200},
        }
        with caplog.at_level(logging.DEBUG):
            for problem, fields in cases.items():
                answer = client.post("/registry/find", data=fields, headers=headers)
                assert answer.status_code == 200 and problem in answer.text
                assert NAME not in answer.text
            assert audit_count(deployment, "lookup") == lookups  # nothing was looked up
            missing = client.post(
                "/registry/find", data={"kind": "name", "value": NAME + " JUNIOR"}, headers=headers
            )
            assert "Found 0 persons" in missing.text and NAME not in missing.text
            cross_site = client.post(
                "/registry/find",
                data={"kind": "name", "value": NAME},
                headers=headers | {"Origin": "https://elsewhere.example"},
            )
            assert cross_site.status_code == 403
            too_large = client.post(
                "/registry/find",
                data={"kind": "name", "value": "X" * FORM_LIMIT},
                headers=headers,
            )
            assert too_large.status_code == 413
        assert audit_count(deployment, "lookup") == lookups + 1
    assert NAME not in caplog.text and NAME.casefold() not in caplog.text.casefold()


def test_the_checkpoint_form_names_each_refused_field_and_records_nothing(
    live: tuple[str, Deployment],
) -> None:
    _base, deployment = live
    recorded = checkpoints(deployment)
    with client_as(deployment, Role.FIELD_LEAD, "origin:nawa") as (client, headers):
        answer = client.post(
            "/checkpoint",
            data={"household": "hdeu", "kind": "crossing", "place": "", "headcount": "-1"},
            headers=headers,
        )
        problems = answer.text[answer.text.index('id="problems"') :]
        problems = problems[: problems.index("</div>")]
        assert answer.status_code == 200
        for field in (
            "Household: no household",
            "Checkpoint: a field_lead account records assembly or departure",
            "Place: type",
            "Headcount: type",
        ):
            assert field in problems
        assert "hdeu" not in problems  # what was typed is not repeated in the problems
        cross_site = client.post(
            "/checkpoint",
            data={"household": "hgbr", "kind": "assembly", "place": "nawa", "headcount": "2"},
            headers=headers | {"Origin": "https://elsewhere.example"},
        )
        assert cross_site.status_code == 403
    with client_as(deployment, Role.TRANSIT_LIAISON, "crossing:golan") as (client, headers):
        elsewhere = client.post(
            "/checkpoint",
            data={"household": "hgbr", "kind": "crossing", "place": "jaber", "headcount": "2"},
            headers=headers,
        ).text
        assert "Place: a transit_liaison account records at golan only." in elsewhere
    with client_as(deployment, Role.FIELD_LEAD, "origin:nawa") as (client, headers):
        other_town = client.post(
            "/checkpoint",
            data={"household": "hgbr", "kind": "assembly", "place": "inkhil", "headcount": "2"},
            headers=headers,
        ).text
        assert "Place: a field_lead account records at nawa only." in other_town
    with client_as(deployment, Role.COORDINATOR, "all") as (client, headers):
        nowhere = client.post(
            "/checkpoint",
            data={
                "household": "hgbr",
                "kind": "assembly",
                "place": "olive grove",
                "headcount": "2",
            },
            headers=headers,
        ).text
        problems = nowhere[nowhere.index('id="problems"') :]
        problems = problems[: problems.index("</div>")]
        assert "Place: the place is not a town, junction or assembly point" in problems
        assert "olive" not in problems
    assert checkpoints(deployment) == recorded
    assert statuses_of(deployment, "hgbr") == ["cleared", "cleared"]


def test_a_wrong_headcount_is_recorded_flagged_and_moves_nobody(
    live: tuple[str, Deployment],
) -> None:
    _base, deployment = live
    recorded = checkpoints(deployment)
    with client_as(deployment, Role.FIELD_LEAD, "origin:nawa") as (client, headers):
        text = client.post(
            "/checkpoint",
            data={"household": "hgbr", "kind": "assembly", "place": "nawa", "headcount": "3"},
            headers=headers,
        ).text
    assert 'data-discrepancy="true"' in text and "Counted 3, expected 2." in text
    assert "flagged" in text[text.index('id="recent"') :]
    assert checkpoints(deployment) == recorded + 1
    assert statuses_of(deployment, "hgbr") == ["cleared", "cleared"]


def test_the_board_counts_within_the_scope_and_loads_htmx_without_inline_style(
    live: tuple[str, Deployment],
) -> None:
    _base, deployment = live
    with client_as(deployment, Role.FIELD_LEAD, "origin:nawa") as (client, headers):
        lead = client.get("/operations/counts", headers=headers).text
        board = client.get("/operations", headers=headers)
    with client_as(deployment, Role.COORDINATOR, "all") as (client, headers):
        everyone = client.get("/operations/counts", headers=headers).text
        anonymous = client.get("/operations/counts")
    assert 'data-place="nawa"' in lead and 'data-place="inkhil"' not in lead
    assert 'data-place="nawa"' in everyone and 'data-place="inkhil"' in everyone
    assert "3 persons" in lead and "4 persons" in everyone
    assert board.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert '"includeIndicatorStyles": false' in board.text
    assert 'hx-trigger="every 5s"' in board.text
    assert anonymous.status_code == 401 and anonymous.headers["hx-redirect"] == "/signin"


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """A new SQLite file (None), or a PostgreSQL schema of its own named in the URL as a
    server would be given it: the filter's case-insensitive match differs between them."""
    if request.param == "sqlite":
        yield None
        return
    base = os.environ.get(POSTGRES_URL_ENV, POSTGRES_URL)
    name = f"test_pages_{uuid.uuid4().hex[:12]}"
    admin = PostgresDatabase(base)
    with admin.engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield f"{base}?options=-csearch_path%3D{name}"
    finally:
        with admin.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def test_the_registry_pages_by_fifty_and_filters_by_id_or_origin_within_scope(
    tmp_path: Path, location: str | None
) -> None:
    with cheap_hashing():
        deployment = deploy(tmp_path, location)
        register(deployment)
        with deployment.session() as session:
            for number in range(60):
                registry.save_household(
                    session, deployment.operator(), Household(f"hp{number:02d}", "dael")
                )
        with client_as(deployment, Role.COORDINATOR, "all") as (client, headers):
            first = client.get("/registry", headers=headers).text
            second = client.get("/registry?page=2", headers=headers).text
            beyond = client.get("/registry?page=9", headers=headers).text

            def matching(text: str, page: int = 1) -> str:
                return client.post(
                    "/registry", data={"text": text, "page": str(page)}, headers=headers
                ).text

            dael, dael_2, ids, wildcard = (
                matching("dael"),
                matching("dael", 2),
                matching("HP0"),
                matching("%"),
            )
            too_long = matching("x" * 65)
        with client_as(deployment, Role.FIELD_LEAD, "origin:nawa") as (client, headers):
            theirs = client.post("/registry", data={"text": "dael"}, headers=headers).text
    deployment.database.dispose()

    def rows(text: str) -> int:
        return text.count("<tr data-household=")

    assert rows(first) == 50 and "63 households" in first and "Page 1 of 2" in first
    assert 'href="/registry?page=2"' in first
    assert rows(second) == 13 and rows(beyond) == 13 and "Page 2 of 2" in beyond
    assert rows(dael) == 50 and "60 households matching" in dael
    assert '<input type="hidden" name="text" value="dael">' in dael  # the pager posts too
    assert rows(dael_2) == 10
    assert rows(ids) == 10  # hp00 to hp09, whatever the case typed
    assert rows(wildcard) == 0  # % is a character here, not a pattern
    assert "Household id or origin: type at most 64" in too_long and rows(too_long) == 50
    assert rows(theirs) == 0
