"""Registry files in: CSV and XLSX rows, the column mapping, and the check of every row.

Registrations arrive as spreadsheets and KoboToolbox exports made in the field, so a file is
never refused for a bad row: each row is checked on its own and either becomes a registration
or a list of problems (the importer quarantines it). Only what makes every row unreadable (not
UTF-8, duplicate headers, a required column missing) stops a file before anything is imported.

Every value is personal data, so no message ever repeats one: a problem names the row, the
column and what to write instead.

Decisions taken here (docs/registry-import.md explains them to users):

- ``name_icao`` is the name as printed in a passport's machine-readable zone (ICAO 9303):
  lower case is upper-cased, hyphens become spaces and apostrophes are dropped, as 9303 does
  for the MRZ; any other character than A-Z and spaces (accents, digits, the ``<`` filler)
  is refused rather than transliterated, since only the passport says whether Ü became UE or U.
- A registration needs the person's consent or, without it, the legal basis it is made on
  (vital interests, for instance); a row with neither is refused.
- A document's issuing country defaults to the person's nationality, its kind to ``passport``.
- ``priority`` left empty is taken from the highest risk among the household's members
  (high 3, medium 2, low 1); that is the importer's job, as it sees the whole household.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import TypeVar

import yaml

from safepassage.formats import registry_values as values
from safepassage.formats.problems import InputError, Problem
from safepassage.formats.tables import (
    LONGEST_CELL,
    BadValueError,
    Row,
    Wording,
    csv_rows,
    read_text,
    xlsx_rows,
)
from safepassage.model.registry import (
    IdentityDocument,
    PersonalData,
    RiskLevel,
    Sex,
    Status,
)

_T = TypeVar("_T")


class Field(StrEnum):
    EXTERNAL_ID = "external_id"
    HOUSEHOLD_ID = "household_id"
    ORIGIN = "origin"
    PRIORITY = "priority"
    CLEARED_FOR = "cleared_for"
    HOSTS = "hosts"
    NAME_ARABIC = "name_arabic"
    NAME_ICAO = "name_icao"
    ALIASES = "aliases"
    DATE_OF_BIRTH = "date_of_birth"
    SEX = "sex"
    ROLE = "role"
    RELATIONSHIP = "relationship"
    NATIONALITY = "nationality"
    DOCUMENT_KIND = "document_kind"
    DOCUMENT_NUMBER = "document_number"
    DOCUMENT_COUNTRY = "document_country"
    DOCUMENT_EXPIRY = "document_expiry"
    NEEDS = "needs"
    RISK = "risk"
    LOCATION = "location"
    CONSENT = "consent"
    LEGAL_BASIS = "legal_basis"
    PHONE = "phone"
    RETENTION_UNTIL = "retention_until"
    STATUS = "status"


REQUIRED = frozenset(
    {Field.EXTERNAL_ID, Field.HOUSEHOLD_ID, Field.ORIGIN, Field.NAME_ICAO, Field.SEX}
)
HOUSEHOLD_FIELDS = (Field.ORIGIN, Field.PRIORITY, Field.CLEARED_FOR, Field.HOSTS)
"""Repeated on every member's row; the importer requires them to agree within a household."""

DEFAULT_MAPPING = "kobo_mapping.yaml"
EXTENDS_DEFAULT = "default"
RISK_PRIORITY = {RiskLevel.HIGH: 3, RiskLevel.MEDIUM: 2, RiskLevel.LOW: 1}
NONE: tuple[str, ...] = ()
_WORDING = Wording(
    unreadable="cannot be read: {reason}",
    not_utf8="is not UTF-8 text: save it as 'CSV UTF-8'",
    bad_csv="is not a well-formed CSV file: export it again",
    bad_csv_whole=True,
)
_NOT_A_WORKBOOK = "is not an XLSX workbook: save it as .xlsx"


