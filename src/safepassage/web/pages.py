"""The pages: server-rendered HTML next to the API, signing in with the same cookie.

A page never trusts the browser more than the API does: the same services check the sign-in,
the same policy decides who sees the map, and the same scope narrows which households' routes
are drawn. Scripts come from ``/static`` only (the Content-Security-Policy allows nothing
else), so an injected ``<script>`` in a rendered value could not run even if escaping failed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.api.deps import CredentialsDep, Server, ServerDep, SessionDep
from safepassage.api.settings import Settings
from safepassage.formats.plan_json import read_plan
from safepassage.formats.problems import InputError
from safepassage.formats.scenario_folder import read_scenario
from safepassage.model import Scenario
from safepassage.model.plan import Plan
from safepassage.planning import solve
from safepassage.policy import Action, Scope, ScopeKind, allowed, scope_filter
from safepassage.services import accounts
from safepassage.services.accounts import Account, Outcome, SessionKind
from safepassage.services.demo import bundled_scenario_path
from safepassage.services.registry_planning import RegistryDoesNotFit, scenario_from_registry
from safepassage.store.tables import HouseholdRow

HERE = Path(__file__).parent
STATIC_PREFIX = "/static"
MAP_ACTION = Action.HOUSEHOLDS_READ
"""The map draws households' routes (ids and sizes): it is shown to the roles that may read
households, each seeing the routes of the households in its scope only."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
"""Self only: no CDN, no tile server, no inline script or style. Leaflet positions its layers
through the CSS object model, which the policy does not restrict."""

REFERRER_POLICY = "same-origin"
"""The API's ``no-referrer`` would make Chromium send ``Origin: null`` with the pages' own
form posts, which the cross-site check must refuse; ``same-origin`` keeps the page's origin
on its own requests and still tells other sites nothing."""

FORM_LIMIT = 4096
"""A sign-in form is three short fields; a larger body is not parsed, and refused."""

templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter()


def application(server: Server) -> FastAPI:
    """The pages as their own application, mounted under the API's: they answer a browser
    (redirects, HTML) where the API answers a client (401, JSON), are not part of the OpenAPI
    document, and share the server's database, keys and settings."""
    pages = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    pages.state.server = server
    pages.include_router(router)
    pages.mount(STATIC_PREFIX, StaticFiles(directory=HERE / "static"), name="static")
    return pages


def _page_account(session: SessionDep, credentials: CredentialsDep) -> Account | None:
    """The cookie's account, or None: a page sends the browser to sign in rather than
    answering 401 as the API does."""
    if credentials is None:
        return None
    return accounts.account_for_token(session, credentials.token, credentials.kind)


PageAccount = Annotated[Account | None, Depends(_page_account)]


def _page(request: Request, name: str, context: dict[str, Any], code: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=code)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = REFERRER_POLICY
    return response


def _to(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=status.HTTP_303_SEE_OTHER)


@router.get("/signin")
def signin_page(request: Request, account: PageAccount) -> Response:
    if account is not None:
        return _to("/")
    return _page(request, "signin.html", {"refused": False})


@router.post("/signin")
async def signin(request: Request, server: ServerDep, session: SessionDep) -> Response:
    """The form's fields are parsed here (URL-encoded, bounded) rather than through a
    multipart parser: the pages need nothing else from one."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        return Response("a sign-in from another site", status_code=status.HTTP_403_FORBIDDEN)
    body = await request.body()
    fields = parse_qs(body.decode("utf-8", "replace")) if len(body) <= FORM_LIMIT else {}
    name, password, code = (fields.get(key, [""])[0] for key in ("name", "password", "code"))
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
        return _page(request, "signin.html", {"refused": True}, status.HTTP_401_UNAUTHORIZED)
    response = _to("/")
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
    response = _to("/signin")
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
    if account is None:
        return _to("/signin")
    if not allowed(account.role, MAP_ACTION):
        return _page(request, "refused.html", {"account": account}, status.HTTP_403_FORBIDDEN)
    return _page(request, "map.html", {"account": account})


@router.get("/map/data.json")
def map_data(account: PageAccount, server: ServerDep, session: SessionDep) -> Response:
    if account is None:
        return Response(status_code=status.HTTP_401_UNAUTHORIZED)
    if not allowed(account.role, MAP_ACTION):
        return Response(status_code=status.HTTP_403_FORBIDDEN)
    try:
        scenario, plan = _operation(server.settings, session)
    except InputError as error:
        return _conflict(
            f"the server's scenario or plan has {len(error.problems)} problem(s); "
            "check them with `safepassage verify`"
        )
    except RegistryDoesNotFit as misfit:
        return _conflict(str(misfit))
    return JSONResponse(map_view(scenario, plan, _visible(session, account.scope, plan)))


def _conflict(detail: str) -> Response:
    return JSONResponse({"detail": detail}, status_code=status.HTTP_409_CONFLICT)


def _operation(settings: Settings, session: Session) -> tuple[Scenario, Plan]:
    """The server's scenario and plan, as manifests read them; the bundled scenario when none
    is named, and a plan made here when no plan file is."""
    scenario = read_scenario(settings.scenario or bundled_scenario_path())
    if settings.plan_from_registry:
        scenario = scenario_from_registry(scenario, session)
    if settings.plan is not None:
        return scenario, read_plan(settings.plan)
    return scenario, _planned(scenario)


_plans: dict[Scenario, Plan] = {}
_planning = threading.Lock()


def _planned(scenario: Scenario) -> Plan:
    """The fast planner's plan, made once per scenario for the server's life: it takes
    seconds, and the map is opened far more often than the scenario changes."""
    with _planning:
        if scenario not in _plans:
            _plans.clear()  # one operation at a time: a changed registry replaces the old plan
            _plans[scenario] = solve(scenario, solver="fast").plan
        return _plans[scenario]


def _visible(session: Session, scope: Scope, plan: Plan) -> frozenset[str] | None:
    """The plan's households the account's scope covers (None: all of them)."""
    if scope.kind is ScopeKind.ALL:
        return None
    in_scope = set(session.execute(select(HouseholdRow.id).where(scope_filter(scope))).scalars())
    return frozenset(entry.household for entry in plan.households if entry.household in in_scope)


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
