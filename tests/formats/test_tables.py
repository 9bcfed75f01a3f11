"""The table core: malformed and oversized workbooks are refused with where and what to do,
never with a value from the file; an over-long cell makes its row bad, not the file."""

from __future__ import annotations

import logging
import zipfile
from datetime import date
from pathlib import Path

import pytest

from conftest import GOOD_ROWS, HEAD, SECRET, SHEET, TAIL, text_cell, workbook
from safepassage.formats.problems import InputError, Problem
from safepassage.formats.registry_rows import ColumnMapping, RowErrors, check_row, read_table
from safepassage.formats.tables import LONGEST_CELL, xlsx_rows


def refused(path: Path, caplog: pytest.LogCaptureFixture) -> list[tuple[int | None, str]]:
    with caplog.at_level(logging.DEBUG), pytest.raises(InputError) as raised:
        read_table(path)
    problems = raised.value.problems
    assert all(SECRET not in str(problem) for problem in problems)
    assert SECRET not in caplog.text
    return [(problem.row, problem.message) for problem in problems]


MALFORMED = {
    "bad XML at the start": HEAD.replace("<sheetData>", f"<sheetData><row r='1'>{SECRET}<<"),
    "bad XML later": HEAD + GOOD_ROWS + f'<row r="3"><c r="A3"><v>{SECRET}</v></c>',
    "a number cell that is no number": HEAD
    + GOOD_ROWS
    + f'<row r="3"><c r="A3" t="n"><v>{SECRET}</v></c></row>'
    + TAIL,
    "a bad cell reference": HEAD
    + GOOD_ROWS
    + f'<row r="3"><c r="{SECRET.replace(" ", "")}3"><v>1</v></c></row>'
    + TAIL,
    "a shared string out of range": HEAD
    + GOOD_ROWS
    + '<row r="3"><c r="A3" t="s"><v>999</v></c></row>'
    + TAIL,
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_sheet_is_refused_at_its_row_with_what_to_do(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    path = workbook(tmp_path / "people.xlsx", MALFORMED[case])
    [(row, message)] = refused(path, caplog)
    assert message.startswith("sheet 1 cannot be read from this row on") or (
        row is None and "XLSX" in message
    )
    assert "save it again as .xlsx" in message or "save it as .xlsx" in message
    if case != "bad XML at the start":
        assert row == 3


def test_a_declared_part_size_past_the_limit_is_refused_before_inflating(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("safepassage.formats.tables.xlsx.MAX_INFLATED_BYTES", 1 << 20)
    path = workbook(tmp_path / "people.xlsx", HEAD + GOOD_ROWS + " " * (2 << 20) + TAIL)
    [(row, message)] = refused(path, caplog)
    assert row is None and "more than 1 MiB once unzipped" in message


def test_a_part_that_inflates_like_a_bomb_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = workbook(tmp_path / "people.xlsx", HEAD + GOOD_ROWS + " " * (4 << 20) + TAIL, level=9)
    [(row, message)] = refused(path, caplog)
    assert row is None and "inflates more than 100 times" in message


def test_a_part_larger_than_its_header_says_stops_at_the_declared_size(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """zipfile inflates no more than the declared size; the mismatch shows as a bad CRC."""
    path = workbook(tmp_path / "people.xlsx", HEAD + GOOD_ROWS + TAIL)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(SHEET)
    declared = info.file_size.to_bytes(4, "little")
    smaller = (info.file_size // 2).to_bytes(4, "little")
    assert data.count(declared) >= 2
    path.write_bytes(bytes(data).replace(declared, smaller))
    [(row, message)] = refused(path, caplog)
    assert row is None and message == "is not an XLSX workbook: save it as .xlsx"


def test_an_encrypted_part_is_refused_as_no_workbook(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The encryption flag set on every part, in the local and the central headers."""
    path = workbook(tmp_path / "people.xlsx", HEAD + GOOD_ROWS + TAIL)
    data = bytearray(path.read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            data[start + flag_at] |= 1
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))
    [(row, message)] = refused(path, caplog)
    assert row is None and message == "is not an XLSX workbook: save it as .xlsx"


def test_reading_stops_past_the_row_limit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("safepassage.formats.tables.xlsx.MAX_ROWS", 1000)
    far = '<row r="999999999">' + text_cell("A999999999", "k9") + "</row>"
    path = workbook(tmp_path / "people.xlsx", HEAD + GOOD_ROWS + far + TAIL)
    [(row, message)] = refused(path, caplog)
    assert row == 1001 and "more than 1,000 rows" in message


def test_reading_stops_past_the_cell_limit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("safepassage.formats.tables.rows.MAX_CELLS", 3)
    path = workbook(tmp_path / "people.xlsx", HEAD + GOOD_ROWS + TAIL)
    [(row, message)] = refused(path, caplog)
    assert row == 2 and "more than 3 cells" in message


def test_a_sound_handmade_sheet_reads(tmp_path: Path) -> None:
    problems: list[Problem] = []
    path = workbook(tmp_path / "people.xlsx", HEAD + GOOD_ROWS + TAIL)
    rows = list(xlsx_rows(path, "people.xlsx", problems, not_a_workbook="not one"))
    assert problems == []
    assert [(row.number, row.cells) for row in rows] == [
        (1, ("person_id", "sex")),
        (2, ("k1", "f")),
    ]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_over_long_cell_makes_its_row_bad_not_the_file(tmp_path: Path, suffix: str) -> None:
    header = ["person_id", "household_id", "origin", "name_icao", "sex", "consent", "location"]
    rows = [
        header,
        ["k1", "HH-1", "nawa", "ALI", "m", "yes", "x" * 200_000],
        ["k2", "HH-1", "nawa", "MONA", "f", "yes", "camp"],
    ]
    path = tmp_path / f"people{suffix}"
    if suffix == ".csv":
        path.write_text("\n".join(",".join(row) for row in rows), encoding="utf-8")
    else:  # by hand: openpyxl itself cuts what it writes to a spreadsheet's limit
        xml = "".join(
            f'<row r="{number}">'
            + "".join(
                text_cell(f"{chr(65 + column)}{number}", cell) for column, cell in enumerate(row)
            )
            + "</row>"
            for number, row in enumerate(rows, start=1)
        )
        workbook(path, HEAD + xml + TAIL)
    table = read_table(path)
    assert [len(row.values["location"]) for row in table.rows] == [LONGEST_CELL, 4]
    columns = ColumnMapping.default().columns(table.headers)
    first, second = (
        check_row(row, columns, file="people", today=date(2018, 7, 19)) for row in table.rows
    )
    assert isinstance(first, RowErrors) and not isinstance(second, RowErrors)
    assert next((p.row, p.field, p.message) for p in first.problems) == (
        2,
        "location",
        "is longer than 32,767 characters: shorten it",
    )