# -- raw rows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawRow:
    """One row as the file has it. ``number`` is the row a spreadsheet shows (the header is
    row 1); ``overflow`` holds cells to the right of the last header, kept so a quarantined
    row is stored whole; ``too_long`` names the cells longer than a spreadsheet allows, kept
    cut to that length, which make the row bad (and quarantined), not the file."""

    number: int
    values: Mapping[str, str]
    overflow: tuple[str, ...] = ()
    too_long: tuple[str, ...] = ()


@dataclass(frozen=True)
class RawTable:
    headers: tuple[str, ...]
    rows: tuple[RawRow, ...]


def read_table(path: Path) -> RawTable:
    """Read a ``.csv`` or ``.xlsx`` file (the first sheet: KoboToolbox puts the main table
    first and repeat groups after it), or raise :class:`InputError`. CSV is UTF-8 with or
    without a byte order mark, its delimiter the one of comma, semicolon and tab found most
    in the header line (KoboToolbox exports use semicolons)."""
    file = str(path)
    problems: list[Problem] = []
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = read_text(path, file, _WORDING, problems)
        header_line = "" if text is None else text.split("\n", 1)[0]
        delimiter = max((",", ";", "\t"), key=header_line.count)
        rows = (
            []
            if text is None
            else list(
                csv_rows(
                    file, text, _WORDING, problems, delimiter=delimiter, strip=False, by_record=True
                )
            )
        )
    elif suffix == ".xlsx":
        rows = list(xlsx_rows(path, file, problems, not_a_workbook=_NOT_A_WORKBOOK))
    else:
        problems.append(
            Problem(file, None, None, "is neither .csv nor .xlsx: export the table as one")
        )
        rows = []
    if problems:
        raise InputError(problems)
    return _table(file, rows)


def _table(file: str, rows: list[Row]) -> RawTable:
    if not rows:
        raise InputError([Problem(file, None, None, "is empty: row 1 must hold the headers")])
    header_cells = [cell.strip() for cell in rows[0].cells]
    while header_cells and not header_cells[-1]:
        header_cells.pop()
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for column, header in enumerate(header_cells, start=1):
        if not header:
            problems.append(
                Problem(file, 1, None, f"column {column} has no header: name it or delete it")
            )
        elif header.casefold() in seen:
            problems.append(
                Problem(
                    file,
                    1,
                    header,
                    f"appears in columns {seen[header.casefold()]} and {column}: keep one of them",
                )
            )
        else:
            seen[header.casefold()] = column
    if not header_cells:
        problems.append(Problem(file, 1, None, "has no headers: row 1 must name the columns"))
    if problems:
        raise InputError(problems)
    headers = tuple(header_cells)
    raw_rows = []
    for row in rows[1:]:
        cells = row.cells
        if not any(cell.strip() for cell in cells):
            continue
        overflow = list(cells[len(headers) :])
        while overflow and not overflow[-1].strip():
            overflow.pop()
        values = {header: cells[i] if i < len(cells) else "" for i, header in enumerate(headers)}
        too_long = tuple(
            headers[i] if i < len(headers) else f"column {i + 1}" for i in row.too_long
        )
        raw_rows.append(RawRow(row.number, values, tuple(overflow), too_long))
    return RawTable(headers, tuple(raw_rows))


