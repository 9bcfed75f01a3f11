"""Cell parsers shared by the readers: counts, numbers, booleans, instants, dates, choices
and lists. A parser raises :class:`BadValueError` with the message its reader gives it, so
each reader keeps its own words while the parsing itself is written once."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from fractions import Fraction
from typing import TypeVar

TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0"})
LARGEST_EXPONENT = 1000
"""Decimal exponents beyond this are refused: ``1e999999999`` would take minutes to expand."""

_T = TypeVar("_T")


class BadValueError(Exception):
    """A value that cannot be used; the message says what is wrong and what to write instead,
    and never repeats the value unless the reader's format is not personal data."""


def whole(text: str, least: int, *, not_whole: str, too_small: str) -> int:
    """A whole number written as digits (``4``, not ``4.0``) of at least ``least``."""
    try:
        value = int(text)
    except ValueError:
        raise BadValueError(not_whole) from None
    if value < least:
        raise BadValueError(too_small)
    return value


def exact(text: str, *, not_number: str, out_of_range: str) -> Fraction:
    """Exact, so that ``0.1`` hours or minutes are what the user wrote, not a binary float."""
    if text.isascii() and text.isdigit():
        return Fraction(int(text))  # most cells are whole numbers; this is 4x faster
    _, exponent_marker, exponent = text.lower().partition("e")
    if exponent_marker:
        try:
            too_large = abs(int(exponent)) > LARGEST_EXPONENT
        except ValueError:
            too_large = False
        if too_large:
            raise BadValueError(out_of_range)
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise BadValueError(not_number) from None


def real(text: str) -> float:
    """A float, NaN where the text is none: callers check the range, NaN failing every one."""
    try:
        return float(text)
    except ValueError:
        return math.nan


def share(text: str, *, not_number: str, out_of_range: str) -> float:
    """A number between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise BadValueError(not_number) from None
    if not 0.0 <= value <= 1.0:
        raise BadValueError(out_of_range)
    return value


def boolean(
    text: str,
    message: str,
    *,
    yes: frozenset[str] = TRUE_WORDS,
    no: frozenset[str] = FALSE_WORDS,
) -> bool:
    word = text.casefold()
    if word in yes:
        return True
    if word in no:
        return False
    raise BadValueError(message)


def choice(text: str, options: Mapping[str, _T], message: str) -> _T:
    """The option named by ``text``, case-insensitively (``options`` keys are lower case)."""
    try:
        return options[text.casefold()]
    except KeyError:
        raise BadValueError(message) from None


def items(text: str, separator: str, message: str) -> list[str]:
    """Items between separators, stripped; an empty item is refused (``a;;b``)."""
    found = [item.strip() for item in text.split(separator)]
    if any(not item for item in found):
        raise BadValueError(message)
    return found


def iso_date(text: str, message: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadValueError(message) from None


def instant(text: str, message: str, offset: tzinfo | None = None) -> datetime:
    """An ISO 8601 instant; a naive one takes ``offset`` when given."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadValueError(message) from None
    return value if value.tzinfo is not None or offset is None else value.replace(tzinfo=offset)
