"""Predicted outcomes of a round, read in columns: ``outcomes.csv`` or ``outcomes.parquet``.

At 100,000 households and 200 pledges the file has up to 20 million rows (805 MB as CSV): read
as Python rows and dictionaries it took most of two minutes and 11 GB. Here the file is read
in blocks by Arrow, as typed columns; household and pledge ids are looked up in Arrow's hash
tables and the scores written straight into the dense float32 matrix the solver uses, so
memory stays near that matrix (80 MB) and a block.

Either file holds ``household, host, score`` (CSV: header case-insensitive, extra columns
ignored; Parquet: columns of those names, ids as strings, scores as numbers). Both at once is
refused: which one counts would be a guess.

Bad input is reported as everywhere else: every problem, with file, row and field, never a
value. Reading CSV in columns cannot tell spreadsheet rows apart from blank lines or quoted
line breaks, so when the columnar pass finds anything wrong, the CSV file is read again row by
row (streamed, not held whole) to say exactly where; good files never pay for that. Parquet
rows are counted from 1, the first record.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from safepassage.matching.model import OutcomeScores

CSV_FILE = "outcomes.csv"
PARQUET_FILE = "outcomes.parquet"
COLUMNS = ("household", "host", "score")
HOUSEHOLDS_FILE = "households.csv"
PLEDGES_FILE = "pledges.csv"
BLOCK_BYTES = 16 << 20

Report = Callable[[str, int | None, str | None, str], None]
"""``report(file, row, field, message)``: how a problem reaches the folder's reader."""


class _Unclear(Exception):
    """The columnar pass met something it cannot place exactly; read the rows one by one."""


class OutcomeIds:
    """The ids outcomes may name: those of valid rows (the matrix's rows and columns, in the
    round's order) and every id a row gave at all, valid or not (a pair naming a malformed
    household is not reported again: its own row already is)."""

    def __init__(
        self,
        households: Sequence[str],
        pledges: Sequence[str],
        known_households: set[str],
        known_pledges: set[str],
    ) -> None:
        self.households = tuple(households)
        self.pledges = tuple(pledges)
        self.household_set = pa.array(self.households, pa.string())
        self.pledge_set = pa.array(self.pledges, pa.string())
        self.known_households = pa.array(sorted(known_households), pa.string())
        self.known_pledges = pa.array(sorted(known_pledges), pa.string())


def read_outcomes(folder: Path, ids: OutcomeIds, report: Report) -> OutcomeScores | None:
    """The scores of ``outcomes.csv`` or ``outcomes.parquet`` in ``folder``, None without
    either; problems go to ``report`` (the matrix returned then is not to be used)."""
    csv_path, parquet_path = folder / CSV_FILE, folder / PARQUET_FILE
    if csv_path.exists() and parquet_path.exists():
        report(PARQUET_FILE, None, None, f"give the outcomes once: remove it or {CSV_FILE}")
        return None
    if parquet_path.exists():
        return _read_parquet(parquet_path, ids, report)
    if not csv_path.exists():
        return None
    try:
        return _read_csv_columns(csv_path, ids)
    except _Unclear:
        return _read_csv_rows(csv_path, ids, report)


# -- the shared columnar step --------------------------------------------------------------


