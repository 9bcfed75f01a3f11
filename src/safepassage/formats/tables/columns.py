"""A table with a header row: columns by name, rows of the header's width, values parsed
with every problem reported at its row and column."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from safepassage.formats.problems import Problem
from safepassage.formats.tables.limits import LONGEST_CELL
from safepassage.formats.tables.parsers import BadValueError
from safepassage.formats.tables.rows import Row

_T = TypeVar("_T")


@dataclass(frozen=True)
class Header:
    """How a reader words the troubles of a header and of a row's shape. ``missing`` takes
    ``{missing}`` and ``{header}``, ``duplicate`` ``{column}``, ``wrong_width`` ``{cells}``
    and ``{width}``. With ``refuse_missing`` a table missing a required column is not read
    (and the problem is put at row 1); otherwise it is read and the missing columns give no
    values."""

    missing: str
    wrong_width: str
    duplicate: str | None = None
    refuse_missing: bool = False


def header_text(required: Sequence[str], optional: Sequence[str]) -> str:
    """``id,size[,medical]``: the header a file should have, for messages."""
    return ",".join(required) + "".join(f"[,{name}]" for name in optional)


class Table:
    """Rows under a header; column names are matched in lower case."""

    def __init__(
        self,
        file: str,
        columns: Mapping[str, int],
        width: int,
        rows: Iterator[Row],
        wording: Header,
        problems: list[Problem],
    ) -> None:
        self.file, self.columns, self.width, self.rows = file, columns, width, rows
        self.wording, self.problems = wording, problems

    def report(self, row: int | None, field: str | None, message: str) -> None:
        self.problems.append(Problem(self.file, row, field, message))

    def fits(self, row: Row) -> bool:
        """Whether ``row`` has the header's width and no cell too long (reported if not)."""
        if len(row.cells) != self.width:
            self.report(
                row.number,
                None,
                self.wording.wrong_width.format(cells=len(row.cells), width=self.width),
            )
            return False
        for index in row.too_long:
            self.report(
                row.number,
                self.name_of(index),
                f"is longer than {LONGEST_CELL:,} characters: shorten it",
            )
        return not row.too_long

    def records(self) -> Iterator[Row]:
        """The rows that fit; the others are reported."""
        return (row for row in self.rows if self.fits(row))

    def name_of(self, index: int) -> str | None:
        return next((name for name, at in self.columns.items() if at == index), None)

    def text(self, row: Row, column: str) -> str:
        index = self.columns.get(column)
        return "" if index is None else row.cells[index]

    def value(
        self,
        row: Row,
        column: str,
        parse: Callable[[str], _T],
        default: _T | None = None,
        *,
        required: bool = False,
    ) -> _T | None:
        """The parsed value; ``default`` where the cell is empty or its column absent, and
        None where a required cell is empty or a value is bad (both reported)."""
        index = self.columns.get(column)
        if index is None:
            return None if required else default
        text = row.cells[index]
        if not text:
            if required:
                self.report(row.number, column, f"no value: fill in {column}")
            return default
        try:
            return parse(text)
        except BadValueError as bad:
            self.report(row.number, column, str(bad))
            return None


def open_table(
    file: str,
    rows: Iterator[Row],
    required: Sequence[str],
    optional: Sequence[str],
    wording: Header,
    problems: list[Problem],
) -> Table | None:
    """The table whose header is the first row, or None when there is none (reported)."""
    header = header_text(required, optional)
    first = next(rows, None)
    if first is None:
        problems.append(Problem(file, None, None, f"file is empty: expected the header `{header}`"))
        return None
    columns: dict[str, int] = {}
    for index, name in enumerate(first.cells):
        column = name.lower()
        if wording.duplicate is not None and column in columns and column in (*required, *optional):
            problems.append(
                Problem(file, first.number, column, wording.duplicate.format(column=column))
            )
        columns.setdefault(column, index)
    missing = [column for column in required if column not in columns]
    if missing:
        problems.append(
            Problem(
                file,
                1 if wording.refuse_missing else first.number,
                None,
                wording.missing.format(missing=", ".join(missing), header=header),
            )
        )
        if wording.refuse_missing:
            return None
    return Table(file, columns, len(first.cells), rows, wording, problems)
