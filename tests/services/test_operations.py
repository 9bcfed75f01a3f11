"""Checkpoints, manifests and HXL counts on both engines, with synthetic people only."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date

import hxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conftest import build, crossing
from safepassage.model import Household, NodeKind, Plan, Scenario, Stop
from safepassage.model.plan import HouseholdPlan
from safepassage.model.registry import Household as RegistryHousehold
from safepassage.model.registry import (
    IdentityDocument,
    PartialDate,
    Person,
    PersonalData,
    RiskLevel,
    Sex,
    Status,
)
from safepassage.services import operations, registry
from safepassage.services.operations import (
    CheckpointKind,
    ManifestRefused,
    PlaceRefused,
    PlanDoesNotVerify,
)
from safepassage.services.registry import Operator, UnknownRecord
from safepassage.store.tables import AuditRow, PersonRow, StatusEventRow

ARABIC = "شخص تجريبي"
PHONE = "+963000000000"


def _personal(person_id: str, documents: tuple[IdentityDocument, ...] = ()) -> PersonalData:
    return PersonalData(
        name_arabic=ARABIC,
        name_icao=f"TESTPERSON {person_id}",
        sex=Sex.FEMALE,
        birth=PartialDate(1987, 4),
        aliases=("ALIAS",),
        nationality="SYR",
        documents=documents or (IdentityDocument("passport", f"N{person_id}", "SYR"),),
        needs=("insulin",),
        risk=RiskLevel.HIGH,
        location="secret village",
        phone=PHONE,
    )


def _register(
    session: Session,
    operator: Operator,
    household_id: str,
    origin: str,
    size: int,
    status: Status = Status.CLEARED,
) -> list[str]:
    registry.save_household(session, operator, RegistryHousehold(household_id, origin))
    ids = [f"{household_id}-{number}" for number in range(size)]
    for person_id in ids:
        registry.add_person(
            session,
            operator,
            Person(person_id, household_id, status, date(2031, 1, 1), _personal(person_id)),
        )
    session.flush()
    return ids


def _statuses(session: Session, ids: list[str]) -> list[Status]:
    rows = dict(
        session.execute(select(PersonRow.id, PersonRow.status).where(PersonRow.id.in_(ids))).all()
    )
    return [Status(rows[person_id]) for person_id in ids]


def _audit(session: Session) -> list[AuditRow]:
    return list(session.execute(select(AuditRow).order_by(AuditRow.seq)).scalars())


# --- checkpoints -----------------------------------------------------------------------------


def test_matching_headcounts_move_the_household_through_the_pipeline(
    session: Session, operator: Operator
) -> None:
    travelling = _register(session, operator, "H1", "a", 3)
    for extra in ("H1-missing", "H1-merged"):
        registry.add_person(
            session,
            operator,
            Person(extra, "H1", Status.CLEARED, date(2031, 1, 1), _personal(extra)),
        )
    registry.set_status(session, operator, ["H1-missing"], Status.MISSING)
    merged = session.get(PersonRow, "H1-merged")
    assert merged is not None
    merged.merged_into = "H1-0"
    session.flush()

    for kind, status in (
        (CheckpointKind.ASSEMBLY, Status.ASSEMBLED),
        (CheckpointKind.DEPARTURE, Status.DEPARTED),
        (CheckpointKind.CROSSING, Status.CROSSED),
    ):
        outcome = operations.record_checkpoint(session, operator, "H1", kind, "x", 3)
        assert outcome.expected == 3 and not outcome.discrepancy
        assert sorted(outcome.moved) == sorted(travelling)
        assert _statuses(session, travelling) == [status] * 3

    assert _statuses(session, ["H1-missing", "H1-merged"]) == [Status.MISSING, Status.CLEARED]
    assert operations.discrepancies(session) == []
    history = registry.status_history(session, "H1-1")
    assert [(event.to_status, event.place) for event in history[-3:]] == [
        (Status.ASSEMBLED, "x"),
        (Status.DEPARTED, "x"),
        (Status.CROSSED, "x"),
    ]


@pytest.fixture
def cleared_household(session: Session, operator: Operator) -> list[str]:
    return _register(session, operator, "H1", "a", 3)


def test_a_headcount_off_by_one_is_flagged_and_moves_nobody(
    session: Session, operator: Operator, cleared_household: list[str]
) -> None:
    events_before = session.scalar(select(func.count()).select_from(StatusEventRow))
    outcome = operations.record_checkpoint(
        session, operator, "H1", CheckpointKind.ASSEMBLY, "ap-1", 2
    )
    assert outcome.discrepancy and not outcome.headcount_matches and outcome.moved == ()
    assert _statuses(session, cleared_household) == [Status.CLEARED] * 3
    assert session.scalar(select(func.count()).select_from(StatusEventRow)) == events_before
    [flagged] = operations.discrepancies(session)
    assert (flagged.household_id, flagged.headcount, flagged.expected) == ("H1", 2, 3)
    assert flagged.reason == "counted 2, expected 3"
    assert flagged.at.tzinfo is not None


def test_a_resolved_discrepancy_leaves_the_list_once(
    session: Session, operator: Operator, cleared_household: list[str]
) -> None:
    outcome = operations.record_checkpoint(
        session, operator, "H1", CheckpointKind.ASSEMBLY, "ap-1", 2
    )
    operations.resolve_discrepancy(session, operator, outcome.checkpoint_id, "recounted: 3")
    assert operations.discrepancies(session) == []
    with pytest.raises(operations.ResolutionRefused, match="resolved already"):
        operations.resolve_discrepancy(session, operator, outcome.checkpoint_id, "again")
    matched = operations.record_checkpoint(
        session, operator, "H1", CheckpointKind.ASSEMBLY, "ap-1", 3
    )
    with pytest.raises(operations.ResolutionRefused, match="not a flagged discrepancy"):
        operations.resolve_discrepancy(session, operator, matched.checkpoint_id, "nothing")


def test_crossing_before_departure_is_refused_and_changes_no_status(
    session: Session, operator: Operator, cleared_household: list[str]
) -> None:
    operations.record_checkpoint(session, operator, "H1", CheckpointKind.ASSEMBLY, "ap-1", 3)
    events_before = session.scalar(select(func.count()).select_from(StatusEventRow))
    outcome = operations.record_checkpoint(session, operator, "H1", CheckpointKind.CROSSING, "x", 3)
    assert outcome.headcount_matches and outcome.discrepancy and outcome.moved == ()
    assert outcome.refused is not None and "no step may be skipped" in outcome.refused
    assert _statuses(session, cleared_household) == [Status.ASSEMBLED] * 3
    assert session.scalar(select(func.count()).select_from(StatusEventRow)) == events_before
    [flagged] = operations.discrepancies(session)
    assert flagged.kind is CheckpointKind.CROSSING
    assert flagged.reason == "the registry refused the move to crossed"


def test_one_member_not_cleared_holds_back_the_whole_household(
    session: Session, operator: Operator, cleared_household: list[str]
) -> None:
    registry.set_status(session, operator, ["H1-2"], Status.VERIFIED, reason="clearance withdrawn")
    outcome = operations.record_checkpoint(
        session, operator, "H1", CheckpointKind.ASSEMBLY, "ap-1", 3
    )
    assert outcome.refused is not None and "H1-2" in outcome.refused
    assert _statuses(session, cleared_household) == [
        Status.CLEARED,
        Status.CLEARED,
        Status.VERIFIED,
    ]


def test_a_scan_sent_twice_is_not_a_discrepancy(
    session: Session, operator: Operator, cleared_household: list[str]
) -> None:
    operations.record_checkpoint(session, operator, "H1", CheckpointKind.ASSEMBLY, "ap-1", 3)
    again = operations.record_checkpoint(
        session, operator, "H1", CheckpointKind.ASSEMBLY, "ap-1", 3
    )
    assert not again.discrepancy and again.moved == ()
    assert operations.discrepancies(session) == []


def test_a_checkpoint_is_audited_with_ids_and_counts_only(
    session: Session, operator: Operator, cleared_household: list[str]
) -> None:
    outcome = operations.record_checkpoint(
        session, operator, "H1", CheckpointKind.ASSEMBLY, "ap-1", 3
    )
    entry = _audit(session)[-1]
    assert (entry.action, entry.subject) == ("checkpoint", "H1")
    assert json.loads(entry.detail) == {
        "checkpoint": outcome.checkpoint_id,
        "kind": "assembly",
        "place": "ap-1",
        "headcount": 3,
        "expected": 3,
        "moved": 3,
        "discrepancy": False,
    }


def test_an_unknown_household_or_a_negative_headcount_is_refused(
    session: Session, operator: Operator
) -> None:
    with pytest.raises(UnknownRecord):
        operations.record_checkpoint(session, operator, "nope", CheckpointKind.ASSEMBLY, "a", 1)
    _register(session, operator, "H1", "a", 1)
    with pytest.raises(ValueError, match="negative"):
        operations.record_checkpoint(session, operator, "H1", CheckpointKind.ASSEMBLY, "a", -1)


def test_a_scan_is_at_a_place_of_the_scenario_and_of_its_kind() -> None:
    """A place the scenario does not have is refused with the places that fit, never the
    text typed (issue: hardening, item 7)."""
    scenario = build(
        nodes=[("a", NodeKind.TOWN), ("ap", NodeKind.ASSEMBLY), ("x", NodeKind.CROSSING)],
        roads=[("a", "x", 15, 20)],
        crossings=[crossing("x", (0, 3, 100))],
        households=[Household("h0", 1, "a")],
    )
    operations.check_place(scenario, CheckpointKind.ASSEMBLY, "ap")
    operations.check_place(scenario, CheckpointKind.DEPARTURE, "a")
    operations.check_place(scenario, CheckpointKind.CROSSING, "x")
    with pytest.raises(PlaceRefused) as unknown:
        operations.check_place(scenario, CheckpointKind.ASSEMBLY, "Mohammad's house")
    assert "Mohammad" not in str(unknown.value)
    assert str(unknown.value).endswith("assembly scans are recorded at one of: a, ap")
    with pytest.raises(PlaceRefused, match=r"one of: x$"):
        operations.check_place(scenario, CheckpointKind.CROSSING, "a")
    with pytest.raises(PlaceRefused):
        operations.check_place(scenario, CheckpointKind.DEPARTURE, "x")


# --- manifests -------------------------------------------------------------------------------


@pytest.fixture
def scenario() -> Scenario:
    """Crossing x has two windows (steps 0-1 and 2-3), crossing y one. H1 crosses x in the
    first window, H2 in the second, H3 crosses y. The scenario plans H2 with 3 persons; the
    registry will have 2 of them travelling."""
    return build(
        nodes=[
            ("a", NodeKind.TOWN),
            ("b", NodeKind.TOWN),
            ("x", NodeKind.CROSSING),
            ("y", NodeKind.CROSSING),
        ],
        roads=[("a", "x", 15, 100), ("b", "x", 15, 100), ("a", "y", 15, 100)],
        crossings=[crossing("x", (0, 2, 100), (2, 4, 100)), crossing("y", (0, 4, 100))],
        households=[Household("H1", 3, "a"), Household("H2", 3, "b"), Household("H3", 2, "a")],
    )


@pytest.fixture
def plan() -> Plan:
    return Plan(
        "hand-worked",
        "hand",
        8.0,
        None,
        (
            HouseholdPlan("H1", "x", (Stop("a", 0, 0), Stop("x", 1, 1))),
            HouseholdPlan("H2", "x", (Stop("b", 0, 1), Stop("x", 2, 2))),
            HouseholdPlan("H3", "y", (Stop("a", 0, 0), Stop("y", 1, 1))),
        ),
    )


@pytest.fixture
def registered(session: Session, operator: Operator) -> None:
    _register(session, operator, "H1", "a", 3)
    _register(session, operator, "H2", "b", 2)
    _register(session, operator, "H3", "a", 2)
    # A third member of H2 went missing: neither counted nor announced at the border.
    registry.add_person(
        session,
        operator,
        Person("H2-m", "H2", Status.CLEARED, date(2031, 1, 1), _personal("H2-m")),
    )
    registry.set_status(session, operator, ["H2-m"], Status.MISSING)
    # H1's passports: one expired, one valid; an identity card only; nothing usable.
    documents = {
        "H1-0": (
            IdentityDocument("passport", "OLD0", "SYR", date(2018, 1, 1)),
            IdentityDocument("Passport", "NEW0", "SYR", date(2025, 1, 1)),
        ),
        "H1-1": (
            IdentityDocument("birth certificate", "BC1", "SYR"),
            IdentityDocument("national id", "ID1", "SYR"),
        ),
        "H1-2": (IdentityDocument("unhcr letter", "U2", "JOR"),),
    }
    for person_id, docs in documents.items():
        registry.update_person(session, operator, person_id, "H1", _personal(person_id, docs))
    session.flush()


def _csv(manifest: operations.Manifest) -> tuple[str, list[list[str]]]:
    stream = io.StringIO()
    operations.write_manifest_csv(manifest, stream)
    text = stream.getvalue()
    return text, list(csv.reader(io.StringIO(text)))


WINDOW_0 = "2018-07-21T00:00:00+03:00/2018-07-21T00:30:00+03:00"
WINDOW_1 = "2018-07-21T00:30:00+03:00/2018-07-21T01:00:00+03:00"


@pytest.mark.usefixtures("registered")
def test_a_window_manifest_lists_only_the_households_crossing_there_then(
    session: Session, operator: Operator, scenario: Scenario, plan: Plan
) -> None:
    first = operations.manifest(session, operator, scenario, plan, "x", 0)
    assert [(row.household_id, row.window) for row in first.rows] == [("H1", WINDOW_0)] * 3
    second = operations.manifest(session, operator, scenario, plan, "x", 1)
    assert [row.household_id for row in second.rows] == ["H2", "H2"]
    every = operations.manifest(session, operator, scenario, plan, "x", None)
    assert [row.household_id for row in every.rows] == ["H1"] * 3 + ["H2"] * 2
    assert {row.window for row in every.rows} == {WINDOW_0, WINDOW_1}
    assert (every.households, every.persons) == (2, 5)
    assert every.size_mismatches == ("H2",)
    other = operations.manifest(session, operator, scenario, plan, "y", None)
    assert [row.household_id for row in other.rows] == ["H3", "H3"]


@pytest.mark.usefixtures("registered")
def test_a_manifest_carries_the_four_fields_and_nothing_else(
    session: Session, operator: Operator, scenario: Scenario, plan: Plan
) -> None:
    made = operations.manifest(session, operator, scenario, plan, "x", 0)
    text, rows = _csv(made)
    assert rows[0] == [
        "household_id",
        "window",
        "name_icao",
        "date_of_birth",
        "nationality",
        "document_number",
    ]
    assert rows[1:] == [
        ["H1", WINDOW_0, "TESTPERSON H1-0", "1987-04", "SYR", "NEW0"],
        ["H1", WINDOW_0, "TESTPERSON H1-1", "1987-04", "SYR", "ID1"],
        ["H1", WINDOW_0, "TESTPERSON H1-2", "1987-04", "SYR", ""],
    ]
    assert made.without_document == 1
    for secret in (ARABIC, PHONE, "ALIAS", "insulin", "secret village", "OLD0", "BC1", "U2"):
        assert secret not in text


@pytest.mark.usefixtures("registered")
def test_a_manifest_is_audited_as_a_read_and_an_export_without_personal_data(
    session: Session, operator: Operator, scenario: Scenario, plan: Plan
) -> None:
    before = len(_audit(session))
    operations.manifest(session, operator, scenario, plan, "x", None)
    read, export = _audit(session)[before:]
    assert read.action == "read" and json.loads(read.detail) == {
        "persons": 5,
        "purpose": "manifest",
    }
    assert read.subject.split(",") == ["H1-0", "H1-1", "H1-2", "H2-0", "H2-1"]
    assert export.action == "export" and export.subject == "manifest:x"
    assert json.loads(export.detail) == {
        "crossing": "x",
        "window": None,
        "households": 2,
        "persons": 5,
    }
    for entry in (read, export):
        assert "TESTPERSON" not in entry.subject + entry.detail
        assert "N" + "H1-0" not in entry.subject + entry.detail


@pytest.mark.usefixtures("registered")
def test_a_plan_that_does_not_verify_gives_no_manifest_and_reads_nobody(
    session: Session, operator: Operator, scenario: Scenario, plan: Plan
) -> None:
    before = len(_audit(session))
    broken = replace(plan, objective=100.0)
    with pytest.raises(PlanDoesNotVerify, match="objective"):
        operations.manifest(session, operator, scenario, broken, "x", None)
    with pytest.raises(ManifestRefused, match="no window 3"):
        operations.manifest(session, operator, scenario, plan, "x", 2)
    with pytest.raises(ManifestRefused, match="not a crossing"):
        operations.manifest(session, operator, scenario, plan, "a", None)
    assert len(_audit(session)) == before


def test_a_household_planned_but_not_registered_stops_the_manifest(
    session: Session, operator: Operator, scenario: Scenario, plan: Plan
) -> None:
    _register(session, operator, "H1", "a", 3)
    with pytest.raises(UnknownRecord, match="H2"):
        operations.manifest(session, operator, scenario, plan, "x", None)


def test_a_crossing_nobody_uses_gives_an_empty_manifest(
    session: Session, operator: Operator, scenario: Scenario, plan: Plan
) -> None:
    stay = Plan(
        "hand-worked",
        "hand",
        0.0,
        None,
        tuple(HouseholdPlan(entry.household, None) for entry in plan.households),
    )
    made = operations.manifest(session, operator, scenario, stay, "x", None)
    assert made.rows == () and made.households == 0
    assert [entry.action for entry in _audit(session)] == ["export"]


# --- HXL counts ------------------------------------------------------------------------------


def _hxl_text(rows: list[operations.CountRow]) -> str:
    stream = io.StringIO()
    operations.write_hxl_csv(rows, stream)
    return stream.getvalue()


def test_hxl_counts_are_valid_hxl_with_small_counts_suppressed(
    session: Session, operator: Operator
) -> None:
    _register(session, operator, "H1", "a", 4)
    _register(session, operator, "H2", "a", 2)
    _register(session, operator, "H3", "b", 3)
    registry.set_status(session, operator, ["H3-0"], Status.ON_HOLD)
    text = _hxl_text(operations.hxl_counts(session, operator))

    data = hxl.data(io.BytesIO(text.encode()))
    assert [column.display_tag for column in data.columns] == [
        "#loc+code",
        "#status+code",
        "#affected+ind",
        "#meta+suppressed",
    ]
    assert [row.values for row in data] == [
        ["a", "cleared", "6", ""],
        ["b", "cleared", "", "<5"],
        ["b", "on_hold", "", "<5"],
    ]
    assert hxl.schema().validate(hxl.data(io.BytesIO(text.encode())))
    for secret in ("TESTPERSON", "1987", "NH1", ARABIC, PHONE, "H1", "H3-0"):
        assert secret not in text


def test_hxl_counts_show_everything_at_min_count_one_and_are_audited(
    session: Session, operator: Operator
) -> None:
    _register(session, operator, "H1", "a", 2)
    rows = operations.hxl_counts(session, operator, min_count=1)
    assert [(row.place, row.status, row.persons) for row in rows] == [("a", Status.CLEARED, 2)]
    entry = _audit(session)[-1]
    assert (entry.action, entry.subject) == ("export", "hxl:counts")
    assert json.loads(entry.detail) == {"rows": 1, "suppressed": 0, "min_count": 1}
    with pytest.raises(ValueError, match="at least 1"):
        operations.hxl_counts(session, operator, min_count=0)
