"""A SYNTHETIC registry written as a KoboToolbox export, with bad rows planted on purpose.

The importer has to be shown on files that look like the field's (group paths in headers,
``_uuid``, dates in several formats, semicolons in CSV) and that carry the field's mistakes,
without anybody handling a real registration: the people come from
:func:`safepassage.synthetic.registry.generate_registry`, the mistakes are planted at seeded
rows, one per planted row, and the caller is told where so a test can check each was caught.
"""

from __future__ import annotations

import csv
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook

from safepassage.synthetic.registry import SyntheticHousehold, SyntheticPerson, generate_registry
from safepassage.synthetic.southwest_syria import HOME_TOWNS

HEADERS = (
    "_uuid",
    "_index",
    "_submission_time",
    "household/hh_id",
    "household/origin",
    "household/priority",
    "household/cleared_for",
    "household/hosts",
    "person/name_ar",
    "person/name_latin",
    "person/dob",
    "person/sex",
    "person/role",
    "person/relationship",
    "person/nationality",
    "person/doc_type",
    "person/doc_number",
    "person/doc_country",
    "person/needs",
    "person/risk",
    "person/current_location",
    "person/phone_number",
    "consent/consent",
    "consent/legal_basis",
)

BAD_KINDS = (
    "date of birth",
    "missing name",
    "sex",
    "nationality",
    "duplicate id",
    "no consent",
    "name charset",
)
"""Planted in turn. Each is a mistake seen in real exports: a day that does not exist, a
skipped question, a free-text answer, a country name for a code, a submission sent twice
with edits, consent not asked, an accented letter typed into the passport name."""

BAD_COLUMN = {
    "date of birth": "person/dob",
    "missing name": "person/name_latin",
    "sex": "person/sex",
    "nationality": "person/nationality",
    "duplicate id": "_uuid",
    "no consent": "consent/consent",
    "name charset": "person/name_latin",
}

HOSTS = ("CAN", "DEU", "GBR", "FRA", "NLD")
SUBMITTED_FROM = datetime(2018, 7, 1, 8, 0)


@dataclass(frozen=True)
class Planted:
    """Where a mistake was planted (``row`` as a spreadsheet numbers it, the header being
    row 1), so a test can check that exactly these rows were caught, by the right column."""

    row: int
    kind: str
    column: str


def export_rows(
    persons: int, *, seed: int = 1, bad_share: float = 0.0
) -> tuple[list[list[str]], tuple[Planted, ...]]:
    """Header and data rows of a synthetic export, and the bad rows planted in it."""
    if not 0 <= bad_share < 1:
        raise ValueError("bad_share is a share of the rows, at least 0 and below 1")
    registry = generate_registry(
        seed=seed,
        persons=persons,
        towns=HOME_TOWNS,
        cleared_share=0.8,
        clearance=("quneitra-crossing",),
        not_cleared_for=("nasib-crossing", "ramtha-crossing"),
    )
    rng = random.Random(seed)
    hosts = {household.id: _hosts(rng, household) for household in registry.households}
    members = [
        (household, person) for household in registry.households for person in household.members
    ]
    rows = [
        _row(rng, index, household, person, hosts[household.id])
        for index, (household, person) in enumerate(members, start=1)
    ]
    planted = _plant(rng, rows, round(bad_share * len(rows)))
    return [list(HEADERS), *rows], planted


def write_registry_file(
    path: Path, persons: int, *, seed: int = 1, bad_share: float = 0.0
) -> tuple[Planted, ...]:
    """Write ``.csv`` (semicolon-separated, as KoboToolbox does) or ``.xlsx``."""
    rows, planted = export_rows(persons, seed=seed, bad_share=bad_share)
    if path.suffix.lower() == ".xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet("registration")
        for row in rows:
            sheet.append(row)
        book.save(path)
    elif path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8", newline="") as out:
            csv.writer(out, delimiter=";", lineterminator="\n").writerows(rows)
    else:
        raise ValueError("a registry file is .csv or .xlsx")
    return planted


