"""The ``uncertainty`` section of scenario.yaml: laws to draw futures from.

Where a crisis cell knows ranges rather than a short list of alternatives:

```yaml
uncertainty:
  zones:        # a triangular law for each zone's fall
    - {name: Nawa, earliest: ..., most_likely: ..., latest: ...}
  crossings:    # per window, independently
    - node: golan
      opens_late: {probability: 0.3, up_to_minutes: 240}
      closes_early: {probability: 0.2, up_to_minutes: 120}
      fewer_places: {probability: 0.2, down_to_share: 0.5}
      not_open: 0.05
      may_open: {probability: 0.05, windows: [{open: ..., close: ..., capacity: ...}]}
  roads_cut:    # cut with a probability, at a uniform instant between earliest and latest
    - {from: a, to: b, probability: 0.1, earliest: ..., latest: ...}
```

A scenario gives either listed ``futures`` or an ``uncertainty`` law, not both: with both,
which one a figure came from would be a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from safepassage.formats.futures import bidirectional_pairs, read_futures
from safepassage.formats.problems import InputError, Problem
from safepassage.formats.yaml_fields import BadValue, YamlFields, top_level
from safepassage.model import Scenario, Window
from safepassage.model.futures import Future
from safepassage.model.uncertainty import (
    Chance,
    CrossingLaw,
    FutureLaw,
    RoadCutLaw,
    ZoneFallLaw,
)

SCENARIO_FILE = "scenario.yaml"


@dataclass(frozen=True)
class Uncertainty:
    """What a scenario folder says of its futures: a list, a law, or nothing."""

    futures: tuple[Future, ...] = ()
    law: FutureLaw = field(default_factory=FutureLaw)

    @property
    def empty(self) -> bool:
        return not self.futures and self.law.empty


def read_uncertainty(folder: Path, scenario: Scenario) -> Uncertainty:
    """The folder's futures or law, every problem of both sections reported at once."""
    text = (folder / SCENARIO_FILE).read_text(encoding="utf-8-sig")
    problems: list[Problem] = []
    futures: tuple[Future, ...] = ()
    try:
        futures = read_futures(folder, scenario)
    except InputError as error:
        problems.extend(error.problems)
    law = FutureLaw()
    section = top_level(text, "uncertainty")
    if section is not None:
        reader = _LawReader(scenario, bidirectional_pairs(folder))
        law = reader.read(section)
        problems.extend(reader.problems)
        if top_level(text, "futures") is not None:
            problems.append(
                Problem(
                    SCENARIO_FILE,
                    section.start_mark.line + 1,
                    "uncertainty",
                    "both futures and uncertainty are given: keep the list of futures or the "
                    "law to sample them from, not both",
                )
            )
    if problems:
        raise InputError(problems)
    return Uncertainty(futures, law)


