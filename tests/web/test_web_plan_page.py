"""The plan page: its figures and plots against the plan they come from, narrowed to a field
lead's scope, its itinerary table, and the page in Chromium (:mod:`web_support`)."""

from __future__ import annotations

import gc
import html
import re
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from matplotlib.figure import Figure
from playwright.sync_api import Page

sys.path.append(str(Path(__file__).resolve().parents[1] / "api"))
sys.path.append(str(Path(__file__).resolve().parent))
from api_support import Deployment, bearer, cheap_hashing, deploy
from api_support import sign_in as token_of
from web_support import PLANNING_MS, browser, live, page, shots, sign_in

from safepassage.formats.plan_json import write_plan
from safepassage.model import Scenario
from safepassage.model.plan import HouseholdPlan, Plan
from safepassage.model.registry import Household as RegistryHousehold
from safepassage.policy import Role
from safepassage.services import registry
from safepassage.web.common import CONTENT_SECURITY_POLICY, operation
from safepassage.web.plan_pages import PAGE_SIZE, plan_counts
from safepassage.web.plan_plots import (
    CrossingCounts,
    PlanCounts,
    Window,
    crossing_use_svg,
    running_totals,
    safe_over_time_svg,
)

__all__ = ["browser", "live", "page", "shots"]  # fixtures used by name

ORIGIN = "nawa"
"""The field lead of api_support's SCOPES leads the assembly point of this town."""

PLOTS = {"safe-over-time": safe_over_time_svg, "crossing-use": crossing_use_svg}


@pytest.fixture(scope="module")
def operation_of(live: tuple[str, Deployment]) -> tuple[Scenario, Plan]:
    """The scenario and plan the server shows, as the test reads them."""
    _base, deployment = live
    with deployment.session() as session:
        return operation(deployment.settings, session)


@pytest.fixture(scope="module")
def in_scope(live: tuple[str, Deployment], operation_of: tuple[Scenario, Plan]) -> frozenset[str]:
    """The scenario's households from the field lead's town, put in the registry: those of
    api_support are not in the bundled plan, so without these the field lead would see an
    empty page and the scope would prove nothing."""
    _base, deployment = live
    scenario, _plan = operation_of
    ids = frozenset(h.id for h in scenario.households if h.origin == ORIGIN)
    with deployment.session() as session:
        for household_id in sorted(ids):
            registry.save_household(
                session, deployment.operator(), RegistryHousehold(household_id, ORIGIN)
            )
    return ids


@pytest.fixture(scope="module")
def client(live: tuple[str, Deployment]) -> Iterator[TestClient]:
    with live[1].client() as client:
        yield client


@pytest.fixture(scope="module")
def headers(live: tuple[str, Deployment], client: TestClient) -> dict[str, dict[str, str]]:
    """Bearer tokens of accounts the browser test does not use: a TOTP code is taken once."""
    _base, deployment = live
    with cheap_hashing():
        deployment.add_account("planner", Role.COORDINATOR, "all")
        deployment.add_account("lead_elsewhere", Role.FIELD_LEAD, "origin:izra")
    return {
        name: bearer(token_of(client, deployment, name))
        for name in ("planner", "field_lead", "lead_elsewhere")
    }


def sizes(scenario: Scenario) -> dict[str, int]:
    return {household.id: household.size for household in scenario.households}


def persons(scenario: Scenario, entries: list[HouseholdPlan]) -> int:
    size = sizes(scenario)
    return sum(size[entry.household] for entry in entries)


