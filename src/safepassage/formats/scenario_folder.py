"""The minimal scenario folder of the planning contract, read and written.

Coordinators prepare these files in spreadsheets and text editors, often under pressure, so the
reader never stops at the first mistake: it reads all four files, checks every value and every
reference between files against whatever did parse, and raises one :class:`InputError` listing
every problem with its file, spreadsheet row (or YAML line), field and what to do about it.

Decisions the contract leaves open, taken here:

- A naive instant (no UTC offset) other than ``start`` is read in ``start``'s offset.
- Non-integral shelter and window capacities are floored: never admit more than was given.
- Column names are matched case-insensitively; extra columns and unknown YAML keys are ignored,
  since richer inputs may carry more than the minimal format.
- Rows whose cells are all empty are skipped like blank lines.
- A crossing must say ``windows: []`` to be closed: a missing ``windows`` is a problem rather
  than a silently closed border; likewise a zone must list its ``nodes`` (``[]`` if none).
- YAML ids and names are taken as written (``node: 007`` is the id ``007``, not the number 7).
- ``cleared_for`` that lists nothing but separators, or mixes ``*`` with ids, is a problem
  rather than a guess between "all crossings" and "none".
- If ``nodes.csv`` (or ``scenario.yaml``) cannot be read at all, references to nodes (or to
  crossings) are not checked, rather than reporting every reference as unknown. A node row that
  is malformed still makes its id known, for the same reason.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import TypeVar

import yaml

from safepassage.formats.problems import InputError, Problem
from safepassage.model import (
    Crossing,
    Household,
    Node,
    NodeKind,
    Road,
    Scenario,
    TimeGrid,
    Window,
    Zone,
)

SCENARIO_FILE = "scenario.yaml"
NODES_FILE = "nodes.csv"
EDGES_FILE = "edges.csv"
HOUSEHOLDS_FILE = "households.csv"

NODE_COLUMNS = ("id", "name", "lat", "lon", "kind")
NODE_OPTIONAL_COLUMNS = ("shelter_capacity",)
EDGE_COLUMNS = ("from", "to", "minutes", "capacity_per_hour")
EDGE_OPTIONAL_COLUMNS = ("bidirectional", "unsafe_from")
HOUSEHOLD_COLUMNS = ("id", "size", "origin", "ready_from", "priority")
HOUSEHOLD_OPTIONAL_COLUMNS = ("cleared_for",)

DEFAULT_STEP_MINUTES = 15
EXAMPLE_INSTANT = "2018-07-21T21:30:00+03:00"
ALL_CROSSINGS = "*"
CROSSING_SEPARATOR = ";"

_FILE_ORDER = {
    name: position
    for position, name in enumerate((SCENARIO_FILE, NODES_FILE, EDGES_FILE, HOUSEHOLDS_FILE))
}
_UTF8_BOM = b"\xef\xbb\xbf"
_YAML_NULL = "tag:yaml.org,2002:null"
_TRUE_WORDS = frozenset({"true", "1", "yes"})
_FALSE_WORDS = frozenset({"false", "0", "no"})
_LARGEST_EXPONENT = 1000
"""Decimal exponents beyond this are refused: ``1e999999999`` would take minutes to expand."""
_INEXACT_DECIMAL_PLACES = 20
_LONGEST_QUOTED_VALUE = 40

_T = TypeVar("_T")


class _BadValueError(Exception):
    """A value that cannot be used; the message says what is wrong and what to do."""


# -- reading --------------------------------------------------------------------------------


def read_scenario(folder: Path) -> Scenario:
    """Read a minimal scenario folder, or raise :class:`InputError` with every problem found."""
    if not folder.is_dir():
        raise InputError(
            [
                Problem(
                    str(folder),
                    None,
                    None,
                    "is not a folder: give the folder that holds scenario.yaml, nodes.csv, "
                    "edges.csv and households.csv",
                )
            ]
        )
    return _FolderReader(folder).read()


@dataclass
class _Settings:
    """What ``scenario.yaml`` yielded; ``None`` where it was missing or wrong."""

    name: str | None = None
    grid: TimeGrid | None = None
    offset: tzinfo = UTC
    crossings: list[Crossing] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)
    crossing_ids: set[str] | None = None
    node_references: list[tuple[int | None, str, str]] = field(default_factory=list)
    """``(line, path, node id)`` of every node the file names, checked once nodes are known."""


@dataclass
class _Table:
    file: str
    width: int
    columns: Mapping[str, int]
    rows: Iterator[tuple[int, list[str]]]


class _FolderReader:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.problems: list[Problem] = []

    def read(self) -> Scenario:
        settings = self._read_settings()
        nodes, node_ids = self._read_nodes()
        if node_ids is not None:
            for line, path, node_id in settings.node_references:
                if node_id not in node_ids:
                    self._report(SCENARIO_FILE, line, path, _unknown_node(node_id))
        roads = self._read_roads(node_ids, settings.offset)
        households = self._read_households(node_ids, settings.crossing_ids, settings.offset)
        if self.problems:
            raise InputError(
                sorted(
                    self.problems,
                    key=lambda problem: (_FILE_ORDER.get(problem.file, -1), problem.row or 0),
                )
            )
        assert settings.name is not None and settings.grid is not None, "reported if missing"
        return Scenario(
            name=settings.name,
            grid=settings.grid,
            nodes=tuple(nodes),
            roads=tuple(roads),
            crossings=tuple(settings.crossings),
            zones=tuple(settings.zones),
            households=tuple(households),
        )

    def _report(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(file, row, column, message))

    def _unique_id(
        self, file: str, what: str, value: str | None, row: int, first_rows: dict[str, int]
    ) -> None:
        if value is None:
            return
        first_row = first_rows.setdefault(value, row)
        if first_row != row:
            self._report(
                file,
                row,
                "id",
                f"duplicate {what} id '{value}' (rows {first_row} and {row}): "
                f"give each {what} its own id",
            )

    def _checked(
        self, file: str, row: int | None, column: str, parse: Callable[[str], _T], text: str
    ) -> _T | None:
        try:
            return parse(text)
        except _BadValueError as bad:
            self._report(file, row, column, str(bad))
            return None

    # -- raw text ---------------------------------------------------------------------------

    def _read_text(self, file: str, expected: str) -> str | None:
        try:
            data = (self.folder / file).read_bytes()
        except FileNotFoundError:
            self._report(file, None, None, f"file is missing: add it to the folder, {expected}")
            return None
        except OSError as error:
            self._report(
                file, None, None, f"cannot be read ({error.strerror}): check its permissions"
            )
            return None
        return self._decode(file, data)

    def _decode(self, file: str, data: bytes) -> str:
        """UTF-8 text; bad bytes are reported by line and replaced so reading can go on."""
        offset = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
        try:
            return data[offset:].decode("utf-8")
        except UnicodeDecodeError:
            pass
        pieces = []
        # Only \n, \r and \r\n split bytes, as they split the text the csv module reads.
        for line_number, line in enumerate(data[offset:].splitlines(keepends=True), start=1):
            try:
                pieces.append(line.decode("utf-8"))
            except UnicodeDecodeError as error:
                self._report(
                    file,
                    line_number,
                    None,
                    f"byte {offset + error.start} of the file is not UTF-8: save the file as "
                    'UTF-8 ("CSV UTF-8" in spreadsheet programs)',
                )
                pieces.append(line.decode("utf-8", errors="replace"))
            offset += len(line)
        return "".join(pieces)

    # -- CSV tables -------------------------------------------------------------------------

    def _open_table(
        self, file: str, required: Sequence[str], optional: Sequence[str]
    ) -> _Table | None:
        header = ",".join(required) + "".join(f"[,{name}]" for name in optional)
        text = self._read_text(file, f"with the header `{header}`")
        if text is None:
            return None
        rows = self._rows(file, text)
        first = next(rows, None)
        if first is None:
            self._report(file, None, None, f"file is empty: expected the header `{header}`")
            return None
        header_row, names = first
        columns: dict[str, int] = {}
        for index, name in enumerate(names):
            column = name.lower()
            if column in columns and column in (*required, *optional):
                self._report(file, header_row, column, f"column '{column}' appears twice: keep one")
            columns.setdefault(column, index)
        missing = [column for column in required if column not in columns]
        if missing:
            self._report(
                file,
                header_row,
                None,
                f"missing column(s) {', '.join(missing)}: the header must be `{header}`",
            )
        return _Table(file, len(names), columns, rows)

    def _rows(self, file: str, text: str) -> Iterator[tuple[int, list[str]]]:
        """``(spreadsheet row, stripped cells)`` of every row that is not blank."""
        reader = csv.reader(io.StringIO(text, newline=""))
        last_line = 0
        try:
            for cells in reader:
                first_line, last_line = last_line + 1, reader.line_num
                stripped = [cell.strip() for cell in cells]
                if any(stripped):
                    yield first_line, stripped
        except csv.Error as error:
            self._report(
                file,
                last_line + 1,
                None,
                f"cannot be read as CSV ({error}): check the quotes; later rows were not read",
            )

    def _fits(self, table: _Table, row: int, cells: list[str]) -> bool:
        if len(cells) == table.width:
            return True
        self._report(
            table.file,
            row,
            None,
            f"row has {len(cells)} cells but the header has {table.width} columns: make every "
            "row match the header (quote cells that contain commas)",
        )
        return False

    def _cell(
        self,
        table: _Table,
        row: int,
        cells: list[str],
        column: str,
        parse: Callable[[str], _T],
    ) -> _T | None:
        """A required value; ``None`` if its column is missing (reported once) or it is bad."""
        index = table.columns.get(column)
        if index is None:
            return None
        text = cells[index]
        if not text:
            self._report(table.file, row, column, f"no value: fill in {column}")
            return None
        return self._checked(table.file, row, column, parse, text)

    def _optional_cell(
        self,
        table: _Table,
        row: int,
        cells: list[str],
        column: str,
        parse: Callable[[str], _T],
        default: _T,
    ) -> _T | None:
        index = table.columns.get(column)
        if index is None or not cells[index]:
            return default
        return self._checked(table.file, row, column, parse, cells[index])

    # -- nodes.csv --------------------------------------------------------------------------

    def _read_nodes(self) -> tuple[list[Node], set[str] | None]:
        """The nodes, and the ids usable for references (``None``: the file is unusable)."""
        table = self._open_table(NODES_FILE, NODE_COLUMNS, NODE_OPTIONAL_COLUMNS)
        if table is None or "id" not in table.columns:
            return [], None
        id_index = table.columns["id"]
        known_ids: set[str] = set()
        first_rows: dict[str, int] = {}
        nodes = []
        for row, cells in table.rows:
            if id_index < len(cells) and cells[id_index]:
                known_ids.add(cells[id_index])
            if not self._fits(table, row, cells):
                continue
            problems_before = len(self.problems)
            node_id = self._cell(table, row, cells, "id", str)
            self._unique_id(NODES_FILE, "node", node_id, row, first_rows)
            name_index = table.columns.get("name")
            name = None if name_index is None else cells[name_index]
            lat = self._cell(table, row, cells, "lat", partial(_parse_coordinate, limit=90))
            lon = self._cell(table, row, cells, "lon", partial(_parse_coordinate, limit=180))
            kind = self._cell(table, row, cells, "kind", _parse_kind)
            shelter = self._optional_cell(table, row, cells, "shelter_capacity", _parse_count, None)
            if (
                len(self.problems) == problems_before
                and node_id is not None
                and name is not None
                and lat is not None
                and lon is not None
                and kind is not None
            ):
                nodes.append(Node(node_id, name, lat, lon, kind, shelter))
        return nodes, known_ids

    # -- edges.csv --------------------------------------------------------------------------

    def _read_roads(self, node_ids: set[str] | None, offset: tzinfo) -> list[Road]:
        table = self._open_table(EDGES_FILE, EDGE_COLUMNS, EDGE_OPTIONAL_COLUMNS)
        if table is None:
            return []
        parse_instant = partial(_parse_instant, offset=offset)
        first_seen: dict[tuple[str, str], tuple[int, Road]] = {}
        reported_conflicts: set[tuple[int, int]] = set()
        for row, cells in table.rows:
            if not self._fits(table, row, cells):
                continue
            problems_before = len(self.problems)
            source = self._node_cell(table, row, cells, "from", node_ids)
            target = self._node_cell(table, row, cells, "to", node_ids)
            if source is not None and source == target:
                self._report(
                    EDGES_FILE,
                    row,
                    "to",
                    f"road from '{source}' to itself: a road must join two different nodes; "
                    "correct from or to",
                )
            minutes = self._cell(table, row, cells, "minutes", _parse_amount)
            capacity = self._cell(table, row, cells, "capacity_per_hour", _parse_amount)
            bidirectional = self._optional_cell(
                table, row, cells, "bidirectional", _parse_bool, True
            )
            unsafe_from = self._optional_cell(table, row, cells, "unsafe_from", parse_instant, None)
            if (
                len(self.problems) > problems_before
                or source is None
                or target is None
                or minutes is None
                or capacity is None
            ):
                continue
            road = Road(source, target, minutes, capacity, unsafe_from)
            directed = [road]
            if bidirectional:
                directed.append(Road(target, source, minutes, capacity, unsafe_from))
            for each in directed:
                earlier_row, earlier = first_seen.setdefault(
                    (each.source, each.target), (row, each)
                )
                if earlier != each and (earlier_row, row) not in reported_conflicts:
                    reported_conflicts.add((earlier_row, row))
                    self._report(
                        EDGES_FILE,
                        row,
                        None,
                        f"conflicting duplicate road {each.source}->{each.target} "
                        f"(rows {earlier_row} and {row}): keep one row, or set "
                        "bidirectional=false",
                    )
        return [road for _, road in first_seen.values()]

    def _node_cell(
        self,
        table: _Table,
        row: int,
        cells: list[str],
        column: str,
        node_ids: set[str] | None,
    ) -> str | None:
        node_id = self._cell(table, row, cells, column, str)
        if node_id is not None and node_ids is not None and node_id not in node_ids:
            self._report(table.file, row, column, _unknown_node(node_id))
        return node_id

    # -- households.csv ---------------------------------------------------------------------

    def _read_households(
        self, node_ids: set[str] | None, crossing_ids: set[str] | None, offset: tzinfo
    ) -> list[Household]:
        table = self._open_table(HOUSEHOLDS_FILE, HOUSEHOLD_COLUMNS, HOUSEHOLD_OPTIONAL_COLUMNS)
        if table is None:
            return []
        parse_instant = partial(_parse_instant, offset=offset)
        first_rows: dict[str, int] = {}
        households = []
        for row, cells in table.rows:
            if not self._fits(table, row, cells):
                continue
            problems_before = len(self.problems)
            household_id = self._cell(table, row, cells, "id", str)
            self._unique_id(HOUSEHOLDS_FILE, "household", household_id, row, first_rows)
            size = self._cell(table, row, cells, "size", _parse_positive_integer)
            origin = self._node_cell(table, row, cells, "origin", node_ids)
            ready_from = self._optional_cell(table, row, cells, "ready_from", parse_instant, None)
            priority = self._optional_cell(table, row, cells, "priority", _parse_priority, 1.0)
            cleared_for = self._optional_cell(
                table, row, cells, "cleared_for", _parse_clearance, None
            )
            if cleared_for is not None and crossing_ids is not None:
                for crossing_id in sorted(cleared_for - crossing_ids):
                    self._report(
                        HOUSEHOLDS_FILE,
                        row,
                        "cleared_for",
                        f"'{crossing_id}' is not a crossing in scenario.yaml: list crossing node "
                        f"ids separated by '{CROSSING_SEPARATOR}', or {ALL_CROSSINGS} for all",
                    )
            if (
                len(self.problems) == problems_before
                and household_id is not None
                and size is not None
                and origin is not None
                and priority is not None
            ):
                households.append(
                    Household(household_id, size, origin, priority, ready_from, cleared_for)
                )
        return households

    # -- scenario.yaml ----------------------------------------------------------------------

    def _read_settings(self) -> _Settings:
        settings = _Settings()
        text = self._read_text(SCENARIO_FILE, "with name, start and horizon_steps")
        if text is None:
            return settings
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            self._report(
                SCENARIO_FILE,
                None if mark is None else mark.line + 1,
                None,
                f"not valid YAML ({error.problem or error.context}): check the indentation, "
                "colons and quotes on this line and the one before",
            )
            return settings
        except yaml.YAMLError as error:
            self._report(SCENARIO_FILE, None, None, f"not valid YAML ({error})")
            return settings
        if root is None:
            self._report(
                SCENARIO_FILE,
                None,
                None,
                "file is empty: expected name, start, step_minutes, horizon_steps, crossings "
                "and zones",
            )
            return settings
        top = self._yaml_mapping(root, "")
        if top is None:
            return settings
        settings.name = self._yaml_text(top, "name", "", root)
        start = self._yaml_value(top, "start", "", root, _parse_start)
        step_minutes = self._yaml_value(
            top, "step_minutes", "", root, _parse_positive_integer, DEFAULT_STEP_MINUTES
        )
        horizon_steps = self._yaml_value(top, "horizon_steps", "", root, _parse_positive_integer)
        if start is not None:
            settings.offset = start.tzinfo or UTC
            if step_minutes is not None and horizon_steps is not None:
                settings.grid = TimeGrid(start, step_minutes, horizon_steps)
        self._read_crossings(top.get("crossings"), settings)
        self._read_zones(top.get("zones"), settings)
        return settings

    def _read_crossings(self, listed: yaml.Node | None, settings: _Settings) -> None:
        if listed is None or listed.tag == _YAML_NULL or isinstance(listed, yaml.SequenceNode):
            settings.crossing_ids = set()
        first_entries: dict[str, tuple[int, int | None]] = {}
        for index, entry in enumerate(self._yaml_list(listed, "crossings")):
            path = f"crossings[{index}]"
            fields = self._yaml_mapping(entry, path)
            if fields is None:
                continue
            problems_before = len(self.problems)
            node_id = self._yaml_text(fields, "node", path, entry)
            if node_id is not None:
                line = _line(fields["node"])
                if settings.crossing_ids is not None:
                    settings.crossing_ids.add(node_id)
                settings.node_references.append((line, f"{path}.node", node_id))
                first_index, first_line = first_entries.setdefault(node_id, (index, line))
                if first_index != index:
                    self._report(
                        SCENARIO_FILE,
                        line,
                        f"{path}.node",
                        f"crossing '{node_id}' is listed twice (lines {first_line} and {line}): "
                        "merge the two entries into one with all their windows",
                    )
            country = self._yaml_text(fields, "country", path, entry)
            requires_clearance = self._yaml_value(
                fields, "requires_clearance", path, entry, _parse_bool, True
            )
            windows = self._read_windows(fields.get("windows"), f"{path}.windows", entry, settings)
            if (
                len(self.problems) == problems_before
                and node_id is not None
                and country is not None
                and requires_clearance is not None
            ):
                settings.crossings.append(
                    Crossing(node_id, country, requires_clearance, tuple(windows))
                )

    def _read_windows(
        self, listed: yaml.Node | None, path: str, crossing: yaml.Node, settings: _Settings
    ) -> list[Window]:
        if listed is None or listed.tag == _YAML_NULL:
            self._report(
                SCENARIO_FILE,
                _line(crossing),
                path,
                "no windows: list the crossing's windows, or write `windows: []` if it is closed",
            )
            return []
        parse_instant = partial(_parse_instant, offset=settings.offset)
        windows = []
        for index, entry in enumerate(self._yaml_list(listed, path)):
            window_path = f"{path}[{index}]"
            fields = self._yaml_mapping(entry, window_path)
            if fields is None:
                continue
            opens = self._yaml_value(fields, "open", window_path, entry, parse_instant)
            closes = self._yaml_value(fields, "close", window_path, entry, parse_instant)
            capacity = self._yaml_value(fields, "capacity", window_path, entry, _parse_count)
            if opens is None or closes is None:
                continue
            if closes <= opens:
                self._report(
                    SCENARIO_FILE,
                    _line(fields["close"]),
                    f"{window_path}.close",
                    (
                        "window closes before it opens"
                        if closes < opens
                        else "window closes as it opens, so nobody could cross"
                    )
                    + ": correct open or close",
                )
            elif capacity is not None:
                windows.append(Window(opens, closes, capacity))
        return windows

    def _read_zones(self, listed: yaml.Node | None, settings: _Settings) -> None:
        for index, entry in enumerate(self._yaml_list(listed, "zones")):
            path = f"zones[{index}]"
            fields = self._yaml_mapping(entry, path)
            if fields is None:
                continue
            problems_before = len(self.problems)
            name = self._yaml_text(fields, "name", path, entry)
            node_ids = []
            nodes_listed = fields.get("nodes")
            if nodes_listed is None or nodes_listed.tag == _YAML_NULL:
                self._report(
                    SCENARIO_FILE,
                    _line(entry),
                    f"{path}.nodes",
                    "no nodes: list the zone's nodes, or write `nodes: []`",
                )
            for node_index, item in enumerate(self._yaml_list(nodes_listed, f"{path}.nodes")):
                node_path = f"{path}.nodes[{node_index}]"
                node_id = self._yaml_scalar(item, node_path)
                if node_id is not None:
                    node_ids.append(node_id)
                    settings.node_references.append((_line(item), node_path, node_id))
            unsafe_from = self._yaml_value(
                fields,
                "unsafe_from",
                path,
                entry,
                partial(_parse_instant, offset=settings.offset),
            )
            if (
                len(self.problems) == problems_before
                and name is not None
                and unsafe_from is not None
            ):
                settings.zones.append(Zone(name, tuple(node_ids), unsafe_from))

    def _yaml_mapping(self, node: yaml.Node, path: str) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self._report(
                SCENARIO_FILE,
                _line(node),
                path or None,
                "expected `key: value` lines here: check the indentation",
            )
            return None
        fields: dict[str, yaml.Node] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            if key.value in fields:
                self._report(
                    SCENARIO_FILE,
                    _line(key),
                    _join(path, key.value),
                    f"'{key.value}' is given twice: keep one",
                )
            fields.setdefault(key.value, value)
        return fields

    def _yaml_list(self, node: yaml.Node | None, path: str) -> list[yaml.Node]:
        """The items of a list; an absent or empty value is an empty list."""
        if node is None or node.tag == _YAML_NULL:
            return []
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        self._report(SCENARIO_FILE, _line(node), path, "expected a list (`- ` items or `[...]`)")
        return []

    def _yaml_scalar(self, node: yaml.Node, path: str) -> str | None:
        """The value's text as written, so ids like ``007`` stay ids, not numbers."""
        if node.tag == _YAML_NULL:
            self._report(SCENARIO_FILE, _line(node), path, "no value: fill it in")
            return None
        if not isinstance(node, yaml.ScalarNode):
            self._report(
                SCENARIO_FILE, _line(node), path, "expected a single value, not a list or mapping"
            )
            return None
        text: str = node.value.strip()
        if not text:
            self._report(SCENARIO_FILE, _line(node), path, "no value: fill it in")
            return None
        return text

    def _yaml_text(
        self, fields: Mapping[str, yaml.Node], key: str, path: str, owner: yaml.Node
    ) -> str | None:
        """A required value's text; a missing key is reported at the line of its owner."""
        node = fields.get(key)
        if node is None:
            self._report(
                SCENARIO_FILE,
                _line(owner) if path else None,
                _join(path, key),
                f"missing: add `{key}: ...`",
            )
            return None
        return self._yaml_scalar(node, _join(path, key))

    def _yaml_value(
        self,
        fields: Mapping[str, yaml.Node],
        key: str,
        path: str,
        owner: yaml.Node,
        parse: Callable[[str], _T],
        default: _T | None = None,
    ) -> _T | None:
        """A parsed value; without a ``default`` the key is required."""
        node = fields.get(key)
        if default is not None and (node is None or node.tag == _YAML_NULL):
            return default
        text = self._yaml_text(fields, key, path, owner)
        if text is None or node is None:
            return None
        return self._checked(SCENARIO_FILE, _line(node), _join(path, key), parse, text)