# -- the column mapping ----------------------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    """Which header each field is read from in one file, and what is wrong with its headers.

    ``problems`` are (header or field, message) pairs: they make every row of the file fail,
    which is why :meth:`ColumnMapping.check_headers` lets a caller refuse the file up front.
    """

    header_of: Mapping[Field, str]
    unused: tuple[str, ...]
    problems: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ColumnMapping:
    """Source headers per field, in order of preference, and the headers to ignore; all
    case-folded. See ``kobo_mapping.yaml`` for the matching rules."""

    aliases: Mapping[Field, tuple[str, ...]]
    ignored: frozenset[str]
    _resolved: dict[tuple[str, ...], Columns] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def default(cls) -> ColumnMapping:
        text = resources.files("safepassage.formats").joinpath(DEFAULT_MAPPING).read_text("utf-8")
        return cls._parse(DEFAULT_MAPPING, text, base=None)

    @classmethod
    def from_yaml(cls, path: Path) -> ColumnMapping:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            why = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
            raise InputError([Problem(str(path), None, None, f"cannot be read: {why}")]) from None
        return cls._parse(str(path), text, base=cls.default())

    @classmethod
    def _parse(cls, file: str, text: str, base: ColumnMapping | None) -> ColumnMapping:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            raise InputError([Problem(file, line, None, "is not valid YAML")]) from None
        problems: list[Problem] = []
        if not isinstance(data, dict):
            raise InputError([Problem(file, None, None, "must be a mapping with 'fields'")])
        for key in sorted(set(data) - {"fields", "ignore", "extends"}, key=str):
            problems.append(Problem(file, None, str(key), "is not a key of a column mapping"))
        extends = data.get("extends")
        if extends not in (None, EXTENDS_DEFAULT):
            problems.append(
                Problem(file, None, "extends", f"can only be '{EXTENDS_DEFAULT}' or left out")
            )
        aliases = _aliases(file, data.get("fields"), problems)
        ignored = _header_list(file, "ignore", data.get("ignore", []), problems)
        if problems:
            raise InputError(problems)
        if extends == EXTENDS_DEFAULT and base is not None:
            taken = {alias for names in aliases.values() for alias in names}
            merged = {
                name: aliases.get(name, ())
                + tuple(alias for alias in base.aliases.get(name, ()) if alias not in taken)
                for name in Field
            }
            return cls({k: v for k, v in merged.items() if v}, base.ignored | frozenset(ignored))
        return cls(aliases, frozenset(ignored))

    def columns(self, headers: Sequence[str]) -> Columns:
        """Resolve one file's headers (cached: every row of a file has the same headers)."""
        key = tuple(headers)
        if key not in self._resolved:
            self._resolved[key] = self._resolve(key)
        return self._resolved[key]

    def check_headers(self, file: str, headers: Sequence[str]) -> None:
        """Raise :class:`InputError` if no row of a file with these headers could be read."""
        columns = self.columns(headers)
        if columns.problems:
            raise InputError(
                Problem(file, 1, where, message) for where, message in columns.problems
            )

    def _resolve(self, headers: tuple[str, ...]) -> Columns:
        header_of: dict[Field, str] = {}
        recognised: set[str] = set()
        problems: list[tuple[str, str]] = []
        for name, aliases in self.aliases.items():
            for alias in aliases:
                matches = [header for header in headers if _matches(header, alias)]
                recognised.update(matches)
                if len(matches) > 1 and name not in header_of:
                    problems.append(
                        (
                            name.value,
                            f"columns {' and '.join(repr(h) for h in matches)} all match "
                            f"'{alias}': keep one, or map the right one by its full header "
                            "in a --mapping file",
                        )
                    )
                    header_of[name] = matches[0]
                elif matches and name not in header_of:
                    header_of[name] = matches[0]
        for name in sorted(REQUIRED - set(header_of)):
            accepted = ", ".join(self.aliases.get(name, ())) or "none in this mapping"
            problems.append(
                (name.value, f"is required and no column holds it (headers read: {accepted})")
            )
        fields_of: dict[str, list[Field]] = {}
        for name, header in header_of.items():
            fields_of.setdefault(header, []).append(name)
        for header, names in fields_of.items():
            if len(names) > 1:
                problems.append(
                    (header, f"matches several fields ({', '.join(names)}): fix the mapping")
                )
        unused = tuple(
            header
            for header in headers
            if header not in recognised and not any(_matches(header, i) for i in self.ignored)
        )
        return Columns(header_of, unused, tuple(problems))


def _matches(header: str, alias: str) -> bool:
    folded = header.strip().casefold()
    return folded == alias or ("/" not in alias and folded.rsplit("/", 1)[-1] == alias)


