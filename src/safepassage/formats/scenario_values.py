"""The values of a scenario folder, parsed with the scenario's own words.

Ids, numbers and instants of a scenario are not personal data, so these messages quote what
was written (cut to a few dozen characters), which is how a coordinator finds the cell.
"""

from __future__ import annotations

import math
from datetime import datetime, tzinfo
from fractions import Fraction

from safepassage.formats.tables import BadValueError, parsers
from safepassage.model import NodeKind

EXAMPLE_INSTANT = "2018-07-21T21:30:00+03:00"
ALL_CROSSINGS = "*"
CROSSING_SEPARATOR = ";"
LONGEST_QUOTED_VALUE = 40
_KINDS = {kind.value: kind for kind in NodeKind}


def quoted(text: str) -> str:
    if len(text) > LONGEST_QUOTED_VALUE:
        text = text[: LONGEST_QUOTED_VALUE - 3] + "..."
    return f"'{text}'"


def number(text: str) -> Fraction:
    return parsers.exact(
        text,
        not_number=f"{quoted(text)} is not a number: write it like 12 or 7.5",
        out_of_range=f"{quoted(text)} is out of range: write an ordinary number",
    )


def amount(text: str) -> Fraction:
    value = number(text)
    if value < 0:
        raise BadValueError(f"{quoted(text)} is negative: use 0 or more")
    return value


def count(text: str) -> int:
    """Non-integral capacities are floored: never admit more than was given."""
    return math.floor(amount(text))


def positive_integer(text: str) -> int:
    value = number(text)
    if value.denominator != 1:
        raise BadValueError(f"{quoted(text)} is not a whole number: write it like 4")
    if value < 1:
        raise BadValueError(f"{quoted(text)} is too small: use 1 or more")
    return value.numerator


def priority(text: str) -> float:
    value = parsers.real(text)
    if not math.isfinite(value) or value <= 0:
        raise BadValueError(
            f"{quoted(text)} is not a positive number: write it like 1 or 2.5, "
            "or leave it empty for 1"
        )
    return value


def coordinate(text: str, limit: int) -> float:
    degrees = parsers.real(text)
    if not -limit <= degrees <= limit:
        raise BadValueError(
            f"{quoted(text)} is not in decimal degrees between -{limit} and {limit}: "
            "write it like 32.6189"
        )
    return degrees


def kind(text: str) -> NodeKind:
    kinds = ", ".join(_KINDS)
    return parsers.choice(text, _KINDS, f"unknown kind {quoted(text)}: use one of {kinds}")


def truth(text: str) -> bool:
    return parsers.boolean(
        text, f"{quoted(text)} is not true or false: write true, false, yes, no, 1 or 0"
    )


def instant(text: str, offset: tzinfo | None = None) -> datetime:
    """A naive instant is read in ``offset`` (``start``'s)."""
    return parsers.instant(
        text,
        f"{quoted(text)} is not an ISO 8601 instant: write it like {EXAMPLE_INSTANT}",
        offset,
    )


def start(text: str) -> datetime:
    """``start`` fixes the offset that naive instants elsewhere are read in, so it needs one."""
    value = instant(text)
    if value.tzinfo is None:
        raise BadValueError(f"{quoted(text)} has no UTC offset: add one, like {EXAMPLE_INSTANT}")
    return value


def clearance(text: str) -> frozenset[str] | None:
    if text == ALL_CROSSINGS:
        return None
    pieces = [piece.strip() for piece in text.split(CROSSING_SEPARATOR)]
    crossing_ids = frozenset(piece for piece in pieces if piece)
    if not crossing_ids:
        raise BadValueError(
            f"names no crossing: leave it empty or write {ALL_CROSSINGS} for all crossings, "
            f"or list crossing ids separated by '{CROSSING_SEPARATOR}'"
        )
    if ALL_CROSSINGS in crossing_ids:
        raise BadValueError(
            f"{ALL_CROSSINGS} (all crossings) cannot be combined with crossing ids: "
            "write one or the other"
        )
    return crossing_ids