def _line(node: yaml.Node) -> int | None:
    mark = node.start_mark
    return None if mark is None else mark.line + 1


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _unknown_node(node_id: str) -> str:
    return f"unknown node '{node_id}': add it to nodes.csv or correct the id"


# -- values ---------------------------------------------------------------------------------


def _quoted(text: str) -> str:
    if len(text) > _LONGEST_QUOTED_VALUE:
        text = text[: _LONGEST_QUOTED_VALUE - 3] + "..."
    return f"'{text}'"


def _parse_number(text: str) -> Fraction:
    """Exact, so that ``0.1`` hours or minutes are what the user wrote, not a binary float."""
    if text.isascii() and text.isdigit():
        return Fraction(int(text))  # most cells are whole numbers; this is 4x faster
    _, exponent_marker, exponent = text.lower().partition("e")
    if exponent_marker:
        try:
            too_large = abs(int(exponent)) > _LARGEST_EXPONENT
        except ValueError:
            too_large = False
        if too_large:
            raise _BadValueError(f"{_quoted(text)} is out of range: write an ordinary number")
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise _BadValueError(f"{_quoted(text)} is not a number: write it like 12 or 7.5") from None


def _parse_amount(text: str) -> Fraction:
    amount = _parse_number(text)
    if amount < 0:
        raise _BadValueError(f"{_quoted(text)} is negative: use 0 or more")
    return amount


