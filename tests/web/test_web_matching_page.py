"""The matching page: the latest proposals and their reasons, narrowed as the API narrows them,
and a coordinator's overrides.

In Debian's Chromium against a live server (:mod:`web_support`) for the coordinator's round
trip: a round run through the API, a pledge forbidden through the page's form, the next run
following it, and no reason in any URL the browser asked for. Through a TestClient for the
rest: what a host liaison sees, each refusal of the form, the filters and the pages.

The round is api_support's: hgbr (two persons, vetted by GBR and CAN) goes to the British
pledge, hdeu and hjor (one person each, vetted by DEU) to the German one.
"""

from __future__ import annotations

import itertools
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import httpx2
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page
from sqlalchemy import func, select

sys.path.append(str(Path(__file__).resolve().parents[1] / "api"))
sys.path.append(str(Path(__file__).resolve().parent))
from api_support import PASSWORD, Deployment, bearer, cheap_hashing, code, deploy, register
from api_support import sign_in as api_sign_in
from web_support import browser, live, page, shots

from safepassage.policy import Role
from safepassage.store.tables import AuditRow, OverrideRow
from safepassage.web import matching_pages
from safepassage.web.common import CONTENT_SECURITY_POLICY, FORM_LIMIT

__all__ = ["browser", "live", "page", "shots"]  # fixtures used by name

PLEDGES = [
    {"id": "uk", "country": "GBR", "places_persons": 4, "medical_places": 4},
    {"id": "de", "country": "DEU", "places_persons": 4, "medical_places": 4},
]
ROUND = ["hgbr", "hdeu", "hjor"]
PROPOSED = {"hgbr": "uk", "hdeu": "de", "hjor": "de"}
REASON = "asked to wait for a cousin to sponsor them in Canada"
"""Synthetic, and the kind of thing about a family that must stay on the page."""

_serial = itertools.count()


def new_account(deployment: Deployment, role: Role, scope: str) -> str:
    """An account for each use: a TOTP code is taken once, so two sign-ins of one account
    within 30 seconds would be refused."""
    name = f"{role.value.replace('_', '-')}-{next(_serial)}"
    with cheap_hashing():
        deployment.add_account(name, role, scope)
    return name


@pytest.fixture(scope="module")
def client(live: tuple[str, Deployment]) -> Iterator[TestClient]:
    with live[1].client() as client:
        yield client


def headers_of(
    client: TestClient, deployment: Deployment, role: Role, scope: str
) -> dict[str, str]:
    return bearer(api_sign_in(client, deployment, new_account(deployment, role, scope)))


@pytest.fixture(scope="module")
def runner(live: tuple[str, Deployment], client: TestClient) -> dict[str, str]:
    """The coordinator who runs rounds through the API, as a client of the server would."""
    return headers_of(client, live[1], Role.COORDINATOR, "all")


def run_round(client: TestClient, runner: dict[str, str]) -> dict[str, str | None]:
    response = client.post(
        "/api/matching/runs", json={"pledges": PLEDGES, "households": ROUND}, headers=runner
    )
    assert response.status_code == 200 and response.json()["checked"], response.text
    return {
        item["household"]: item["pledge"]
        for item in client.get("/api/matching/proposals", headers=runner).json()
    }


def fresh_round(client: TestClient, runner: dict[str, str]) -> None:
    """Every override lifted and the round run again, whatever an earlier test left."""
    for item in client.get("/api/matching/overrides", headers=runner).json():
        lifted = client.delete(
            f"/api/matching/overrides/{item['household']}/{item['pledge']}", headers=runner
        )
        assert lifted.status_code == 204
    assert run_round(client, runner) == PROPOSED


def enter(page: Page, base: str, deployment: Deployment, role: Role, scope: str) -> None:
    """Signs a new account in with the sign-in form's post, without opening the map (which
    plans the bundled scenario first)."""
    name = new_account(deployment, role, scope)
    response = page.request.post(
        f"{base}/signin",
        form={"name": name, "password": PASSWORD, "code": code(deployment.secrets[name])},
        max_redirects=0,
    )
    assert response.status == 303


def rows(page_html: str) -> list[str]:
    return re.findall(r'<tr data-household="([^"]+)">', page_html)


