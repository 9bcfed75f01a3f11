"""How much of a file is read at most, documented for users in docs/registry-import.md.

A file is refused before it can take the server's memory: a workbook is checked for what it
would inflate to before anything is inflated, and reading stops at the first row past a limit.
"""

from __future__ import annotations

MAX_FILE_BYTES = 256 << 20
"""A CSV file, or an XLSX workbook as stored (zipped)."""
MAX_INFLATED_BYTES = 256 << 20
"""All the parts of an XLSX workbook together, once inflated."""
MAX_INFLATION_RATIO = 100
"""A part of a workbook over :data:`RATIO_FROM_BYTES` inflated may be at most this many times
its zipped size: sheets of real registrations inflate 5 to 30 times, padding thousands."""
RATIO_FROM_BYTES = 1 << 20
MAX_ROWS = 1_048_576
"""Excel's own limit; rows a sheet skips count too."""
MAX_CELLS = 10_000_000
"""Cells in all rows read, header included (200,000 persons of 50 columns)."""
LONGEST_CELL = 32_767
"""Excel's own limit for a cell; a longer one makes its row bad, not the file."""