def _parse_count(text: str) -> int:
    return math.floor(_parse_amount(text))


def _parse_positive_integer(text: str) -> int:
    number = _parse_number(text)
    if number.denominator != 1:
        raise _BadValueError(f"{_quoted(text)} is not a whole number: write it like 4")
    if number < 1:
        raise _BadValueError(f"{_quoted(text)} is too small: use 1 or more")
    return number.numerator


def _parse_priority(text: str) -> float:
    try:
        priority = float(text)
    except ValueError:
        priority = math.nan
    if not math.isfinite(priority) or priority <= 0:
        raise _BadValueError(
            f"{_quoted(text)} is not a positive number: write it like 1 or 2.5, "
            "or leave it empty for 1"
        )
    return priority


def _parse_coordinate(text: str, limit: int) -> float:
    try:
        degrees = float(text)
    except ValueError:
        degrees = math.nan
    if not -limit <= degrees <= limit:
        raise _BadValueError(
            f"{_quoted(text)} is not in decimal degrees between -{limit} and {limit}: "
            "write it like 32.6189"
        )
    return degrees


def _parse_kind(text: str) -> NodeKind:
    try:
        return NodeKind(text.lower())
    except ValueError:
        kinds = ", ".join(kind.value for kind in NodeKind)
        raise _BadValueError(f"unknown kind {_quoted(text)}: use one of {kinds}") from None


