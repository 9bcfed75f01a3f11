"""The sign-in and map pages in a real browser: Debian's Chromium driven by Playwright against
a live server (:mod:`web_support`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

sys.path.append(str(Path(__file__).resolve().parents[1] / "api"))
sys.path.append(str(Path(__file__).resolve().parent))
from api_support import PASSWORD, Deployment, code
from web_support import PLANNING_MS, browser, live, page, shots, sign_in

from safepassage.web.common import CONTENT_SECURITY_POLICY, FORM_LIMIT

__all__ = ["browser", "live", "page", "shots"]  # fixtures used by name


def map_state(page: Page, step: int) -> dict[str, int]:
    page.locator("#step").fill(str(step))
    page.wait_for_function(
        "step => document.getElementById('map').dataset.step === String(step)", arg=step
    )
    state: dict[str, Any] = page.eval_on_selector("#map", "map => ({...map.dataset})")
    return {
        "fallen": int(state["fallenZones"]),
        "routes": int(state["routes"]),
        "crossed": int(state["crossed"]),
        "open_crossings": int(state["openCrossings"]),
        "zone_shapes": page.locator("path.zone-fallen").count(),
        "route_lines": page.locator("path.route").count(),
    }


def test_sign_in_with_totp_then_the_slider_moves_the_front_line_and_the_routes(
    live: tuple[str, Deployment], page: Page, shots: Path
) -> None:
    """What the map draws at a step is checked against the data it was given: a zone is red
    once it has fallen, a route is drawn once its household has left, and it is marked
    crossed once the household has crossed."""
    base, deployment = live
    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    sign_in(page, base, deployment, "coordinator")
    page.wait_for_url(f"{base}/")
    page.wait_for_selector("#map[data-ready='true']", timeout=PLANNING_MS)
    data = page.evaluate("fetch('/map/data.json').then(response => response.json())")
    households = data["households"]
    assert households, "the bundled scenario's plan brings households out"
    first_crossing = min(h["itinerary"][-1][2] for h in households)
    last_crossing = max(h["itinerary"][-1][2] for h in households)

    def expected(step: int) -> dict[str, int]:
        fallen = sum(zone["unsafe_step"] <= step for zone in data["zones"])
        return {
            "fallen": fallen,
            "routes": sum(h["itinerary"][0][2] <= step for h in households),
            "crossed": sum(h["itinerary"][-1][2] < step for h in households),
            "open_crossings": sum(
                any(start <= step < end for start, end in crossing["windows"])
                for crossing in data["crossings"]
            ),
            "zone_shapes": sum(
                len(zone["nodes"]) for zone in data["zones"] if zone["unsafe_step"] <= step
            ),
        }

    seen = {}
    for label, step in (
        ("start", 0),
        ("on-the-road", 6),
        ("front-line", first_crossing - 1),
        ("crossed", last_crossing + 1),
    ):
        state = map_state(page, step)
        assert state["route_lines"] == state["routes"], label
        assert {key: state[key] for key in expected(step)} == expected(step), label
        seen[label] = state
        if label in {"on-the-road", "front-line", "crossed"}:
            page.screenshot(path=shots / f"map-{label}.png")

    page.locator("#step").press("End")  # the keyboard moves the slider as the mouse does
    last = data["horizon_steps"] - 1
    page.wait_for_function(f"document.getElementById('map').dataset.step === '{last}'")
    seen["end"] = map_state(page, last)
    assert seen["end"]["fallen"] == len(data["zones"])

    assert seen["start"]["fallen"] < seen["front-line"]["fallen"] < seen["end"]["fallen"]
    assert seen["start"]["routes"] < seen["on-the-road"]["routes"] < seen["crossed"]["routes"]
    assert seen["front-line"]["crossed"] == 0 < seen["crossed"]["crossed"] == len(households)
    assert seen["start"]["open_crossings"] == 0 < seen["crossed"]["open_crossings"]
    assert errors == []  # a script or style the Content-Security-Policy blocked would show here
    assert [url for url in requested if not url.startswith(f"{base}/")] == []  # offline


def test_the_sign_in_page_refuses_a_wrong_code(
    live: tuple[str, Deployment], page: Page, shots: Path
) -> None:
    base, deployment = live
    page.goto(f"{base}/signin")
    page.screenshot(path=shots / "signin.png")
    page.fill("#name", "field_lead")
    page.fill("#password", PASSWORD)
    page.fill("#code", "000000" if code(deployment.secrets["field_lead"]) != "000000" else "111111")
    page.click("#signin")
    assert page.locator(".refused").is_visible()
    assert page.context.cookies() == []
    page.goto(f"{base}/")
    assert page.url == f"{base}/signin"


def test_a_role_without_household_access_lands_on_its_own_page_not_the_map(
    live: tuple[str, Deployment], page: Page
) -> None:
    base, deployment = live
    sign_in(page, base, deployment, "auditor")
    page.wait_for_url(f"{base}/audit")
    assert page.locator("nav.pages a").all_inner_texts() == ["Audit"]
    assert page.request.get(f"{base}/map/data.json").status == 403


def test_a_scoped_role_sees_only_its_households_routes(live: tuple[str, Deployment]) -> None:
    """The field lead of nawa holds registry households that the bundled plan does not have:
    the outlines and the front line are drawn for it, no route."""
    _base, deployment = live
    with deployment.client() as client:
        assert client.get("/map/data.json").status_code == 401
        page = client.get("/", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/signin"
        signin = client.get("/signin")
        assert signin.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        response = client.post(
            "/signin",
            data={
                "name": "field_lead",
                "password": PASSWORD,
                "code": code(deployment.secrets["field_lead"], 1),
            },
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        data = client.get("/map/data.json").json()
    assert data["households"] == []
    assert data["zones"] and data["roads"] and data["nodes"]


def test_signing_out_ends_the_session(live: tuple[str, Deployment], page: Page) -> None:
    base, deployment = live
    sign_in(page, base, deployment, "host_liaison")
    page.wait_for_url(f"{base}/")
    page.click(".signout button")
    page.wait_for_url(f"{base}/signin")
    assert page.request.get(f"{base}/map/data.json").status == 401


def test_the_sign_in_form_comes_from_this_site_and_is_small(live: tuple[str, Deployment]) -> None:
    """A hostile page cannot post a sign-in (the session it opened would be the attacker's),
    and a body larger than a form is refused before it is read whole."""
    _base, deployment = live
    fields = {"name": "nobody", "password": PASSWORD, "code": "000000"}
    with deployment.client() as client:
        crossed = client.post("/signin", data=fields, headers={"Origin": "https://evil.example"})
        assert crossed.status_code == 403
        large = client.post("/signin", data={**fields, "padding": "x" * FORM_LIMIT})
        assert large.status_code == 413
        wrong = client.post("/signin", data=fields)
        assert wrong.status_code == 401 and "refused" in wrong.text


def test_a_malformed_page_request_is_refused_without_repeating_what_was_typed(
    live: tuple[str, Deployment],
) -> None:
    _base, deployment = live
    with deployment.client() as client:
        response = client.get("/plan", params={"page": "MOHAMMAD ALHARIRI"})
    assert response.status_code == 422
    assert "MOHAMMAD" not in response.text and response.json()["detail"][0]["loc"] == [
        "query",
        "page",
    ]
