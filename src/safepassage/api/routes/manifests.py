"""Crossing manifests: the four fields a border check needs, for the crossing's liaison.

The server is started with the operation's scenario and current plan (``serve --scenario
--plan``); both are read at each request, so a new plan written by ``safepassage plan`` is
used without a restart. Personal data leaves as JSON over the connection, or sealed with a
passphrase for a recipient who opens it with ``safepassage export open``.
"""

from __future__ import annotations

import io
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from safepassage.api.deps import CurrentAccount, OperatorDep, ServerDep, SessionDep, permit
from safepassage.formats.plan_json import read_plan
from safepassage.formats.problems import InputError
from safepassage.formats.scenario_folder import read_scenario
from safepassage.model.plan import Plan
from safepassage.model.scenario import Scenario
from safepassage.policy import Action, ScopeKind
from safepassage.protection.export_box import check_passphrase, seal_export
from safepassage.services import operations
from safepassage.services.database import Session
from safepassage.services.registry import Operator
from safepassage.services.registry_planning import scenario_from_registry

router = APIRouter(prefix="/manifests", tags=["manifests"])

CrossingPath = Annotated[str, Path(min_length=1, max_length=64)]
SEALED_TYPE = "application/octet-stream"


class ManifestRowOut(BaseModel):
    household_id: str
    window: str
    name_icao: str
    date_of_birth: str
    nationality: str
    document_number: str


class ManifestOut(BaseModel):
    crossing: str
    window: int | None = Field(description="1 = the crossing's first window; none = all.")
    households: int
    persons: int
    size_mismatches: list[str]
    without_document: int
    rows: list[ManifestRowOut]


class SealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passphrase: str = Field(min_length=1, max_length=1024)
    window: int | None = Field(None, ge=1, le=1000)


def _operation(server: ServerDep, session: Session) -> tuple[Scenario, Plan]:
    settings = server.settings
    if settings.scenario is None or settings.plan is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "this server was started without a scenario and a plan (serve --scenario --plan)",
        )
    try:
        scenario, plan = read_scenario(settings.scenario), read_plan(settings.plan)
    except InputError as error:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"the server's scenario or plan has {len(error.problems)} problem(s); "
            "check them with `safepassage verify`",
        ) from None
    if settings.plan_from_registry:
        scenario = scenario_from_registry(scenario, session)
    return scenario, plan


def _manifest(
    crossing: str,
    window: int | None,
    account: CurrentAccount,
    server: ServerDep,
    session: Session,
    operator: Operator,
) -> operations.Manifest:
    if account.scope.kind is ScopeKind.CROSSING and crossing not in account.scope.values:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no manifest of {crossing} for you")
    scenario, plan = _operation(server, session)
    return operations.manifest(
        session, operator, scenario, plan, crossing, None if window is None else window - 1
    )


@router.get(
    "/{crossing}",
    summary="The persons a crossing should expect (an audited read and export)",
    dependencies=[permit(Action.MANIFEST_EXPORT)],
)
def read_manifest(
    crossing: CrossingPath,
    account: CurrentAccount,
    server: ServerDep,
    session: SessionDep,
    operator: OperatorDep,
    window: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> ManifestOut:
    made = _manifest(crossing, window, account, server, session, operator)
    return ManifestOut(
        crossing=made.crossing,
        window=window,
        households=made.households,
        persons=made.persons,
        size_mismatches=list(made.size_mismatches),
        without_document=made.without_document,
        rows=[ManifestRowOut(**asdict(row)) for row in made.rows],
    )


@router.post(
    "/{crossing}/sealed",
    summary="The manifest as CSV sealed with a passphrase (open with `export open`)",
    dependencies=[permit(Action.MANIFEST_EXPORT)],
    response_class=Response,
    responses={200: {"content": {SEALED_TYPE: {}}, "description": "The sealed manifest."}},
)
def sealed_manifest(
    crossing: CrossingPath,
    body: Annotated[SealRequest, Body()],
    account: CurrentAccount,
    server: ServerDep,
    session: SessionDep,
    operator: OperatorDep,
) -> Response:
    check_passphrase(body.passphrase)
    made = _manifest(crossing, body.window, account, server, session, operator)
    text = io.StringIO()
    operations.write_manifest_csv(made, text)
    sealed = seal_export(text.getvalue().encode(), body.passphrase)
    return Response(
        sealed,
        media_type=SEALED_TYPE,
        headers={"Content-Disposition": 'attachment; filename="manifest.sealed"'},
    )
