"""``scenario.yaml`` of a scenario folder: name, time grid, crossings with their windows,
zones; every problem found with its line and the path of its key (``crossings[0].windows``).

Node ids it names are collected, not checked: they are checked once ``nodes.csv`` is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from functools import partial
from pathlib import Path
from typing import TypeVar

import yaml

from safepassage.formats import scenario_values as values
from safepassage.formats.problems import Problem
from safepassage.formats.tables import BadValueError, Wording, read_text
from safepassage.model import Crossing, TimeGrid, Window, Zone

SCENARIO_FILE = "scenario.yaml"
DEFAULT_STEP_MINUTES = 15
WORDING = Wording(
    missing="file is missing: add it to the folder, {expected}",
    unreadable="cannot be read ({reason}): check its permissions",
    not_utf8=None,
    bad_csv="cannot be read as CSV ({error}): check the quotes; later rows were not read",
)
"""The scenario's words for a file in trouble, shared by its CSV files."""
_YAML_NULL = "tag:yaml.org,2002:null"

_T = TypeVar("_T")


@dataclass
class Settings:
    """What ``scenario.yaml`` yielded; ``None`` where it was missing or wrong."""

    name: str | None = None
    grid: TimeGrid | None = None
    offset: tzinfo = UTC
    crossings: list[Crossing] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)
    crossing_ids: set[str] | None = None
    node_references: list[tuple[int | None, str, str]] = field(default_factory=list)
    """``(line, path, node id)`` of every node the file names, checked once nodes are known."""


class SettingsReader:
    """Reads ``scenario.yaml``, adding what is wrong to ``problems``."""

    def __init__(self, folder: Path, problems: list[Problem]) -> None:
        self.folder, self.problems = folder, problems

    def report(self, row: int | None, path: str | None, message: str) -> None:
        self.problems.append(Problem(SCENARIO_FILE, row, path, message))

    def checked(
        self, row: int | None, path: str, parse: Callable[[str], _T], text: str
    ) -> _T | None:
        try:
            return parse(text)
        except BadValueError as bad:
            self.report(row, path, str(bad))
            return None

    def read(self) -> Settings:
        settings = Settings()
        text = read_text(
            self.folder / SCENARIO_FILE,
            SCENARIO_FILE,
            WORDING,
            self.problems,
            expected="with name, start and horizon_steps",
        )
        if text is None:
            return settings
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            self.report(
                None if mark is None else mark.line + 1,
                None,
                f"not valid YAML ({error.problem or error.context}): check the indentation, "
                "colons and quotes on this line and the one before",
            )
            return settings
        except yaml.YAMLError as error:
            self.report(None, None, f"not valid YAML ({error})")
            return settings
        if root is None:
            self.report(
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
        start = self._yaml_value(top, "start", "", root, values.start)
        step_minutes = self._yaml_value(
            top, "step_minutes", "", root, values.positive_integer, DEFAULT_STEP_MINUTES
        )
        horizon_steps = self._yaml_value(top, "horizon_steps", "", root, values.positive_integer)
        if start is not None:
            settings.offset = start.tzinfo or UTC
            if step_minutes is not None and horizon_steps is not None:
                settings.grid = TimeGrid(start, step_minutes, horizon_steps)
        self._read_crossings(top.get("crossings"), settings)
        self._read_zones(top.get("zones"), settings)
        return settings

    def _read_crossings(self, listed: yaml.Node | None, settings: Settings) -> None:
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
                line = line_of(fields["node"])
                if settings.crossing_ids is not None:
                    settings.crossing_ids.add(node_id)
                settings.node_references.append((line, f"{path}.node", node_id))
                first_index, first_line = first_entries.setdefault(node_id, (index, line))
                if first_index != index:
                    self.report(
                        line,
                        f"{path}.node",
                        f"crossing '{node_id}' is listed twice (lines {first_line} and {line}): "
                        "merge the two entries into one with all their windows",
                    )
            country = self._yaml_text(fields, "country", path, entry)
            requires_clearance = self._yaml_value(
                fields, "requires_clearance", path, entry, values.truth, True
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
        self, listed: yaml.Node | None, path: str, crossing: yaml.Node, settings: Settings
    ) -> list[Window]:
        if listed is None or listed.tag == _YAML_NULL:
            self.report(
                line_of(crossing),
                path,
                "no windows: list the crossing's windows, or write `windows: []` if it is closed",
            )
            return []
        parse_instant = partial(values.instant, offset=settings.offset)
        windows = []
        for index, entry in enumerate(self._yaml_list(listed, path)):
            window_path = f"{path}[{index}]"
            fields = self._yaml_mapping(entry, window_path)
            if fields is None:
                continue
            opens = self._yaml_value(fields, "open", window_path, entry, parse_instant)
            closes = self._yaml_value(fields, "close", window_path, entry, parse_instant)
            capacity = self._yaml_value(fields, "capacity", window_path, entry, values.count)
            if opens is None or closes is None:
                continue
            if closes <= opens:
                self.report(
                    line_of(fields["close"]),
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

    def _read_zones(self, listed: yaml.Node | None, settings: Settings) -> None:
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
                self.report(
                    line_of(entry),
                    f"{path}.nodes",
                    "no nodes: list the zone's nodes, or write `nodes: []`",
                )
            for node_index, item in enumerate(self._yaml_list(nodes_listed, f"{path}.nodes")):
                node_path = f"{path}.nodes[{node_index}]"
                node_id = self._yaml_scalar(item, node_path)
                if node_id is not None:
                    node_ids.append(node_id)
                    settings.node_references.append((line_of(item), node_path, node_id))
            unsafe_from = self._yaml_value(
                fields,
                "unsafe_from",
                path,
                entry,
                partial(values.instant, offset=settings.offset),
            )
            if (
                len(self.problems) == problems_before
                and name is not None
                and unsafe_from is not None
            ):
                settings.zones.append(Zone(name, tuple(node_ids), unsafe_from))

    def _yaml_mapping(self, node: yaml.Node, path: str) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.report(
                line_of(node),
                path or None,
                "expected `key: value` lines here: check the indentation",
            )
            return None
        fields: dict[str, yaml.Node] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            if key.value in fields:
                self.report(
                    line_of(key),
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
        self.report(line_of(node), path, "expected a list (`- ` items or `[...]`)")
        return []

    def _yaml_scalar(self, node: yaml.Node, path: str) -> str | None:
        """The value's text as written, so ids like ``007`` stay ids, not numbers."""
        if node.tag == _YAML_NULL:
            self.report(line_of(node), path, "no value: fill it in")
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.report(line_of(node), path, "expected a single value, not a list or mapping")
            return None
        text: str = node.value.strip()
        if not text:
            self.report(line_of(node), path, "no value: fill it in")
            return None
        return text

    def _yaml_text(
        self, fields: Mapping[str, yaml.Node], key: str, path: str, owner: yaml.Node
    ) -> str | None:
        """A required value's text; a missing key is reported at the line of its owner."""
        node = fields.get(key)
        if node is None:
            self.report(
                line_of(owner) if path else None,
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
        return self.checked(line_of(node), _join(path, key), parse, text)


def line_of(node: yaml.Node) -> int | None:
    mark = node.start_mark
    return None if mark is None else mark.line + 1


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def unknown_node(node_id: str) -> str:
    return f"unknown node '{node_id}': add it to nodes.csv or correct the id"
