"""Signing in and out, and the map: outlines, roads, towns, crossings, and a time slider
that moves the front line and the planned movements."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from safepassage.api.deps import CredentialsDep, ServerDep, SessionDep
from safepassage.formats.problems import InputError
from safepassage.model import Scenario
from safepassage.model.plan import Plan
from safepassage.policy import Action
from safepassage.services import accounts
from safepassage.services.accounts import Outcome, SessionKind
from safepassage.services.operation import visible_households
from safepassage.services.registry_planning import RegistryDoesNotFit
from safepassage.web.common import (
    PageAccount,
    admit,
    admit_data,
    conflict,
    home_page,
    operation,
    redirect,
    render,
)
from safepassage.web.forms import FormFields

router = APIRouter()


@router.get("/signin")
def signin_page(request: Request, account: PageAccount) -> Response:
    if account is not None:
        return redirect("/")
    return render(request, "signin.html", {"refused": False})


@router.post("/signin")
def signin(
    request: Request, fields: FormFields, server: ServerDep, session: SessionDep
) -> Response:
    """A plain function, so it runs in a worker thread: hashing the password takes a good part
    of a second, which the event loop must not wait for. The form comes through
    :func:`~safepassage.web.forms.form_fields` (this site only, bounded)."""
    name, password, code = (fields.get(key, "") for key in ("name", "password", "code"))
    settings = server.settings
    attempt = (
        accounts.authenticate(
            session,
            server.sealer,
            name,
            password,
            code,
            kind=SessionKind.COOKIE,
            lifetime=settings.session_lifetime,
            lockout=settings.lockout,
        )
        if name and password and code
        else None
    )
    if attempt is None or attempt.outcome is not Outcome.OK or attempt.token is None:
        session.commit()  # the failure count and the audit entry outlive the refusal
        return render(request, "signin.html", {"refused": True}, status.HTTP_401_UNAUTHORIZED)
    response = redirect("/")
    response.set_cookie(
        settings.cookie_name,
        attempt.token,
        max_age=settings.session_minutes * 60,
        path="/",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/signout")
def signout(
    account: PageAccount, credentials: CredentialsDep, server: ServerDep, session: SessionDep
) -> Response:
    response = redirect("/signin")
    if account is not None and credentials is not None:
        accounts.sign_out(session, server.sealer, credentials.token)
    settings = server.settings
    response.delete_cookie(
        settings.cookie_name,
        path="/",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/")
def map_page(request: Request, account: PageAccount) -> Response:
    if account is not None and home_page(account) != "/":
        return redirect(home_page(account))
    admitted = admit(request, account, Action.MAP_READ)
    if isinstance(admitted, Response):
        return admitted
    return render(request, "map.html", {"account": admitted})


@router.get("/map/data.json")
def map_data(account: PageAccount, server: ServerDep, session: SessionDep) -> Response:
    admitted = admit_data(account, Action.MAP_READ)
    if isinstance(admitted, Response):
        return admitted
    try:
        scenario, plan = operation(server.settings, session)
    except InputError as error:
        return conflict(
            f"the server's scenario or plan has {len(error.problems)} problem(s); "
            "check them with `safepassage verify`"
        )
    except RegistryDoesNotFit as misfit:
        return conflict(str(misfit))
    return JSONResponse(map_view(scenario, plan, visible_households(session, admitted.scope, plan)))


def map_view(scenario: Scenario, plan: Plan, visible: frozenset[str] | None) -> dict[str, Any]:
    """What the map script draws, in steps of the scenario's grid. Households appear by id
    and size only: nothing about a person reaches the browser."""
    grid = scenario.grid
    offset = grid.start.utcoffset()
    sizes = {household.id: household.size for household in scenario.households}
    roads: dict[tuple[str, str], int] = {}
    for road in scenario.roads:
        pair = (min(road.source, road.target), max(road.source, road.target))
        step = scenario.road_unsafe_step(road)
        roads[pair] = min(roads.get(pair, step), step)
    horizon = grid.horizon_steps
    return {
        "scenario": scenario.name,
        "start": grid.start.isoformat(),
        "utc_offset_minutes": int(offset.total_seconds() // 60) if offset else 0,
        "step_minutes": grid.step_minutes,
        "horizon_steps": horizon,
        "nodes": [
            {"id": node.id, "name": node.name, "lat": node.lat, "lon": node.lon, "kind": node.kind}
            for node in scenario.nodes
        ],
        "roads": [
            {"a": a, "b": b, "unsafe_step": step if step < horizon else None}
            for (a, b), step in sorted(roads.items())
        ],
        "crossings": [
            {
                "node": crossing.node,
                "country": crossing.country,
                "windows": [list(scenario.window_steps(window)) for window in crossing.windows],
            }
            for crossing in scenario.crossings
        ],
        "zones": [
            {
                "name": zone.name,
                "nodes": list(zone.nodes),
                "unsafe_step": grid.step_of(zone.unsafe_from),
            }
            for zone in scenario.zones
        ],
        "households": [
            {
                "id": entry.household,
                "size": sizes.get(entry.household),
                "crossing": entry.crossing,
                "itinerary": [list(stop) for stop in entry.itinerary],
            }
            for entry in plan.households
            if entry.evacuated and (visible is None or entry.household in visible)
        ],
    }
