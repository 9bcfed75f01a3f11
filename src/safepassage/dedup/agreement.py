"""Which fields of a candidate pair agree, are close, disagree or are missing.

A reviewer deciding whether two registrations are one person should see at a glance what the
score rests on (same document, date one digit off, family name missing on one side) without
opening both records in full. This says it field by field, in words, never with a value; it
follows the same rules as the score (:mod:`safepassage.dedup.comparisons`) but in plain Python,
since it runs on the few pairs of a review page.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from safepassage.dedup.matching import DedupRecord, document_number_key, phone_key
from safepassage.dedup.transliteration import NameKeys, keys_of_names


class Agreement(StrEnum):
    AGREE = "agree"
    CLOSE = "close"
    DISAGREE = "disagree"
    MISSING = "missing"


FIELDS = (
    "given name",
    "family name",
    "date of birth",
    "document",
    "phone",
    "sex",
    "household",
    "place",
)


def field_agreement(left: DedupRecord, right: DedupRecord) -> tuple[tuple[str, Agreement], ...]:
    """Each of :data:`FIELDS` with how the two registrations compare on it."""
    names = [_names(record) for record in (left, right)]
    return (
        ("given name", _name_part(names[0], names[1], 0)),
        ("family name", _name_part(names[0], names[1], -1)),
        ("date of birth", _birth(left, right)),
        ("document", _documents(left, right)),
        ("phone", _phone(left, right)),
        ("sex", _exact(_sex(left.sex), _sex(right.sex))),
        ("household", _exact(left.household_id, right.household_id)),
        ("place", _exact(left.place, right.place)),
    )


def _names(record: DedupRecord) -> tuple[NameKeys, NameKeys]:
    latin, arabic = keys_of_names((record.name_latin, record.name_arabic))
    return latin, arabic


def _name_part(
    left: tuple[NameKeys, NameKeys], right: tuple[NameKeys, NameKeys], index: int
) -> Agreement:
    """The given name (first part) or family name (last part, of names with two or more).
    A part found elsewhere in the other name (written family name first, a one-part name)
    or one or two keying errors away is close."""
    mine = [_part(name, index) for name in left]
    theirs = [_part(name, index) for name in right]
    if not any(mine) or not any(theirs):
        return Agreement.MISSING
    for (form, key), (other_form, other_key) in zip(mine, theirs, strict=True):
        if form and other_form and (form == other_form or key == other_key):
            return Agreement.AGREE
    other_keys = {key for name in right for key in name.keys}
    my_keys = {key for name in left for key in name.keys}
    if any(key in other_keys for _, key in mine if key) or any(
        key in my_keys for _, key in theirs if key
    ):
        return Agreement.CLOSE
    latin, other_latin = mine[0][0], theirs[0][0]
    if latin and other_latin and _edits(latin, other_latin) <= (1 if len(latin) < 6 else 2):
        return Agreement.CLOSE
    return Agreement.DISAGREE


def _part(name: NameKeys, index: int) -> tuple[str, str]:
    if not name.forms or (index == -1 and len(name.forms) < 2):
        return "", ""
    return name.forms[index], name.keys[index]


def _birth(left: DedupRecord, right: DedupRecord) -> Agreement:
    if left.birth_year is None or right.birth_year is None:
        return Agreement.MISSING
    mine, theirs = left.birth_date, right.birth_date
    if mine and theirs and mine == theirs:
        return Agreement.AGREE
    if mine and theirs and len(mine) == len(theirs) == 10:
        digits, other = mine.replace("-", ""), theirs.replace("-", "")
        swapped = mine[:4] == theirs[:4] and mine[5:7] == theirs[8:] and mine[8:] == theirs[5:7]
        if swapped or _edits(digits, other) <= 1:
            return Agreement.CLOSE
        return Agreement.DISAGREE
    if abs(left.birth_year - right.birth_year) <= 1:
        return Agreement.CLOSE
    return Agreement.DISAGREE


def _documents(left: DedupRecord, right: DedupRecord) -> Agreement:
    if not left.documents or not right.documents:
        return Agreement.MISSING
    mine = [(country, document_number_key(number)) for country, number in left.documents]
    theirs = [(country, document_number_key(number)) for country, number in right.documents]
    for country, number in mine:
        for other_country, other_number in theirs:
            if number == other_number and (
                country == other_country or not country or not other_country
            ):
                return Agreement.AGREE
    if any(_edits(a, b) <= 1 for _, a in mine for _, b in theirs):
        return Agreement.CLOSE
    return Agreement.DISAGREE


def _phone(left: DedupRecord, right: DedupRecord) -> Agreement:
    mine, theirs = phone_key(left.phone), phone_key(right.phone)
    if mine is None or theirs is None:
        return Agreement.MISSING
    if mine == theirs:
        return Agreement.AGREE
    return Agreement.CLOSE if _edits(mine, theirs) <= 1 else Agreement.DISAGREE


def _sex(sex: str) -> str:
    return sex if sex in ("F", "M") else ""


def _exact(mine: str, theirs: str) -> Agreement:
    if not mine or not theirs:
        return Agreement.MISSING
    return Agreement.AGREE if mine == theirs else Agreement.DISAGREE


def _edits(a: Sequence[str], b: Sequence[str]) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions count one), for short strings."""
    previous_row: list[int] = []
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        before, previous_row, row = previous_row, row, [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(previous_row[j] + 1, row[j - 1] + 1, previous_row[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], before[j - 2] + 1)
    return row[len(b)]