def _parse_bool(text: str) -> bool:
    word = text.lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise _BadValueError(
        f"{_quoted(text)} is not true or false: write true, false, yes, no, 1 or 0"
    )


def _parse_iso(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise _BadValueError(
            f"{_quoted(text)} is not an ISO 8601 instant: write it like {EXAMPLE_INSTANT}"
        ) from None


def _parse_instant(text: str, offset: tzinfo) -> datetime:
    instant = _parse_iso(text)
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=offset)


def _parse_start(text: str) -> datetime:
    """``start`` fixes the offset that naive instants elsewhere are read in, so it needs one."""
    start = _parse_iso(text)
    if start.tzinfo is None:
        raise _BadValueError(f"{_quoted(text)} has no UTC offset: add one, like {EXAMPLE_INSTANT}")
    return start


def _parse_clearance(text: str) -> frozenset[str] | None:
    if text == ALL_CROSSINGS:
        return None
    pieces = [piece.strip() for piece in text.split(CROSSING_SEPARATOR)]
    crossing_ids = frozenset(piece for piece in pieces if piece)
    if not crossing_ids:
        raise _BadValueError(
            f"names no crossing: leave it empty or write {ALL_CROSSINGS} for all crossings, "
            f"or list crossing ids separated by '{CROSSING_SEPARATOR}'"
        )
    if ALL_CROSSINGS in crossing_ids:
        raise _BadValueError(
            f"{ALL_CROSSINGS} (all crossings) cannot be combined with crossing ids: "
            "write one or the other"
        )
    return crossing_ids