def figure_text(page_html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', page_html)
    assert found, element_id
    return found.group(1).strip()


def table_rows(page_html: str) -> list[tuple[str, str]]:
    """``(household id, the rest of its row's HTML)`` for each row of the itinerary table."""
    return re.findall(r'<td class="household">([^<]+)</td>(.*?)</tr>', page_html, re.DOTALL)


def stop_names(row_html: str) -> list[str]:
    return [html.unescape(name) for name in re.findall(r"<li>([^<]*) <span", row_html)]


def walk(client: TestClient, headers: dict[str, str], url: str) -> list[list[str]]:
    """The household ids of each page of the table, following its Next links."""
    pages = []
    while True:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        pages.append([household for household, _ in table_rows(response.text)])
        following = re.search(r'<a href="([^"]+)#itineraries" rel="next">', response.text)
        if following is None:
            return pages
        url = html.unescape(following.group(1))


def test_the_plotted_and_headline_totals_are_the_plans(
    client: TestClient, headers: dict[str, dict[str, str]], operation_of: tuple[Scenario, Plan]
) -> None:
    """The counts drawn are summed again here from the plan's itineraries; the plots served
    are the drawings of exactly those counts."""
    scenario, plan = operation_of
    size = sizes(scenario)
    out = [entry for entry in plan.households if entry.crossing is not None]
    behind = [entry for entry in plan.households if entry.crossing is None]
    assert out and behind, "the bundled plan brings households out and leaves some behind"
    crossed: Counter[tuple[str, int]] = Counter()
    departed: Counter[int] = Counter()
    for entry in out:
        crossed[(str(entry.crossing), entry.itinerary[-1].depart_step or 0)] += size[
            entry.household
        ]
        departed[entry.itinerary[0].depart_step or 0] += size[entry.household]

    counts = plan_counts(scenario, plan.households)
    names = {node.name: node.id for node in scenario.nodes}
    drawn = {
        (names[crossing.name], step): persons
        for crossing in counts.crossings
        for step, persons in crossing.crossed
    }
    assert drawn == dict(crossed)
    assert dict(counts.departed) == dict(departed)
    safe = sum(
        running_totals(crossing.crossed)[-1][1] for crossing in counts.crossings if crossing.crossed
    )
    assert safe == running_totals(counts.departed)[-1][1] == persons(scenario, out)

    for name, draw in PLOTS.items():
        response = client.get(f"/plan/{name}.svg", headers=headers["planner"])
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/svg+xml"
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.content == draw(counts), name

    page_html = client.get("/plan", headers=headers["planner"]).text
    assert figure_text(page_html, "persons-out") == f"{persons(scenario, out):,}"
    assert figure_text(page_html, "households-out") == f"{len(out):,} households"
    assert figure_text(page_html, "persons-behind") == f"{persons(scenario, behind):,}"
    for reason, count in Counter(entry.reason for entry in behind).items():
        assert re.search(
            rf"<td>{re.escape(html.escape(str(reason)))}</td><td class=\"number\">{count}</td>",
            page_html,
        )
    first = min(entry.itinerary[0].depart_step or 0 for entry in out)
    last = max(entry.itinerary[-1].depart_step or 0 for entry in out)
    assert html.escape(scenario.grid.describe(first)) in page_html
    assert html.escape(scenario.grid.describe(last)) in page_html


def test_a_field_lead_sees_only_its_households_in_the_table_figures_and_plots(
    client: TestClient,
    headers: dict[str, dict[str, str]],
    operation_of: tuple[Scenario, Plan],
    in_scope: frozenset[str],
) -> None:
    scenario, plan = operation_of
    own = [entry for entry in plan.households if entry.household in in_scope]
    out = [entry for entry in own if entry.crossing is not None]
    assert out and len(own) < len(plan.households) and len(own) <= PAGE_SIZE

    page_html = client.get("/plan", headers=headers["field_lead"]).text
    assert [household for household, _ in table_rows(page_html)] == [e.household for e in own]
    for entry in plan.households:
        if entry.household not in in_scope:
            assert f">{entry.household}<" not in page_html, entry.household
    assert figure_text(page_html, "persons-out") == f"{persons(scenario, out):,}"
    behind = [entry for entry in own if entry.crossing is None]
    assert figure_text(page_html, "persons-behind") == f"{persons(scenario, behind):,}"
    assert f"in your scope (origin:{ORIGIN})" in page_html

    counts = plan_counts(scenario, own)
    safe = sum(running_totals(c.crossed)[-1][1] for c in counts.crossings if c.crossed)
    assert safe == persons(scenario, out) < persons(scenario, list(plan.evacuated))
    for name, draw in PLOTS.items():
        mine = client.get(f"/plan/{name}.svg", headers=headers["field_lead"]).content
        everyone = client.get(f"/plan/{name}.svg", headers=headers["planner"]).content
        assert mine == draw(counts) != everyone, name


def test_a_field_lead_with_nobody_in_the_plan_gets_empty_figures(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    page_html = client.get("/plan", headers=headers["lead_elsewhere"]).text
    assert table_rows(page_html) == []
    assert "No household matches." in page_html
    assert figure_text(page_html, "persons-out") == "0"
    for name in PLOTS:
        response = client.get(f"/plan/{name}.svg", headers=headers["lead_elsewhere"])
        assert response.status_code == 200
        ElementTree.fromstring(response.content)


def test_the_itineraries_are_paged_and_filtered_by_household_and_origin(
    client: TestClient, headers: dict[str, dict[str, str]], operation_of: tuple[Scenario, Plan]
) -> None:
    scenario, plan = operation_of
    planner = headers["planner"]
    pages = walk(client, planner, "/plan")
    assert len(pages) > 1 and all(len(ids) <= PAGE_SIZE for ids in pages)
    assert [household for ids in pages for household in ids] == [
        e.household for e in plan.households
    ]

    origin_of = {household.id: household.origin for household in scenario.households}
    busiest = Counter(origin_of.values()).most_common(1)[0][0]
    from_busiest = walk(client, planner, f"/plan?origin={busiest}")
    assert [household for ids in from_busiest for household in ids] == [
        e.household for e in plan.households if origin_of[e.household] == busiest
    ]
    wanted = plan.households[0].household[:-1].lower()
    assert walk(client, planner, f"/plan?household={wanted}") == [
        [e.household for e in plan.households if wanted in e.household.lower()]
    ]
    assert walk(client, planner, "/plan?household=no-such-household") == [[]]

    rows = dict(table_rows(client.get(f"/plan?origin={busiest}", headers=planner).text))
    for entry in plan.households:
        if entry.household not in rows:
            continue
        row_html = rows[entry.household]
        if entry.crossing is None:
            assert f"Stays: {html.escape(str(entry.reason))}" in row_html
            assert stop_names(row_html) == []
        else:
            places = [scenario.node_by_id[stop.node].name for stop in entry.itinerary]
            assert stop_names(row_html) == places, entry.household


def test_a_plan_that_does_not_fit_its_scenario_is_refused_with_a_reason(
    tmp_path: Path, operation_of: tuple[Scenario, Plan]
) -> None:
    scenario, plan = operation_of
    stranger = HouseholdPlan("not-in-the-scenario", None, (), "unknown")
    plan_file = tmp_path / "plan.json"
    write_plan(replace(plan, households=(*plan.households, stranger)), scenario.grid, plan_file)
    with cheap_hashing():
        deployment = deploy(tmp_path, plan=plan_file)
    with deployment.client() as client:
        coordinator = bearer(token_of(client, deployment, "coordinator"))
        refused = client.get("/plan", headers=coordinator)
        assert refused.status_code == 409
        assert "has 1 household(s) its scenario does not know" in refused.text
        for name in PLOTS:
            assert client.get(f"/plan/{name}.svg", headers=coordinator).status_code == 409


def tiny_counts(crossed: tuple[tuple[int, int], ...]) -> PlanCounts:
    return PlanCounts(
        start=datetime.fromisoformat("2018-07-21T00:00:00+03:00"),
        step_minutes=15,
        horizon_steps=96,
        departed=((0, sum(persons for _, persons in crossed)),),
        crossings=(
            CrossingCounts("Somewhere", crossed, (Window(40, 60, 20),)),
            CrossingCounts("Elsewhere", (), (Window(70, 80, 5),)),
        ),
    )


def test_a_plot_is_the_same_bytes_each_time_and_draws_under_the_pages_policy() -> None:
    """No date, a fixed salt for the ids, and no inline style: ``style-src 'self'`` would
    refuse one when the SVG is opened on its own."""
    counts = tiny_counts(((41, 5), (44, 3)))
    for draw in PLOTS.values():
        svg = draw.__wrapped__(counts)
        assert svg == draw.__wrapped__(counts)
        assert b"style=" not in svg and b"<style" not in svg
        assert b"Matplotlib" not in svg and b"<dc:date>" not in svg
        ElementTree.fromstring(svg)


def test_drawing_keeps_no_figure() -> None:
    """Plots are drawn per request (or per plan and scope): a figure kept by each would
    grow the server without bound."""

    def figures() -> int:
        gc.collect()
        return sum(isinstance(thing, Figure) for thing in gc.get_objects())

    before = figures()
    for extra in range(10):
        for draw in PLOTS.values():
            draw.__wrapped__(tiny_counts(((41, 5 + extra),)))
    assert figures() == before


def test_the_plan_page_in_chromium_shows_both_plots(
    live: tuple[str, Deployment], page: Page, shots: Path
) -> None:
    base, deployment = live
    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    sign_in(page, base, deployment, "coordinator")
    page.wait_for_url(f"{base}/")
    page.click("nav.pages a[href='/plan']")
    page.wait_for_url(f"{base}/plan", timeout=PLANNING_MS)
    page.wait_for_function(
        "[...document.querySelectorAll('img.plot')]"
        ".every(image => image.complete && image.naturalWidth > 0)",
        timeout=PLANNING_MS,
    )
    assert page.locator("img.plot").count() == 2
    rows = page.locator("table.itineraries tbody tr")
    assert rows.count() == PAGE_SIZE
    prefix = rows.first.locator("td.household").inner_text()[:-1]
    page.fill("input[name='household']", prefix)  # a short table, for the screenshot
    page.click("form.filter button")
    page.wait_for_url(re.compile(rf"/plan\?household={prefix}&"))
    assert 0 < rows.count() < PAGE_SIZE
    assert all(cell.startswith(prefix) for cell in page.locator("td.household").all_inner_texts())
    page.screenshot(path=shots / "plan.png", full_page=True)
    assert errors == []  # a script or style the Content-Security-Policy blocked would show here
    assert [url for url in requested if not url.startswith(f"{base}/")] == []  # offline

    page.goto(f"{base}/plan/safe-over-time.svg")  # opened on its own, under the same policy
    assert page.locator("svg path").count() > 0
    assert [error for error in errors if "Content Security Policy" in error] == []
