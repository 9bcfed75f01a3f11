"""Named fields of a YAML document, read with every problem reported at its line.

The uncertainty sections of ``scenario.yaml`` (listed futures, laws to sample from) share the
same shapes: mappings, lists, single values, instants in the start's offset, windows. One
reader base keeps their messages alike, each problem with its line, field path and what to do.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import TypeVar

import yaml

from safepassage.formats.problems import Problem
from safepassage.model import Window

SCENARIO_FILE = "scenario.yaml"
EXAMPLE_INSTANT = "2018-07-21T21:30:00+03:00"
NULL = "tag:yaml.org,2002:null"

_T = TypeVar("_T")


class BadValue(Exception):
    """A value that cannot be used; the message says what is wrong and what to do."""


def top_level(text: str, key: str) -> yaml.Node | None:
    """The node under ``key`` at the top of a YAML document, or ``None`` when absent or empty.

    The scenario reader has already reported a document that does not parse.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    node = next((v for k, v in root.value if k.value == key), None)
    return None if node is None or node.tag == NULL else node


class YamlFields:
    def __init__(self, offset: tzinfo) -> None:
        self.offset = offset
        self.problems: list[Problem] = []

    def report(self, node: yaml.Node, field: str, message: str) -> None:
        self.problems.append(Problem(SCENARIO_FILE, node.start_mark.line + 1, field, message))

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
        if node is None or node.tag == NULL:
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
            or node.tag == NULL
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
        except BadValue as error:
            self.report(fields[key], f"{path}.{key}", str(error))
            return None

    def instant(self, text: str) -> datetime:
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            raise BadValue(
                f"'{text[:40]}' is not an ISO 8601 instant: write it like {EXAMPLE_INSTANT}"
            ) from None
        return instant if instant.tzinfo is not None else instant.replace(tzinfo=self.offset)

    def windows(
        self, listed: yaml.Node | None, path: str, owner: yaml.Node
    ) -> tuple[Window, ...] | None:
        if listed is None or listed.tag == NULL:
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
            capacity = self.value(fields, "capacity", where, entry, parse_count)
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


def parse_probability(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise BadValue(f"'{text[:40]}' is not a number: write it like 0.25") from None
    if not (math.isfinite(number) and 0 < number <= 1):
        raise BadValue(f"'{text[:40]}' is not a probability above 0 and at most 1")
    return number


def parse_count(text: str) -> int:
    try:
        number = float(text)
    except ValueError:
        raise BadValue(f"'{text[:40]}' is not a number of persons: write it like 120") from None
    if not math.isfinite(number) or number < 0:
        raise BadValue(f"'{text[:40]}' is not a number of persons of 0 or more")
    return math.floor(number)
