import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conftest import register_people
from safepassage.model.registry import Household as RegistryHousehold
from safepassage.model.registry import (
    PartialDate,
    Status,
    StatusChangeRefused,
)
from safepassage.protection import KeyRing, SealBroken
from safepassage.services import registry
from safepassage.services.registry import Operator
from safepassage.store.database import Database
from safepassage.store.tables import AuditRow, PersonRow


def test_a_registered_person_reads_back_whole(session: Session, operator: Operator) -> None:
    register_people(session, operator)
    [person] = registry.read_persons(session, operator, ["P1"], purpose="test")
    assert person.personal.name_icao == "MOHAMMAD ALHARIRI 1"
    assert person.personal.birth == PartialDate(1981)
    assert registry.household_of(session, "H1").members == ("P0", "P1")


def test_reads_and_lookups_are_audited_without_what_was_read(
    session: Session, operator: Operator
) -> None:
    register_people(session, operator)
    assert registry.find_by(session, operator, "document", "n177") == ["P1"]
    registry.read_persons(session, operator, ["P1"], purpose="manifest")
    logged = session.execute(select(AuditRow).order_by(AuditRow.seq)).scalars().all()
    assert [row.action for row in logged] == ["lookup", "read"]
    assert all("N177" not in row.detail + row.subject for row in logged)
    assert all("MOHAMMAD" not in row.detail + row.subject for row in logged)


def test_history_stamps_carry_their_time_zone(session: Session, operator: Operator) -> None:
    """SQLite gave the stamps back without a zone, which the API passed on as a time no
    client can place (issue: hardening, item 7)."""
    register_people(session, operator)
    registry.set_status(session, operator, ["P0"], Status.VERIFIED, place="nawa")
    session.expire_all()  # read back from the engine, not the objects just written
    for event in registry.status_history(session, "P0"):
        assert event.at.tzinfo is not None
        assert abs(event.at - registry.now()) < timedelta(minutes=5)


def test_nothing_personal_is_stored_in_clear(session: Session, operator: Operator) -> None:
    register_people(session, operator)
    [sealed] = session.execute(select(PersonRow.sealed).where(PersonRow.id == "P1")).one()
    assert b"MOHAMMAD" not in sealed and b"N177" not in sealed and b"1981" not in sealed


def test_a_status_change_is_recorded_with_who_and_where(
    session: Session, operator: Operator
) -> None:
    register_people(session, operator)
    registry.set_status(session, operator, ["P0"], Status.VERIFIED, place="nawa", reason="ID seen")
    history = registry.status_history(session, "P0")
    assert [(e.from_status, e.to_status) for e in history] == [
        (None, Status.REGISTERED),
        (Status.REGISTERED, Status.VERIFIED),
    ]
    assert history[-1].actor == "tester" and history[-1].place == "nawa"


def test_a_refused_change_changes_nobody(session: Session, operator: Operator) -> None:
    ids = register_people(session, operator)
    registry.set_status(session, operator, ["P0"], Status.VERIFIED)
    with pytest.raises(StatusChangeRefused, match="P1: cannot go from registered to cleared"):
        registry.set_status(session, operator, ids, Status.CLEARED)
    statuses = session.execute(select(PersonRow.status).order_by(PersonRow.id)).scalars().all()
    assert statuses == ["verified", "registered"]


def test_a_missing_person_resumes_where_they_were(session: Session, operator: Operator) -> None:
    register_people(session, operator, size=1)
    for status in (Status.VERIFIED, Status.MISSING):
        registry.set_status(session, operator, ["P0"], status)
    with pytest.raises(StatusChangeRefused, match="resumes only at verified"):
        registry.set_status(session, operator, ["P0"], Status.CLEARED)
    registry.set_status(session, operator, ["P0"], Status.VERIFIED)


def test_counts_by_status_and_place_hold_no_personal_data(
    session: Session, operator: Operator
) -> None:
    register_people(session, operator, size=3)
    registry.set_status(session, operator, ["P2"], Status.VERIFIED)
    assert registry.counts_by_status_and_place(session) == [
        ("nawa", "registered", 2),
        ("nawa", "verified", 1),
    ]


def test_unknown_ids_are_refused(session: Session, operator: Operator) -> None:
    with pytest.raises(registry.UnknownRecord, match="no person P404"):
        registry.read_persons(session, operator, ["P404"], purpose="test")
    count = session.execute(select(func.count()).select_from(AuditRow)).scalar_one()
    assert count == 0


def test_records_sealed_with_another_ring_do_not_open(session: Session, operator: Operator) -> None:
    register_people(session, operator, size=1)
    stranger = Operator.with_ring("stranger", KeyRing.generate())
    with pytest.raises(SealBroken):
        registry.read_persons(session, stranger, ["P0"], purpose="test")


def test_reads_larger_than_one_statement_are_split(
    session: Session, operator: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL refuses more than 65,535 parameters; a dedup run reads everyone at once."""
    ids = register_people(session, operator, size=5)
    monkeypatch.setattr(registry, "IN_LIST_LIMIT", 2)
    persons = registry.read_persons(session, operator, ids, purpose="test")
    assert [person.id for person in persons] == ids


def test_two_people_moving_the_same_person_at_once_move_it_once(
    committing_database: Database, key_ring: KeyRing
) -> None:
    """Two field leads scan one household at the same moment: the second change waits for
    the first to commit, then finds the person already moved and is refused, instead of both
    passing the pipeline's check on the same old status (found by ``benchmarks/load.py``'s
    review)."""
    operator = Operator.with_ring("lead-1", key_ring)
    with committing_database.session() as session:
        register_people(session, operator, size=1)
        registry.read_persons(session, operator, ["P0"], purpose="test")  # the chain's head
    first_holds = threading.Event()
    outcome: list[str] = []

    def second_scan() -> None:
        first_holds.wait(10)
        try:
            with committing_database.session() as other:
                registry.set_status(
                    other, Operator.with_ring("lead-2", key_ring), ["P0"], Status.VERIFIED
                )
            outcome.append("moved again")
        except StatusChangeRefused:
            outcome.append("refused")

    racer = threading.Thread(target=second_scan)
    racer.start()
    with committing_database.session() as session:
        registry.set_status(session, operator, ["P0"], Status.VERIFIED)
        first_holds.set()
        time.sleep(0.5)  # the second scan reaches the lock and waits for this commit
    racer.join(30)
    assert outcome == ["refused"]
    with committing_database.session() as session:
        history = registry.status_history(session, "P0")
    assert [event.to_status for event in history].count(Status.VERIFIED) == 1


def test_households_are_read_a_page_at_a_time_as_one_by_one(
    session: Session, operator: Operator
) -> None:
    register_people(session, operator, size=3)
    registry.save_household(
        session, operator, RegistryHousehold("H2", "tafas", 1, (), ("CAN", "DEU"))
    )
    together = registry.households_of(session, ["H2", "nobody", "H1"])
    assert together == [registry.household_of(session, "H2"), registry.household_of(session, "H1")]
    assert together[1].members == ("P0", "P1", "P2") and together[1].hosts == ("GBR",)
    assert together[0].hosts == ("CAN", "DEU") and together[0].members == ()
