"""A matching round read from a folder of CSV files (written by :mod:`.matching_writing`).

Input folder (column names case-insensitive, extra columns ignored, blank rows skipped):

- ``households.csv``: ``id, size`` and optionally ``medical`` (members needing a medical
  place, default 0), ``languages`` (``ar;en:2``: a code alone means every member speaks it,
  ``code:n`` that n members do), ``relatives_in`` (countries, ``;``-separated),
  ``preferences`` (pledge ids or countries, best first, ``;``-separated), ``group``,
  ``batch`` (0 the first arrivals), ``ready`` (ISO date).
- ``pledges.csv``: ``id, kind, country, places_persons`` and optionally ``places_households``,
  ``max_household_size`` (empty: no limit), ``medical_places`` (default 0), ``languages``,
  ``deadline`` (ISO date), ``requires_vetting`` (true/false, default true).
- ``vetting.csv`` (optional): ``household, host, status`` with ``host`` a pledge id or a
  country and ``status`` one of cleared, refused, pending. Without the file nobody is vetted.
- ``outcomes.csv`` or ``outcomes.parquet`` (optional): ``household, host, score`` with a score
  between 0 and 1, read in columns (:mod:`safepassage.formats.matching_outcomes`).
- ``overrides.csv`` (optional): ``household, host, action, reason`` with ``action`` pin or
  forbid; a reason is required, since it is what the audit trail keeps.
- ``rules.yaml`` (optional): ``floors: {group: share}`` and ``pacing: [share, ...]``.

A round taken from the registry (:class:`RecordedRound`) brings its households, sizes and
medical needs counted from the records, host clearances as vetting and the recorded overrides;
the folder then needs only ``pledges.csv``. Its ``households.csv`` is optional and adds what the
registry does not hold (``languages``, ``relatives_in``, ``preferences``, ``group``, ``batch``,
``ready``) to households of the round; sizes and medical needs stay the registry's. Its
``vetting.csv`` adds refusals and pending vettings; where both speak of one household and host,
the file wins (it can only be stricter than a clearance, or say the same). ``overrides.csv`` is
refused: overrides of registry households are recorded with ``safepassage override``, so that
the audit log keeps them.

Weights come from a separate YAML file (``placement, relatives, language, preference,
outcome, relatives_hard``); the defaults are :class:`~safepassage.matching.model.Weights`.

Every problem is collected before giving up, with its file, spreadsheet row (the header is row
1) and field. Messages never repeat what a cell holds, not even an id: a name typed into the
wrong column must not travel on into error logs, and the row and field find the cell.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml

from safepassage.formats.matching_outcomes import OutcomeIds, read_outcomes
from safepassage.formats.problems import InputError, Problem
from safepassage.formats.tables import (
    BadValueError,
    Header,
    Table,
    Wording,
    csv_rows,
    header_text,
    open_table,
    parsers,
    read_text,
)
from safepassage.matching.model import (
    PREFERENCE_DEPTH,
    Floor,
    HostKind,
    Household,
    MatchingProblem,
    Override,
    OverrideKind,
    Pledge,
    Vetting,
    VettingStatus,
    Weights,
)

HOUSEHOLDS_FILE = "households.csv"
PLEDGES_FILE = "pledges.csv"
VETTING_FILE = "vetting.csv"
OUTCOMES_FILE = "outcomes.csv"
OVERRIDES_FILE = "overrides.csv"
RULES_FILE = "rules.yaml"
ASSIGNMENT_FILE = "assignment.csv"
PLEDGE_USE_FILE = "pledge_use.csv"
EXPLANATIONS_FILE = "explanations.json"

HOUSEHOLD_COLUMNS = ("id", "size")
REGISTRY_HOUSEHOLD_OPTIONAL = (
    "languages",
    "relatives_in",
    "preferences",
    "group",
    "batch",
    "ready",
)
HOUSEHOLD_OPTIONAL = ("medical", *REGISTRY_HOUSEHOLD_OPTIONAL)
PLEDGE_COLUMNS = ("id", "kind", "country", "places_persons")
PLEDGE_OPTIONAL = (
    "places_households",
    "max_household_size",
    "medical_places",
    "languages",
    "deadline",
    "requires_vetting",
)
VETTING_COLUMNS = ("household", "host", "status")
OUTCOME_COLUMNS = ("household", "host", "score")
OVERRIDE_COLUMNS = ("household", "host", "action", "reason")
WEIGHT_KEYS = ("placement", "relatives", "language", "preference", "outcome", "relatives_hard")
SEPARATOR = ";"

_T = TypeVar("_T")
_WORDING = Wording(
    missing="file is missing: add it {expected}",
    unreadable="cannot be read ({reason})",
    not_utf8='is not UTF-8: save it as "CSV UTF-8"',
    bad_csv="cannot be read as CSV: check the quotes",
)
_HEADER = Header(
    missing="missing column(s) {missing}: the header is `{header}`",
    wrong_width="row has {cells} cells but the header has {width}: quote cells that contain commas",
    refuse_missing=True,
)


def _whole(text: str, least: int = 0) -> int:
    return parsers.whole(
        text,
        least,
        not_whole=f"is not a whole number: write a whole number of at least {least}",
        too_small=f"must be at least {least}",
    )


def _share(text: str) -> float:
    return parsers.share(
        text,
        not_number="is not a number: write a number between 0 and 1",
        out_of_range="must lie between 0 and 1",
    )


def _date(text: str) -> date:
    return parsers.iso_date(text, "is not a date: write it as YYYY-MM-DD, e.g. 2018-10-17")


def _flag(text: str) -> bool:
    return parsers.boolean(text, "write true or false")


def _choice(options: Sequence[str]) -> Callable[[str], str]:
    named = {option: option for option in options}
    message = f"write one of {', '.join(options)}"
    return lambda text: parsers.choice(text, named, message)


def _items(text: str) -> list[str]:
    return parsers.items(
        text, SEPARATOR, f"has an empty item: separate items with '{SEPARATOR}' and nothing else"
    )


class _Reader:
    """The round's files on the table core; every problem collected in ``problems``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.problems: list[Problem] = []

    def report(self, file: str, row: int | None, field: str | None, message: str) -> None:
        self.problems.append(Problem(file, row, field, message))

    def table(
        self, file: str, required: Sequence[str], optional: Sequence[str] = (), *, needed: bool
    ) -> Table | None:
        path = self.folder / file
        if not needed and not path.exists():
            return None
        expected = f"with the header `{header_text(required, optional)}`"
        text = read_text(path, file, _WORDING, self.problems, expected=expected)
        if text is None:
            return None
        rows = csv_rows(file, text, _WORDING, self.problems)
        return open_table(file, rows, required, optional, _HEADER, self.problems)

    def records(self, table: Table) -> Iterator[tuple[int, dict[str, str]]]:
        for row in table.records():
            yield row.number, {name: row.cells[index] for name, index in table.columns.items()}

    def value(
        self,
        table: Table,
        row: int,
        record: Mapping[str, str],
        field: str,
        parse: Callable[[str], _T],
        default: _T | None = None,
        *,
        required: bool = False,
    ) -> _T | None:
        text = record.get(field, "")
        if not text:
            if required:
                self.report(table.file, row, field, f"no value: fill in {field}")
            return default
        try:
            return parse(text)
        except BadValueError as bad:
            self.report(table.file, row, field, str(bad))
            return None