class _Matrix:
    """The dense scores being filled, and which record wrote each cell (to find repeats)."""

    def __init__(self, ids: OutcomeIds) -> None:
        self.ids = ids
        shape = (len(ids.households), len(ids.pledges))
        self.values = np.full(shape, np.nan, dtype=np.float32)
        self.first = np.full(shape, -1, dtype=np.int32)  # record number that wrote the cell

    def rows_and_columns(
        self, households: pa.Array, hosts: pa.Array
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Indices, -1 where an id is not one of a valid row."""
        ids = self.ids
        rows = pc.index_in(households, value_set=ids.household_set)
        columns = pc.index_in(hosts, value_set=ids.pledge_set)
        return _indices(rows), _indices(columns)

    def unknown(self, households: pa.Array, hosts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """Where an id names no row at all (valid or not): the problems to report."""
        ids = self.ids
        bad_household = ~_flags(pc.is_in(households, value_set=ids.known_households))
        bad_host = ~_flags(pc.is_in(hosts, value_set=ids.known_pledges))
        return bad_household, bad_host

    def put(
        self,
        rows: npt.NDArray[np.int64],
        columns: npt.NDArray[np.int64],
        scores: npt.NDArray[np.float64],
        records: npt.NDArray[np.int64],
    ) -> npt.NDArray[np.int64]:
        """Write the cells; returns, per record, the earlier record of its cell or -1."""
        earlier = self.first[rows, columns]
        fresh = earlier < 0
        # a repeat within the block: the first of equal cells in it is the earlier one
        keys = rows * len(self.ids.pledges) + columns
        _unique, first_of, inverse = np.unique(keys, return_index=True, return_inverse=True)
        within = first_of[inverse] != np.arange(len(keys))
        earlier = np.where(fresh & within, records[first_of[inverse]], earlier)
        first = fresh & ~within
        self.first[rows[first], columns[first]] = records[first]
        self.values[rows[first], columns[first]] = scores[first]
        return np.where(fresh & ~within, -1, earlier)

    def put_if_new(
        self,
        rows: npt.NDArray[np.int64],
        columns: npt.NDArray[np.int64],
        scores: npt.NDArray[np.float64],
        records: npt.NDArray[np.int64],
    ) -> bool:
        """Write the cells if none was written before, nor twice here: O(n), no sorting."""
        if (self.first[rows, columns] >= 0).any():
            return False
        self.first[rows, columns] = records  # of equal cells the last one stays
        if (self.first[rows, columns] != records).any():
            return False
        self.values[rows, columns] = scores
        return True

    def scores(self, label: str) -> OutcomeScores:
        return OutcomeScores(label, self.ids.households, self.ids.pledges, self.values)


def _indices(array: pa.Array) -> npt.NDArray[np.int64]:
    return np.asarray(pc.fill_null(array, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _flags(array: pa.Array) -> npt.NDArray[np.bool_]:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _out_of_range(scores: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    return ~((scores >= 0.0) & (scores <= 1.0))  # NaN too


# -- CSV -----------------------------------------------------------------------------------


def _read_csv_columns(path: Path, ids: OutcomeIds) -> OutcomeScores:
    """The fast pass; raises :class:`_Unclear` at the first thing it cannot vouch for."""
    positions = _header_positions(path)
    if positions is None:
        raise _Unclear
    names = [f"column{i}" for i in range(positions[1])]
    wanted = [names[positions[0][name]] for name in COLUMNS]
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, block_size=BLOCK_BYTES, use_threads=True
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted, column_types=dict.fromkeys(wanted, pa.string())
            ),
        )
        matrix = _Matrix(ids)
        seen = 0
        for batch in reader:
            household, host, text = (pc.utf8_trim_whitespace(batch.column(name)) for name in wanted)
            scores = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
            rows, columns = matrix.rows_and_columns(household, host)
            count = len(rows)
            if (rows < 0).any() or (columns < 0).any() or _out_of_range(scores).any():
                raise _Unclear
            records = np.arange(seen, seen + count, dtype=np.int64)
            if not matrix.put_if_new(rows, columns, scores, records):
                raise _Unclear
            seen += count
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, UnicodeDecodeError):
        raise _Unclear from None
    return matrix.scores(CSV_FILE)


def _header_positions(path: Path) -> tuple[dict[str, int], int] | None:
    """Where each wanted column is (the first of a name, any case) and how many there are."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if header is None:
        return None
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(name.strip().lower(), index)
    if any(name not in positions for name in COLUMNS):
        return None
    return positions, len(header)


def _read_csv_rows(path: Path, ids: OutcomeIds, report: Report) -> OutcomeScores | None:
    """Row by row, streamed, to say where every problem is (spreadsheet rows, header 1)."""
    header = ",".join(COLUMNS)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = _csv_rows(handle, report)
            first = next(rows, None)
            if first is None:
                report(CSV_FILE, None, None, f"file is empty: expected the header `{header}`")
                return None
            positions: dict[str, int] = {}
            for index, name in enumerate(first[1]):
                positions.setdefault(name.lower(), index)
            missing = [c for c in COLUMNS if c not in positions]
            if missing:
                report(
                    CSV_FILE,
                    1,
                    None,
                    f"missing column(s) {', '.join(missing)}: the header is `{header}`",
                )
                return None
            return _check_rows(rows, len(first[1]), positions, ids, report)
    except UnicodeDecodeError:
        report(CSV_FILE, None, None, 'is not UTF-8: save it as "CSV UTF-8"')
    except OSError as error:
        report(CSV_FILE, None, None, f"cannot be read ({error.strerror})")
    return None


def _csv_rows(handle: Iterator[str], report: Report) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(handle)
    last = 0
    try:
        for cells in reader:
            first, last = last + 1, reader.line_num
            stripped = [cell.strip() for cell in cells]
            if any(stripped):
                yield first, stripped
    except csv.Error:
        report(CSV_FILE, last + 1, None, "cannot be read as CSV: check the quotes")


_CHUNK = 1 << 16


def _check_rows(
    rows: Iterator[tuple[int, list[str]]],
    width: int,
    positions: dict[str, int],
    ids: OutcomeIds,
    report: Report,
) -> OutcomeScores:
    matrix = _Matrix(ids)
    at = [positions[name] for name in COLUMNS]
    record_rows: list[int] = []  # spreadsheet row of every record put in the matrix
    chunk: list[tuple[int, int, str, str, str]] = []  # row, cells, household, host, score
    for row, cells in rows:
        whole = len(cells) == width
        chunk.append((row, len(cells), *((cells[k] for k in at) if whole else ("", "", ""))))
        if len(chunk) >= _CHUNK:
            _check_chunk(chunk, width, matrix, record_rows, report)
            chunk.clear()
    _check_chunk(chunk, width, matrix, record_rows, report)
    return matrix.scores(CSV_FILE)


def _check_chunk(
    chunk: list[tuple[int, int, str, str, str]],
    width: int,
    matrix: _Matrix,
    record_rows: list[int],
    report: Report,
) -> None:
    """The rows' problems in row order; the good rows into the matrix."""
    if not chunk:
        return
    row_of = np.array([c[0] for c in chunk], dtype=np.int64)
    whole = np.array([c[1] == width for c in chunk], dtype=bool)
    households = pa.array([c[2] for c in chunk], pa.string())
    hosts = pa.array([c[3] for c in chunk], pa.string())
    bad_household, bad_host = matrix.unknown(households, hosts)
    scores = np.full(len(chunk), np.nan)
    bad_score: dict[int, str] = {}
    for i, text in enumerate(c[4] for c in chunk):
        if not whole[i]:
            continue
        if not text:
            bad_score[i] = "no value: fill in score"
            continue
        try:
            scores[i] = float(text)
        except ValueError:
            bad_score[i] = "is not a number: write a number between 0 and 1"
            continue
        if not 0.0 <= scores[i] <= 1.0:
            bad_score[i] = "must lie between 0 and 1"
    rows, columns = matrix.rows_and_columns(households, hosts)
    good = whole & ~bad_household & ~bad_host
    good[list(bad_score)] = False
    usable = np.flatnonzero(good & (rows >= 0) & (columns >= 0))
    base = len(record_rows)
    records = np.arange(base, base + len(usable), dtype=np.int64)
    earlier = np.full(len(chunk), -1, dtype=np.int64)
    earlier[usable] = matrix.put(rows[usable], columns[usable], scores[usable], records)
    record_rows.extend(row_of[usable].tolist())
    for i in np.flatnonzero(~good | (earlier >= 0)).tolist():
        row = int(row_of[i])
        if not whole[i]:
            report(
                CSV_FILE,
                row,
                None,
                f"row has {chunk[i][1]} cells but the header has {width}: quote cells that "
                "contain commas",
            )
            continue
        if bad_household[i]:
            report(CSV_FILE, row, "household", f"names no household of {HOUSEHOLDS_FILE}")
        if bad_host[i]:
            report(CSV_FILE, row, "host", f"names no pledge of {PLEDGES_FILE}")
        if i in bad_score:
            report(CSV_FILE, row, "score", bad_score[i])
        if earlier[i] >= 0:
            report(
                CSV_FILE,
                row,
                None,
                f"the same household and pledge are also on row {record_rows[earlier[i]]}: "
                "keep one score per pair",
            )


# -- Parquet -------------------------------------------------------------------------------


def _read_parquet(path: Path, ids: OutcomeIds, report: Report) -> OutcomeScores | None:
    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowException, OSError):
        report(PARQUET_FILE, None, None, "cannot be read as Parquet: write it again")
        return None
    schema = file.schema_arrow
    missing = [name for name in COLUMNS if name not in schema.names]
    if missing:
        report(PARQUET_FILE, None, None, f"missing column(s) {', '.join(missing)}")
        return None
    kinds = (
        ("household", _is_text(schema.field("household").type)),
        ("host", _is_text(schema.field("host").type)),
        ("score", _is_number(schema.field("score").type)),
    )
    wrong = [name for name, right in kinds if not right]
    if wrong:
        report(
            PARQUET_FILE,
            None,
            None,
            f"column(s) {', '.join(wrong)} of the wrong type: ids as strings, scores as "
            "floating-point numbers",
        )
        return None
    matrix = _Matrix(ids)
    seen = 0
    try:
        for batch in file.iter_batches(batch_size=1 << 20, columns=list(COLUMNS)):
            _check_parquet_batch(batch, matrix, seen, report)
            seen += batch.num_rows
    except (pa.ArrowException, OSError):
        report(PARQUET_FILE, None, None, "cannot be read as Parquet: write it again")
        return None
    return matrix.scores(PARQUET_FILE)


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _is_number(kind: pa.DataType) -> bool:
    return bool(pa.types.is_floating(kind) or pa.types.is_integer(kind))


