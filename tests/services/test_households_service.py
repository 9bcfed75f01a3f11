"""Households as accounts browse them, the same calls for the API and the pages: what a
scope lets through, and that browsing opens no record (so writes no audit entry)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conftest import register_people
from safepassage.model.registry import Household, Status
from safepassage.policy import Scope, ScopeKind
from safepassage.services import audit_log, households, operations, registry
from safepassage.services.operations import CheckpointKind
from safepassage.services.registry import Operator, UnknownRecord
from safepassage.store.tables import AuditRow

EVERYTHING = Scope(ScopeKind.ALL)
NAWA = Scope(ScopeKind.ORIGIN, frozenset({"nawa"}))
DARAA = Scope(ScopeKind.ORIGIN, frozenset({"daraa"}))


@pytest.fixture
def two_households(session: Session, operator: Operator) -> list[str]:
    """H1 of Nawa (P0, P1) and H2 of Daraa, with no one in it."""
    people = register_people(session, operator)
    registry.save_household(session, operator, Household("H2", "daraa", 1, (), ()))
    session.flush()
    return people


def audit_entries(session: Session) -> int:
    return session.execute(select(func.count()).select_from(AuditRow)).scalar_one()


def test_a_scope_lets_through_its_households_only(
    session: Session, two_households: list[str]
) -> None:
    before = audit_entries(session)
    listed = households.households_in_scope(session, EVERYTHING, limit=10)
    assert [household.id for household in listed] == ["H1", "H2"]
    assert [h.id for h in households.households_in_scope(session, NAWA, limit=10)] == ["H1"]
    assert [h.id for h in households.households_in_scope(session, DARAA, limit=10)] == ["H2"]
    assert households.in_scope(session, NAWA, "H1")
    assert not households.in_scope(session, DARAA, "H1")
    with pytest.raises(UnknownRecord):
        households.check_household(session, DARAA, "H1")
    with pytest.raises(UnknownRecord):
        households.check_persons(session, DARAA, two_households)
    households.check_persons(session, NAWA, two_households)
    assert households.households_of_persons(session, NAWA, two_households) == [
        ("H1", "P0"),
        ("H1", "P1"),
    ]
    assert households.households_of_persons(session, DARAA, two_households) == []
    assert households.household_ids_in_scope(session, EVERYTHING, 1) == ["H1"]
    assert audit_entries(session) == before


def test_a_page_past_the_last_shows_the_last_and_text_filters(
    session: Session, two_households: list[str]
) -> None:
    page = households.page_of_households(session, EVERYTHING, text="", page=9, page_size=1)
    assert (page.page, page.pages, page.total) == (2, 2, 2)
    assert [household.id for household in page.households] == ["H2"]
    found = households.page_of_households(session, EVERYTHING, text="NAW", page=1, page_size=5)
    assert [household.id for household in found.households] == ["H1"]
    assert households.page_of_households(session, DARAA, text="naw", page=1, page_size=5).total == 0


def test_a_household_s_detail_gives_statuses_and_counts_without_opening_records(
    session: Session, two_households: list[str]
) -> None:
    before = audit_entries(session)
    detail = households.household_detail(session, NAWA, "H1")
    assert detail.statuses == {"P0": Status.REGISTERED, "P1": Status.REGISTERED}
    assert households.status_counts(session, ["H1", "H2"]) == {
        "H1": ((Status.REGISTERED, 2),),
        "H2": (),
    }
    with pytest.raises(UnknownRecord):
        households.household_detail(session, DARAA, "H1")
    assert audit_entries(session) == before


def test_recent_checkpoints_only_within_scope(
    session: Session, operator: Operator, two_households: list[str]
) -> None:
    """Registered members cannot be assembled yet, so the scan is kept, flagged."""
    operations.record_checkpoint(session, operator, "H1", CheckpointKind.ASSEMBLY, "nawa", 2)
    [recent] = operations.recent_checkpoints(session, NAWA, "H1", 5)
    assert (recent.kind, recent.place, recent.headcount, recent.discrepancy) == (
        "assembly",
        "nawa",
        2,
        True,
    )
    assert operations.recent_checkpoints(session, DARAA, "H1", 5) == []


def test_the_audit_log_reads_by_action_and_verifies(
    session: Session, operator: Operator, two_households: list[str]
) -> None:
    registry.read_persons(session, operator, two_households, purpose="test")
    registry.read_persons(session, operator, two_households[:1], purpose="test")
    every = audit_log.entries(session, limit=1000)
    assert len(every) >= 2
    assert [entry.seq for entry in every] == sorted(entry.seq for entry in every)
    action = every[0].action
    assert {entry.action for entry in audit_log.entries(session, action=action)} == {action}
    assert audit_log.entries(session, after=every[-1].seq) == []
    report = audit_log.verify_chain(session, operator.ring)
    assert report.intact and report.entries == len(every)
