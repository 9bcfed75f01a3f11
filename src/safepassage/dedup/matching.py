"""Candidate duplicate pairs in a registry, scored by a Fellegi-Sunter model (Splink on DuckDB).

Pairs are only ever compared within blocks, so a registry of a hundred thousand people costs a
few million comparisons rather than five billion. The blocks are several passes OR-ed together,
each on another field, so that no single error keeps a pair apart: given and family name keys
(in either script), family name and birth year, the set of name parts in any order, the
household with the given name or the birth year, each identity document number, the phone, the
full date of birth with the place, and any name part with the full date of birth or with the
place and birth year (which also bring one-part names together). A typo in the family name
leaves the given name and the date; a changed date leaves the names; two registrations with
nothing in common but a passport number are still compared. The model that scores a compared
pair is :mod:`safepassage.dedup.comparisons`; its u probabilities are learnt from random pairs
of the registry itself, and the share of duplicates among all pairs (the prior) from the scores
themselves (:func:`_above`), so no labelled data is needed.

Personal data never touches the disk: DuckDB runs in memory with no temporary directory (a query
that outgrows memory fails instead of spilling to disk), external file access switched off and
the configuration locked before Splink gets the connection. Nothing here logs or raises with a
name or a date in it. Splink is imported only when matching runs (it takes half a second), so
importing the package stays cheap.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from safepassage.dedup.comparisons import PLACEHOLDER, settings
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
date of birth; it sets the first guess of the prior (how many pairs in the registry are
duplicates at all), which :func:`_above` then re-estimates."""


@dataclass(frozen=True, slots=True)
class DedupRecord:
    """One registration as deduplication sees it. ``birth_date`` is ISO (YYYY-MM-DD) or None;
    ``sex``, ``household_id``, ``place`` and ``phone`` may be empty when unknown;
    ``documents`` are (issuing country, number) pairs, the country empty when unknown."""

    id: str
    name_arabic: str
    name_latin: str
    birth_year: int | None
    birth_date: str | None
    sex: str
    household_id: str
    place: str
    documents: tuple[tuple[str, str], ...] = ()
    phone: str = ""


@dataclass(frozen=True, slots=True, order=True)
class CandidatePair:
    """Two registrations that may be one person; ``left_id < right_id``."""

    left_id: str
    right_id: str
    match_probability: float
    match_weight: float


@dataclass(frozen=True)
class MatchingRun:
    """Candidate pairs and what finding them cost: ``compared`` pairs left by blocking, and
    how many of the ``probe`` pairs given to :func:`run_matching` were among them (for
    measuring blocking against known duplicates)."""

    pairs: tuple[CandidatePair, ...]
    compared: int
    blocking_seconds: float
    scoring_seconds: float
    probed_compared: int = 0


def find_candidates(
    records: Sequence[DedupRecord], *, threshold: float, seed: int = 0
) -> list[CandidatePair]:
    """Pairs whose match probability is at least ``threshold``, sorted by ids.

    ``seed`` fixes the random pairs that estimate u; the same records and seed give the same
    pairs and scores. What agreeing on a name is worth is learnt from the registry itself, so
    scores mean little in a registry of a few dozen people.
    """
    return list(run_matching(records, threshold=threshold, seed=seed).pairs)


