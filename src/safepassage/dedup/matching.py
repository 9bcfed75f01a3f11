"""Candidate duplicate pairs in a registry, scored by a Fellegi-Sunter model (Splink on DuckDB).

Pairs are only ever compared within blocks that share a transliteration key (given and family
name in either script, family name and birth year, the set of name parts in any order, the
household with the given name or the birth year), so a registry of a hundred thousand people
costs a few million comparisons rather than five billion. Each pair is then scored on its names
(given, father's and family name, each by exact spelling, by skeleton key in either script or
across scripts, where a name written family name first puts it, and by one keying error), date
of birth, sex, household and place.

Relatives are the trap: brothers share their father's and family name, household and place, and
a model that counts those as separate pieces of evidence takes every pair of brothers born a
year apart for one person. So the household is weighed together with the family and father's
names, and what tells a duplicate from a brother is left to the given name and the date of
birth. For the same reason the m probabilities are set, not learnt (see :func:`_settings`); the
u probabilities are learnt from random pairs of the registry itself, and the prior from the
pairs that agree on everything, so no labelled data is needed.

Personal data never touches the disk: DuckDB runs in memory with no temporary directory (a query
that outgrows memory fails instead of spilling to disk), external file access switched off and
the configuration locked before Splink gets the connection. Nothing here logs or raises with a
name or a date in it. Splink is imported only when matching runs (it takes half a second), so
importing the package stays cheap.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from safepassage.dedup.transliteration import NameKeys, keys_of_names, set_key

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

SEX_VALUES = frozenset(("F", "M"))

U_SAMPLE_PAIRS = 1.2e6
"""Random pairs for estimating u. A level that none of them reaches is given the u of one pair
in the sample (``unseen_u``) rather than none, which would let it veto or decide on its own."""

DETERMINISTIC_RECALL = 0.6
"""Share of duplicate registrations assumed to agree exactly on every name part and on a full
date of birth; it sets the prior (how many pairs in the registry are duplicates at all). Half to
two thirds is what respelling, typing errors and forgotten dates leave in registration drives."""


@dataclass(frozen=True, slots=True)
class DedupRecord:
    """One registration as deduplication sees it. ``birth_date`` is ISO (YYYY-MM-DD) or None;
    ``sex``, ``household_id`` and ``place`` may be empty when unknown."""

    id: str
    name_arabic: str
    name_latin: str
    birth_year: int | None
    birth_date: str | None
    sex: str
    household_id: str
    place: str


@dataclass(frozen=True, slots=True, order=True)
class CandidatePair:
    """Two registrations that may be one person; ``left_id < right_id``."""

    left_id: str
    right_id: str
    match_probability: float
    match_weight: float


@dataclass(frozen=True)
class MatchingRun:
    """Candidate pairs and what finding them cost: ``compared`` pairs left by blocking."""

    pairs: tuple[CandidatePair, ...]
    compared: int
    blocking_seconds: float
    scoring_seconds: float


def find_candidates(
    records: Sequence[DedupRecord], *, threshold: float, seed: int = 0
) -> list[CandidatePair]:
    """Pairs whose match probability is at least ``threshold``, sorted by ids.

    ``seed`` fixes the random pairs that estimate u; the same records and seed give the same
    pairs and scores. What agreeing on a name is worth is learnt from the registry itself, so
    scores mean little in a registry of a few dozen people.
    """
    return list(run_matching(records, threshold=threshold, seed=seed).pairs)


def run_matching(records: Sequence[DedupRecord], *, threshold: float, seed: int = 0) -> MatchingRun:
    """:func:`find_candidates` with the number of compared pairs and the time spent."""
    if not 0 <= threshold <= 1:
        raise ValueError("threshold is a match probability, between 0 and 1")
    if len({record.id for record in records}) != len(records):
        raise ValueError("record ids must be unique")
    if len(records) < 2:
        return MatchingRun((), 0, 0.0, 0.0)

    started = time.perf_counter()
    from splink import DuckDBAPI, Linker

    connection = memory_only_connection()
    try:
        api = DuckDBAPI(connection=connection)
        table = api.register(_columns(records), table_name="registrations")
        pairs_in_all = len(records) * (len(records) - 1) / 2
        settings = _settings(
            unseen_u=1 / min(U_SAMPLE_PAIRS, pairs_in_all),
            prior=_prior(connection, table.physical_name, pairs_in_all),
        )
        linker = Linker(table, settings, log_level=None)
        blocked = linker.inference.compute_blocked_pairs_for_predict()
        compared = _count(blocked.as_duckdbpyrelation())
        blocked_at = time.perf_counter()
        linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=seed)
        predictions = linker.inference.predict(
            threshold_match_probability=threshold, warning_mode="never"
        )
        rows = predictions.as_duckdbpyrelation().select(
            "unique_id_l, unique_id_r, match_probability, match_weight"
        )
        pairs = tuple(
            sorted(
                CandidatePair(min(left, right), max(left, right), float(prob), float(weight))
                for left, right, prob, weight in rows.fetchall()
            )
        )
        finished = time.perf_counter()
    finally:
        connection.close()
    return MatchingRun(pairs, compared, blocked_at - started, finished - blocked_at)


def memory_only_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that cannot write personal data anywhere: no temporary directory to
    spill to, no file access, and settings locked so that nothing can turn either back on."""
    import duckdb

    connection = duckdb.connect(":memory:", config={"temp_directory": ""})
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")
    return connection


