"""Rows of the first sheet of an XLSX workbook, read so that a hostile file cannot take the
server's memory nor put a value from the file into a message or a log.

Before openpyxl opens anything, every part of the zip is inflated in chunks and counted:
a workbook that would inflate past :data:`MAX_INFLATED_BYTES`, or a part inflating more than
:data:`MAX_INFLATION_RATIO` times, is refused (a 1 MB file of zipped whitespace inflates to a
gigabyte). openpyxl then reads the sheet in read-only mode, XML through defusedxml, with the
sheet's own claimed dimensions ignored (a bogus ``A1:XFD1048576`` would pad every row), and
reading stops past :data:`MAX_ROWS` rows or :data:`MAX_CELLS` cells. Whatever openpyxl or the
XML parser raises (bad XML, a number cell that is no number, a bad cell reference, a shared
string that does not exist) becomes one problem naming the sheet and the row reading stopped
at; the exception itself is dropped, since its text may quote the cell.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree  # type: ignore[import-untyped]
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from safepassage.formats.problems import Problem
from safepassage.formats.tables.limits import (
    MAX_FILE_BYTES,
    MAX_INFLATED_BYTES,
    MAX_INFLATION_RATIO,
    MAX_ROWS,
    RATIO_FROM_BYTES,
)
from safepassage.formats.tables.rows import Row, bounded

CHUNK = 1 << 16
RESAVE = "open it in a spreadsheet program and save it again as .xlsx"

_BROKEN = (
    InvalidFileException,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    ParseError,
    SyntaxError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    EOFError,
    NotImplementedError,
    RuntimeError,
)
"""What openpyxl, zipfile and the XML parser raise on a malformed workbook (defusedxml's
refusals of entities and DTDs are ValueErrors; zipfile refuses an encrypted part with a
RuntimeError)."""


_UNREADABLE_FROM_HERE = (
    f"sheet 1 cannot be read from this row on (its XML or a cell is malformed): {RESAVE}"
)
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIPS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class _Refused(Exception):
    """The workbook is refused as a whole; the message says why, naming no value."""


def xlsx_rows(
    path: Path, file: str, problems: list[Problem], *, not_a_workbook: str
) -> Iterator[Row]:
    """The rows of the first sheet, numbered as the sheet numbers them, blank rows included
    (KoboToolbox puts the main table first and repeat groups after it)."""
    try:
        _check_inflation(path)
    except OSError as error:
        problems.append(Problem(file, None, None, f"cannot be read: {error.strerror}"))
        return
    except _Refused as refused:
        problems.append(Problem(file, None, None, str(refused)))
        return
    except _BROKEN:
        problems.append(Problem(file, None, None, not_a_workbook))
        return
    try:
        book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
        sheet = book.worksheets[0] if book.worksheets else None
    except OSError as error:
        problems.append(Problem(file, None, None, f"cannot be read: {error.strerror}"))
        return
    except _BROKEN:
        # openpyxl parses the whole first sheet on opening, to find its size
        row = _broken_row(path)
        problems.append(
            Problem(file, None, None, not_a_workbook)
            if row is None
            else Problem(file, row, None, _UNREADABLE_FROM_HERE)
        )
        return
    try:
        if sheet is not None:
            yield from bounded(file, _sheet_rows(file, sheet, problems), problems)
    finally:
        book.close()


def _check_inflation(path: Path) -> None:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise _Refused(f"is larger than {MAX_FILE_BYTES >> 20} MiB: split it into smaller files")
    total = 0
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        declared = sum(info.file_size for info in infos)
        if declared > MAX_INFLATED_BYTES:
            raise _Refused(_too_large())
        for info in infos:
            inflated = 0
            with archive.open(info) as part:
                while chunk := part.read(CHUNK):
                    inflated += len(chunk)
                    total += len(chunk)
                    if total > MAX_INFLATED_BYTES:
                        raise _Refused(_too_large())
                    if inflated > RATIO_FROM_BYTES and inflated > MAX_INFLATION_RATIO * max(
                        info.compress_size, 1
                    ):
                        raise _Refused(
                            f"holds a part that inflates more than {MAX_INFLATION_RATIO} times "
                            f"its size, as no spreadsheet does: {RESAVE}"
                        )


def _broken_row(path: Path) -> int | None:
    """The row of the first sheet where its XML breaks, counting the rows that parse; None
    where the sheet cannot be found or its XML is sound (something else is broken)."""
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            first = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
            if first is None:
                return None
            relation = first.get(f"{_RELATIONSHIPS}id")
            links = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            target = next(
                (link.get("Target", "") for link in links if link.get("Id") == relation), ""
            )
            name = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            rows = 0
            with archive.open(name) as sheet:
                try:
                    for _event, element in ElementTree.iterparse(sheet):
                        if element.tag == f"{_MAIN}row":
                            rows += 1
                        element.clear()
                except _BROKEN:
                    return rows + 1
    except _BROKEN:
        return None
    return None


def _too_large() -> str:
    return (
        f"would take more than {MAX_INFLATED_BYTES >> 20} MiB once unzipped: split it into "
        "smaller files"
    )


def _sheet_rows(file: str, sheet: Any, problems: list[Problem]) -> Iterator[tuple[int, list[str]]]:
    sheet.reset_dimensions()
    number = 0
    rows = sheet.iter_rows(values_only=True)
    while True:
        try:
            values = next(rows, None)
        except _BROKEN:
            problems.append(Problem(file, number + 1, None, _UNREADABLE_FROM_HERE))
            return
        if values is None:
            return
        number += 1
        if number > MAX_ROWS:
            problems.append(
                Problem(
                    file,
                    number,
                    None,
                    f"sheet 1 has more than {MAX_ROWS:,} rows: split it into smaller files",
                )
            )
            return
        yield number, [cell_text(value) for value in values]


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV export of it would hold: whole numbers without
    ``.0`` (a year typed as 1985 is stored as a float), dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)