def _aliases(file: str, section: object, problems: list[Problem]) -> dict[Field, tuple[str, ...]]:
    if not isinstance(section, dict):
        problems.append(Problem(file, None, "fields", "must map SafePassage fields to headers"))
        return {}
    known = {name.value: name for name in Field}
    aliases: dict[Field, tuple[str, ...]] = {}
    owner: dict[str, Field] = {}
    for key, value in section.items():
        name = known.get(str(key))
        if name is None:
            problems.append(
                Problem(file, None, str(key), f"is not a field; fields are {', '.join(known)}")
            )
            continue
        headers = _header_list(
            file, name.value, [value] if isinstance(value, str) else value, problems
        )
        for header in headers:
            if header in owner:
                problems.append(
                    Problem(
                        file,
                        None,
                        name.value,
                        f"header '{header}' is also given for {owner[header].value}",
                    )
                )
            owner[header] = name
        aliases[name] = tuple(headers)
    return aliases


def _header_list(file: str, where: str, value: object, problems: list[Problem]) -> list[str]:
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item.strip() for item in value
    ):
        problems.append(Problem(file, None, where, "must be a list of column headers"))
        return []
    return [item.strip().casefold() for item in value]


# -- checking a row --------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdFields:
    """A household as one member's row describes it. ``source_id`` is the file's household
    id, an identifier of the source (possibly personal), never stored in clear."""

    source_id: str
    origin: str
    priority: int | None
    cleared_for: tuple[str, ...]
    hosts: tuple[str, ...]


@dataclass(frozen=True)
class RegistryRow:
    """A row that passed every check. ``retention_until`` is None where the file gave none."""

    number: int
    household: HouseholdFields
    personal: PersonalData
    status: Status
    retention_until: date | None


@dataclass(frozen=True)
class RowErrors:
    """A row that did not pass. ``external_id`` is kept (when it could be read) so that a
    corrected row for the same person later can settle the quarantined one."""

    number: int
    external_id: str
    problems: tuple[Problem, ...]


def check_row(row: RawRow, columns: Columns, *, file: str, today: date) -> RegistryRow | RowErrors:
    """Check every field of ``row`` and report each bad one; see the module for the rules."""
    problems = [Problem(file, row.number, where, message) for where, message in columns.problems]
    problems.extend(
        Problem(file, row.number, header, f"is longer than {LONGEST_CELL:,} characters: shorten it")
        for header in row.too_long
    )
    if any(cell.strip() for cell in row.overflow):
        problems.append(
            Problem(
                file,
                row.number,
                None,
                "has values to the right of the last column: give them a header or delete them",
            )
        )
    cells = _Cells(row, columns, file, problems)
    external_id = cells.parse(Field.EXTERNAL_ID, values.identifier, "")
    household_id = cells.parse(Field.HOUSEHOLD_ID, values.identifier, "")
    origin = cells.parse(Field.ORIGIN, values.place_id, "")
    priority = cells.parse(Field.PRIORITY, values.priority, None)
    cleared_for = cells.parse(Field.CLEARED_FOR, values.place_ids, NONE)
    hosts = cells.parse(Field.HOSTS, values.host_countries, NONE)
    name_arabic = cells.parse(Field.NAME_ARABIC, values.name_arabic, "")
    name_icao = cells.parse(Field.NAME_ICAO, values.name_icao, "")
    aliases = cells.parse(Field.ALIASES, values.aliases_of, NONE)
    birth = cells.parse(Field.DATE_OF_BIRTH, lambda text: values.birth(text, today), None)
    sex = cells.parse(Field.SEX, values.sex, Sex.UNKNOWN)
    role = cells.parse(Field.ROLE, values.word, "family")
    relationship = cells.parse(Field.RELATIONSHIP, values.word, "head")
    nationality = cells.parse(Field.NATIONALITY, values.travel_code, "")
    document = _document(cells, nationality)
    needs = cells.parse(Field.NEEDS, values.needs, NONE)
    risk = cells.parse(Field.RISK, values.risk, RiskLevel.MEDIUM)
    location = cells.parse(Field.LOCATION, values.free_text, "")
    consent = cells.parse(Field.CONSENT, values.consent, False)
    legal_basis = cells.parse(Field.LEGAL_BASIS, values.free_text, "")
    phone = cells.parse(Field.PHONE, values.phone, "")
    retention = cells.parse(Field.RETENTION_UNTIL, lambda text: values.after(text, today), None)
    status = cells.parse(Field.STATUS, values.status, Status.REGISTERED)
    if not consent and not legal_basis and not cells.failed(Field.CONSENT, Field.LEGAL_BASIS):
        cells.report(
            Field.CONSENT,
            "no consent and no legal basis: record the person's consent (yes) or, without "
            f"it, the legal basis of the registration in '{cells.name(Field.LEGAL_BASIS)}' "
            "(vital interests, for instance)",
        )
    if problems:
        return RowErrors(row.number, external_id, tuple(problems))
    return RegistryRow(
        number=row.number,
        household=HouseholdFields(household_id, origin, priority, cleared_for, hosts),
        personal=PersonalData(
            name_arabic=name_arabic,
            name_icao=name_icao,
            sex=sex,
            birth=birth,
            role=role,
            relationship=relationship,
            aliases=aliases,
            nationality=nationality,
            documents=(document,) if document else (),
            needs=needs,
            risk=risk,
            location=location,
            consent=consent,
            legal_basis=legal_basis,
            phone=phone,
            external_id=external_id,
        ),
        status=status,
        retention_until=retention,
    )


