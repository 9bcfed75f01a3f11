"""The operation's plan: read it (each role within its scope) and check a plan against the
server's scenario with the independent verifier, as ``safepassage verify`` does.

The plan holds household ids, sizes' consequences and places, never a person; a field lead
gets the entries of its own households only. Verifying answers for the whole scenario, so it
is the coordinator's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, status
from pydantic import BaseModel

from safepassage.api.deps import CurrentAccount, ServerDep, SessionDep, permit
from safepassage.formats.plan_json import plan_from_data, plan_to_dict
from safepassage.formats.problems import InputError
from safepassage.policy import Action
from safepassage.services.operation import (
    current_operation,
    current_scenario,
    visible_households,
)
from safepassage.verifier import verify

router = APIRouter(prefix="/plan", tags=["plan"])

PROBLEMS_SHOWN = 20


class ViolationOut(BaseModel):
    rule: int
    household: str | None
    step: int | None
    message: str


class VerificationOut(BaseModel):
    valid: bool
    objective: float
    violations: list[ViolationOut]


@contextmanager
def _server_inputs() -> Iterator[None]:
    try:
        yield
    except InputError as error:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"the server's scenario or plan has {len(error.problems)} problem(s); "
            "check them with `safepassage verify`",
        ) from None


@router.get(
    "",
    summary="The operation's plan, as plan JSON (a field lead: its households' entries)",
    dependencies=[permit(Action.PLAN_READ)],
)
def read_plan(account: CurrentAccount, server: ServerDep, session: SessionDep) -> dict[str, Any]:
    settings = server.settings
    with _server_inputs():
        scenario, plan = current_operation(
            session,
            scenario=settings.scenario,
            plan=settings.plan,
            from_registry=settings.plan_from_registry,
        )
    document = plan_to_dict(plan, scenario.grid)
    visible = visible_households(session, account.scope, plan)
    if visible is not None:
        document["households"] = [
            entry for entry in document["households"] if entry["id"] in visible
        ]
    return document


@router.post(
    "/verify",
    summary="Check a plan against the server's scenario with the independent verifier",
    dependencies=[permit(Action.PLAN_VERIFY)],
)
def verify_plan(
    body: Annotated[dict[str, Any], Body(description="A plan in the plan JSON format.")],
    server: ServerDep,
    session: SessionDep,
) -> VerificationOut:
    try:
        plan = plan_from_data(body, "request body")
    except InputError as error:
        shown = "; ".join(
            f"{problem.field or ''}: {problem.message}".lstrip(": ")
            for problem in error.problems[:PROBLEMS_SHOWN]
        )
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"not a plan: {shown}") from None
    settings = server.settings
    with _server_inputs():
        scenario = current_scenario(
            session, scenario=settings.scenario, from_registry=settings.plan_from_registry
        )
    report = verify(scenario, plan)
    return VerificationOut(
        valid=report.is_valid(),
        objective=report.objective,
        violations=[
            ViolationOut(rule=v.rule, household=v.household, step=v.step, message=v.message)
            for v in report.violations
        ],
    )
