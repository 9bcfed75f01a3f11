"""One way of reading tables: files to rows with their row numbers, headers to columns, cells
to values, every problem collected as a :class:`~safepassage.formats.problems.Problem`.

The scenario, registry and matching readers sit on top and keep only their own fields and
the checks between them. Each keeps its own wording (:class:`Wording`) for the troubles of a
whole file: coordinators have learnt those messages, and the golden tests hold them.
"""

from safepassage.formats.tables.columns import Header, Table, header_text, open_table
from safepassage.formats.tables.limits import (
    LONGEST_CELL,
    MAX_CELLS,
    MAX_FILE_BYTES,
    MAX_INFLATED_BYTES,
    MAX_INFLATION_RATIO,
    MAX_ROWS,
)
from safepassage.formats.tables.parsers import BadValueError
from safepassage.formats.tables.rows import Row, csv_rows
from safepassage.formats.tables.text import Wording, decode, read_bytes, read_text
from safepassage.formats.tables.xlsx import xlsx_rows

__all__ = [
    "LONGEST_CELL",
    "MAX_CELLS",
    "MAX_FILE_BYTES",
    "MAX_INFLATED_BYTES",
    "MAX_INFLATION_RATIO",
    "MAX_ROWS",
    "BadValueError",
    "Header",
    "Row",
    "Table",
    "Wording",
    "csv_rows",
    "decode",
    "header_text",
    "open_table",
    "read_bytes",
    "read_text",
    "xlsx_rows",
]