def _share(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise BadValue(f"'{text[:40]}' is not a share: write it like 0.5") from None
    if not 0 <= number <= 1:
        raise BadValue(f"'{text[:40]}' is not a share between 0 and 1")
    return number


def _minutes(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise BadValue(f"'{text[:40]}' is not a number of minutes: write it like 120") from None
    if not number >= 0:
        raise BadValue(f"'{text[:40]}' is not a number of minutes of 0 or more")
    return number


class _LawReader(YamlFields):
    def __init__(self, scenario: Scenario, bidirectional: frozenset[frozenset[str]]) -> None:
        super().__init__(scenario.grid.start.tzinfo or UTC)
        self.scenario = scenario
        self.bidirectional = bidirectional

    def read(self, section: yaml.Node) -> FutureLaw:
        fields = self.mapping(section, "uncertainty")
        if fields is None:
            return FutureLaw()
        return FutureLaw(
            zones=self.zones(fields.get("zones")),
            crossings=self.crossings(fields.get("crossings")),
            roads=self.roads(fields.get("roads_cut")),
        )

    def zones(self, listed: yaml.Node | None) -> tuple[ZoneFallLaw, ...]:
        laws: list[ZoneFallLaw] = []
        names = [zone.name for zone in self.scenario.zones]
        for index, entry in enumerate(self.sequence(listed, "uncertainty.zones")):
            path = f"uncertainty.zones[{index}]"
            fields = self.mapping(entry, path)
            if fields is None:
                continue
            name = self.scalar(fields, "name", path, entry)
            instants = [
                self.value(fields, key, path, entry, self.instant)
                for key in ("earliest", "most_likely", "latest")
            ]
            if name is not None and names.count(name) != 1:
                self.report(
                    entry,
                    f"{path}.name",
                    f"'{name}' does not name exactly one nominal zone: correct the name, or "
                    "give each zone its own name",
                )
            elif name is not None and any(law.zone == name for law in laws):
                self.report(entry, f"{path}.name", f"zone '{name}' is listed twice: keep one")
            elif name is not None and None not in instants:
                earliest, likely, latest = instants
                assert earliest is not None and likely is not None and latest is not None
                if earliest <= likely <= latest:
                    laws.append(ZoneFallLaw(name, earliest, likely, latest))
                else:
                    self.report(
                        entry,
                        path,
                        "earliest, most_likely and latest are out of order: write them so that "
                        "earliest <= most_likely <= latest",
                    )
        return tuple(laws)

    def crossings(self, listed: yaml.Node | None) -> tuple[CrossingLaw, ...]:
        laws: list[CrossingLaw] = []
        for index, entry in enumerate(self.sequence(listed, "uncertainty.crossings")):
            path = f"uncertainty.crossings[{index}]"
            fields = self.mapping(entry, path)
            if fields is None:
                continue
            before = len(self.problems)
            node = self.scalar(fields, "node", path, entry)
            late = self.chance(fields, "opens_late", path, "up_to_minutes", _minutes)
            early = self.chance(fields, "closes_early", path, "up_to_minutes", _minutes)
            fewer = self.chance(fields, "fewer_places", path, "down_to_share", _share)
            shut = 0.0
            if "not_open" in fields:
                shut = self.value(fields, "not_open", path, entry, _share) or 0.0
            may_open = self.may_open(fields.get("may_open"), f"{path}.may_open")
            if node is not None and node not in self.scenario.crossing_by_node:
                self.report(
                    entry,
                    f"{path}.node",
                    f"'{node}' is not a crossing of the nominal scenario: name one of its "
                    "crossings' nodes",
                )
            elif node is not None and any(law.node == node for law in laws):
                self.report(entry, f"{path}.node", f"crossing '{node}' is listed twice: merge")
            elif node is not None and len(self.problems) == before:
                laws.append(CrossingLaw(node, late, early, fewer, shut, may_open))
        return tuple(laws)

    def chance(
        self,
        fields: dict[str, yaml.Node],
        key: str,
        path: str,
        extent_key: str,
        parse_extent: Callable[[str], float],
    ) -> Chance | None:
        node = fields.get(key)
        if node is None:
            return None
        inner = self.mapping(node, f"{path}.{key}")
        if inner is None:
            return None
        where = f"{path}.{key}"
        probability = self.value(inner, "probability", where, node, _share)
        extent = self.value(inner, extent_key, where, node, parse_extent)
        if probability is None or extent is None:
            return None
        return Chance(probability, extent)

    def may_open(
        self, node: yaml.Node | None, path: str
    ) -> tuple[float, tuple[Window, ...]] | None:
        if node is None:
            return None
        fields = self.mapping(node, path)
        if fields is None:
            return None
        probability = self.value(fields, "probability", path, node, _share)
        windows = self.windows(fields.get("windows"), f"{path}.windows", node)
        if probability is None or windows is None:
            return None
        return probability, windows

    def roads(self, listed: yaml.Node | None) -> tuple[RoadCutLaw, ...]:
        laws: list[RoadCutLaw] = []
        for index, entry in enumerate(self.sequence(listed, "uncertainty.roads_cut")):
            path = f"uncertainty.roads_cut[{index}]"
            fields = self.mapping(entry, path)
            if fields is None:
                continue
            source = self.scalar(fields, "from", path, entry)
            target = self.scalar(fields, "to", path, entry)
            probability = self.value(fields, "probability", path, entry, _share)
            earliest = self.value(fields, "earliest", path, entry, self.instant)
            latest = self.value(fields, "latest", path, entry, self.instant)
            if None in (source, target, probability, earliest, latest):
                continue
            assert source is not None and target is not None and probability is not None
            assert earliest is not None and latest is not None
            if (source, target) not in self.scenario.roads_between:
                self.report(
                    entry, path, f"no road from '{source}' to '{target}': correct from and to"
                )
            elif latest < earliest:
                self.report(entry, f"{path}.latest", "latest is before earliest: swap them")
            else:
                both_ways = frozenset((source, target)) in self.bidirectional
                laws.append(RoadCutLaw(source, target, probability, earliest, latest, both_ways))
        return tuple(laws)


def write_uncertainty(law: FutureLaw, folder: Path) -> None:
    """Append ``law`` to the folder's scenario.yaml as its ``uncertainty`` section."""

    def instant(value: datetime) -> str:
        return value.isoformat()

    def chance(value: Chance | None, extent: str) -> dict[str, float] | None:
        return None if value is None else {"probability": value.probability, extent: value.extent}

    crossings = []
    for crossing in law.crossings:
        entry: dict[str, object] = {"node": crossing.node}
        for key, value, extent in (
            ("opens_late", crossing.opens_late, "up_to_minutes"),
            ("closes_early", crossing.closes_early, "up_to_minutes"),
            ("fewer_places", crossing.fewer_places, "down_to_share"),
        ):
            if value is not None:
                entry[key] = chance(value, extent)
        if crossing.not_open:
            entry["not_open"] = crossing.not_open
        if crossing.may_open is not None:
            probability, windows = crossing.may_open
            entry["may_open"] = {
                "probability": probability,
                "windows": [
                    {"open": instant(w.open), "close": instant(w.close), "capacity": w.capacity}
                    for w in windows
                ],
            }
        crossings.append(entry)
    roads = [
        {
            "from": road.source,
            "to": road.target,
            "probability": road.probability,
            "earliest": instant(road.earliest),
            "latest": instant(road.latest),
        }
        for road in law.roads
    ]
    section = {
        "uncertainty": {
            "zones": [
                {
                    "name": zone.zone,
                    "earliest": instant(zone.earliest),
                    "most_likely": instant(zone.most_likely),
                    "latest": instant(zone.latest),
                }
                for zone in law.zones
            ],
            "crossings": crossings,
            "roads_cut": roads,
        }
    }
    with (folder / SCENARIO_FILE).open("a", encoding="utf-8") as stream:
        stream.write(yaml.safe_dump(section, sort_keys=False, allow_unicode=True))