# -- writing --------------------------------------------------------------------------------


def write_scenario(scenario: Scenario, folder: Path) -> None:
    """Write ``scenario`` as a minimal folder that :func:`read_scenario` reads back equal.

    Exceptions to equality, none of which a scenario read from files can have: a fraction with
    no finite decimal expansion is written rounded up at the 20th decimal place (rounding up
    keeps its derived steps and per-step capacities unchanged); a naive instant is written in
    ``start``'s offset and reads back aware; whitespace around ids and names is stripped. A
    household cleared for no crossing cannot be written, since an empty ``cleared_for`` means
    all crossings, and raises :class:`ValueError`.
    """
    folder.mkdir(parents=True, exist_ok=True)
    offset = scenario.grid.start.tzinfo

    def instant(value: datetime) -> str:
        return (value if value.tzinfo is not None else value.replace(tzinfo=offset)).isoformat()

    def optional_instant(value: datetime | None) -> str:
        return "" if value is None else instant(value)

    document = {
        "name": scenario.name,
        "start": instant(scenario.grid.start),
        "step_minutes": scenario.grid.step_minutes,
        "horizon_steps": scenario.grid.horizon_steps,
        "crossings": [
            {
                "node": crossing.node,
                "country": crossing.country,
                "requires_clearance": crossing.requires_clearance,
                "windows": [
                    {
                        "open": instant(window.open),
                        "close": instant(window.close),
                        "capacity": window.capacity,
                    }
                    for window in crossing.windows
                ],
            }
            for crossing in scenario.crossings
        ],
        "zones": [
            {"name": zone.name, "nodes": list(zone.nodes), "unsafe_from": instant(zone.unsafe_from)}
            for zone in scenario.zones
        ],
    }
    (folder / SCENARIO_FILE).write_text(
        yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    _write_csv(
        folder / NODES_FILE,
        (*NODE_COLUMNS, *NODE_OPTIONAL_COLUMNS),
        (
            (
                node.id,
                node.name,
                repr(node.lat),
                repr(node.lon),
                node.kind.value,
                "" if node.shelter_capacity is None else str(node.shelter_capacity),
            )
            for node in scenario.nodes
        ),
    )
    _write_csv(
        folder / EDGES_FILE,
        (*EDGE_COLUMNS, *EDGE_OPTIONAL_COLUMNS),
        (
            (
                road.source,
                road.target,
                _decimal_text(road.minutes),
                _decimal_text(road.capacity_per_hour),
                "false",
                optional_instant(road.unsafe_from),
            )
            for road in scenario.roads
        ),
    )
    _write_csv(
        folder / HOUSEHOLDS_FILE,
        (*HOUSEHOLD_COLUMNS, *HOUSEHOLD_OPTIONAL_COLUMNS),
        (
            (
                household.id,
                str(household.size),
                household.origin,
                optional_instant(household.ready_from),
                repr(household.priority),
                _clearance_text(household),
            )
            for household in scenario.households
        ),
    )


def _write_csv(path: Path, header: Sequence[str], rows: Iterator[Sequence[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _clearance_text(household: Household) -> str:
    if household.cleared_for is None:
        return ALL_CROSSINGS
    if not household.cleared_for:
        raise ValueError(
            f"household {household.id} is cleared for no crossing, which the minimal "
            "format cannot express"
        )
    return CROSSING_SEPARATOR.join(sorted(household.cleared_for))


def _decimal_text(value: Fraction) -> str:
    """Exact decimal text when there is one, so that a read-back fraction is equal."""
    if value.denominator == 1:
        return str(value.numerator)
    remainder, twos, fives = value.denominator, 0, 0
    while remainder % 2 == 0:
        remainder, twos = remainder // 2, twos + 1
    while remainder % 5 == 0:
        remainder, fives = remainder // 5, fives + 1
    places = max(twos, fives) if remainder == 1 else _INEXACT_DECIMAL_PLACES
    scaled = math.ceil(value * 10**places)
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}".rstrip("0").rstrip(".")
