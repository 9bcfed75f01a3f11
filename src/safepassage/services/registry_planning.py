"""Planning from the registry: the households a scenario brings out, as the store knows them.

The planner needs no personal data, only each household's origin, size, priority and
clearances, all of which the store keeps in clear; so planning from the registry opens no
record and writes no read to the audit log. Sizes count the members still to be brought out:
not merged into another record, not on hold or missing, not already on their way or across.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.model import Household, Scenario
from safepassage.model.registry import Status
from safepassage.store.tables import ClearanceRow, HouseholdRow, PersonRow

PLANNABLE = (Status.REGISTERED, Status.VERIFIED, Status.CLEARED, Status.ASSEMBLED)
"""Everyone not yet departed; a household on its way is re-planned with ``--fixed``."""


class RegistryDoesNotFit(ValueError):
    """The registry names origins the scenario does not have; says which households."""


def planning_households(session: Session) -> tuple[Household, ...]:
    sizes = Counter(
        session.execute(
            select(PersonRow.household_id).where(
                PersonRow.merged_into.is_(None),
                PersonRow.status.in_([status.value for status in PLANNABLE]),
            )
        ).scalars()
    )
    cleared: dict[str, set[str]] = {}
    for household_id, target in session.execute(
        select(ClearanceRow.household_id, ClearanceRow.target).where(
            ClearanceRow.kind == "crossing"
        )
    ):
        cleared.setdefault(household_id, set()).add(target)
    rows = session.execute(select(HouseholdRow).order_by(HouseholdRow.id)).scalars()
    return tuple(
        Household(
            id=row.id,
            size=sizes[row.id],
            origin=row.origin,
            priority=float(row.priority),
            # In the registry a household is cleared for the crossings listed and no other.
            cleared_for=frozenset(cleared.get(row.id, ())),
        )
        for row in rows
        if sizes[row.id] > 0
    )


def scenario_from_registry(scenario: Scenario, session: Session) -> Scenario:
    """``scenario`` with its households replaced by the registry's."""
    households = planning_households(session)
    unknown = [h for h in households if not scenario.has_node(h.origin)]
    if unknown:
        listed = ", ".join(f"{h.id} ({h.origin})" for h in unknown[:5])
        raise RegistryDoesNotFit(
            f"{len(unknown)} registry households start at places the scenario does not have, "
            f"e.g. {listed}: add those nodes to nodes.csv or correct the households' origin"
        )
    return replace(scenario, households=households)
