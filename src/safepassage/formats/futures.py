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
from datetime import UTC, datetime
from pathlib import Path

import yaml

from safepassage.formats.problems import InputError
from safepassage.formats.yaml_fields import NULL, YamlFields, parse_probability, top_level
from safepassage.model import Scenario, Window
from safepassage.model.futures import PROBABILITY_TOLERANCE, Future, RoadCut

SCENARIO_FILE = "scenario.yaml"
EDGES_FILE = "edges.csv"
_TRUE_WORDS = frozenset({"true", "1", "yes"})


def read_futures(folder: Path, scenario: Scenario) -> tuple[Future, ...]:
    """The folder's listed futures, checked against ``scenario``; empty when it lists none."""
    listed = top_level((folder / SCENARIO_FILE).read_text(encoding="utf-8-sig"), "futures")
    if listed is None:
        return ()
    reader = _FuturesReader(scenario, bidirectional_pairs(folder))
    futures = reader.read(listed)
    if reader.problems:
        raise InputError(reader.problems)
    return futures


def bidirectional_pairs(folder: Path) -> frozenset[frozenset[str]]:
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


class _FuturesReader(YamlFields):
    def __init__(self, scenario: Scenario, bidirectional: frozenset[frozenset[str]]) -> None:
        super().__init__(scenario.grid.start.tzinfo or UTC)
        self.scenario = scenario
        self.bidirectional = bidirectional
        self.zone_names = [zone.name for zone in scenario.zones]

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
            probability = self.value(fields, "probability", path, entry, parse_probability)
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
        if node.tag == NULL or (isinstance(node, yaml.ScalarNode) and node.value == ""):
            return True, None
        instant = self.value(fields, "unsafe_from", path, owner, self.instant)
        return instant is not None, instant
