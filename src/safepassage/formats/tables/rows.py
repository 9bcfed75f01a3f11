"""Rows of a CSV text, numbered as a spreadsheet shows them (the header is row 1)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from safepassage.formats.problems import Problem
from safepassage.formats.tables.limits import LONGEST_CELL, MAX_CELLS, MAX_FILE_BYTES
from safepassage.formats.tables.text import Wording

# A field can be no longer than its file, which read_bytes bounds; the length of each cell is
# checked below instead, so that one over-long cell makes its row bad, not the whole file.
csv.field_size_limit(MAX_FILE_BYTES)


@dataclass(frozen=True)
class Row:
    """One row that is not blank. ``too_long`` are the indexes of cells longer than
    :data:`LONGEST_CELL`, kept cut to that length: their row is bad, the file is not."""

    number: int
    cells: tuple[str, ...]
    too_long: tuple[int, ...] = ()


def bounded(
    file: str, rows: Iterable[tuple[int, list[str]]], problems: list[Problem]
) -> Iterator[Row]:
    """``rows`` as :class:`Row`, cells over :data:`LONGEST_CELL` cut and marked, stopping
    (reported) past :data:`MAX_CELLS` cells."""
    cells_read = 0
    for number, cells in rows:
        cells_read += len(cells)
        if cells_read > MAX_CELLS:
            problems.append(
                Problem(
                    file,
                    number,
                    None,
                    f"the file has more than {MAX_CELLS:,} cells: split it into smaller files",
                )
            )
            return
        too_long = tuple(index for index, cell in enumerate(cells) if len(cell) > LONGEST_CELL)
        for index in too_long:
            cells[index] = cells[index][:LONGEST_CELL]
        yield Row(number, tuple(cells), too_long)


def csv_rows(
    file: str,
    text: str,
    wording: Wording,
    problems: list[Problem],
    *,
    delimiter: str = ",",
    strip: bool = True,
    by_record: bool = False,
) -> Iterator[Row]:
    """The rows of ``text``. With ``strip`` cells lose surrounding spaces and blank rows are
    skipped; otherwise every record comes as written. A row's number is the line it starts
    on, or with ``by_record`` its place among the records (a spreadsheet's row)."""
    return bounded(
        file, _records(file, text, wording, problems, delimiter, strip, by_record), problems
    )


def _records(
    file: str,
    text: str,
    wording: Wording,
    problems: list[Problem],
    delimiter: str,
    strip: bool,
    by_record: bool,
) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    last_line = 0
    try:
        for record, cells in enumerate(reader, start=1):
            first_line, last_line = last_line + 1, reader.line_num
            if strip:
                cells = [cell.strip() for cell in cells]
                if not any(cells):
                    continue
            yield (record if by_record else first_line), cells
    except csv.Error as error:
        problems.append(
            Problem(
                file,
                None if wording.bad_csv_whole else last_line + 1,
                None,
                wording.bad_csv.format(error=error),
            )
        )
