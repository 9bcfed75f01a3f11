"""Duplicate registrations planted in a SYNTHETIC registry, with the truth kept aside.

Deduplication can only be measured against a registry whose duplicates are known. Real ones
arise when a person registers twice, or is registered by a relative as well: the name is spelled
another way (every NGO form, every clerk transliterates differently), mistyped, written family
name first, shortened by the father's name, written only in Latin letters; the date of birth is
remembered a year off or not at all; the second registration sits in another household. Each
duplicate here gets a random mix of those changes, at rates that make a realistic share of them
hard, so that recall means something.

All random draws are made up front with numpy from the seed (the loop that then edits the
strings only reads them), so a registry regenerates byte for byte and 100,000 records take
seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from safepassage.dedup.matching import DedupRecord
from safepassage.dedup.transliteration import ALEF, HEH
from safepassage.synthetic.registry import SyntheticPerson

TRIPLICATE_SHARE = 0.1
"""Share of duplicated persons registered a third time, so that truth has chains (A~B, A~C)."""

DATE_KNOWN = 0.75
DATE_PLACEHOLDER = 0.10
"""Of the original registrations: a full date of birth, 1 January standing for an unknown day
(common in Syrian civil records), or the year alone (the rest)."""

LATIN_RESPELLED = 0.5
LATIN_TYPO = 0.15
LATIN_TITLE_CASE = 0.3
LATIN_MISSING = 0.03
SWAPPED_ORDER = 0.1
MIDDLE_DROPPED = 0.15
ARABIC_RESPELLED = 0.3
ARABIC_MISSING = 0.05
YEAR_OFF_BY_ONE = 0.08
YEAR_MISSING = 0.04
DATE_DROPPED = 0.10
DATE_TRANSPOSED = 0.03
OTHER_HOUSEHOLD = 0.15
OTHER_PLACE = 0.05
"""Per duplicate, each change is drawn independently with these probabilities."""

OTHER_HOUSEHOLDS_PLACE = 0.5
"""A relative who registers someone again may live elsewhere: half the time the duplicate takes
the place of the household it was put in, otherwise it keeps its own."""

LATIN_VARIANTS: dict[str, tuple[str, ...]] = {
    "MOHAMMAD": ("MUHAMMAD", "MOHAMED", "MOHAMAD", "MOHAMMED", "MOUHAMAD", "MUHAMMED"),
    "AHMAD": ("AHMED", "AHMAD", "AHMET"),
    "MAHMOUD": ("MAHMUD", "MAHMOOD", "MAHMOUD"),
    "HUSSEIN": ("HUSSAIN", "HUSEIN", "HOSSEIN", "HUSAYN", "HOUSSEIN"),
    "HASAN": ("HASSAN", "HASAN", "HSSAN"),
    "YOUSEF": ("YOUSSEF", "YUSUF", "YOUSIF", "YOUSUF", "JOUSSEF"),
    "ABDULLAH": ("ABDALLAH", "ABD ALLAH", "ABDULLA", "ABDELLAH", "ABDOULLAH"),
    "ABDULRAHMAN": ("ABD AL RAHMAN", "ABDEL RAHMAN", "ABDURRAHMAN", "ABDUL RAHMAN"),
    "ABDULKARIM": ("ABD AL KARIM", "ABDELKARIM", "ABDUL KAREEM", "ABDELKRIM"),
    "MUSTAFA": ("MOSTAFA", "MUSTAPHA", "MOUSTAFA"),
    "OTHMAN": ("OSMAN", "UTHMAN", "OTHMANE"),
    "SULEIMAN": ("SULAYMAN", "SLEIMAN", "SOLIMAN", "SULEYMAN"),
    "IBRAHIM": ("EBRAHIM", "IBRAHEEM", "IBRAHIEM"),
    "ISMAIL": ("ESMAIL", "ISMAEEL", "ISMAEL"),
    "KHALED": ("KHALID", "HALED", "CHALED"),
    "OMAR": ("UMAR", "OMER", "OMAR"),
    "QASEM": ("KASEM", "QASIM", "GASSEM"),
    "HAMZA": ("HAMZAH", "HAMSA"),
    "OSAMA": ("USAMA", "OUSSAMA", "USAMAH"),
    "FATIMA": ("FATIMAH", "FATMA", "FATEMA"),
    "KHADIJA": ("KHADIJAH", "KHADEEJA", "HADIJA"),
    "AISHA": ("AISHAH", "AICHA", "AYSHA"),
    "ZAINAB": ("ZEINAB", "ZAYNAB"),
    "AL ZOUBI": ("AL ZUBI", "EL ZOUBI", "AZ ZOUBI", "ZOUBI"),
    "AL HARIRI": ("EL HARIRI", "AL HARIRY", "HARIRI"),
    "AL MIQDAD": ("AL MEQDAD", "AL MIKDAD", "EL MIQDAD"),
}
"""Spellings of the same Arabic name met in real registries; names not listed here are
respelled by :data:`RESPELLING_RULES`. A few (Osman, Hamsa) change the consonants as well,
as real variants do."""

RESPELLING_RULES: tuple[tuple[str, str], ...] = (
    (r"OU", "U"),
    (r"OU", "OO"),
    (r"(?<=[^AEIOU])U(?=[^AEIOU])", "OU"),
    (r"EE", "I"),
    (r"(?<=[^AEIOU])I(?=[^AEIOU])", "EE"),
    (r"EI", "AI"),
    (r"AI", "EI"),
    (r"(?<=[^AEIOU])E(?=[^AEIOU]+$)", "I"),
    (r"(?<=[^AEIOU])A(?=[^AEIOU]+$)", "E"),
    (r"Q", "K"),
    (r"Q", "G"),
    (r"([BDFJKLMNRSTZ])\1", r"\1"),
    (r"(?<=[AEIOU])([BDFLMNRSTZ])(?=[AEIOU])", r"\1\1"),
    (r"EH$", "A"),
    (r"A$", "AH"),
    (r"AA$", "A"),
    (r"SH", "CH"),
    (r"^J", "DJ"),
    (r"^AL ", "EL "),
    (r"^AL ", ""),
)
"""Regular variation between transliteration schemes: vowels (ou/u, ee/i, e/i, a/e), q/k/g,
doubled letters, the taa marbuta ending, French sh/dj, the article (al/el or left out)."""

_ARABIC_RESPELLINGS: tuple[tuple[str, str], ...] = (
    ("أ", ALEF),
    ("إ", ALEF),
    ("آ", ALEF),
    ("ة", HEH),
    ("ى", "ي"),
    (r"ي(?=\s|$)", "ى"),
    ("عبد ال", "عبدال"),
    (r"(?<!\S)ال", ""),
)
"""How Arabic spellings of one name differ: hamza seats left out, taa marbuta and alef maqsura
written as haa and yaa (and back), Abd joined to the rest, the article left out."""

_HARAKAT = ("\u064e", "\u064f", "\u0650", "\u0651", "\u0652")
_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
_DRAWS = 16


def plant_duplicates(
    persons: Sequence[SyntheticPerson],
    *,
    share: float,
    seed: int,
    places: Mapping[str, str] | None = None,
) -> tuple[list[DedupRecord], list[tuple[str, str]]]:
    """The registry as records, followed by duplicates of ``share`` of the persons.

    ``places`` maps a household id to where it registered (its town); without it places are
    unknown. The truth is returned as ``(original id, duplicate id)`` pairs, original first; a
    person registered three times gives two pairs, and the pair of the two duplicates is left
    to transitivity (see :mod:`safepassage.dedup.evaluation`).
    """
    if not 0 <= share <= 1:
        raise ValueError("share is a share of the persons, between 0 and 1")
    if len({person.id for person in persons}) != len(persons):
        raise ValueError("person ids must be unique")
    rng = np.random.default_rng(seed)
    count = len(persons)
    places = places or {}
    years = np.array([person.birth_year for person in persons], dtype=np.int64)
    dates = _birth_dates(rng, years)
    originals = [
        DedupRecord(
            id=person.id,
            name_arabic=person.name_arabic,
            name_latin=person.name_latin,
            birth_year=person.birth_year,
            birth_date=date,
            sex=person.sex,
            household_id=person.household_id,
            place=places.get(person.household_id, ""),
        )
        for person, date in zip(persons, dates, strict=True)
    ]

    chosen = rng.choice(count, size=round(share * count), replace=False)
    again = chosen[rng.random(len(chosen)) < TRIPLICATE_SHARE]
    sources = np.concatenate([chosen, again]).tolist()
    flags = rng.random((len(sources), 15))
    draws = rng.random((len(sources), _DRAWS))
    households = sorted({person.household_id for person in persons})
    other_households = rng.integers(0, max(len(households), 1), len(sources)).tolist()
    place_names = sorted(set(places.values()))
    other_places = rng.integers(0, max(len(place_names), 1), len(sources)).tolist()

    width = len(str(len(sources)))
    duplicates: list[DedupRecord] = []
    truth: list[tuple[str, str]] = []
    for index, source in enumerate(sources):
        original = originals[source]
        flag = flags[index]
        draw = iter(draws[index].tolist())
        latin = original.name_latin.split()
        arabic = original.name_arabic.split()
        latin, arabic = _family_parts(latin, arabic)
        if flag[0] < SWAPPED_ORDER:
            latin, arabic = latin[-1:] + latin[:-1], arabic[-1:] + arabic[:-1]
        if flag[1] < MIDDLE_DROPPED and len(latin) > 2:
            middle = 2 if flag[0] < SWAPPED_ORDER else 1
            latin = latin[:middle] + latin[middle + 1 :]
            arabic = arabic[:middle] + arabic[middle + 1 :]
        if flag[2] < LATIN_RESPELLED:
            latin = [_respelled(part, next(draw), next(draw)) for part in latin]
        name_latin = " ".join(latin)
        if flag[3] < LATIN_TYPO:
            name_latin = _typo(name_latin, next(draw), next(draw), next(draw))
        if flag[4] < LATIN_TITLE_CASE:
            name_latin = _title_case(name_latin)
        name_arabic = " ".join(arabic)
        if flag[5] < ARABIC_RESPELLED:
            name_arabic = _arabic_respelled(name_arabic, next(draw), next(draw))
        if flag[6] < ARABIC_MISSING:
            name_arabic = ""
        elif flag[7] < LATIN_MISSING:
            name_latin = ""

        year: int | None = original.birth_year
        date = original.birth_date
        if flag[8] < YEAR_MISSING:
            year, date = None, None
        elif flag[9] < YEAR_OFF_BY_ONE and year is not None:
            year += 1 if flag[9] < YEAR_OFF_BY_ONE / 2 else -1
            date = None if date is None else f"{year}-{date[5:].replace('02-29', '02-28')}"
        if flag[10] < DATE_DROPPED:
            date = None
        elif flag[11] < DATE_TRANSPOSED and date is not None and int(date[8:]) <= 12:
            date = f"{date[:4]}-{date[8:]}-{date[5:7]}"

        household, place = original.household_id, original.place
        if flag[12] < OTHER_HOUSEHOLD and households:
            household = households[other_households[index]]
            if flag[13] < OTHER_HOUSEHOLDS_PLACE:
                place = places.get(household, "") or place
        if flag[14] < OTHER_PLACE and place_names:
            place = place_names[other_places[index]]

        duplicate_id = f"D{index + 1:0{width}d}"
        duplicates.append(
            DedupRecord(
                id=duplicate_id,
                name_arabic=name_arabic,
                name_latin=name_latin,
                birth_year=year,
                birth_date=date,
                sex=original.sex,
                household_id=household,
                place=place,
            )
        )
        truth.append((original.id, duplicate_id))
    return originals + duplicates, truth


def _birth_dates(rng: np.random.Generator, years: npt.NDArray[np.int64]) -> list[str | None]:
    """A day drawn uniformly within each birth year, 1 January, or nothing, by
    :data:`DATE_KNOWN` and :data:`DATE_PLACEHOLDER`."""
    starts = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    ends = (years - 1969).astype("datetime64[Y]").astype("datetime64[D]")
    lengths = (ends - starts).astype(np.int64)
    days = np.floor(rng.random(len(years)) * lengths).astype(np.int64)
    kind = rng.random(len(years))
    days = np.where(kind < DATE_KNOWN, days, 0)
    text = np.datetime_as_string(starts + days, unit="D").tolist()
    unknown = (kind >= DATE_KNOWN + DATE_PLACEHOLDER).tolist()
    return [None if missing else day for day, missing in zip(text, unknown, strict=True)]


def _family_parts(latin: list[str], arabic: list[str]) -> tuple[list[str], list[str]]:
    """Keep multi-word names (AL HARIRI, ABD AL ..., العبد الله) together so that reordering
    and dropping move whole names: the synthetic registry writes GIVEN FATHER FAMILY."""
    return _whole_names(latin), _whole_names(arabic)


def _whole_names(words: list[str]) -> list[str]:
    parts: list[str] = []
    for word in words:
        if parts and parts[-1].split()[-1] in _JOINED_TO_NEXT:
            parts[-1] += " " + word
        else:
            parts.append(word)
    return parts


_JOINED_TO_NEXT = frozenset(("AL", "EL", "ABD", "ABU", "عبد", "العبد", "أبو"))


def _respelled(part: str, pick: float, which: float) -> str:
    """``part`` as another scheme writes it: listed variants first, else one rule that applies."""
    listed = LATIN_VARIANTS.get(part)
    if listed and pick < 0.8:
        return listed[int(which * len(listed))]
    applicable = [rule for rule in RESPELLING_RULES if re.search(rule[0], part)]
    if not applicable:
        return part
    pattern, replacement = applicable[int(which * len(applicable))]
    return re.sub(pattern, replacement, part, count=1)


def _typo(name: str, where: float, kind: float, letter: float) -> str:
    """One keying error: a letter replaced, left out, added or two letters swapped."""
    positions = [i for i, ch in enumerate(name) if ch.isalpha()]
    if len(positions) < 2:
        return name
    at = positions[int(where * len(positions))]
    new = str(_LETTERS[int(letter * len(_LETTERS))])
    new = new if name[at].isupper() else new.lower()
    if kind < 0.4:
        return name[:at] + new + name[at + 1 :]
    if kind < 0.6:
        return name[:at] + name[at + 1 :]
    if kind < 0.8:
        return name[:at] + new + name[at:]
    after = at + 1 if at + 1 < len(name) and name[at + 1].isalpha() else at - 1
    low, high = sorted((at, after))
    return name[:low] + name[high] + name[low] + name[high + 1 :]


def _title_case(name: str) -> str:
    """As typed on a form rather than copied from a passport: Muhammad Ahmad al-Hariri."""
    words = name.title().split()
    out: list[str] = []
    for i, word in enumerate(words):
        if word in ("Al", "El") and i + 1 < len(words):
            out.append(word.lower() + "-")
        else:
            out.append(word + " ")
    return "".join(out).strip()


def _arabic_respelled(name: str, first: float, second: float) -> str:
    """One or two of the spelling changes Arabic writers make, and sometimes harakat added."""
    for pick in (first, second)[: 1 + (second < 0.5)]:
        applicable = [rule for rule in _ARABIC_RESPELLINGS if re.search(rule[0], name)]
        if applicable:
            pattern, replacement = applicable[int(pick * len(applicable))]
            name = re.sub(pattern, replacement, name, count=1)
    if first > 0.7:
        at = 1 + int(second * max(len(name) - 1, 1))
        if at < len(name) and name[at - 1] != " ":
            name = name[:at] + _HARAKAT[int(first * 10) % len(_HARAKAT)] + name[at:]
    return name
