"""The ``futures`` of a scenario folder: the alternatives a crisis cell thinks possible.

Read from ``scenario.yaml`` after the nominal scenario, since a future only names what differs
from it (a zone's fall, a crossing's windows, a cut road) and every name must exist there. As
everywhere, every problem is reported at once with its line, field and what to do.

Decisions the contract leaves open, taken here (the stricter reading):

- A zone is named by its ``name``; a name that several nominal zones share cannot be named by
  a future, since which of them moves would be a guess.
- A future naming the same zone, crossing or road twice is refused rather than one entry
  silently winning.
- A road cut names a directed road ``from -> to`` of the nominal files; when ``edges.csv``
  gave that road as bidirectional, both directions are cut (the contract's words). A cut road
  takes the earlier of its own ``unsafe_from`` and the cut.
- Instants without an offset take the offset of ``start``, as in the rest of the file.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TypeVar

import yaml

from safepassage.formats.problems import InputError, Problem
from safepassage.model import Scenario, Window
from safepassage.model.futures import PROBABILITY_TOLERANCE, Future, RoadCut

SCENARIO_FILE = "scenario.yaml"
EDGES_FILE = "edges.csv"
EXAMPLE_INSTANT = "2018-07-21T21:30:00+03:00"
_NULL = "tag:yaml.org,2002:null"
_TRUE_WORDS = frozenset({"true", "1", "yes"})

_T = TypeVar("_T")


class _BadValue(Exception):
    """A value that cannot be used; the message says what is wrong and what to do."""


def read_futures(folder: Path, scenario: Scenario) -> tuple[Future, ...]:
    """The folder's futures, checked against ``scenario``; empty when it lists none."""
    text = (folder / SCENARIO_FILE).read_text(encoding="utf-8-sig")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return ()
    listed = next((v for k, v in root.value if k.value == "futures"), None)
    if listed is None or listed.tag == _NULL:
        return ()
    reader = _FuturesReader(scenario, _bidirectional_pairs(folder))
    futures = reader.read(listed)
    if reader.problems:
        raise InputError(reader.problems)
    return futures


def _bidirectional_pairs(folder: Path) -> frozenset[frozenset[str]]:
    """Pairs of nodes joined by a bidirectional ``edges.csv`` row (the reader checked it)."""
    pairs = set()
    text = (folder / EDGES_FILE).read_text(encoding="utf-8-sig")
    rows = csv.reader(io.StringIO(text))
    header = [name.strip().lower() for name in next(rows, [])]
    for cells in rows:
        row = dict(zip(header, (cell.strip() for cell in cells), strict=False))
        if row.get("from") and row.get("to"):
            flag = row.get("bidirectional", "")
            if not flag or flag.lower() in _TRUE_WORDS:
                pairs.add(frozenset((row["from"], row["to"])))
    return frozenset(pairs)