class _Cells:
    """Reads a row's fields, collecting one problem per bad field instead of stopping."""

    def __init__(self, row: RawRow, columns: Columns, file: str, problems: list[Problem]) -> None:
        self.row, self.columns, self.file, self.problems = row, columns, file, problems
        self.bad: set[Field] = set()

    def name(self, name: Field) -> str:
        """How the user knows the field: its header in their file, else our name for it."""
        return self.columns.header_of.get(name, name.value)

    def text(self, name: Field) -> str:
        header = self.columns.header_of.get(name)
        return self.row.values.get(header, "").strip() if header is not None else ""

    def report(self, name: Field, message: str) -> None:
        self.bad.add(name)
        self.problems.append(Problem(self.file, self.row.number, self.name(name), message))

    def failed(self, *names: Field) -> bool:
        return any(name in self.bad for name in names)

    def parse(self, name: Field, parser: Callable[[str], _T], default: _T) -> _T:
        text = self.text(name)
        if not text:
            if name in REQUIRED and name in self.columns.header_of:
                self.report(name, "is required and empty in this row: fill it in")
            return default
        try:
            return parser(text)
        except BadValueError as error:
            self.report(name, str(error))
            return default


def _document(cells: _Cells, nationality: str) -> IdentityDocument | None:
    number = cells.parse(Field.DOCUMENT_NUMBER, values.document_number, "")
    kind = cells.parse(Field.DOCUMENT_KIND, values.word, "passport")
    country = cells.parse(Field.DOCUMENT_COUNTRY, values.travel_code, "")
    expires = cells.parse(Field.DOCUMENT_EXPIRY, values.full_date, None)
    if cells.failed(Field.DOCUMENT_NUMBER, Field.DOCUMENT_COUNTRY, Field.NATIONALITY):
        return None
    if not number:
        for name in (Field.DOCUMENT_KIND, Field.DOCUMENT_COUNTRY, Field.DOCUMENT_EXPIRY):
            if cells.text(name):
                cells.report(
                    name,
                    f"describes a document but '{cells.name(Field.DOCUMENT_NUMBER)}' is empty: "
                    "give the number or clear this cell",
                )
        return None
    if not (country or nationality):
        cells.report(
            Field.DOCUMENT_COUNTRY,
            "is needed for the document (or a nationality to take it from): write the "
            "issuing country's three-letter code",
        )
        return None
    return IdentityDocument(kind, number, country or nationality, expires)