@dataclass(frozen=True)
class RecordedRound:
    """What the registry knows of a round: its households (sizes and medical needs counted
    from the records), the host countries that cleared them, and the overrides recorded."""

    households: tuple[Household, ...]
    cleared: tuple[tuple[str, str], ...] = ()  # (household, country)
    overrides: tuple[Override, ...] = ()

    def clearances(
        self, countries: Iterable[str], besides: Sequence[Vetting] = ()
    ) -> list[Vetting]:
        """Clearances by countries with a pledge, as vetting, unless ``besides`` (a partner's
        file) speaks of the same pair: it can only be stricter, or say the same."""
        pledging = set(countries)
        given = {(vetting.household, vetting.host) for vetting in besides}
        households = {household.id for household in self.households}
        return [
            Vetting(household, country, VettingStatus.CLEARED)
            for household, country in self.cleared
            if household in households and country in pledging and (household, country) not in given
        ]

    def overrides_within(self, pledge_ids: Iterable[str]) -> tuple[list[Override], list[Override]]:
        """The overrides of this round's households: those naming a pledge of the round, and
        those naming one it lacks (to be lifted or the pledge added: never dropped in
        silence). Overrides of households outside the round wait for a round that has them."""
        pledges = set(pledge_ids)
        households = {household.id for household in self.households}
        kept: list[Override] = []
        unknown: list[Override] = []
        for override in self.overrides:
            if override.household in households:
                (kept if override.host in pledges else unknown).append(override)
        return kept, unknown


