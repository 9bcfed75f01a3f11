"""Imports into the registry on SQLite and PostgreSQL: every row in, none twice, none lost."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safepassage.formats.registry_rows import ColumnMapping, RawRow, read_table
from safepassage.protection import KeyRing
from safepassage.services import registry
from safepassage.services.importing import (
    ImportSummary,
    import_rows,
    list_quarantine,
    rekey_quarantine,
    retry_quarantine,
)
from safepassage.services.registry import Operator
from safepassage.store import audit
from safepassage.store.active_key import activate
from safepassage.store.tables import (
    AuditRow,
    Base,
    ClearanceRow,
    HouseholdRow,
    LookupRow,
    PersonRow,
    QuarantineRow,
    StatusEventRow,
)
from safepassage.synthetic.registry_file import HEADERS, write_registry_file

MAPPING = ColumnMapping.default()
STATE = (HouseholdRow, ClearanceRow, PersonRow, LookupRow, StatusEventRow, QuarantineRow)
PERSONAL_COLUMNS = (
    "_uuid",
    "person/name_ar",
    "person/name_latin",
    "person/dob",
    "person/doc_number",
    "person/phone_number",
)


def run_import(session: Session, operator: Operator, path: Path) -> ImportSummary:
    summary = import_rows(session, operator, str(path), read_table(path).rows, MAPPING)
    assert summary.rows == (
        summary.added
        + summary.updated
        + summary.unchanged
        + summary.quarantined
        + summary.already_quarantined
    )
    return summary


def counts(session: Session) -> dict[str, int]:
    tables: tuple[type[Base], ...] = (*STATE, AuditRow)
    return {
        table.__tablename__: session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in tables
    }


def last_change(session: Session) -> tuple[object, ...]:
    return (
        session.execute(select(func.max(PersonRow.updated_at))).scalar_one(),
        session.execute(select(func.max(HouseholdRow.updated_at))).scalar_one(),
    )


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\n").writerows(rows)


def cell(rows: list[list[str]], number: int, header: str) -> str:
    return rows[number - 1][HEADERS.index(header)]


def test_quarantine_stamps_carry_their_time_zone(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    write_registry_file(path, 40, seed=1, bad_share=0.1)
    run_import(session, operator, path)
    session.expire_all()
    entries = list_quarantine(session)
    assert entries and all(entry.created_at.tzinfo is not None for entry in entries)


def test_ten_thousand_rows_with_five_percent_bad_then_the_same_file_again(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    path = tmp_path / "kobo-export.csv"
    planted = write_registry_file(path, 10_000, seed=7, bad_share=0.05)
    assert len(planted) == 500

    first = run_import(session, operator, path)
    assert (first.rows, first.added + first.quarantined) == (10_000, 10_000)
    assert (first.quarantined, first.updated, first.unchanged) == (500, 0, 0)
    assert sorted({p.row for p in first.problems}) == [p.row for p in planted]
    assert [entry.row_number for entry in list_quarantine(session)] == [p.row for p in planted]
    assert counts(session)["persons"] == 9_500

    before, changed = counts(session), last_change(session)
    again = run_import(session, operator, path)
    assert (again.added, again.updated, again.quarantined, again.resolved) == (0, 0, 0, 0)
    assert (again.unchanged, again.already_quarantined) == (9_500, 500)
    assert (again.households_added, again.households_updated) == (0, 0)
    after = counts(session)
    assert after.pop("audit_log") == before.pop("audit_log") + 1
    assert after == before
    assert last_change(session) == changed


def test_reasons_name_row_and_field_never_a_value(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    planted = write_registry_file(path, 300, seed=3, bad_share=0.1)
    rows = read_csv(path)
    summary = run_import(session, operator, path)
    reasons = [entry.reason for entry in list_quarantine(session)]
    messages = [problem.message for problem in summary.problems]
    assert {p.kind for p in planted} == {
        "date of birth",
        "missing name",
        "sex",
        "nationality",
        "duplicate id",
        "no consent",
        "name charset",
    }
    for bad in planted:
        assert any(
            problem.row == bad.row and problem.field == bad.column for problem in summary.problems
        ), bad
        values = {cell(rows, bad.row, column) for column in (*PERSONAL_COLUMNS, bad.column)}
        for value in values:
            # Planted words as short as "no" occur in any sentence; names and dates do not.
            if len(value) >= 4:
                assert not any(value in text for text in reasons + messages), bad


def test_a_fixed_row_comes_in_and_settles_its_quarantine_entry(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    planted = write_registry_file(path, 200, seed=5, bad_share=0.1)
    run_import(session, operator, path)
    bad = next(p for p in planted if p.kind == "date of birth")
    rows = read_csv(path)
    rows[bad.row - 1][HEADERS.index(bad.column)] = "1980"
    write_csv(path, rows)

    summary = run_import(session, operator, path)
    assert (summary.added, summary.resolved, summary.updated) == (1, 1, 0)
    assert summary.already_quarantined == len(planted) - 1
    settled = [e for e in list_quarantine(session, include_resolved=True) if e.resolved_at]
    assert [entry.row_number for entry in settled] == [bad.row]
    assert bad.row not in [entry.row_number for entry in list_quarantine(session)]
    external_id = cell(rows, bad.row, "_uuid")
    assert len(registry.find_by(session, operator, "source", external_id)) == 1


def test_an_edited_row_updates_its_record_and_nothing_else(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    write_registry_file(path, 120, seed=2)
    run_import(session, operator, path)
    rows = read_csv(path)
    rows[5][HEADERS.index("person/name_latin")] = "SAMIRA HAZEM AL ZOUBI"
    write_csv(path, rows)

    summary = run_import(session, operator, path)
    assert (summary.updated, summary.unchanged, summary.added) == (1, 119, 0)
    [person_id] = registry.find_by(session, operator, "name", "samira hazem al zoubi")
    [person] = registry.read_persons(session, operator, [person_id], purpose="test")
    assert person.personal.external_id == cell(rows, 6, "_uuid")


def test_an_xlsx_export_imports_like_a_csv_one(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    path = tmp_path / "export.xlsx"
    planted = write_registry_file(path, 150, seed=11, bad_share=0.1)
    first = run_import(session, operator, path)
    assert (first.added, first.quarantined) == (150 - len(planted), len(planted))
    again = run_import(session, operator, path)
    assert (again.added, again.updated, again.quarantined) == (0, 0, 0)


def test_households_are_shared_by_their_members_and_kept_apart_from_file_ids(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    write_registry_file(path, 60, seed=4)
    rows = read_csv(path)
    summary = run_import(session, operator, path)
    file_households = {cell(rows, n, "household/hh_id") for n in range(2, len(rows) + 1)}
    stored = session.execute(select(HouseholdRow.id)).scalars().all()
    assert summary.households_added == len(file_households) == len(stored)
    assert not file_households & set(stored)
    members = session.execute(
        select(PersonRow.household_id, func.count()).group_by(PersonRow.household_id)
    ).all()
    assert sum(count for _, count in members) == 60


def test_rows_describing_their_household_differently_are_conflicts(
    session: Session, operator: Operator
) -> None:
    base = {
        "_uuid": "a",
        "hh_id": "H1",
        "origin": "nawa",
        "name_en": "A",
        "sex": "F",
        "consent": "yes",
    }
    rows = [
        RawRow(2, base),
        RawRow(3, {**base, "_uuid": "b", "origin": "tafas"}),
        RawRow(4, {**base, "_uuid": "c", "risk": "high"}),
    ]
    summary = import_rows(session, operator, "f.csv", rows, MAPPING)
    assert (summary.added, summary.quarantined) == (2, 1)
    [problem] = summary.problems
    assert (problem.row, problem.field) == (3, "origin")
    [household] = session.execute(select(HouseholdRow)).scalars().all()
    assert household.priority == 3  # the highest risk among its members


def test_one_audit_entry_per_import_with_counts_and_no_file_name(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    path = tmp_path / "Al-Hariri family.csv"
    write_registry_file(path, 40, seed=1, bad_share=0.1)
    summary = run_import(session, operator, path)
    [entry] = session.execute(select(AuditRow).where(AuditRow.action == "import")).scalars()
    detail = json.loads(entry.detail)
    assert (detail["added"], detail["quarantined"]) == (summary.added, summary.quarantined)
    assert "Hariri" not in entry.detail + entry.subject
    assert len(entry.subject.split(",")) == summary.added
    assert audit.verify(session, operator.ring).intact


def test_retry_takes_in_rows_once_the_mapping_reads_them(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    rows = [
        RawRow(n, {"_uuid": f"u{n}", "hh_id": "H", "town": "nawa", "latin": "ALI", "sex": "M",
                   "consent": "1"})
        for n in (2, 3)
    ]  # fmt: skip
    first = import_rows(session, operator, "f.csv", rows, MAPPING)
    assert first.quarantined == 2
    mapping_file = tmp_path / "mapping.yaml"
    mapping_file.write_text("extends: default\nfields:\n  name_icao: [latin]\n")

    retried = retry_quarantine(session, operator, ColumnMapping.from_yaml(mapping_file))
    assert (retried.rows, retried.added, retried.resolved) == (2, 2, 2)
    assert list_quarantine(session) == []


def test_retry_leaves_conflicts_to_a_corrected_file(session: Session, operator: Operator) -> None:
    person = {"_uuid": "u", "hh_id": "H", "origin": "nawa", "name_en": "ALI", "sex": "M",
              "consent": "yes"}  # fmt: skip
    rows = [RawRow(2, person), RawRow(3, {**person, "name_en": "OMAR"})]
    assert import_rows(session, operator, "f.csv", rows, MAPPING).quarantined == 1

    retried = retry_quarantine(session, operator, MAPPING)
    assert (retried.rows, retried.already_quarantined, retried.updated) == (1, 1, 0)
    assert registry.find_by(session, operator, "name", "omar") == []

    corrected = import_rows(session, operator, "f.csv", rows[:1], MAPPING)
    assert (corrected.unchanged, corrected.resolved) == (1, 1)


def test_after_a_key_rotation_the_quarantine_still_opens_and_matches(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    write_registry_file(path, 80, seed=9, bad_share=0.1)
    first = run_import(session, operator, path)
    digests = set(session.execute(select(QuarantineRow.row_digest)).scalars())
    rotated = Operator.with_ring(operator.name, operator.ring.rotated())
    assert rekey_quarantine(session, operator, rotated) == first.quarantined
    assert not digests & set(session.execute(select(QuarantineRow.row_digest)).scalars())

    activate(session, rotated.ring.active)  # as the rest of a rotation does
    retried = retry_quarantine(session, rotated, MAPPING)
    assert (retried.already_quarantined, retried.added) == (first.quarantined, 0)


def test_an_empty_file_imports_nothing(session: Session, key_ring: KeyRing) -> None:
    operator = Operator.with_ring("empty", key_ring)
    summary = import_rows(session, operator, "empty.csv", [], MAPPING)
    assert (summary.rows, summary.added, summary.quarantined) == (0, 0, 0)