def _count(relation: duckdb.DuckDBPyRelation) -> int:
    ((count,),) = relation.aggregate("count(*)").fetchall()
    return int(count)


def _columns(records: Sequence[DedupRecord]) -> pa.Table:
    """The registry as the columns the model compares: name parts as spelled and as keys, in
    both scripts, lists of keys for comparing parts wherever they stand in a name."""
    import pyarrow as pa

    latin = keys_of_names(record.name_latin for record in records)
    arabic = keys_of_names(record.name_arabic for record in records)
    columns: dict[str, list[Any]] = {
        "unique_id": [record.id for record in records],
        "birth_year": [record.birth_year for record in records],
        "birth_date": [record.birth_date or None for record in records],
        "sex": [record.sex if record.sex in SEX_VALUES else None for record in records],
        "household_id": [record.household_id or None for record in records],
        "place": [record.place or None for record in records],
    }
    for part, pick in (("given", _given), ("father", _middle), ("family", _family)):
        columns[f"{part}_latin"] = [pick(name.forms) for name in latin]
        columns[f"{part}_arabic"] = [pick(name.forms) for name in arabic]
        columns[f"{part}_keys"] = [
            _distinct(pick(a.keys), pick(b.keys)) for a, b in zip(latin, arabic, strict=True)
        ]
        columns[f"{part}_key"] = [
            pick(a.keys) or pick(b.keys) for a, b in zip(latin, arabic, strict=True)
        ]
    columns["name_keys"] = [_distinct(*a.keys, *b.keys) for a, b in zip(latin, arabic, strict=True)]
    columns["name_set"] = [_set_of(a) or _set_of(b) for a, b in zip(latin, arabic, strict=True)]
    columns["given_key_arabic"] = [_given(name.keys) for name in arabic]
    columns["family_key_arabic"] = [_family(name.keys) for name in arabic]
    keys = pa.list_(pa.string())
    types = {name: keys for name in columns if name.endswith("_keys")}
    types["birth_year"] = pa.int32()
    schema = pa.schema([(name, types.get(name, pa.string())) for name in columns])
    return pa.table(columns, schema=schema)


def _given(parts: tuple[str, ...]) -> str | None:
    return parts[0] if parts else None


def _middle(parts: tuple[str, ...]) -> str | None:
    return parts[1] if len(parts) > 2 else None


def _family(parts: tuple[str, ...]) -> str | None:
    return parts[-1] if len(parts) > 1 else None


def _distinct(*keys: str | None) -> list[str] | None:
    present = sorted({key for key in keys if key})
    return present or None


def _set_of(name: NameKeys) -> str | None:
    return set_key(name.keys) if len(name.keys) > 1 else None


def _level(sql: str, label: str, m: float) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, "m_probability": m}


def _null(sql: str) -> dict[str, Any]:
    return {"sql_condition": sql, "is_null_level": True}


