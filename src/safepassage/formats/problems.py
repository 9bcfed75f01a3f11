"""Input problems reported to people, all at once, with where they are and what to do.

A reader collects every :class:`Problem` it can find before giving up, so a coordinator fixing
a spreadsheet sees the whole list in one go instead of one traceback per attempt. Messages
name files, rows, fields and identifiers, never personal data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}, row {self.row}"
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.message}"


class InputError(Exception):
    """Raised with every problem found; the CLI prints them and exits with code 2."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{len(self.problems)} problem(s) in the input")

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