def run_matching(
    records: Sequence[DedupRecord],
    *,
    threshold: float,
    seed: int = 0,
    probe: Collection[tuple[str, str]] = (),
) -> MatchingRun:
    """:func:`find_candidates` with the number of compared pairs and the time spent, and how
    many of the ``probe`` pairs (in either order) blocking let through to be compared."""
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
        model = settings(
            unseen_u=1 / min(U_SAMPLE_PAIRS, pairs_in_all),
            prior=_prior(connection, table.physical_name, pairs_in_all),
            blocking_rules=blocking_rules(),
            households=_shared_households(records),
        )
        linker = Linker(table, model, log_level=None)
        blocked = linker.inference.compute_blocked_pairs_for_predict().as_duckdbpyrelation()
        compared = _count(blocked)
        probed = _probed(connection, blocked, probe)
        blocked_at = time.perf_counter()
        linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=seed)
        scored = linker.inference.predict(
            threshold_match_probability=min(threshold, UNLIKELY), warning_mode="never"
        ).as_duckdbpyrelation()
        rows = _above(
            scored, model["probability_two_random_records_match"], pairs_in_all, threshold
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
    return MatchingRun(pairs, compared, blocked_at - started, finished - blocked_at, probed)


PRIOR_ROUNDS = 50
UNLIKELY = 1e-3
"""Pairs below this match probability under the first guess of the prior are dropped as
they are scored, not kept for re-estimating it: a registry of a million has tens of millions
of compared pairs, nearly all of them strangers, and keeping them all would take gigabytes.
They count as non-duplicates, like the pairs blocking left out."""


def _above(
    scored: duckdb.DuckDBPyRelation, prior: float, pairs_in_all: float, threshold: float
) -> duckdb.DuckDBPyRelation:
    """The scored pairs whose match probability is at least ``threshold`` once the prior is
    re-estimated from the scores themselves: with the m and u probabilities fixed, the share of
    duplicates among all pairs is the mean of the pairs' match probabilities, so it is iterated
    to its fixed point (expectation maximisation of the prior alone; pairs that blocking left
    out or :data:`UNLIKELY` dropped count as non-duplicates), with at least one duplicate and at
    most half of all pairs, as :func:`_prior` assumes. The first guess (:func:`_prior`) only
    counts pairs that agree on everything, which depends on how clean a registry is; the fixed
    point does not.

    Returns ``unique_id_l, unique_id_r, match_probability, match_weight`` under that prior."""
    import numpy as np

    first = math.log2(prior / (1 - prior))
    factors = np.exp2(scored.select("match_weight").fetchnumpy()["match_weight"] - first)
    share = prior
    for _ in range(PRIOR_ROUNDS):
        odds = share / (1 - share)
        expected = float(np.sum(odds * factors / (1 + odds * factors)))
        share = min(max(expected, 1.0) / pairs_in_all, 0.5)
    shift = math.log2(share / (1 - share)) - first
    weighed = scored.select(
        f"unique_id_l, unique_id_r, match_weight + {shift!r} AS match_weight"
    ).select(
        "unique_id_l, unique_id_r, 1 / (1 + pow(2, -match_weight)) AS match_probability, "
        "match_weight"
    )
    return weighed.filter(f"match_probability >= {float(threshold)!r}")


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


def _shared_households(records: Sequence[DedupRecord]) -> bool:
    """Whether any two registrations are in one household."""
    households = [record.household_id for record in records if record.household_id]
    return len(set(households)) < len(households)


def _probed(
    connection: duckdb.DuckDBPyConnection,
    blocked: duckdb.DuckDBPyRelation,
    probe: Collection[tuple[str, str]],
) -> int:
    """How many of the ``probe`` pairs are among the ``blocked`` ones, in either order."""
    if not probe:
        return 0
    import pyarrow as pa

    ordered = sorted({(min(pair), max(pair)) for pair in probe})
    pairs = pa.table({"low": [pair[0] for pair in ordered], "high": [pair[1] for pair in ordered]})
    wanted = connection.from_arrow(pairs)
    found = blocked.select(
        "least(join_key_l, join_key_r) AS low, greatest(join_key_l, join_key_r) AS high"
    ).distinct()
    return _count(found.join(wanted, "low, high"))


def _columns(records: Sequence[DedupRecord]) -> pa.Table:
    """The registry as the columns the model compares: name parts as spelled and as keys, in
    both scripts, lists of keys for comparing parts wherever they stand in a name; documents,
    phone and the date of birth as the keys they are compared and blocked on."""
    import pyarrow as pa

    latin = keys_of_names(record.name_latin for record in records)
    arabic = keys_of_names(record.name_arabic for record in records)
    columns: dict[str, list[Any]] = {
        "unique_id": [record.id for record in records],
        "birth_year": [record.birth_year for record in records],
        "birth_date": [record.birth_date or None for record in records],
        "birth_digits": [_digits_of_day(record.birth_date) for record in records],
        "sex": [record.sex if record.sex in SEX_VALUES else None for record in records],
        "household_id": [record.household_id or None for record in records],
        "place": [record.place or None for record in records],
        "doc_numbers": [_distinct(*_numbers(record)) for record in records],
        "doc_ids": [_distinct(*_document_ids(record)) for record in records],
        "doc_uncountried": [
            _distinct(*(document_number_key(n) for c, n in record.documents if not c))
            for record in records
        ],
        "phone_key": [phone_key(record.phone) for record in records],
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
    columns["name_forms"] = [list(name.forms) or None for name in latin]
    columns["name_set"] = [_set_of(a) or _set_of(b) for a, b in zip(latin, arabic, strict=True)]
    columns["single_name"] = [
        max(len(a.keys), len(b.keys)) == 1 for a, b in zip(latin, arabic, strict=True)
    ]
    columns["given_key_arabic"] = [_given(name.keys) for name in arabic]
    columns["family_key_arabic"] = [_family(name.keys) for name in arabic]
    keys = pa.list_(pa.string())
    types = {
        name: keys
        for name in columns
        if name.startswith("doc_") or name.endswith("_keys") or name == "name_forms"
    }
    types["birth_year"] = pa.int32()
    types["single_name"] = pa.bool_()
    schema = pa.schema([(name, types.get(name, pa.string())) for name in columns])
    return pa.table(columns, schema=schema)


PHONE_DIGITS = 9
"""Digits of a phone number compared: the subscriber number without the country or trunk
prefix, which one form writes (+963 9..., 00963 9...) and another leaves out (09...)."""


def phone_key(phone: str) -> str | None:
    """The last :data:`PHONE_DIGITS` digits, or None for fewer than six digits."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-PHONE_DIGITS:] if len(digits) >= 6 else None


def document_number_key(number: str) -> str:
    """A document number without spaces, dashes or slashes, upper case."""
    return "".join(ch for ch in number.upper() if ch.isalnum())


def _numbers(record: DedupRecord) -> list[str]:
    return [document_number_key(number) for _, number in record.documents]


def _document_ids(record: DedupRecord) -> list[str]:
    """Number with its issuing country, where the country is known."""
    return [
        f"{country.upper()}:{document_number_key(number)}"
        for country, number in record.documents
        if country
    ]


def _digits_of_day(birth_date: str | None) -> str | None:
    """YYYYMMDD of a full date whose day is known (1 January stands for an unknown day)."""
    if not birth_date or len(birth_date) != 10 or birth_date.endswith(PLACEHOLDER):
        return None
    return birth_date.replace("-", "")


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


def blocking_rules() -> list[Any]:
    """The passes of blocking (see the module's docstring); a pair met by several is compared
    once."""
    from splink import block_on

    return [
        block_on("given_key", "family_key"),
        block_on("given_key_arabic", "family_key_arabic"),
        block_on("family_key", "birth_year"),
        block_on("name_set"),
        block_on("household_id", "given_key"),
        block_on("household_id", "birth_year"),
        block_on("doc_numbers", arrays_to_explode=["doc_numbers"]),
        block_on("phone_key"),
        block_on("birth_digits", "place"),
        block_on("name_keys", "birth_digits", arrays_to_explode=["name_keys"]),
        block_on("name_keys", "place", "birth_year", arrays_to_explode=["name_keys"]),
    ]


def _prior(connection: duckdb.DuckDBPyConnection, table: str, pairs_in_all: float) -> float:
    """The share of all pairs that are duplicates: pairs agreeing on every name part and on a
    full date of birth, taken as :data:`DETERMINISTIC_RECALL` of all duplicates. At least one
    such pair is assumed (a registry is never known to be clean), and at most half of all
    pairs (a registry of two identical records)."""
    ((agreeing,),) = connection.sql(
        f"SELECT count(*) FROM {table} AS l JOIN {table} AS r "
        "ON l.name_set = r.name_set AND l.birth_date = r.birth_date "
        f"AND l.unique_id < r.unique_id WHERE NOT ends_with(l.birth_date, '{PLACEHOLDER}')"
    ).fetchall()
    return min(max(int(agreeing), 1) / DETERMINISTIC_RECALL / pairs_in_all, 0.5)