def problems_of(page_html: str) -> str:
    start = page_html.index('id="problems"')
    return page_html[start : page_html.index("</div>", start)]


def overrides(deployment: Deployment) -> int:
    with deployment.session() as session:
        return session.execute(select(func.count()).select_from(OverrideRow)).scalar_one()


# --- in the browser --------------------------------------------------------------------------


def test_a_coordinator_forbids_a_pledge_on_the_page_and_the_next_run_follows_it(
    live: tuple[str, Deployment],
    client: TestClient,
    runner: dict[str, str],
    page: Page,
    shots: Path,
) -> None:
    base, deployment = live
    fresh_round(client, runner)
    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    enter(page, base, deployment, Role.COORDINATOR, "all")
    page.goto(f"{base}/matching")
    assert page.locator("nav.pages a[href='/matching']").count() == 1
    assert page.inner_text("#persons-placed") == "4"
    assert page.inner_text("#households-placed") == "3"
    assert page.inner_text("#households-unplaced") == "0"
    by_pledge = page.locator("#by-pledge tbody tr").all_inner_texts()
    assert by_pledge == ["DEU\t2\t2", "\tde\t2\t2", "GBR\t1\t2", "\tuk\t1\t2"]
    listed = page.locator("#proposals tr[data-household]")
    assert listed.evaluate_all("rows => rows.map(row => row.dataset.household)") == sorted(ROUND)
    assert page.inner_text("tr[data-household='hgbr'] td.pledge") == "uk"
    assert page.inner_text("tr[data-household='hgbr'] td.why").startswith("de: blocked:")

    page.click("a[href='/matching/hgbr']")
    page.wait_for_url(f"{base}/matching/hgbr")
    assert page.inner_text("#proposed-pledge") == "uk (GBR)"
    assert page.inner_text("#pinned") == "no"
    assert page.locator("#components tbody tr").count() == 4
    assert "not vetted" in page.inner_text("#alternatives tr[data-pledge='de']")
    assert "take effect at the next run" in page.inner_text("#overrides")

    page.check("input[name='kind'][value='forbid']")
    page.fill("#override-pledge", "uk")
    page.fill("#override-reason", REASON)
    page.click("#override-go")
    page.wait_for_url(f"{base}/matching/hgbr")
    recorded = page.locator("#recorded tr[data-pledge='uk'][data-kind='forbid']")
    assert recorded.count() == 1
    assert REASON in recorded.inner_text() and "coordinator-" in recorded.inner_text()
    assert page.inner_text("#proposed-pledge") == "uk (GBR)"  # until the next run

    assert run_round(client, runner) == PROPOSED | {"hgbr": None}
    page.reload()
    assert page.inner_text("#proposed-pledge") == "not placed"
    assert "forbidden by an override" in page.inner_text("#why-unplaced")
    assert f"forbidden by an override ({REASON})" in page.inner_text("#blocked")

    page.click("p.back a")
    page.wait_for_url(f"{base}/matching")
    assert page.inner_text("tr[data-household='hgbr'] td.pledge") == "not placed"
    assert "forbidden by an override" in page.inner_text("tr[data-household='hgbr'] td.why")
    assert page.locator("#unplaced tbody tr").all_inner_texts() == [
        "every pledge is blocked by a hard rule\t1\t2"
    ]
    assert page.inner_text("#households-unplaced") == "1"
    page.screenshot(path=shots / "matching.png", full_page=True)

    page.goto(f"{base}/matching/hgbr")
    page.click("#recorded tr[data-pledge='uk'] .lift button")
    page.wait_for_url(f"{base}/matching/hgbr")
    assert page.locator("#recorded").count() == 0 and overrides(deployment) == 0

    assert any(url.endswith("/matching/hgbr/overrides") for url in requested)
    assert all(
        "cousin" not in unquote_plus(url) and "Canada" not in unquote_plus(url) for url in requested
    )
    assert errors == []  # a script or style the Content-Security-Policy blocked would show here
    assert [url for url in requested if not url.startswith(f"{base}/")] == []


# --- through a TestClient --------------------------------------------------------------------