def _check_parquet_batch(batch: pa.RecordBatch, matrix: _Matrix, seen: int, report: Report) -> None:
    households = batch.column("household").cast(pa.string())
    hosts = batch.column("host").cast(pa.string())
    score = batch.column("score").cast(pa.float64())
    scores = np.asarray(
        pc.fill_null(score, np.nan).to_numpy(zero_copy_only=False), dtype=np.float64
    )
    rows, columns = matrix.rows_and_columns(households, hosts)
    bad_household, bad_host = matrix.unknown(households, hosts)
    bad_score = _out_of_range(scores)
    bad = bad_household | bad_host | bad_score
    usable = np.flatnonzero(~bad & (rows >= 0) & (columns >= 0))
    earlier = np.full(len(rows), -1, dtype=np.int64)
    earlier[usable] = matrix.put(rows[usable], columns[usable], scores[usable], seen + usable)
    for i in np.flatnonzero(bad | (earlier >= 0)).tolist():
        row = seen + i + 1
        if bad_household[i]:
            report(PARQUET_FILE, row, "household", f"names no household of {HOUSEHOLDS_FILE}")
        if bad_host[i]:
            report(PARQUET_FILE, row, "host", f"names no pledge of {PLEDGES_FILE}")
        if bad_score[i]:
            report(PARQUET_FILE, row, "score", "give a number between 0 and 1")
        if earlier[i] >= 0:
            report(
                PARQUET_FILE,
                row,
                None,
                f"the same household and pledge are also on row {earlier[i] + 1}: keep one "
                "score per pair",
            )


def write_outcomes_parquet(scores: OutcomeScores, folder: Path) -> Path:
    """``outcomes.parquet`` with every score given (synthetic rounds, benchmarks)."""
    rows, columns = np.nonzero(~np.isnan(scores.values))
    table = pa.table(
        {
            "household": pa.DictionaryArray.from_arrays(
                pa.array(rows.astype(np.int32)), pa.array(scores.households, pa.string())
            ).cast(pa.string()),
            "host": pa.DictionaryArray.from_arrays(
                pa.array(columns.astype(np.int32)), pa.array(scores.hosts, pa.string())
            ).cast(pa.string()),
            "score": pa.array(scores.values[rows, columns], pa.float32()),
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PARQUET_FILE
    pq.write_table(table, path)
    return path