def read_matching_folder(
    folder: Path, *, weights: Weights | None = None, recorded: RecordedRound | None = None
) -> MatchingProblem:
    """Read a round, or raise :class:`InputError` with every problem found."""
    if not folder.is_dir():
        raise InputError(
            [Problem(str(folder), None, None, "is not a folder: give the folder of the CSV files")]
        )
    reader = _Reader(folder)
    pledges, pledge_ids, countries = _read_pledges(reader)
    if recorded is None:
        households, household_ids = _read_households(reader, pledge_ids, countries)
        vetting = _read_vetting(reader, household_ids, pledge_ids | countries)
        overrides = _read_overrides(reader, household_ids, pledge_ids)
    else:
        households = _recorded_households(reader, recorded, pledge_ids, countries)
        household_ids = {h.id for h in households}
        from_file = _read_vetting(reader, household_ids, pledge_ids | countries)
        vetting = from_file + recorded.clearances(countries, from_file)
        overrides = _recorded_overrides(reader, recorded, pledge_ids)
    outcomes = read_outcomes(
        folder,
        OutcomeIds([h.id for h in households], [p.id for p in pledges], household_ids, pledge_ids),
        reader.report,
    )
    floors, pacing = _read_rules(reader, {h.group for h in households})
    if reader.problems:
        raise InputError(reader.problems)
    try:
        return MatchingProblem(
            households=tuple(households),
            pledges=tuple(pledges),
            vetting=tuple(vetting),
            outcomes=outcomes,
            overrides=tuple(overrides),
            weights=weights or Weights(),
            floors=floors,
            pacing=pacing,
        )
    except ValueError as error:  # a rule between files no row-level check could see
        raise InputError([Problem(str(folder), None, None, str(error))]) from None


def _unique_id(
    reader: _Reader,
    file: str,
    row: int,
    record: dict[str, str],
    first_rows: dict[str, int],
    what: str,
) -> str | None:
    """The row's ``id``, or None (reported) when it is empty or an earlier row has it."""
    record_id = record.get("id", "")
    if not record_id:
        reader.report(file, row, "id", f"no value: give the {what} an id")
        return None
    if first_rows.setdefault(record_id, row) != row:
        reader.report(
            file,
            row,
            "id",
            f"this {what} id is also on row {first_rows[record_id]}: give each {what} its own id",
        )
        return None
    return record_id