def test_a_host_liaison_sees_only_its_countrys_proposals_and_their_fit(
    live: tuple[str, Deployment], client: TestClient, runner: dict[str, str]
) -> None:
    _base, deployment = live
    fresh_round(client, runner)
    liaison = headers_of(client, deployment, Role.HOST_LIAISON, "host:GBR")
    listing = client.get("/matching", headers=liaison)
    assert listing.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert rows(listing.text) == ["hgbr"]
    assert "DEU" not in listing.text and ">de<" not in listing.text
    assert "not placed" not in listing.text and "Best alternative" not in listing.text
    assert 'id="persons-placed">2<' in listing.text
    assert "Only the households proposed to GBR" in listing.text
    assert rows(client.get("/matching?country=DEU", headers=liaison).text) == []

    api: dict[str, Any] = client.get("/api/matching/proposals/hgbr", headers=runner).json()
    why_not = api["explanation"]["alternatives"][0]["why_not"]
    mine = client.get("/matching/hgbr", headers=liaison).text
    assert 'id="components"' in mine and mine.count("<tr data-component=") == 4
    for hidden in ('id="alternatives"', 'id="blocked"', 'id="overrides"', "Why not"):
        assert hidden not in mine, hidden
    assert why_not not in mine

    out_of_scope = client.get("/matching/hdeu", headers=liaison)
    unknown = client.get("/matching/hnobody", headers=liaison)
    assert out_of_scope.status_code == unknown.status_code == 404
    assert out_of_scope.text == unknown.text  # the answer tells nothing of what exists
    refused = client.post(
        "/matching/hgbr/overrides",
        data={"kind": "forbid", "pledge": "uk", "reason": REASON},
        headers=liaison,
    )
    assert refused.status_code == 403 and overrides(deployment) == 0


def test_a_pin_shows_its_reason_to_the_coordinator_and_only_the_fact_to_the_host(
    live: tuple[str, Deployment], client: TestClient, runner: dict[str, str]
) -> None:
    _base, deployment = live
    fresh_round(client, runner)
    coordinator = headers_of(client, deployment, Role.COORDINATOR, "all")
    pinned = client.post(
        "/matching/hgbr/overrides",
        data={"kind": "pin", "pledge": "uk", "reason": REASON},
        headers=coordinator,
        follow_redirects=False,
    )
    assert pinned.status_code == 303 and pinned.headers["location"] == "/matching/hgbr"
    run_round(client, runner)
    full = client.get("/matching/hgbr", headers=coordinator).text
    assert f'id="pinned">yes: {REASON}<' in full
    liaison = headers_of(client, deployment, Role.HOST_LIAISON, "host:GBR")
    theirs = client.get("/matching/hgbr", headers=liaison).text
    assert 'id="pinned">yes, by a coordinator<' in theirs
    assert "cousin" not in theirs


