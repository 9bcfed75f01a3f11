"""Planning from the registry: who counts in a household's size, and origins that must fit."""

from datetime import date

import pytest
from sqlalchemy.orm import Session

from conftest import build, crossing, register_people
from safepassage.model import NodeKind, Scenario
from safepassage.model.registry import Household, Person, PersonalData, Sex, Status
from safepassage.planning import solve
from safepassage.services import dedup, registry
from safepassage.services.registry import Operator
from safepassage.services.registry_planning import (
    RegistryDoesNotFit,
    planning_households,
    scenario_from_registry,
)
from safepassage.verifier import verify


def _scenario() -> Scenario:
    return build(
        nodes=[("nawa", NodeKind.TOWN), ("golan", NodeKind.CROSSING)],
        roads=[("nawa", "golan", 30, 600)],
        crossings=[crossing("golan", (0, 20, 100), clearance=True)],
        households=[],
    )


def test_sizes_count_only_those_still_to_bring_out(session: Session, operator: Operator) -> None:
    ids = register_people(session, operator, size=4)
    registry.set_status(session, operator, [ids[1]], Status.MISSING)
    dedup.merge(session, operator, ids[2], ids[3])
    [household] = planning_households(session)
    assert (household.id, household.size, household.origin) == ("H1", 2, "nawa")
    assert household.priority == 2.0 and household.cleared_for == frozenset({"golan"})


def test_a_household_cleared_for_nothing_is_not_cleared_for_everything(
    session: Session, operator: Operator
) -> None:
    registry.save_household(session, operator, Household("H2", "nawa", 1))
    personal = PersonalData("سمير", "SAMIR", Sex.MALE, None)
    registry.add_person(
        session, operator, Person("Q1", "H2", Status.REGISTERED, date(2031, 1, 1), personal)
    )
    scenario = scenario_from_registry(_scenario(), session)
    [household] = scenario.households
    assert household.cleared_for == frozenset()
    result = solve(scenario, solver="fast")
    assert verify(scenario, result.plan).is_valid()
    assert result.plan.evacuated == ()


def test_a_registry_planned_scenario_verifies(session: Session, operator: Operator) -> None:
    register_people(session, operator, size=3)
    scenario = scenario_from_registry(_scenario(), session)
    result = solve(scenario, solver="fast")
    assert verify(scenario, result.plan).is_valid()
    assert [entry.household for entry in result.plan.evacuated] == ["H1"]


def test_an_origin_the_scenario_lacks_is_refused_by_household(
    session: Session, operator: Operator
) -> None:
    registry.save_household(session, operator, Household("H9", "atlantis", 1))
    personal = PersonalData("سمير", "SAMIR", Sex.MALE, None)
    registry.add_person(
        session, operator, Person("Q9", "H9", Status.REGISTERED, date(2031, 1, 1), personal)
    )
    with pytest.raises(RegistryDoesNotFit, match=r"H9 \(atlantis\)"):
        scenario_from_registry(_scenario(), session)