def _read_pledges(reader: _Reader) -> tuple[list[Pledge], set[str], set[str]]:
    """The pledges, and every id and country a row gave (a malformed row still makes them
    known, so that other files naming them are not reported as well)."""
    table = reader.table(PLEDGES_FILE, PLEDGE_COLUMNS, PLEDGE_OPTIONAL, needed=True)
    if table is None:
        return [], set(), set()
    result: list[Pledge] = []
    first_rows: dict[str, int] = {}
    rows: list[tuple[int, str]] = []
    named: set[str] = set()
    for row, record in reader.records(table):
        pledge_id = _unique_id(reader, table.file, row, record, first_rows, "pledge")
        if pledge_id is None:
            continue
        named.add(record.get("country", ""))
        v = reader.value
        kind = v(table, row, record, "kind", _choice(tuple(HostKind)), required=True)
        country = record.get("country", "")
        if not country:
            reader.report(table.file, row, "country", "no value: fill in the host's country")
        persons = v(table, row, record, "places_persons", _whole, required=True)
        households = v(table, row, record, "places_households", _whole)
        largest = v(table, row, record, "max_household_size", lambda t: _whole(t, 1))
        medical = v(table, row, record, "medical_places", _whole, 0)
        no_codes: list[str] = []
        languages = v(table, row, record, "languages", _items, no_codes)
        deadline = v(table, row, record, "deadline", _date)
        vets = v(table, row, record, "requires_vetting", _flag, True)
        rows.append((row, pledge_id))
        if None in (kind, persons, medical, languages, vets) or not country:
            continue
        assert kind is not None and persons is not None and medical is not None
        assert languages is not None and vets is not None
        result.append(
            Pledge(
                id=pledge_id,
                kind=HostKind(kind),
                country=country,
                places_persons=persons,
                places_households=households,
                max_household_size=largest,
                medical_places=medical,
                languages=frozenset(code.lower() for code in languages),
                deadline=deadline,
                requires_vetting=vets,
            )
        )
    countries = {p.country for p in result}
    for row, pledge_id in rows:
        if pledge_id in countries:
            reader.report(
                table.file,
                row,
                "id",
                "this pledge id is also a country in the file: vetting and preferences naming "
                "it would be ambiguous; add to the id, e.g. -national",
            )
    return result, set(first_rows), named - {""}


def _languages(size: int | None) -> Callable[[str], list[tuple[str, int]]]:
    def parse(text: str) -> list[tuple[str, int]]:
        result: list[tuple[str, int]] = []
        for item in _items(text):
            code, _, count = item.partition(":")
            code = code.strip().lower()
            if not code:
                raise BadValueError("has a language without a code: write e.g. ar;en:2")
            if any(code == known for known, _n in result):
                raise BadValueError("lists a language twice")
            speakers = _whole(count.strip(), 1) if count else (size or 1)
            if size is not None and speakers > size:
                raise BadValueError(
                    "names more speakers of a language than the household has members"
                )
            result.append((code, speakers))
        return result

    return parse


def _read_households(
    reader: _Reader,
    pledge_ids: set[str],
    countries: set[str],
    recorded: Mapping[str, Household] | None = None,
) -> tuple[list[Household], set[str]]:
    """The households, and every id a row gave (as for pledges). With ``recorded`` (the
    registry's households) the file is optional and only adds to them."""
    if recorded is None:
        table = reader.table(HOUSEHOLDS_FILE, HOUSEHOLD_COLUMNS, HOUSEHOLD_OPTIONAL, needed=True)
    else:
        table = reader.table(HOUSEHOLDS_FILE, ("id",), REGISTRY_HOUSEHOLD_OPTIONAL, needed=False)
    if table is None:
        return [], set()
    result: list[Household] = []
    first_rows: dict[str, int] = {}
    for row, record in reader.records(table):
        household_id = _unique_id(reader, table.file, row, record, first_rows, "household")
        if household_id is None:
            continue
        v = reader.value
        if recorded is None:
            size = v(table, row, record, "size", lambda t: _whole(t, 1), required=True)
            medical = v(table, row, record, "medical", _whole, 0)
        elif household_id not in recorded:
            reader.report(
                table.file,
                row,
                "id",
                "names no household of this round (members crossed or in transit, in the registry)",
            )
            continue
        else:
            size, medical = recorded[household_id].size, recorded[household_id].medical
            for counted in ("size", "medical"):
                if record.get(counted):
                    reader.report(
                        table.file,
                        row,
                        counted,
                        "is counted from the registry's records: leave the column out",
                    )
        if size is not None and medical is not None and medical > size:
            reader.report(
                table.file, row, "medical", "more members with medical needs than members"
            )
            medical = None
        nobody: list[tuple[str, int]] = []
        nothing: list[str] = []
        languages = v(table, row, record, "languages", _languages(size), nobody)
        relatives = v(table, row, record, "relatives_in", _items, nothing)
        preferences = v(table, row, record, "preferences", _items, nothing)
        if preferences is not None:
            preferences = _check_preferences(
                reader, table.file, row, preferences, pledge_ids, countries
            )
        batch = v(table, row, record, "batch", _whole, 0)
        ready = v(table, row, record, "ready", _date)
        parts = (size, medical, languages, relatives, preferences, batch)
        if any(part is None for part in parts):
            continue
        assert size is not None and medical is not None and languages is not None
        assert relatives is not None and preferences is not None and batch is not None
        result.append(
            Household(
                id=household_id,
                size=size,
                medical=medical,
                languages=tuple(languages),
                relatives_in=frozenset(relatives),
                preferences=tuple(preferences),
                group=record.get("group", ""),
                batch=batch,
                ready=ready,
            )
        )
    return result, set(first_rows)