def test_the_override_form_names_each_refused_field_and_never_repeats_the_reason(
    live: tuple[str, Deployment],
    client: TestClient,
    runner: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _base, deployment = live
    fresh_round(client, runner)
    coordinator = headers_of(client, deployment, Role.COORDINATOR, "all")

    def post(fields: dict[str, str], **extra: Any) -> httpx2.Response:
        return client.post(
            "/matching/hgbr/overrides",
            data=fields,
            headers=coordinator | extra.pop("headers", {}),
            **extra,
        )

    with caplog.at_level(logging.DEBUG):
        answer = post({"kind": "ban", "pledge": "", "reason": "   "})
        assert answer.status_code == 200
        for field in ("Override: choose pin or forbid", "Pledge: type", "Reason: say why"):
            assert field in problems_of(answer.text)
        too_long = post({"kind": "forbid", "pledge": "uk", "reason": REASON + "x" * 500})
        assert "Reason: say why, 1 to 500" in problems_of(too_long.text)
        assert REASON not in problems_of(too_long.text)
        assert overrides(deployment) == 0

        assert post({"kind": "pin", "pledge": "uk", "reason": REASON}).status_code == 200
        second = post({"kind": "pin", "pledge": "de", "reason": REASON})
        assert "Not recorded: household hgbr is already pinned to uk" in problems_of(second.text)
        assert REASON not in problems_of(second.text)
        lifted = client.post(
            "/matching/hgbr/overrides/lift",
            data={"pledge": "uk"},
            headers=coordinator,
            follow_redirects=False,
        )
        assert lifted.status_code == 303 and lifted.headers["location"] == "/matching/hgbr"
        again = client.post(
            "/matching/hgbr/overrides/lift", data={"pledge": "uk"}, headers=coordinator
        )
        assert again.status_code == 200
        assert "Not lifted: this household has no override" in problems_of(again.text)

        cross_site = post(
            {"kind": "forbid", "pledge": "uk", "reason": REASON},
            headers={"Origin": "https://elsewhere.example"},
        )
        assert cross_site.status_code == 403
        too_large = post({"kind": "forbid", "pledge": "uk", "reason": "x" * FORM_LIMIT})
        assert too_large.status_code == 413
        unknown = client.post(
            "/matching/hnobody/overrides",
            data={"kind": "forbid", "pledge": "uk", "reason": REASON},
            headers=coordinator,
        )
        assert unknown.status_code == 404 and REASON not in unknown.text
        assert overrides(deployment) == 0
        recorded = post(
            {"kind": "forbid", "pledge": "uk", "reason": REASON}, follow_redirects=False
        )
        assert recorded.status_code == 303 and recorded.headers["location"] == "/matching/hgbr"
    assert overrides(deployment) == 1
    assert "cousin" not in caplog.text
    with deployment.session() as session:
        details = session.execute(
            select(AuditRow.detail).where(AuditRow.action.like("match-%"))
        ).scalars()
        assert all("cousin" not in detail for detail in details)


def test_the_table_filters_by_country_pledge_and_household_and_pages(
    live: tuple[str, Deployment],
    client: TestClient,
    runner: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _base, deployment = live
    fresh_round(client, runner)
    coordinator = headers_of(client, deployment, Role.COORDINATOR, "all")
    forbid = client.put(
        "/api/matching/overrides/hgbr/uk", json={"kind": "forbid", "reason": REASON}, headers=runner
    )
    assert forbid.status_code == 200
    run_round(client, runner)
    monkeypatch.setattr(matching_pages, "PAGE_SIZE", 2)

    def listed(url: str) -> list[list[str]]:
        """The ids of each page of the table, following its Next links."""
        pages = []
        while True:
            response = client.get(url, headers=coordinator)
            assert response.status_code == 200, url
            pages.append(rows(response.text))
            following = re.search(r'<a href="([^"]+)#households" rel="next">', response.text)
            if following is None:
                return pages
            url = following.group(1).replace("&amp;", "&")

    assert listed("/matching") == [["hdeu", "hgbr"], ["hjor"]]
    assert listed("/matching?page=9") == [["hjor"]]  # past the last: the last
    assert listed("/matching?country=DEU") == [["hdeu", "hjor"]]
    assert listed("/matching?country=none") == [["hgbr"]]
    assert listed("/matching?pledge=de&household=HJ") == [["hjor"]]
    assert listed("/matching?pledge=uk") == [[]]
    page_html = client.get("/matching", headers=coordinator).text
    assert 'id="persons-placed">2<' in page_html and 'id="persons-unplaced">2<' in page_html
    assert "Households 1\N{EN DASH}2 of 3" in page_html
    for inline in (" style=", "<style", "<script"):
        assert inline not in page_html


def test_without_proposals_the_page_says_how_to_make_them(tmp_path: Path) -> None:
    with cheap_hashing():
        deployment = deploy(tmp_path)
        register(deployment)
    with deployment.client() as client:
        coordinator = bearer(api_sign_in(client, deployment, "coordinator"))
        liaison = bearer(api_sign_in(client, deployment, "host_liaison"))
        empty = client.get("/matching", headers=coordinator).text
        assert "safepassage match --registry" in empty and "POST /api/matching/runs" in empty
        theirs = client.get("/matching", headers=liaison).text
        assert "No household is proposed to GBR yet" in theirs and "api/matching" not in theirs
        unproposed = client.get("/matching/hgbr", headers=coordinator)
        assert unproposed.status_code == 200 and 'id="no-proposal"' in unproposed.text
        assert 'action="/matching/hgbr/overrides"' in unproposed.text  # forbid before a run
        assert client.get("/matching/hgbr", headers=liaison).status_code == 404
        assert client.get("/matching/hnobody", headers=coordinator).status_code == 404
    deployment.database.dispose()