def _hosts(rng: random.Random, household: SyntheticHousehold) -> str:
    """Households of volunteers were vetted by one or two host countries."""
    if household.priority < 2:
        return ""
    return " ".join(sorted(rng.sample(HOSTS, rng.randint(1, 2))))


def _row(
    rng: random.Random,
    index: int,
    household: SyntheticHousehold,
    person: SyntheticPerson,
    hosts: str,
) -> list[str]:
    head = person.relationship == "head"
    risk = "high" if household.priority == 3 and head else rng.choice(("medium", "medium", "low"))
    consent = rng.random() < 0.9 or not head
    document = rng.random() < 0.6
    values = {
        "_uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "_index": str(index),
        "_submission_time": (SUBMITTED_FROM + timedelta(minutes=7 * index)).isoformat(),
        "household/hh_id": household.id,
        "household/origin": household.origin,
        "household/priority": str(household.priority),
        "household/cleared_for": " ".join(household.cleared_for or ()),
        "household/hosts": hosts,
        "person/name_ar": person.name_arabic,
        "person/name_latin": person.name_latin.title() if rng.random() < 0.2 else person.name_latin,
        "person/dob": _birth(rng, person.birth_year),
        "person/sex": person.sex
        if rng.random() < 0.5
        else {"M": "male", "F": "female"}[person.sex],
        "person/role": person.role,
        "person/relationship": person.relationship,
        "person/nationality": rng.choice(("SYR",) * 9 + ("XXA",)),
        "person/doc_type": "passport" if document else "",
        "person/doc_number": f"N{rng.randrange(10**7):07d}" if document else "",
        "person/doc_country": "SYR" if document else "",
        "person/needs": rng.choice(("",) * 8 + ("medical", "mobility medical")),
        "person/risk": risk,
        "person/current_location": household.origin,
        "person/phone_number": f"+9639{rng.randrange(10**8):08d}" if head else "",
        "consent/consent": "yes" if consent else "no",
        "consent/legal_basis": "" if consent else "vital interests",
    }
    return [values[header] for header in HEADERS]


def _birth(rng: random.Random, year: int) -> str:
    """As registrations have them: often the year alone, else a full date, ISO or day first."""
    style = rng.random()
    if style < 0.4:
        return str(year)
    day = date(year, 1, 1) + timedelta(days=rng.randrange(365))
    return day.isoformat() if style < 0.7 else day.strftime("%d/%m/%Y")


def _plant(rng: random.Random, rows: list[list[str]], count: int) -> tuple[Planted, ...]:
    """Spoil ``count`` rows, never the first (a duplicate id copies an earlier sound row)."""
    chosen = sorted(rng.sample(range(1, len(rows)), count)) if count else []
    spoiled = set(chosen)
    planted = []
    for turn, index in enumerate(chosen):
        kind = BAD_KINDS[turn % len(BAD_KINDS)]
        row = rows[index]
        _spoil(rng, kind, row, rows, index, spoiled)
        planted.append(Planted(index + 2, kind, BAD_COLUMN[kind]))
    return tuple(planted)


def _spoil(
    rng: random.Random,
    kind: str,
    row: list[str],
    rows: Sequence[list[str]],
    index: int,
    spoiled: set[int],
) -> None:
    column = HEADERS.index(BAD_COLUMN[kind])
    if kind == "date of birth":
        row[column] = f"31/02/{rng.randint(1950, 2010)}"
    elif kind == "missing name":
        row[column] = ""
    elif kind == "sex":
        row[column] = rng.choice(("unknown", "boy", "?"))
    elif kind == "nationality":
        row[column] = rng.choice(("Syria", "Syrian", "SY"))
    elif kind == "duplicate id":
        sound = [earlier for earlier in range(index) if earlier not in spoiled]
        row[column] = rows[rng.choice(sound)][column]
    elif kind == "no consent":
        row[column] = "no"
        row[HEADERS.index("consent/legal_basis")] = ""
    else:
        accented = row[column].replace("A", "\u00c1", 1).replace("a", "\u00e1", 1)
        row[column] = accented if accented != row[column] else "\u00c9" + row[column]
