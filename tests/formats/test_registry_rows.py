"""Registry files read into rows, headers mapped to fields, and every row checked on its own."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]

from safepassage.formats.problems import InputError
from safepassage.formats.registry_rows import (
    ColumnMapping,
    Field,
    RawRow,
    RegistryRow,
    RowErrors,
    check_row,
    read_table,
)
from safepassage.model.registry import IdentityDocument, PartialDate, RiskLevel, Sex, Status

TODAY = date(2018, 7, 19)
MAPPING = ColumnMapping.default()

SOUND = {
    "person_id": "kobo-0042",
    "household_id": "HH-7",
    "origin": "nawa",
    "name_icao": "Yousef Othman Al-Rifa'i",
    "sex": "male",
    "date_of_birth": "03/04/1971",
    "consent": "yes",
}


def check(values: dict[str, str], number: int = 2) -> RegistryRow | RowErrors:
    row = RawRow(number, values)
    return check_row(row, MAPPING.columns(tuple(values)), file="people.csv", today=TODAY)


def sound(**changes: str) -> RegistryRow:
    result = check({**SOUND, **changes})
    assert isinstance(result, RegistryRow), result
    return result


def problems(**changes: str) -> list[tuple[int | None, str | None, str]]:
    result = check({**SOUND, **changes}, number=7)
    assert isinstance(result, RowErrors), result
    return [(p.row, p.field, p.message) for p in result.problems]


# -- reading files ---------------------------------------------------------------------------


def test_a_kobo_csv_reads_with_bom_semicolons_and_spreadsheet_row_numbers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        "\ufeff_uuid;person/name_ar;person/name_latin\n"
        "u1;محمد;MOHAMMAD\n"
        ";;\n"
        'u2;"أحمد\nسعيد";AHMAD;extra\n'.encode()
    )
    table = read_table(path)
    assert table.headers == ("_uuid", "person/name_ar", "person/name_latin")
    assert [row.number for row in table.rows] == [2, 4]
    assert table.rows[0].values["person/name_ar"] == "محمد"
    assert table.rows[1].overflow == ("extra",)


def test_an_xlsx_reads_numbers_and_dates_as_a_csv_export_would(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["person_id", "dob", "priority", "phone", "note"])
    sheet.append(["a", datetime(1985, 3, 12), 3.0, 963944000111, None])
    sheet.append([None, None, None, None, None])
    sheet.append(["b", "1990", 2, "+963 944", "x"])
    book.save(tmp_path / "export.xlsx")
    table = read_table(tmp_path / "export.xlsx")
    assert [row.number for row in table.rows] == [2, 4]
    assert dict(table.rows[0].values) == {
        "person_id": "a",
        "dob": "1985-03-12",
        "priority": "3",
        "phone": "963944000111",
        "note": "",
    }


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("people.csv", b"a,b,A\n1,2,3\n", "appears in columns 1 and 3"),
        ("people.csv", b"a,,b\n1,2,3\n", "column 2 has no header"),
        ("people.csv", "name\nJos\xe9\n".encode("latin-1"), "is not UTF-8"),
        ("people.csv", b"", "is empty"),
        ("people.ods", b"x", "neither .csv nor .xlsx"),
        ("people.xlsx", b"not a zip", "is not an XLSX workbook"),
    ],
)
def test_unreadable_files_are_refused_whole(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as raised:
        read_table(path)
    assert expected in str(raised.value)


# -- the column mapping ----------------------------------------------------------------------


def test_the_default_mapping_reads_our_names_and_kobo_group_paths() -> None:
    headers = "_uuid _index _submission_time household/hh_id grp/origin person/name_latin"
    columns = MAPPING.columns([*headers.split(), "person/gender", "meta/instanceID", "colour"])
    assert not columns.problems
    assert columns.header_of[Field.EXTERNAL_ID] == "_uuid"
    assert columns.header_of[Field.HOUSEHOLD_ID] == "household/hh_id"
    assert columns.header_of[Field.SEX] == "person/gender"
    assert columns.unused == ("colour",)


def test_a_form_s_own_person_id_is_preferred_to_kobo_s_uuid() -> None:
    columns = MAPPING.columns(["_uuid", "person/person_id", "hh_id", "origin", "name_en", "sex"])
    assert columns.header_of[Field.EXTERNAL_ID] == "person/person_id"
    assert "_uuid" not in columns.unused


def test_headers_that_no_row_could_be_read_with_refuse_the_file() -> None:
    with pytest.raises(InputError) as raised:
        MAPPING.check_headers(
            "people.csv", ["_uuid", "a/hh_id", "b/hh_id", "origin", "name_en", "note"]
        )
    text = str(raised.value)
    assert "'a/hh_id' and 'b/hh_id' all match 'hh_id'" in text
    assert "field 'sex': is required and no column holds it" in text


def test_a_mapping_file_extends_the_default(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text("extends: default\nfields:\n  sex: [jins]\n  origin: village\n")
    mapping = ColumnMapping.from_yaml(path)
    columns = mapping.columns(["_uuid", "hh_id", "village", "name_en", "jins", "gender"])
    assert not columns.problems
    assert columns.header_of[Field.SEX] == "jins"
    assert columns.header_of[Field.ORIGIN] == "village"


def test_a_mapping_file_without_extends_stands_alone(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text("fields:\n  external_id: [id]\n")
    columns = ColumnMapping.from_yaml(path).columns(["id", "hh_id", "origin", "name_en", "sex"])
    assert [where for where, _ in columns.problems] == [
        "household_id",
        "name_icao",
        "origin",
        "sex",
    ]


def test_a_wrong_mapping_file_is_refused_with_every_mistake(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text("fields:\n  sexx: [a]\n  sex: [b]\n  role: [b]\nignored: []\nextends: mine\n")
    with pytest.raises(InputError) as raised:
        ColumnMapping.from_yaml(path)
    text = str(raised.value)
    assert "field 'sexx': is not a field" in text
    assert "header 'b' is also given for sex" in text
    assert "field 'ignored': is not a key" in text
    assert "field 'extends': can only be 'default'" in text


# -- checking a row --------------------------------------------------------------------------


def test_a_sound_row_becomes_a_registration_with_normalised_values() -> None:
    row = sound(
        name_arabic="يوسف  عثمان الرفاعي",
        aliases="Yusuf al-Rifai; يوسف",
        nationality="syr",
        document_number="n 1234567",
        needs="medical;mobility medical",
        risk="HIGH",
        cleared_for="quneitra-crossing nasib-crossing",
        hosts="gbr;deu",
        phone="+963 944-000-111",
    )
    data = row.personal
    assert data.name_icao == "YOUSEF OTHMAN AL RIFAI"
    assert data.name_arabic == "يوسف عثمان الرفاعي"
    assert data.aliases == ("Yusuf al-Rifai", "يوسف")
    assert (data.sex, data.birth) == (Sex.MALE, PartialDate(1971, 4, 3))
    assert data.documents == (IdentityDocument("passport", "N1234567", "SYR"),)
    assert data.needs == ("medical", "mobility")
    assert (data.risk, data.consent, data.phone) == (RiskLevel.HIGH, True, "+963944000111")
    assert data.external_id == "kobo-0042"
    assert row.household.cleared_for == ("nasib-crossing", "quneitra-crossing")
    assert row.household.hosts == ("DEU", "GBR")
    assert (row.household.priority, row.status, row.retention_until) == (
        None,
        Status.REGISTERED,
        None,
    )


@pytest.mark.parametrize(
    ("text", "birth"),
    [
        ("1971", PartialDate(1971)),
        ("1971-04", PartialDate(1971, 4)),
        ("1971-04-03", PartialDate(1971, 4, 3)),
        ("3/4/1971", PartialDate(1971, 4, 3)),
    ],
)
def test_dates_of_birth_in_every_accepted_form(text: str, birth: PartialDate) -> None:
    assert sound(date_of_birth=text).personal.birth == birth


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("date_of_birth", "31/02/1985", "is not a date of birth"),
        ("date_of_birth", "2019", "is in the future"),
        ("sex", "unknown", "must be M, F or X"),
        ("nationality", "Syria", "must be a three-letter code"),
        ("name_icao", "JOSÉ MARTÍ", "letters A-Z and spaces only"),
        ("name_icao", "DOE<<JOHN", "letters A-Z and spaces only"),
        ("name_arabic", "Mohammad", "holds Latin letters"),
        ("priority", "4", "must be 1, 2 or 3"),
        ("risk", "extreme", "must be high, medium or low"),
        ("consent", "maybe", "must be yes or no"),
        ("phone", "call me", "must be a phone number"),
        ("hosts", "Germany", "not an ISO 3166 alpha-3 country code"),
        ("cleared_for", "quneitra crossing!", "is not a place id"),
        ("retention_until", "2018-07-01", "must be after today"),
        ("status", "crossed-over", "must be a status of the pipeline"),
        ("status", "missing", "must be a status of the pipeline"),
        ("document_expiry", "soon", "is not a date"),
    ],
)
def test_each_bad_field_is_named_with_what_to_do_and_never_its_value(
    field: str, value: str, says: str
) -> None:
    extra = {"document_number": "N1", "nationality": "SYR"} if field == "document_expiry" else {}
    [(row, where, message)] = problems(**{**extra, field: value})
    assert (row, where) == (7, field)
    assert says in message
    assert value not in message


def test_every_bad_field_of_a_row_is_reported_at_once() -> None:
    reported = problems(sex="?", date_of_birth="soon", origin="")
    assert [where for _, where, _ in reported] == ["origin", "date_of_birth", "sex"]


def test_required_fields_left_empty_are_named() -> None:
    assert problems(name_icao="  ") == [
        (7, "name_icao", "is required and empty in this row: fill it in")
    ]


def test_a_registration_needs_consent_or_a_legal_basis() -> None:
    [(_, where, message)] = problems(consent="no")
    assert where == "consent" and "legal basis" in message
    assert sound(consent="", legal_basis="vital interests").personal.consent is False


def test_a_document_takes_its_country_from_the_nationality_and_needs_a_number() -> None:
    assert sound(document_number="123", nationality="XXA").personal.documents == (
        IdentityDocument("passport", "123", "XXA"),
    )
    [(_, where, message)] = problems(document_number="123")
    assert where == "document_country" and "issuing country" in message
    [(_, where, message)] = problems(document_kind="passport")
    assert where == "document_kind" and "is empty" in message


def test_the_errors_carry_the_external_id_to_settle_the_row_later() -> None:
    result = check({**SOUND, "sex": "?"})
    assert isinstance(result, RowErrors)
    assert result.external_id == "kobo-0042"


def test_cells_right_of_the_last_header_make_the_row_bad() -> None:
    row = RawRow(3, SOUND, overflow=("", "stray"))
    result = check_row(row, MAPPING.columns(tuple(SOUND)), file="f.csv", today=TODAY)
    assert isinstance(result, RowErrors)
    assert "right of the last column" in result.problems[0].message
