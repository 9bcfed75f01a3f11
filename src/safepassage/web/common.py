"""What every page shares: the templates, the sign-in check, the headers and the operation.

A page never trusts the browser more than the API does: the same services check the sign-in,
the same policy decides who sees what, and the same scope narrows which households appear.
Scripts come from ``/static`` only (the Content-Security-Policy allows nothing else), so an
injected ``<script>`` in a rendered value could not run even if escaping failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from safepassage.api.deps import CredentialsDep, SessionDep
from safepassage.api.settings import Settings
from safepassage.model import Scenario
from safepassage.model.plan import Plan
from safepassage.policy import Action, allowed
from safepassage.services import accounts
from safepassage.services.accounts import Account
from safepassage.services.database import Session
from safepassage.services.operation import current_operation

HERE = Path(__file__).parent
STATIC_PREFIX = "/static"

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
"""A page's form is a few short fields; a larger body is not parsed, and refused."""

templates = Jinja2Templates(directory=HERE / "templates")


def _may(account: Account | None, action: str) -> bool:
    """For the navigation: a link is shown only to the roles its page admits."""
    return account is not None and allowed(account.role, Action(action))


templates.env.globals["may"] = _may


def _page_account(session: SessionDep, credentials: CredentialsDep) -> Account | None:
    """The cookie's account, or None: a page sends the browser to sign in rather than
    answering 401 as the API does."""
    if credentials is None:
        return None
    return accounts.account_for_token(session, credentials.token, credentials.kind)


PageAccount = Annotated[Account | None, Depends(_page_account)]


def render(request: Request, name: str, context: dict[str, Any], code: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=code)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = REFERRER_POLICY
    return response


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=status.HTTP_303_SEE_OTHER)


HOME_PAGES = (
    (Action.MAP_READ, "/"),
    (Action.ACCOUNTS_MANAGE, "/accounts"),
    (Action.CHECKPOINT_RECORD, "/checkpoint"),
    (Action.AUDIT_READ, "/audit"),
)
"""Where a role lands after signing in: the map, else its first page here (an administrator
its accounts, a transit liaison its checkpoint form, an auditor the audit log)."""


def home_page(account: Account) -> str:
    return next((path for action, path in HOME_PAGES if allowed(account.role, action)), "/")


def admit(request: Request, account: Account | None, action: Action) -> Account | Response:
    """The account if it may see a page for ``action``; otherwise what the page answers
    instead: sign in first (303), or not for this role (403)."""
    if account is None:
        return redirect("/signin")
    if not allowed(account.role, action):
        return render(request, "refused.html", {"account": account}, status.HTTP_403_FORBIDDEN)
    return account


def admit_data(account: Account | None, action: Action) -> Account | Response:
    """As :func:`admit`, for what a page's script fetches: 401 or 403, no redirect."""
    if account is None:
        return Response(status_code=status.HTTP_401_UNAUTHORIZED)
    if not allowed(account.role, action):
        return Response(status_code=status.HTTP_403_FORBIDDEN)
    return account


def conflict(detail: str) -> Response:
    return JSONResponse({"detail": detail}, status_code=status.HTTP_409_CONFLICT)


def operation(settings: Settings, session: Session) -> tuple[Scenario, Plan]:
    """The server's scenario and plan (see :func:`current_operation`)."""
    return current_operation(
        session,
        scenario=settings.scenario,
        plan=settings.plan,
        from_registry=settings.plan_from_registry,
    )
