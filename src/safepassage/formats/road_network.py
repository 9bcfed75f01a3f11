"""Real road networks (TNTP benchmark files, GeoJSON road lines) read into a neutral form.

Benchmarks and rehearsals need the size and shape of real roads, not a scenario: the network is
read here, on its own, and :mod:`safepassage.synthetic.network_scenario` puts crossings, a front
line and households on it. Columns are parsed with NumPy so that the largest public networks
(tens of thousands of links) read in a fraction of a second, and every problem in a file is
reported at once, as :class:`InputError`, like the scenario folder reader does.

Decisions, taken here once for every caller:

- TNTP coordinates are kept as the node file gives them. SiouxFalls and the Anaheim GeoJSON are
  longitude/latitude, but the Chicago and Philadelphia files are planar (state-plane feet,
  hundredths of miles): ``lat``/``lon`` then hold Y/X, and only their geometry means anything.
- Without a node file, nodes sit on a circle of radius 0.5 degrees around (0, 0) in id order,
  so that a generator still has a "periphery" to put crossings on, but no real geometry.
- TNTP ids are the node numbers as decimal text (``007`` in a file is the node ``7``). Without
  a node file the nodes are ``1..<NUMBER OF NODES>`` (the format numbers them densely), or the
  numbers the links name when the header does not say.
- A TNTP link line must carry at least ``init_node term_node capacity length free_flow_time``;
  later columns (B, power, speed, toll, type) are not used and not checked.
- Free-flow times of zero are how TNTP files mark centroid connectors: times (after
  ``time_unit_minutes``) below :data:`MIN_MINUTES` become that, so every road takes some time.
  Capacities of zero or less become 1 vehicle per hour, so no road is closed by accident.
  GeoJSON files are written by people rather than exported, so there a non-positive
  ``minutes`` or ``capacity_per_hour`` is reported instead.
- Self-loops are dropped: an evacuation never gains by driving in a circle. When the same
  directed pair is given twice, the link with the larger capacity is kept (the first one on a
  tie): it is the one a convoy would use.
- GeoJSON problems are reported with the feature's number (from 1) as the row, since JSON text
  has no rows a person would count.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from safepassage.formats.problems import InputError, Problem

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MIN_MINUTES = 0.1
"""Shortest road time kept: TNTP connectors with a free-flow time of 0 become this."""

MIN_CAPACITY_PER_HOUR = 1.0
"""Capacity given to TNTP links that state none (0 or less), so that none is closed."""
DEFAULT_SPEED_KMH = 40.0
"""Speed of a GeoJSON road without ``minutes``: a loaded convoy on mixed roads."""

DEFAULT_CAPACITY_PER_HOUR = 600.0
"""Vehicles per hour of a GeoJSON road without ``capacity_per_hour``: one slow lane."""

FALLBACK_RADIUS_DEGREES = 0.5
EARTH_RADIUS_KM = 6371.0088
COORDINATE_DECIMALS = 6
"""GeoJSON endpoints closer than about 0.1 m are one node."""

LINK_FIELDS = ("init_node", "term_node", "capacity", "length", "free_flow_time")
GEOJSON_SUFFIXES = frozenset({".geojson", ".json"})

_METADATA = re.compile(r"^<([^>]+)>(.*)$")
_END_OF_METADATA = "END OF METADATA"
_LONGEST_QUOTED_VALUE = 40
_LARGEST_NODE_NUMBER = 2**53
"""Beyond this a float no longer holds every whole number, so a node number is unreliable."""
_TRUE_WORDS = frozenset({"true", "yes", "1"})
_FALSE_WORDS = frozenset({"false", "no", "0"})


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """Nodes and directed roads of a real network, before any scenario is put on it.

    Checked at construction, like the domain model, so that a generator can build a valid
    :class:`~safepassage.model.Scenario` from any instance without checking again.
    ``eq=False``: the arrays make field-by-field equality ambiguous; compare arrays directly.
    ``lat``/``lon`` may be planar Y/X (see the module notes). ``capacity_per_hour`` counts
    vehicles, as the sources give it; the scenario generator turns it into persons.
    ``zones`` is the number of zone centroids, the nodes ``1..zones`` (0 if unknown).
    """

    name: str
    node_ids: tuple[str, ...]
    lat: FloatArray
    lon: FloatArray
    source: IntArray
    target: IntArray
    minutes: FloatArray
    capacity_per_hour: FloatArray
    zones: int

    def __post_init__(self) -> None:
        nodes, roads = len(self.node_ids), len(self.source)
        if len(set(self.node_ids)) != nodes:
            raise ValueError("node ids must be unique")
        if len(self.lat) != nodes or len(self.lon) != nodes:
            raise ValueError("lat and lon need one value per node")
        if not len(self.target) == len(self.minutes) == len(self.capacity_per_hour) == roads:
            raise ValueError(
                "source, target, minutes and capacity_per_hour need one value per road"
            )
        if roads and (
            min(int(self.source.min()), int(self.target.min())) < 0
            or max(int(self.source.max()), int(self.target.max())) >= nodes
        ):
            raise ValueError("a road names a node index outside node_ids")
        if np.any(self.source == self.target):
            raise ValueError("a road is a loop")
        if len(np.unique(self.source * nodes + self.target)) != roads:
            raise ValueError("two roads join the same ordered pair of nodes")
        if not np.all(self.minutes > 0) or not np.all(self.capacity_per_hour > 0):
            raise ValueError("road minutes and capacities must be positive")
        if not 0 <= self.zones <= nodes:
            raise ValueError("zones must be between 0 and the number of nodes")

    @property
    def node_count(self) -> int:
        return len(self.node_ids)

    @property
    def road_count(self) -> int:
        return len(self.source)


# -- TNTP -----------------------------------------------------------------------------------


def read_tntp(
    net_file: Path, node_file: Path | None = None, *, time_unit_minutes: float = 1.0
) -> RoadNetwork:
    """Read a TNTP ``*_net.tntp`` with its ``*_node.tntp`` (or GeoJSON points) if given.

    ``time_unit_minutes`` converts the file's free-flow times to minutes: SiouxFalls' times are
    0.01 h but are conventionally read as minutes, hence the default of 1.
    """
    if not time_unit_minutes > 0:
        raise ValueError("time_unit_minutes must be positive")
    problems: list[Problem] = []
    links = _read_tntp_links(net_file, problems)
    nodes = None if node_file is None else _read_node_file(node_file, problems)
    if links is None or (node_file is not None and nodes is None):
        raise InputError(problems)
    if nodes is None:
        nodes = _nodes_on_a_circle(links)
    source = _node_positions(links, links.init, nodes, "init_node", problems)
    target = _node_positions(links, links.term, nodes, "term_node", problems)
    if problems:
        raise InputError(problems)
    keep = source != target
    source, target = source[keep], target[keep]
    minutes = np.maximum(links.free_flow_time[keep] * time_unit_minutes, MIN_MINUTES)
    capacity = np.maximum(links.capacity[keep], MIN_CAPACITY_PER_HOUR)
    best = _best_of_duplicates(source, target, capacity, len(nodes.numbers))
    zones = min(links.zones, len(nodes.numbers))
    return RoadNetwork(
        name=re.sub(r"_net$", "", net_file.stem, flags=re.IGNORECASE),
        node_ids=tuple(str(number) for number in nodes.numbers.tolist()),
        lat=nodes.lat,
        lon=nodes.lon,
        source=source[best],
        target=target[best],
        minutes=minutes[best],
        capacity_per_hour=capacity[best],
        zones=zones,
    )


@dataclass(frozen=True)
class _Links:
    file: str
    lines: IntArray
    init: IntArray
    term: IntArray
    capacity: FloatArray
    free_flow_time: FloatArray
    zones: int
    declared_nodes: int | None


@dataclass(frozen=True)
class _Nodes:
    numbers: IntArray
    lat: FloatArray
    lon: FloatArray
    listed_in: str
    """Where the nodes come from, for messages about links naming other nodes."""


def _read_tntp_links(path: Path, problems: list[Problem]) -> _Links | None:
    text = _read_text(path, problems)
    if text is None:
        return None
    file = path.name
    lines = text.splitlines()
    end = next(
        (
            i
            for i, line in enumerate(lines)
            if line.strip().upper().startswith(f"<{_END_OF_METADATA}>")
        ),
        None,
    )
    if end is None:
        problems.append(
            Problem(
                file,
                None,
                None,
                f"no <{_END_OF_METADATA}> line: give a TNTP network file (*_net.tntp)",
            )
        )
        return None
    metadata = _read_metadata(file, lines[:end], problems)

    numbered = [
        (number, line.strip().rstrip(";").split())
        for number, line in enumerate(lines[end + 1 :], start=end + 2)
        if line.strip() and not line.lstrip().startswith("~")
    ]
    short = [(number, fields) for number, fields in numbered if len(fields) < len(LINK_FIELDS)]
    for number, fields in short:
        problems.append(
            Problem(
                file,
                number,
                LINK_FIELDS[len(fields)],
                f"the line has {len(fields)} value(s): a link needs "
                f"{' '.join(LINK_FIELDS)} (then b power speed toll link_type ;)",
            )
        )
    complete = [(number, fields) for number, fields in numbered if len(fields) >= len(LINK_FIELDS)]
    line_numbers = np.array([number for number, _ in complete], dtype=np.int64)
    values = _float_table(file, complete, LINK_FIELDS, problems)

    declared_links = metadata.get("NUMBER OF LINKS")
    if declared_links is not None and declared_links[1] != len(numbered):
        problems.append(
            Problem(
                file,
                declared_links[0],
                "<NUMBER OF LINKS>",
                f"the header says {declared_links[1]} links but {len(numbered)} link lines "
                "follow: the file may be cut short; download it again or correct the header",
            )
        )
    if values is None:
        return None
    init = _node_numbers(file, line_numbers, values[:, 0], "init_node", problems)
    term = _node_numbers(file, line_numbers, values[:, 1], "term_node", problems)
    for column, name in ((2, "capacity"), (4, "free_flow_time")):
        for number in line_numbers[~np.isfinite(values[:, column])].tolist():
            problems.append(
                Problem(file, number, name, "is not a finite number: write it like 1500 or 2.5")
            )
    declared_nodes = metadata.get("NUMBER OF NODES")
    zones = metadata.get("NUMBER OF ZONES")
    return _Links(
        file=file,
        lines=line_numbers,
        init=init,
        term=term,
        capacity=values[:, 2],
        free_flow_time=values[:, 4],
        zones=0 if zones is None else zones[1],
        declared_nodes=None if declared_nodes is None else declared_nodes[1],
    )


def _read_metadata(
    file: str, lines: list[str], problems: list[Problem]
) -> dict[str, tuple[int, int]]:
    """The whole-number header values, as ``key: (line, value)``; other keys are not needed."""
    counts: dict[str, tuple[int, int]] = {}
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("~"):
            continue
        match = _METADATA.match(stripped)
        if match is None:
            problems.append(
                Problem(
                    file,
                    number,
                    None,
                    "is neither `<KEY> value` nor a `~` comment: the metadata header ends "
                    f"with <{_END_OF_METADATA}>",
                )
            )
            continue
        key, value = match.group(1).strip().upper(), match.group(2).strip()
        if key in ("NUMBER OF ZONES", "NUMBER OF NODES", "NUMBER OF LINKS"):
            if value.isascii() and value.isdigit():
                counts[key] = (number, int(value))
            else:
                problems.append(
                    Problem(file, number, f"<{key}>", f"{_quoted(value)} is not a whole number")
                )
    return counts


def _float_table(
    file: str,
    rows: list[tuple[int, list[str]]],
    fields: tuple[str, ...],
    problems: list[Problem],
) -> FloatArray | None:
    """The first ``len(fields)`` values of every row as floats, or ``None`` after reporting.

    One NumPy conversion parses the whole table; only when it fails are cells parsed one by one,
    to find and report every bad one (and to accept whatever Python reads as a number).
    """
    width = len(fields)
    cells = [cell for _, row in rows for cell in row[:width]]
    try:
        return np.array(cells, dtype=np.float64).reshape(len(rows), width)
    except ValueError:
        pass
    table = np.empty((len(rows), width), dtype=np.float64)
    before = len(problems)
    for i, (number, row) in enumerate(rows):
        for j, (name, cell) in enumerate(zip(fields, row[:width], strict=False)):
            try:
                table[i, j] = float(cell)
            except ValueError:
                problems.append(Problem(file, number, name, f"{_quoted(cell)} is not a number"))
    return None if len(problems) > before else table


def _node_numbers(
    file: str, lines: IntArray, values: FloatArray, field: str, problems: list[Problem]
) -> IntArray:
    whole = (values >= 1) & (values <= _LARGEST_NODE_NUMBER) & (values == np.floor(values))
    for number, value in zip(lines[~whole].tolist(), values[~whole].tolist(), strict=True):
        problems.append(
            Problem(file, number, field, f"{value:g} is not a node number: use 1, 2, 3...")
        )
    return np.where(whole, values, 0).astype(np.int64)


def _nodes_on_a_circle(links: _Links) -> _Nodes:
    if links.declared_nodes is None:
        numbers = np.unique(np.concatenate([links.init, links.term]))
        listed_in = "the links"
    else:
        numbers = np.arange(1, links.declared_nodes + 1, dtype=np.int64)
        listed_in = f"1..{links.declared_nodes} (<NUMBER OF NODES>)"
    angle = 2 * np.pi * np.arange(len(numbers)) / max(1, len(numbers))
    return _Nodes(
        numbers,
        FALLBACK_RADIUS_DEGREES * np.sin(angle),
        FALLBACK_RADIUS_DEGREES * np.cos(angle),
        listed_in,
    )


def _node_positions(
    links: _Links, numbers: IntArray, nodes: _Nodes, field: str, problems: list[Problem]
) -> IntArray:
    """Index into ``nodes`` of every link end, reporting the numbers ``nodes`` lacks.

    Numbers already reported as malformed (0) are not reported again.
    """
    order = np.argsort(nodes.numbers, kind="stable")
    ranked = nodes.numbers[order]
    at = np.minimum(np.searchsorted(ranked, numbers), max(0, len(ranked) - 1))
    found = ranked[at] == numbers if len(ranked) else np.zeros(len(numbers), dtype=bool)
    missing = ~found & (numbers > 0)
    for line, number in zip(links.lines[missing].tolist(), numbers[missing].tolist(), strict=True):
        problems.append(
            Problem(
                links.file,
                line,
                field,
                f"node {number} is not in {nodes.listed_in}: add it there or correct the link",
            )
        )
    return np.where(found, order[at], 0).astype(np.int64)


def _best_of_duplicates(
    source: IntArray, target: IntArray, capacity: FloatArray, nodes: int
) -> IntArray:
    """Positions of the links kept, in file order: per directed pair, the largest capacity."""
    pair = source * nodes + target
    order = np.lexsort((-capacity, pair))
    first = np.ones(len(order), dtype=bool)
    first[1:] = pair[order][1:] != pair[order][:-1]
    return np.sort(order[first])


# -- node files -------------------------------------------------------------------------------


def _read_node_file(path: Path, problems: list[Problem]) -> _Nodes | None:
    if path.suffix.lower() in GEOJSON_SUFFIXES:
        return _read_geojson_nodes(path, problems)
    text = _read_text(path, problems)
    if text is None:
        return None
    file = path.name
    numbered = [
        (number, line.strip().rstrip(";").split())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("~")
    ]
    if numbered and numbered[0][1] and not _is_number(numbered[0][1][0]):
        numbered = numbered[1:]  # the `node X Y ;` header, which Philadelphia's file lacks
    for number, fields in numbered:
        if len(fields) < 3:
            problems.append(
                Problem(file, number, None, "a node line needs `node X Y`: add the missing values")
            )
    complete = [(number, fields) for number, fields in numbered if len(fields) >= 3]
    values = _float_table(file, complete, ("node", "X", "Y"), problems)
    if values is None:
        return None
    lines = np.array([number for number, _ in complete], dtype=np.int64)
    numbers = _node_numbers(file, lines, values[:, 0], "node", problems)
    for column, name in ((1, "X"), (2, "Y")):
        for number in lines[~np.isfinite(values[:, column])].tolist():
            problems.append(Problem(file, number, name, "is not a finite number"))
    _report_duplicates(file, numbers, lines.tolist(), "node", problems)
    return _Nodes(numbers, values[:, 2], values[:, 1], file)


def _report_duplicates(
    file: str, numbers: IntArray, lines: list[int], field: str, problems: list[Problem]
) -> None:
    first: dict[int, int] = {}
    for number, line in zip(numbers.tolist(), lines, strict=True):
        seen = first.setdefault(number, line)
        if seen != line and number > 0:  # 0: malformed, reported already
            problems.append(
                Problem(
                    file,
                    line,
                    field,
                    f"node {number} is listed twice (rows {seen} and {line}): keep one",
                )
            )


def _read_geojson_nodes(path: Path, problems: list[Problem]) -> _Nodes | None:
    """GeoJSON Points with an ``id`` property holding the TNTP node number."""
    collection = _read_collection(path, problems)
    if collection is None:
        return None
    file = path.name
    numbers: list[int] = []
    lats: list[float] = []
    lons: list[float] = []
    rows: list[int] = []
    for row, feature in enumerate(collection[1], start=1):
        geometry = feature.get("geometry")
        properties = feature.get("properties")
        node = properties.get("id") if isinstance(properties, dict) else None
        if isinstance(node, str) and node.isascii() and node.isdigit():
            node = int(node)
        if (
            not isinstance(node, int)
            or isinstance(node, bool)
            or not 1 <= node <= _LARGEST_NODE_NUMBER
        ):
            problems.append(
                Problem(file, row, "properties.id", "needs the TNTP node number, like 17")
            )
            continue
        position = (
            geometry.get("coordinates")
            if isinstance(geometry, dict) and geometry.get("type") == "Point"
            else None
        )
        point = _position(position)
        if point is None:
            problems.append(
                Problem(
                    file,
                    row,
                    "geometry",
                    "needs a Point with coordinates [lon, lat] in decimal degrees",
                )
            )
            continue
        numbers.append(node)
        lons.append(point[0])
        lats.append(point[1])
        rows.append(row)
    number_array = np.array(numbers, dtype=np.int64)
    _report_duplicates(file, number_array, rows, "properties.id", problems)
    return _Nodes(
        number_array, np.array(lats, dtype=np.float64), np.array(lons, dtype=np.float64), file
    )


# -- GeoJSON roads ----------------------------------------------------------------------------


def read_geojson_roads(path: Path) -> RoadNetwork:
    """Read a FeatureCollection of LineString / MultiLineString roads, ``[lon, lat]``.

    A feature is one road from its first to its last position. Optional properties: ``from`` and
    ``to`` (node ids), ``minutes`` (otherwise the great-circle length at ``speed_kmh``, or
    :data:`DEFAULT_SPEED_KMH`), ``capacity_per_hour`` (vehicles; otherwise
    :data:`DEFAULT_CAPACITY_PER_HOUR`) and ``oneway`` (default false: both directions).

    An endpoint without an id is the node with an id at the same position (to 6 decimals) if any
    feature names one there, else an unnamed node ``g0, g1, ...`` in order of appearance
    (skipping ids the file uses), so that roads drawn end to end join whichever way they are
    written.
    """
    problems: list[Problem] = []
    collection = _read_collection(path, problems)
    if collection is None:
        raise InputError(problems)
    name, features = collection
    file = path.name
    roads = [
        road
        for row, feature in enumerate(features, start=1)
        if (road := _geojson_road(file, row, feature, problems)) is not None
    ]
    if problems:
        raise InputError(problems)
    return _network_of_roads(name or path.stem, roads)


@dataclass(frozen=True)
class _GeoJsonRoad:
    ends: tuple[tuple[str | None, tuple[float, float]], tuple[str | None, tuple[float, float]]]
    minutes: float
    capacity: float
    oneway: bool


def _geojson_road(
    file: str, row: int, feature: dict[str, object], problems: list[Problem]
) -> _GeoJsonRoad | None:
    before = len(problems)

    def report(field: str, message: str) -> None:
        problems.append(Problem(file, row, field, message))

    properties = feature.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        report("properties", "must be an object of name: value pairs")
        return None
    lines = _line_parts(feature.get("geometry"), report)
    from_id, to_id = (
        _node_id(properties.get(key), f"properties.{key}", report) for key in ("from", "to")
    )
    minutes = _positive(properties.get("minutes"), "properties.minutes", report)
    speed = _positive(properties.get("speed_kmh"), "properties.speed_kmh", report)
    capacity = _positive(
        properties.get("capacity_per_hour"), "properties.capacity_per_hour", report
    )
    oneway = _oneway(properties.get("oneway"), report)
    if len(problems) > before or lines is None:
        return None
    if minutes is None:
        length = sum(_great_circle_km(line) for line in lines)
        minutes = length / (speed or DEFAULT_SPEED_KMH) * 60
    return _GeoJsonRoad(
        ((from_id, lines[0][0]), (to_id, lines[-1][-1])),
        max(minutes, MIN_MINUTES),
        capacity or DEFAULT_CAPACITY_PER_HOUR,
        oneway,
    )


def _line_parts(
    geometry: object, report: Callable[[str, str], None]
) -> list[list[tuple[float, float]]] | None:
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if kind == "LineString":
        parts = [coordinates]
    elif kind == "MultiLineString" and isinstance(coordinates, list) and coordinates:
        parts = coordinates
    else:
        report("geometry", "needs a LineString or MultiLineString")
        return None
    lines = []
    for part in parts:
        points = [_position(p) for p in part] if isinstance(part, list) else []
        known = [point for point in points if point is not None]
        if len(known) < 2 or len(known) < len(points):
            report(
                "geometry.coordinates",
                "a line needs two or more positions [lon, lat] in decimal degrees",
            )
            return None
        lines.append(known)
    return lines


def _node_id(value: object, field: str, report: Callable[[str, str], None]) -> str | None:
    if value is None:
        return None
    text = (
        str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    )
    if not text:
        report(field, "a node id is non-empty text or a whole number: correct it or leave it out")
        return None
    return text


def _positive(value: object, field: str, report: Callable[[str, str], None]) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        report(field, f"{_quoted(str(value))} is not a positive number: correct it or leave it out")
        return None
    return float(value)


def _oneway(value: object, report: Callable[[str, str], None]) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    word = str(value).strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word not in _FALSE_WORDS:
        report("properties.oneway", f"{_quoted(str(value))} is not true or false (or yes, no)")
    return False


def _network_of_roads(name: str, roads: list[_GeoJsonRoad]) -> RoadNetwork:
    named_at: dict[tuple[float, float], str] = {}
    for road in roads:
        for node_id, point in road.ends:
            if node_id is not None:
                named_at.setdefault(_rounded(point), node_id)
    taken = {node_id for road in roads for node_id, _ in road.ends if node_id is not None}
    index: dict[str, int] = {}
    points: list[tuple[float, float]] = []
    generated = 0

    def node(node_id: str | None, point: tuple[float, float]) -> int:
        nonlocal generated
        if node_id is None:
            key = _rounded(point)
            node_id = named_at.get(key)
            if node_id is None:
                while f"g{generated}" in taken:
                    generated += 1
                node_id = named_at[key] = f"g{generated}"
                taken.add(node_id)
        if node_id not in index:
            index[node_id] = len(points)
            points.append(point)
        return index[node_id]

    source: list[int] = []
    target: list[int] = []
    minutes: list[float] = []
    capacity: list[float] = []
    for road in roads:
        a, b = (node(node_id, point) for node_id, point in road.ends)
        if a == b:
            continue  # a loop: see the module notes
        for start, end in ((a, b),) if road.oneway else ((a, b), (b, a)):
            source.append(start)
            target.append(end)
            minutes.append(road.minutes)
            capacity.append(road.capacity)
    source_array = np.array(source, dtype=np.int64)
    target_array = np.array(target, dtype=np.int64)
    capacity_array = np.array(capacity, dtype=np.float64)
    best = _best_of_duplicates(source_array, target_array, capacity_array, len(index))
    coordinates = np.array(points, dtype=np.float64).reshape(-1, 2)
    return RoadNetwork(
        name=name,
        node_ids=tuple(index),
        lat=coordinates[:, 1].copy(),
        lon=coordinates[:, 0].copy(),
        source=source_array[best],
        target=target_array[best],
        minutes=np.array(minutes, dtype=np.float64)[best],
        capacity_per_hour=capacity_array[best],
        zones=0,
    )


def _rounded(point: tuple[float, float]) -> tuple[float, float]:
    return round(point[0], COORDINATE_DECIMALS), round(point[1], COORDINATE_DECIMALS)


def _great_circle_km(line: list[tuple[float, float]]) -> float:
    lon, lat = np.radians(np.array(line, dtype=np.float64)).T
    half = np.sin(np.diff(lat) / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * (
        np.sin(np.diff(lon) / 2) ** 2
    )
    return float(np.sum(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(half, 1.0)))))


# -- shared -------------------------------------------------------------------------------------


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem(str(path), None, None, "file is missing: check the path"))
        return None
    except OSError as error:
        problems.append(
            Problem(str(path), None, None, f"cannot be read ({error.strerror}): check it")
        )
        return None
    # A bad byte lands in some value, which is then reported at its line as not a number.
    return data.decode("utf-8-sig", errors="replace")


def _read_collection(
    path: Path, problems: list[Problem]
) -> tuple[str | None, list[dict[str, object]]] | None:
    """The collection's ``name`` member, if it has one, and its features."""
    text = _read_text(path, problems)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        problems.append(
            Problem(path.name, error.lineno, None, f"is not valid JSON ({error.msg}): fix it")
        )
        return None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list) or data.get("type") != "FeatureCollection":
        problems.append(
            Problem(path.name, None, None, "is not a GeoJSON FeatureCollection with `features`")
        )
        return None
    odd = [row for row, feature in enumerate(features, start=1) if not isinstance(feature, dict)]
    for row in odd:
        problems.append(Problem(path.name, row, None, "a feature must be a JSON object"))
    if odd:
        return None
    name = data.get("name")
    return (name if isinstance(name, str) and name.strip() else None), features


def _position(value: object) -> tuple[float, float] | None:
    """``[lon, lat]`` in degrees (a third value, the height, is allowed and ignored)."""
    if not isinstance(value, list) or len(value) < 2:
        return None
    lon, lat = value[0], value[1]
    for number in (lon, lat):
        if isinstance(number, bool) or not isinstance(number, int | float):
            return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return float(lon), float(lat)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _quoted(text: str) -> str:
    if len(text) > _LONGEST_QUOTED_VALUE:
        text = text[: _LONGEST_QUOTED_VALUE - 3] + "..."
    return f"'{text}'"