def _recorded_households(
    reader: _Reader, recorded: RecordedRound, pledge_ids: set[str], countries: set[str]
) -> list[Household]:
    """The registry's households in the registry's order, each with what the file adds."""
    known = {household.id: household for household in recorded.households}
    added, _ids = _read_households(reader, pledge_ids, countries, known)
    by_id = {household.id: household for household in added}
    return [by_id.get(household.id, household) for household in recorded.households]


def _recorded_overrides(
    reader: _Reader, recorded: RecordedRound, pledge_ids: set[str]
) -> list[Override]:
    if (reader.folder / OVERRIDES_FILE).exists():
        reader.report(
            OVERRIDES_FILE,
            None,
            None,
            "a registry round takes its overrides from the registry, where they are audited: "
            "record each with `safepassage override pin|forbid` and remove this file",
        )
    kept, unknown = recorded.overrides_within(pledge_ids)
    for override in unknown:
        reader.report(
            PLEDGES_FILE,
            None,
            "id",
            f"has no pledge {override.host}, which a recorded override names: add the "
            "pledge, or lift the override with `safepassage override lift`",
        )
    return kept


def _check_preferences(
    reader: _Reader,
    file: str,
    row: int,
    preferences: list[str],
    pledge_ids: set[str],
    countries: set[str],
) -> list[str] | None:
    if len(preferences) > PREFERENCE_DEPTH:
        reader.report(
            file,
            row,
            "preferences",
            f"ranks more than {PREFERENCE_DEPTH}: keep the best {PREFERENCE_DEPTH}",
        )
        return None
    if len(set(preferences)) != len(preferences):
        reader.report(file, row, "preferences", "ranks the same place twice")
        return None
    unknown = [p for p in preferences if p not in pledge_ids and p not in countries]
    if unknown and (pledge_ids or countries):
        reader.report(
            file,
            row,
            "preferences",
            f"ranks a place that is neither a pledge id nor a country in {PLEDGES_FILE}",
        )
        return None
    return preferences


def _pair_key(
    reader: _Reader,
    file: str,
    row: int,
    record: Mapping[str, str],
    households: set[str],
    hosts: set[str],
    what: str,
) -> tuple[str, str] | None:
    household, host = record.get("household", ""), record.get("host", "")
    good = True
    if household not in households:
        reader.report(file, row, "household", f"names no household of {HOUSEHOLDS_FILE}")
        good = False
    if host not in hosts:
        reader.report(file, row, "host", f"names no {what} of {PLEDGES_FILE}")
        good = False
    return (household, host) if good else None


def _read_vetting(reader: _Reader, households: set[str], hosts: set[str]) -> list[Vetting]:
    table = reader.table(VETTING_FILE, VETTING_COLUMNS, needed=False)
    if table is None:
        return []
    result = []
    seen: dict[tuple[str, str], int] = {}
    statuses = tuple(VettingStatus)
    for row, record in reader.records(table):
        key = _pair_key(reader, table.file, row, record, households, hosts, "pledge or country")
        status = reader.value(table, row, record, "status", _choice(statuses), required=True)
        if key is None or status is None:
            continue
        if seen.setdefault(key, row) != row:
            reader.report(
                table.file,
                row,
                None,
                f"the same household and host are also on row {seen[key]}: keep one vetting "
                "outcome per pair",
            )
            continue
        result.append(Vetting(key[0], key[1], VettingStatus(status)))
    return result