def _part_levels(part: str, unless: str | None = None) -> list[dict[str, Any]]:
    """Agreement on one name part, strongest first: the same spelling in either script; the same
    key, or one keying error in the Latin spelling, told apart by whether the Arabic spelling
    could have settled it (brothers Jamal and Kamal, Mohammad and Mahmoud differ in Arabic); the
    part found elsewhere in a name written family name first.

    A duplicate almost always keeps a part recognisable one way or another; a different part
    is what sets brothers apart, so it must weigh heavily against. Pairs meeting ``unless`` are
    left neutral (the part is weighed elsewhere for them)."""
    latin, arabic, keys = f"{part}_latin", f"{part}_arabic", f"{part}_keys"
    missing = f"{keys}_l IS NULL OR {keys}_r IS NULL" + (f" OR {unless}" if unless else "")
    no_arabic = f"({arabic}_l IS NULL OR {arabic}_r IS NULL)"
    same_key = f"({part}_key_l = {part}_key_r OR list_has_any({keys}_l, {keys}_r))"
    mistyped = f"damerau_levenshtein({latin}_l, {latin}_r) <= 1"
    return [
        _null(missing),
        _level(f"{latin}_l = {latin}_r OR {arabic}_l = {arabic}_r", "same spelling", 0.85),
        _level(f"{same_key} AND {no_arabic}", "same key, no Arabic to compare", 0.05),
        _level(same_key, "same key, other Arabic spelling", 0.02),
        _level(_ELSEWHERE[part], "where a name written family name first has it", 0.04),
        _level(f"{mistyped} AND {no_arabic}", "one keying error, no Arabic to compare", 0.02),
        _level("ELSE", "different", 0.02),
    ]


_FAMILY_FIRST_RIGHT = "list_has_any(family_keys_l, given_keys_r)"
_FAMILY_FIRST_LEFT = "list_has_any(family_keys_r, given_keys_l)"
_ELSEWHERE = {
    "given": f"({_FAMILY_FIRST_RIGHT} AND list_has_any(given_keys_l, name_keys_r)) "
    f"OR ({_FAMILY_FIRST_LEFT} AND list_has_any(given_keys_r, name_keys_l))",
    "father": f"({_FAMILY_FIRST_RIGHT} AND list_has_any(father_keys_l, family_keys_r)) "
    f"OR ({_FAMILY_FIRST_LEFT} AND list_has_any(father_keys_r, family_keys_l))",
    "family": f"{_FAMILY_FIRST_RIGHT} OR {_FAMILY_FIRST_LEFT}",
}
"""Where each part of GIVEN FATHER FAMILY lands when the other registration wrote it
FAMILY GIVEN FATHER (or FAMILY GIVEN): the family name in the given name's place, the given
name next, the father's name last."""
_FAMILY_SAME = (
    "family_latin_l = family_latin_r OR family_arabic_l = family_arabic_r "
    "OR family_key_l = family_key_r OR list_has_any(family_keys_l, family_keys_r)"
)
_SAME_HOUSEHOLD = "household_id_l = household_id_r"
_FATHER_AGREES = (
    "(father_latin_l = father_latin_r OR father_arabic_l = father_arabic_r "
    "OR list_has_any(father_keys_l, father_keys_r) "
    "OR damerau_levenshtein(father_latin_l, father_latin_r) <= 1 "
    f"OR {_ELSEWHERE['father']})"
)
_PLACEHOLDER = "'-01-01'"
_DAYS_KNOWN = "NOT ends_with(birth_date_l, '-01-01') AND NOT ends_with(birth_date_r, '-01-01')"
_DAY_UNKNOWN = f"(birth_date_l IS NULL OR birth_date_r IS NULL OR NOT ({_DAYS_KNOWN}))"
_SAME_DAY = f"substr(birth_date_l, 6) = substr(birth_date_r, 6) AND {_DAYS_KNOWN}"


def _family_household_levels() -> list[dict[str, Any]]:
    """The household weighed together with the family and father's names, because among people
    who are not duplicates they go together: brothers and sisters share all three, so counting
    them apart would count one piece of evidence three times. The father's name is compared on
    its own (:func:`_settings`) only across households."""
    same_family = f"({_FAMILY_SAME} OR {_ELSEWHERE['family']})"
    return [
        _null("family_keys_l IS NULL OR family_keys_r IS NULL"),
        _level(
            f"{_SAME_HOUSEHOLD} AND {same_family} AND {_FATHER_AGREES}",
            "same household, family and father",
            0.66,
        ),
        _level(
            f"{_SAME_HOUSEHOLD} AND {same_family} "
            "AND (father_keys_l IS NULL OR father_keys_r IS NULL)",
            "same household and family, a father's name missing",
            0.1,
        ),
        _level(f"{_SAME_HOUSEHOLD} AND {same_family}", "same household and family", 0.01),
        _level(_SAME_HOUSEHOLD, "same household, other family", 0.02),
        _level(_FAMILY_SAME, "other household, same family", 0.17),
        _level(
            f"{_ELSEWHERE['family']} OR damerau_levenshtein(family_latin_l, family_latin_r) <= 1",
            "other household, family elsewhere or mistyped",
            0.03,
        ),
        _level("ELSE", "different", 0.01),
    ]