class _FuturesReader:
    def __init__(self, scenario: Scenario, bidirectional: frozenset[frozenset[str]]) -> None:
        self.scenario = scenario
        self.bidirectional = bidirectional
        self.offset: tzinfo = scenario.grid.start.tzinfo or UTC
        self.zone_names = [zone.name for zone in scenario.zones]
        self.problems: list[Problem] = []

    def report(self, node: yaml.Node, field: str, message: str) -> None:
        self.problems.append(Problem(SCENARIO_FILE, node.start_mark.line + 1, field, message))

    def read(self, listed: yaml.Node) -> tuple[Future, ...]:
        if not isinstance(listed, yaml.SequenceNode):
            self.report(listed, "futures", "expected a list of futures, each starting with '- '")
            return ()
        futures = []
        names: dict[str, int] = {}
        total = 0.0
        for index, entry in enumerate(listed.value):
            path = f"futures[{index}]"
            fields = self.mapping(entry, path)
            if fields is None:
                continue
            before = len(self.problems)
            name = self.scalar(fields, "name", path, entry)
            if name is not None and names.setdefault(name, index) != index:
                self.report(entry, f"{path}.name", f"future '{name}' is named twice: rename one")
            probability = self.value(fields, "probability", path, entry, _probability)
            zone_falls = self.zones(fields.get("zones"), path)
            windows = self.crossings(fields.get("crossings"), path)
            cuts = self.cuts(fields.get("roads_cut"), path)
            if probability is not None:
                total += probability
            if len(self.problems) == before and name is not None and probability is not None:
                futures.append(Future(name, probability, zone_falls, windows, cuts))
        if futures and len(futures) == len(listed.value) and abs(total - 1) > PROBABILITY_TOLERANCE:
            self.report(
                listed,
                "futures",
                f"the probabilities sum to {total:.12g}, not 1: correct them so that they do",
            )
        return tuple(futures)

    def zones(self, listed: yaml.Node | None, path: str) -> tuple[tuple[str, datetime | None], ...]:
        falls: list[tuple[str, datetime | None]] = []
        for index, entry in enumerate(self.sequence(listed, f"{path}.zones")):
            where = f"{path}.zones[{index}]"
            fields = self.mapping(entry, where)
            if fields is None:
                continue
            name = self.scalar(fields, "name", where, entry)
            known, instant = self.fall(fields, where, entry)
            if name is None:
                continue
            count = self.zone_names.count(name)
            if count == 0:
                self.report(
                    entry,
                    f"{where}.name",
                    f"no zone '{name}' in the nominal zones: "
                    "correct the name or add the zone to zones",
                )
            elif count > 1:
                self.report(
                    entry,
                    f"{where}.name",
                    f"{count} nominal zones are named '{name}': "
                    "give each zone its own name so that a future can name one",
                )
            elif any(zone == name for zone, _ in falls):
                self.report(entry, f"{where}.name", f"zone '{name}' is listed twice: keep one")
            elif known:
                falls.append((name, instant))
        return tuple(falls)

    def crossings(
        self, listed: yaml.Node | None, path: str
    ) -> tuple[tuple[str, tuple[Window, ...]], ...]:
        replaced: list[tuple[str, tuple[Window, ...]]] = []
        for index, entry in enumerate(self.sequence(listed, f"{path}.crossings")):
            where = f"{path}.crossings[{index}]"
            fields = self.mapping(entry, where)
            if fields is None:
                continue
            node = self.scalar(fields, "node", where, entry)
            windows = self.windows(fields.get("windows"), f"{where}.windows", entry)
            if node is None or windows is None:
                continue
            if node not in self.scenario.crossing_by_node:
                self.report(
                    entry,
                    f"{where}.node",
                    f"'{node}' is not a crossing of the nominal "
                    "scenario: name one of its crossings' nodes",
                )
            elif any(known == node for known, _ in replaced):
                self.report(
                    entry,
                    f"{where}.node",
                    f"crossing '{node}' is listed twice: merge the two entries",
                )
            else:
                replaced.append((node, windows))
        return tuple(replaced)

    def windows(
        self, listed: yaml.Node | None, path: str, owner: yaml.Node
    ) -> tuple[Window, ...] | None:
        if listed is None or listed.tag == _NULL:
            self.report(
                owner,
                path,
                "no windows: list the crossing's windows in this future, "
                "or write `windows: []` if it does not open",
            )
            return None
        windows = []
        complete = True
        for index, entry in enumerate(self.sequence(listed, path)):
            where = f"{path}[{index}]"
            fields = self.mapping(entry, where)
            if fields is None:
                complete = False
                continue
            opens = self.value(fields, "open", where, entry, self.instant)
            closes = self.value(fields, "close", where, entry, self.instant)
            capacity = self.value(fields, "capacity", where, entry, _count)
            if opens is None or closes is None or capacity is None:
                complete = False
            elif closes <= opens:
                self.report(
                    entry,
                    f"{where}.close",
                    "window closes before or as it opens: correct open or close",
                )
                complete = False
            else:
                windows.append(Window(opens, closes, capacity))
        return tuple(windows) if complete else None

    def cuts(self, listed: yaml.Node | None, path: str) -> tuple[RoadCut, ...]:
        cuts: list[RoadCut] = []
        seen: set[tuple[str, str]] = set()
        for index, entry in enumerate(self.sequence(listed, f"{path}.roads_cut")):
            where = f"{path}.roads_cut[{index}]"
            fields = self.mapping(entry, where)
            if fields is None:
                continue
            source = self.scalar(fields, "from", where, entry)
            target = self.scalar(fields, "to", where, entry)
            at = self.value(fields, "at", where, entry, self.instant)
            if source is None or target is None or at is None:
                continue
            if (source, target) not in self.scenario.roads_between:
                self.report(
                    entry,
                    where,
                    f"no road from '{source}' to '{target}' in edges.csv: correct from and to",
                )
                continue
            directions = [(source, target)]
            if frozenset((source, target)) in self.bidirectional:
                directions.append((target, source))
            if (source, target) in seen:
                self.report(entry, where, f"the road '{source}'-'{target}' is cut twice: keep one")
                continue
            seen.update(directions)
            cuts.extend(RoadCut(a, b, at) for a, b in directions)
        return tuple(cuts)

    # -- YAML shapes ------------------------------------------------------------------------

    def mapping(self, node: yaml.Node, path: str) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.report(node, path, "expected `key: value` lines here: check the indentation")
            return None
        fields: dict[str, yaml.Node] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in fields:
                    self.report(
                        key, f"{path}.{key.value}", f"'{key.value}' is given twice: keep one"
                    )
                fields.setdefault(key.value, value)
        return fields

    def sequence(self, node: yaml.Node | None, path: str) -> list[yaml.Node]:
        if node is None or node.tag == _NULL:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.report(node, path, "expected a list here, each item starting with '- '")
            return []
        return list(node.value)

    def scalar(
        self, fields: dict[str, yaml.Node], key: str, path: str, owner: yaml.Node
    ) -> str | None:
        node = fields.get(key)
        if (
            node is None
            or node.tag == _NULL
            or (isinstance(node, yaml.ScalarNode) and not node.value)
        ):
            self.report(owner, f"{path}.{key}", f"missing {key}: add it")
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.report(node, f"{path}.{key}", f"{key} must be a single value")
            return None
        return str(node.value)

    def value(
        self,
        fields: dict[str, yaml.Node],
        key: str,
        path: str,
        owner: yaml.Node,
        parse: Callable[[str], _T],
    ) -> _T | None:
        text = self.scalar(fields, key, path, owner)
        if text is None:
            return None
        try:
            return parse(text)
        except _BadValue as error:
            self.report(fields[key], f"{path}.{key}", str(error))
            return None

    def fall(
        self, fields: dict[str, yaml.Node], path: str, owner: yaml.Node
    ) -> tuple[bool, datetime | None]:
        """A zone's ``unsafe_from`` in a future: ``(False, None)`` if unusable (reported),
        ``(True, None)`` if left empty (the zone does not fall), else the instant."""
        node = fields.get("unsafe_from")
        if node is None:
            self.report(
                owner,
                f"{path}.unsafe_from",
                "missing unsafe_from: give the instant, or leave it empty (`unsafe_from:`) if "
                "the zone does not fall in this future",
            )
            return False, None
        if node.tag == _NULL or (isinstance(node, yaml.ScalarNode) and node.value == ""):
            return True, None
        instant = self.value(fields, "unsafe_from", path, owner, self.instant)
        return instant is not None, instant

    def instant(self, text: str) -> datetime:
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            raise _BadValue(
                f"'{text[:40]}' is not an ISO 8601 instant: write it like {EXAMPLE_INSTANT}"
            ) from None
        return instant if instant.tzinfo is not None else instant.replace(tzinfo=self.offset)


def _probability(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise _BadValue(f"'{text[:40]}' is not a number: write it like 0.25") from None
    if not (math.isfinite(number) and 0 < number <= 1):
        raise _BadValue(f"'{text[:40]}' is not a probability above 0 and at most 1")
    return number


def _count(text: str) -> int:
    try:
        number = float(text)
    except ValueError:
        raise _BadValue(f"'{text[:40]}' is not a number of persons: write it like 120") from None
    if not math.isfinite(number) or number < 0:
        raise _BadValue(f"'{text[:40]}' is not a number of persons of 0 or more")
    return math.floor(number)