def _read_overrides(reader: _Reader, households: set[str], pledges: set[str]) -> list[Override]:
    table = reader.table(OVERRIDES_FILE, OVERRIDE_COLUMNS, needed=False)
    if table is None:
        return []
    result = []
    pinned: dict[str, int] = {}
    seen: dict[tuple[str, str], int] = {}
    for row, record in reader.records(table):
        key = _pair_key(reader, table.file, row, record, households, pledges, "pledge")
        action = reader.value(
            table, row, record, "action", _choice(tuple(OverrideKind)), required=True
        )
        reason = record.get("reason", "")
        if not reason:
            reader.report(
                table.file, row, "reason", "no value: say why, the reason is kept with the decision"
            )
        if key is None or action is None or not reason:
            continue
        if seen.setdefault(key, row) != row:
            reader.report(
                table.file,
                row,
                None,
                f"the same household and pledge are also on row {seen[key]}: keep one "
                "decision per pair",
            )
            continue
        if action == OverrideKind.PIN and pinned.setdefault(key[0], row) != row:
            reader.report(
                table.file,
                row,
                "action",
                f"this household is already pinned on row {pinned[key[0]]}: a household goes "
                "to one place",
            )
            continue
        result.append(Override(key[0], key[1], OverrideKind(action), reason))
    return result


def _read_rules(reader: _Reader, groups: set[str]) -> tuple[tuple[Floor, ...], tuple[float, ...]]:
    path = reader.folder / RULES_FILE
    if not path.exists():
        return (), ()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError):
        reader.report(RULES_FILE, None, None, "is not valid YAML")
        return (), ()
    if not isinstance(data, dict):
        reader.report(RULES_FILE, None, None, "write `floors:` and `pacing:` at the top level")
        return (), ()
    floors: list[Floor] = []
    raw_floors = data.get("floors") or {}
    if not isinstance(raw_floors, dict):
        reader.report(RULES_FILE, None, "floors", "write one `group: share` per line")
        raw_floors = {}
    for group, share in raw_floors.items():
        if str(group) not in groups:
            reader.report(RULES_FILE, None, f"floors.{group}", "no household is in this group")
        elif not isinstance(share, int | float) or not 0 <= share <= 1:
            reader.report(RULES_FILE, None, f"floors.{group}", "the share must lie between 0 and 1")
        else:
            floors.append(Floor(str(group), float(share)))
    raw_pacing = data.get("pacing") or []
    pacing: tuple[float, ...] = ()
    if (
        not isinstance(raw_pacing, list)
        or not all(isinstance(p, int | float) and 0 < p <= 1 for p in raw_pacing)
        or any(a > b for a, b in itertools.pairwise(raw_pacing))
    ):
        reader.report(
            RULES_FILE,
            None,
            "pacing",
            "write a list of shares that rise from batch to batch, "
            "each above 0 and at most 1, e.g. [0.5, 0.8]",
        )
    else:
        pacing = tuple(float(p) for p in raw_pacing)
    return tuple(floors), pacing


def read_weights(path: Path) -> Weights:
    """The published weights from YAML; keys left out keep their defaults."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise InputError(
            [Problem(str(path), None, None, f"cannot be read ({error.strerror})")]
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError):
        raise InputError([Problem(str(path), None, None, "is not valid YAML")]) from None
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), None, None, "write one `name: weight` per line")])
    problems = [
        Problem(str(path), None, str(key), f"unknown weight: use {', '.join(WEIGHT_KEYS)}")
        for key in data
        if key not in WEIGHT_KEYS
    ]
    values: dict[str, Any] = {}
    for key in WEIGHT_KEYS[:-1]:
        if key in data:
            value = data[key]
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                problems.append(Problem(str(path), None, key, "write a number of 0 or more"))
            else:
                values[key] = float(value)
    if "relatives_hard" in data:
        if not isinstance(data["relatives_hard"], bool):
            problems.append(Problem(str(path), None, "relatives_hard", "write true or false"))
        else:
            values["relatives_hard"] = data["relatives_hard"]
    if values.get("placement", 1.0) <= 0:
        problems.append(
            Problem(str(path), None, "placement", "placing a person must be worth more than 0")
        )
    if problems:
        raise InputError(problems)
    return Weights(**values)