def _birth_levels() -> list[dict[str, Any]]:
    """A 1 January date stands for an unknown day. When the year is misremembered the day
    usually is not, so a year apart on different known days is a different person; an age
    guessed a few years off happens, a generation off does not."""
    same_year = "birth_year_l = birth_year_r"
    year_apart = "abs(birth_year_l - birth_year_r) = 1"
    return [
        _null("birth_year_l IS NULL OR birth_year_r IS NULL"),
        _level(f"birth_date_l = birth_date_r AND {_DAYS_KNOWN}", "same date", 0.56),
        _level(
            f"{same_year} AND substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2) "
            "AND substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2)",
            "day and month swapped",
            0.02,
        ),
        _level(f"{same_year} AND {_DAY_UNKNOWN}", "same year, day unknown", 0.2),
        _level(same_year, "same year, other day", 0.01),
        _level(f"{year_apart} AND {_SAME_DAY}", "a year apart, same day", 0.06),
        _level(f"{year_apart} AND {_DAY_UNKNOWN}", "a year apart, day unknown", 0.09),
        _level(year_apart, "a year apart, other day", 0.01),
        _level(
            f"abs(birth_year_l - birth_year_r) <= 5 AND {_DAY_UNKNOWN}",
            "2 to 5 years apart, day unknown",
            0.04,
        ),
        _level("abs(birth_year_l - birth_year_r) <= 5", "2 to 5 years apart", 0.005),
        _level("ELSE", "further apart", 0.005),
    ]


def _sex_levels() -> list[dict[str, Any]]:
    return [
        _null("sex_l IS NULL OR sex_r IS NULL"),
        _level("sex_l = sex_r", "same", 0.98),
        _level("ELSE", "different", 0.02),
    ]


def _place_levels() -> list[dict[str, Any]]:
    """Where a household registered says nothing more once the household is the same."""
    return [
        _null(f"place_l IS NULL OR place_r IS NULL OR {_SAME_HOUSEHOLD}"),
        _level("place_l = place_r", "same", 0.6),
        _level("ELSE", "different", 0.4),
    ]


def _settings(*, unseen_u: float, prior: float) -> dict[str, Any]:
    """The model, in DuckDB SQL over the columns of :func:`_columns`.

    The m probabilities (how often a duplicate registration shows each level) are set here
    rather than learnt: in every block where expectation maximisation could learn them,
    relatives outnumber duplicates and EM takes them for the matching class (tried: it put the
    chance that a duplicate has another given name at 0.43), and variants that block rarely
    catches (written family name first, say) come out with m near zero, which vetoes them.
    """
    comparisons: list[dict[str, Any]] = [
        {"output_column_name": "given", "comparison_levels": _part_levels("given")},
        {
            "output_column_name": "father",
            "comparison_levels": _part_levels("father", unless=_SAME_HOUSEHOLD),
        },
        {
            "output_column_name": "family_household",
            "comparison_levels": _family_household_levels(),
        },
        {"output_column_name": "birth", "comparison_levels": _birth_levels()},
        {"output_column_name": "sex", "comparison_levels": _sex_levels()},
        {"output_column_name": "place", "comparison_levels": _place_levels()},
    ]
    for comparison in comparisons:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                level["u_probability"] = unseen_u
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior,
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": [
            _block("given_key", "family_key"),
            _block("given_key_arabic", "family_key_arabic"),
            _block("family_key", "birth_year"),
            _block("name_set"),
            _block("household_id", "given_key"),
            _block("household_id", "birth_year"),
        ],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }


def _block(*columns: str) -> str:
    return " AND ".join(f"l.{column} = r.{column}" for column in columns)


def _prior(connection: duckdb.DuckDBPyConnection, table: str, pairs_in_all: float) -> float:
    """The share of all pairs that are duplicates: pairs agreeing on every name part and on a
    full date of birth, taken as :data:`DETERMINISTIC_RECALL` of all duplicates. At least one
    such pair is assumed (a registry is never known to be clean), and at most half of all
    pairs (a registry of two identical records)."""
    ((agreeing,),) = connection.sql(
        f"SELECT count(*) FROM {table} AS l JOIN {table} AS r "
        "ON l.name_set = r.name_set AND l.birth_date = r.birth_date "
        f"AND l.unique_id < r.unique_id WHERE NOT ends_with(l.birth_date, {_PLACEHOLDER})"
    ).fetchall()
    return min(max(int(agreeing), 1) / DETERMINISTIC_RECALL / pairs_in_all, 0.5)
