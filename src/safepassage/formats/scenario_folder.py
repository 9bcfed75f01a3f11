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
import math
from collections.abc import Iterator, Sequence
from datetime import datetime, tzinfo
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import TypeVar

import yaml

from safepassage.formats import scenario_values as values
from safepassage.formats.problems import InputError, Problem
from safepassage.formats.scenario_settings import (
    SCENARIO_FILE,
    WORDING,
    SettingsReader,
    unknown_node,
)
from safepassage.formats.scenario_values import ALL_CROSSINGS, CROSSING_SEPARATOR
from safepassage.formats.tables import (
    Header,
    Row,
    Table,
    csv_rows,
    header_text,
    open_table,
    read_text,
)
from safepassage.model import Household, Node, Road, Scenario

NODES_FILE = "nodes.csv"
EDGES_FILE = "edges.csv"
HOUSEHOLDS_FILE = "households.csv"

NODE_COLUMNS = ("id", "name", "lat", "lon", "kind")
NODE_OPTIONAL_COLUMNS = ("shelter_capacity",)
EDGE_COLUMNS = ("from", "to", "minutes", "capacity_per_hour")
EDGE_OPTIONAL_COLUMNS = ("bidirectional", "unsafe_from")
HOUSEHOLD_COLUMNS = ("id", "size", "origin", "ready_from", "priority")
HOUSEHOLD_OPTIONAL_COLUMNS = ("cleared_for",)

_FILE_ORDER = {
    name: position
    for position, name in enumerate((SCENARIO_FILE, NODES_FILE, EDGES_FILE, HOUSEHOLDS_FILE))
}
_INEXACT_DECIMAL_PLACES = 20
_HEADER = Header(
    missing="missing column(s) {missing}: the header must be `{header}`",
    wrong_width="row has {cells} cells but the header has {width} columns: make every row "
    "match the header (quote cells that contain commas)",
    duplicate="column '{column}' appears twice: keep one",
)

_T = TypeVar("_T")


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


class _FolderReader:
    """The three CSV files on the table core, and the references between all four files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.problems: list[Problem] = []

    def read(self) -> Scenario:
        settings = SettingsReader(self.folder, self.problems).read()
        nodes, node_ids = self._read_nodes()
        if node_ids is not None:
            for line, path, node_id in settings.node_references:
                if node_id not in node_ids:
                    self.problems.append(Problem(SCENARIO_FILE, line, path, unknown_node(node_id)))
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

    def _open(self, file: str, required: Sequence[str], optional: Sequence[str]) -> Table | None:
        text = read_text(
            self.folder / file,
            file,
            WORDING,
            self.problems,
            expected=f"with the header `{header_text(required, optional)}`",
        )
        if text is None:
            return None
        rows = csv_rows(file, text, WORDING, self.problems)
        return open_table(file, rows, required, optional, _HEADER, self.problems)

    def _unique_id(
        self, table: Table, what: str, value: str | None, row: int, first_rows: dict[str, int]
    ) -> None:
        if value is None:
            return
        first_row = first_rows.setdefault(value, row)
        if first_row != row:
            table.report(
                row,
                "id",
                f"duplicate {what} id '{value}' (rows {first_row} and {row}): "
                f"give each {what} its own id",
            )

    def _node_cell(
        self, table: Table, row: Row, column: str, node_ids: set[str] | None
    ) -> str | None:
        node_id = table.value(row, column, str, required=True)
        if node_id is not None and node_ids is not None and node_id not in node_ids:
            table.report(row.number, column, unknown_node(node_id))
        return node_id

    # -- nodes.csv --------------------------------------------------------------------------

    def _read_nodes(self) -> tuple[list[Node], set[str] | None]:
        """The nodes, and the ids usable for references (``None``: the file is unusable). A
        malformed row still makes its id known, so references to it are not reported too."""
        table = self._open(NODES_FILE, NODE_COLUMNS, NODE_OPTIONAL_COLUMNS)
        if table is None or "id" not in table.columns:
            return [], None
        id_index = table.columns["id"]
        known_ids: set[str] = set()
        first_rows: dict[str, int] = {}
        nodes = []
        for row in table.rows:
            if id_index < len(row.cells) and row.cells[id_index]:
                known_ids.add(row.cells[id_index])
            if not table.fits(row):
                continue
            problems_before = len(self.problems)
            node_id = table.value(row, "id", str, required=True)
            self._unique_id(table, "node", node_id, row.number, first_rows)
            name_index = table.columns.get("name")
            name = None if name_index is None else row.cells[name_index]
            lat = table.value(row, "lat", partial(values.coordinate, limit=90), required=True)
            lon = table.value(row, "lon", partial(values.coordinate, limit=180), required=True)
            kind = table.value(row, "kind", values.kind, required=True)
            shelter = table.value(row, "shelter_capacity", values.count)
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
        table = self._open(EDGES_FILE, EDGE_COLUMNS, EDGE_OPTIONAL_COLUMNS)
        if table is None:
            return []
        instant = partial(values.instant, offset=offset)
        first_seen: dict[tuple[str, str], tuple[int, Road]] = {}
        reported_conflicts: set[tuple[int, int]] = set()
        for row in table.records():
            problems_before = len(self.problems)
            source = self._node_cell(table, row, "from", node_ids)
            target = self._node_cell(table, row, "to", node_ids)
            if source is not None and source == target:
                table.report(
                    row.number,
                    "to",
                    f"road from '{source}' to itself: a road must join two different nodes; "
                    "correct from or to",
                )
            minutes = table.value(row, "minutes", values.amount, required=True)
            capacity = table.value(row, "capacity_per_hour", values.amount, required=True)
            bidirectional = table.value(row, "bidirectional", values.truth, True)
            unsafe_from = table.value(row, "unsafe_from", instant)
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
                    (each.source, each.target), (row.number, each)
                )
                if earlier != each and (earlier_row, row.number) not in reported_conflicts:
                    reported_conflicts.add((earlier_row, row.number))
                    table.report(
                        row.number,
                        None,
                        f"conflicting duplicate road {each.source}->{each.target} "
                        f"(rows {earlier_row} and {row.number}): keep one row, or set "
                        "bidirectional=false",
                    )
        return [road for _, road in first_seen.values()]

    # -- households.csv ---------------------------------------------------------------------

    def _read_households(
        self, node_ids: set[str] | None, crossing_ids: set[str] | None, offset: tzinfo
    ) -> list[Household]:
        table = self._open(HOUSEHOLDS_FILE, HOUSEHOLD_COLUMNS, HOUSEHOLD_OPTIONAL_COLUMNS)
        if table is None:
            return []
        instant = partial(values.instant, offset=offset)
        first_rows: dict[str, int] = {}
        households = []
        for row in table.records():
            problems_before = len(self.problems)
            household_id = table.value(row, "id", str, required=True)
            self._unique_id(table, "household", household_id, row.number, first_rows)
            size = table.value(row, "size", values.positive_integer, required=True)
            origin = self._node_cell(table, row, "origin", node_ids)
            ready_from = table.value(row, "ready_from", instant)
            priority = table.value(row, "priority", values.priority, 1.0)
            cleared_for = table.value(row, "cleared_for", values.clearance)
            if cleared_for is not None and crossing_ids is not None:
                for crossing_id in sorted(cleared_for - crossing_ids):
                    table.report(
                        row.number,
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
