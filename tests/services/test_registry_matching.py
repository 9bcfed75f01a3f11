"""Matching on the registry, on both engines: the round the store holds, overrides on the
record, proposals kept and scoped, and nothing personal in clear."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.formats.matching_csv import read_matching_folder
from safepassage.formats.matching_writing import write_pledges
from safepassage.formats.problems import InputError
from safepassage.matching import HostKind, OverrideKind, Pledge, explain, solve
from safepassage.model.registry import (
    PIPELINE,
    Household,
    PartialDate,
    Person,
    PersonalData,
    Sex,
    Status,
)
from safepassage.policy import Scope, ScopeKind, scope_filter
from safepassage.services import registry
from safepassage.services.keys import rotate_keys
from safepassage.services.registry import Operator, UnknownRecord
from safepassage.services.registry_matching import (
    OverrideRefused,
    accept_proposals,
    lift_override,
    proposals,
    record_override,
    recorded_overrides,
    recorded_round,
    save_proposals,
)
from safepassage.store.audit import verify
from safepassage.store.tables import AuditRow, HouseholdRow, OverrideRow, ProposalRow

PLEDGES = (
    Pledge("uk", HostKind.COUNTRY, "GBR", places_persons=4, medical_places=1),
    Pledge("de", HostKind.COUNTRY, "DEU", places_persons=10),
)


def _household(
    session: Session,
    operator: Operator,
    household_id: str,
    size: int,
    *,
    status: Status = Status.CROSSED,
    hosts: tuple[str, ...] = (),
    medical: int = 0,
) -> None:
    registry.save_household(
        session, operator, Household(household_id, "nawa", 1, ("golan",), hosts)
    )
    for number in range(size):
        registry.add_person(
            session,
            operator,
            Person(
                id=f"{household_id}-P{number}",
                household_id=household_id,
                status=Status.REGISTERED,
                retention_until=date(2031, 1, 1),
                personal=PersonalData(
                    name_arabic="سارة",
                    name_icao=f"SARA TEST {household_id} {number}",
                    sex=Sex.FEMALE,
                    birth=PartialDate(1990),
                    needs=("medical",) if number < medical else ("mobility",),
                ),
            ),
        )
    ids = [f"{household_id}-P{number}" for number in range(size)]
    for step in PIPELINE[1 : PIPELINE.index(status) + 1]:
        registry.set_status(session, operator, ids, step)


@pytest.fixture
def pledges_folder(tmp_path: Path) -> Path:
    write_pledges(PLEDGES, tmp_path)
    return tmp_path


def test_a_round_holds_the_households_across_the_border_with_their_needs_and_clearances(
    session: Session, operator: Operator
) -> None:
    _household(session, operator, "HA", 3, hosts=("GBR",), medical=1)
    _household(session, operator, "HB", 2, status=Status.IN_TRANSIT, hosts=("DEU", "FRA"))
    _household(session, operator, "HC", 4, status=Status.DEPARTED, hosts=("GBR",))
    _household(session, operator, "HD", 2, status=Status.MATCHED, hosts=("GBR",))
    reads_before = _audit_count(session, "read")
    recorded = recorded_round(session, operator)
    assert [(h.id, h.size, h.medical) for h in recorded.households] == [
        ("HA", 3, 1),
        ("HB", 2, 0),
    ]
    assert set(recorded.cleared) == {("HA", "GBR"), ("HB", "DEU"), ("HB", "FRA")}
    assert _audit_count(session, "read") == reads_before + 1  # the needs were opened, on record


def test_registry_vetting_and_the_files_refusal_decide_who_may_go_where(
    session: Session, operator: Operator, pledges_folder: Path
) -> None:
    _household(session, operator, "HA", 3, hosts=("GBR", "DEU"), medical=1)
    _household(session, operator, "HB", 2, hosts=("DEU",))
    (pledges_folder / "vetting.csv").write_text("household,host,status\nHA,DEU,refused\n")
    problem = read_matching_folder(pledges_folder, recorded=recorded_round(session, operator))
    result = solve(problem)
    assert result.is_feasible()
    # HA: Germany refused it in the file, which wins over the registry's clearance
    assert dict(zip([h.id for h in problem.households], result.assigned, strict=True)) == {
        "HA": "uk",
        "HB": "de",
    }


def test_a_households_file_adds_wishes_but_cannot_change_what_the_registry_counts(
    session: Session, operator: Operator, pledges_folder: Path
) -> None:
    _household(session, operator, "HA", 3, hosts=("GBR", "DEU"))
    (pledges_folder / "households.csv").write_text(
        "id,size,preferences\nHA,5,DEU\nHZ,,GBR\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as refused:
        read_matching_folder(pledges_folder, recorded=recorded_round(session, operator))
    found = {(p.row, p.field) for p in refused.value.problems}
    assert found == {(2, "size"), (3, "id")}
    (pledges_folder / "households.csv").write_text("id,preferences\nHA,DEU\n", encoding="utf-8")
    problem = read_matching_folder(pledges_folder, recorded=recorded_round(session, operator))
    assert problem.households[0].preferences == ("DEU",)
    assert solve(problem).assigned == ("de",)


def test_overrides_are_recorded_audited_sealed_and_respected_when_solving_again(
    session: Session, operator: Operator, pledges_folder: Path
) -> None:
    _household(session, operator, "HA", 2, hosts=("GBR", "DEU"))
    reason = "the family's doctor is in Leeds, Noor Haddad said"
    record_override(session, operator, "HA", "uk", OverrideKind.PIN, reason)
    pinned = solve(read_matching_folder(pledges_folder, recorded=recorded_round(session, operator)))
    assert pinned.assigned == ("uk",)
    record_override(session, operator, "HA", "de", OverrideKind.FORBID, "asked not to go there")
    with pytest.raises(OverrideRefused, match="already pinned to uk"):
        record_override(session, operator, "HA", "de", OverrideKind.PIN, "changed our mind")
    lift_override(session, operator, "HA", "uk")
    again = solve(read_matching_folder(pledges_folder, recorded=recorded_round(session, operator)))
    assert again.assigned == ("uk",)  # Germany is forbidden, so the UK on its merits
    entries = session.execute(
        select(AuditRow.action, AuditRow.subject, AuditRow.detail).where(
            AuditRow.action.like("match-%")
        )
    ).all()
    assert [(action, subject) for action, subject, _ in entries] == [
        ("match-pin", "HA"),
        ("match-forbid", "HA"),
        ("match-lift", "HA"),
    ]
    assert all("Haddad" not in detail and "Leeds" not in detail for _, _, detail in entries)
    stored = session.execute(select(OverrideRow.reason)).scalars().one()
    assert b"Haddad" not in stored and b"asked" not in stored
    [kept] = recorded_overrides(session, operator)
    assert (kept.pledge, kept.kind, kept.reason) == (
        "de",
        OverrideKind.FORBID,
        "asked not to go there",
    )
    assert verify(session, operator.ring).intact


def test_an_override_needs_a_reason_and_a_known_household(
    session: Session, operator: Operator
) -> None:
    _household(session, operator, "HA", 1)
    with pytest.raises(OverrideRefused, match="reason"):
        record_override(session, operator, "HA", "uk", OverrideKind.PIN, "   ")
    with pytest.raises(UnknownRecord):
        record_override(session, operator, "HX", "uk", OverrideKind.PIN, "because")
    with pytest.raises(UnknownRecord):
        lift_override(session, operator, "HA", "uk")


def test_an_override_naming_a_pledge_the_round_lacks_stops_the_round(
    session: Session, operator: Operator, pledges_folder: Path
) -> None:
    _household(session, operator, "HA", 1, hosts=("GBR",))
    record_override(session, operator, "HA", "sweden", OverrideKind.FORBID, "no places left")
    with pytest.raises(InputError) as refused:
        read_matching_folder(pledges_folder, recorded=recorded_round(session, operator))
    assert "override lift" in refused.value.problems[0].message
    (pledges_folder / "overrides.csv").write_text("household,host,action,reason\n")
    lift_override(session, operator, "HA", "sweden")
    with pytest.raises(InputError) as refused_file:
        read_matching_folder(pledges_folder, recorded=recorded_round(session, operator))
    assert refused_file.value.problems[0].file == "overrides.csv"


def test_proposals_are_kept_sealed_and_bring_households_into_the_host_liaisons_scope(
    session: Session, operator: Operator, pledges_folder: Path
) -> None:
    _household(session, operator, "HA", 2, hosts=("GBR",), medical=1)
    _household(session, operator, "HB", 3, hosts=("DEU",))
    _household(session, operator, "HC", 20, hosts=("DEU",))  # too many for any pledge
    result = solve(read_matching_folder(pledges_folder, recorded=recorded_round(session, operator)))
    assert save_proposals(session, operator, result, explain(result)) == 3
    german = Scope(ScopeKind.HOST, frozenset({"DEU"}))
    in_scope = set(session.execute(select(HouseholdRow.id).where(scope_filter(german))).scalars())
    assert in_scope == {"HB", "HC"}  # HC: vetted by Germany, though not placed
    by_household = {p.household: p for p in proposals(session, operator)}
    assert by_household["HA"].pledge == "uk" and by_household["HA"].country == "GBR"
    assert by_household["HC"].pledge is None
    assert "larger than the whole pledge" in by_household["HC"].explanation["unplaced"]
    assert [p.household for p in proposals(session, operator, countries=["DEU"])] == ["HB"]
    for sealed in session.execute(select(ProposalRow.explanation)).scalars():
        assert b"medical" not in sealed and b"components" not in sealed
    moved = accept_proposals(session, operator)
    assert moved == 5
    assert registry.read_persons(session, operator, ["HA-P0"], purpose="test")[0].status == (
        Status.MATCHED
    )
    assert registry.read_persons(session, operator, ["HC-P0"], purpose="test")[0].status == (
        Status.CROSSED
    )


def test_key_rotation_reseals_overrides_and_proposals(
    session: Session, operator: Operator, pledges_folder: Path
) -> None:
    _household(session, operator, "HA", 2, hosts=("GBR",))
    record_override(session, operator, "HA", "uk", OverrideKind.PIN, "a reason")
    result = solve(read_matching_folder(pledges_folder, recorded=recorded_round(session, operator)))
    save_proposals(session, operator, result, explain(result))
    new_ring = operator.ring.rotated()
    rotate_keys(session, operator, new_ring)
    rotated = Operator.with_ring("test", new_ring)
    assert recorded_overrides(session, rotated)[0].reason == "a reason"
    assert json.loads(json.dumps(proposals(session, rotated)[0].explanation))["pledge"] == "uk"
    for sealed in session.execute(select(ProposalRow.explanation)).scalars():
        assert rotated.sealer.key_id_of(sealed) == new_ring.active


def _audit_count(session: Session, action: str) -> int:
    return len(session.execute(select(AuditRow.seq).where(AuditRow.action == action)).all())
