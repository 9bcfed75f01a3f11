"""Candidate pairs on a synthetic registry with planted duplicates, and their evaluation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pytest

from safepassage.dedup import (
    CandidatePair,
    DedupRecord,
    MatchingRun,
    evaluate,
    find_candidates,
    memory_only_connection,
    run_matching,
    transitive_pairs,
)
from safepassage.synthetic.duplicates import plant_duplicates
from safepassage.synthetic.registry import generate_registry

TOWNS = {"daraa": 97_969, "nawa": 59_170, "tafas": 32_236, "quneitra-city": 4_318}
THRESHOLD = 0.9


def planted(persons: int, seed: int) -> tuple[list[DedupRecord], list[tuple[str, str]]]:
    registry = generate_registry(
        seed=seed,
        persons=persons,
        towns=TOWNS,
        cleared_share=0.8,
        clearance=None,
        not_cleared_for=(),
    )
    places = {household.id: household.origin for household in registry.households}
    return plant_duplicates(registry.persons, share=0.1, seed=seed, places=places)


def person(id: str, latin: str, arabic: str, date: str, household: str) -> DedupRecord:
    return DedupRecord(id, arabic, latin, int(date[:4]), date, "M", household, "nawa")


NOT_DUPLICATES = [
    # Brothers: same father, family, household and year, different given names.
    person("X1", "ANAS BASEL AL KAFRI", "أنس باسل الكفري", "1990-03-14", "HX1"),
    person("X2", "HAYTHAM BASEL AL KAFRI", "هيثم باسل الكفري", "1990-11-02", "HX1"),
    # Brothers whose names share a key but not an Arabic spelling.
    person("X3", "MOHAMMAD KHALED AL ZOUBI", "محمد خالد الزعبي", "1985-05-20", "HX2"),
    person("X4", "MAHMOUD KHALED AL ZOUBI", "محمود خالد الزعبي", "1986-08-09", "HX2"),
    # Strangers with the same family name and birth year.
    person("X5", "OMAR YASER AL MASALMEH", "عمر ياسر المسالمة", "1979-02-11", "HX3"),
    person("X6", "FADI NABIL AL MASALMEH", "فادي نبيل المسالمة", "1979-07-30", "HX4"),
    # Father and son: the son bears the father's name as his middle name.
    person("X7", "SAMER ZIAD AL HOURANI", "سامر زياد الحوراني", "1960-01-25", "HX5"),
    person("X8", "ZIAD SAMER AL HOURANI", "زياد سامر الحوراني", "1988-06-17", "HX5"),
]

DUPLICATES = [
    # Transliterated differently, family name written first, no Arabic on the second.
    person("Y1", "MOHAMMAD AHMAD AL HARIRI", "محمد أحمد الحريري", "1975-09-04", "HY1"),
    dataclasses.replace(
        person("Y2", "El-Hariri Muhammad Ahmed", "", "1975-09-04", "HY1"), birth_date=None
    ),
    # Registered by another relative: other household, father's name left out.
    person("Y3", "ABDULRAHMAN FIRAS AL MIQDAD", "عبد الرحمن فراس المقداد", "1992-12-01", "HY2"),
    person("Y4", "Abd al-Rahman al-Mikdad", "عبدالرحمن المقداد", "1992-12-01", "HY3"),
]


@pytest.fixture(scope="module")
def registry_run() -> tuple[list[DedupRecord], list[tuple[str, str]], MatchingRun]:
    records, truth = planted(2000, seed=11)
    records += NOT_DUPLICATES + DUPLICATES
    truth += [("Y1", "Y2"), ("Y3", "Y4")]
    return records, truth, run_matching(records, threshold=THRESHOLD, seed=0)


def test_planted_duplicates_are_found_with_high_precision_and_recall(
    registry_run: tuple[list[DedupRecord], list[tuple[str, str]], MatchingRun],
) -> None:
    records, truth, run = registry_run
    quality = evaluate(run.pairs, truth)
    assert quality.precision >= 0.95
    assert quality.recall >= 0.90
    assert run.compared < len(records) * 5


def test_relatives_and_namesakes_are_not_matched_and_hard_duplicates_are(
    registry_run: tuple[list[DedupRecord], list[tuple[str, str]], MatchingRun],
) -> None:
    _, _, run = registry_run
    found = {(pair.left_id, pair.right_id) for pair in run.pairs}
    made_up = {record.id for record in NOT_DUPLICATES}
    assert not {pair for pair in found if made_up & set(pair)}
    assert {("Y1", "Y2"), ("Y3", "Y4")} <= found


def test_pairs_are_ordered_above_the_threshold_and_consistent(
    registry_run: tuple[list[DedupRecord], list[tuple[str, str]], MatchingRun],
) -> None:
    _, _, run = registry_run
    assert list(run.pairs) == sorted(run.pairs)
    for pair in run.pairs:
        assert pair.left_id < pair.right_id
        assert THRESHOLD <= pair.match_probability <= 1
        expected = 2**pair.match_weight / (1 + 2**pair.match_weight)
        assert pair.match_probability == pytest.approx(expected, abs=1e-9)


def test_same_records_and_seed_give_the_same_pairs() -> None:
    records, _ = planted(300, seed=3)
    first = find_candidates(records, threshold=0.5, seed=7)
    assert first
    assert find_candidates(list(reversed(records)), threshold=0.5, seed=7) == first


def test_nothing_to_compare_and_bad_input() -> None:
    lone = person("Z1", "ALI OMAR AL ALI", "علي عمر العلي", "2000-01-02", "HZ")
    assert find_candidates([], threshold=0.5) == []
    assert find_candidates([lone], threshold=0.5) == []
    with pytest.raises(ValueError, match="threshold"):
        find_candidates([lone, lone], threshold=1.5)
    with pytest.raises(ValueError, match="unique") as error:
        find_candidates([lone, lone], threshold=0.5)
    assert "ALI" not in str(error.value)


def test_registries_too_small_to_learn_from_still_run() -> None:
    one = person("Z1", "ALI OMAR AL ALI", "علي عمر العلي", "2000-01-02", "HZ")
    twice = dataclasses.replace(one, id="Z2")
    stranger = person("Z3", "SAMER FADI AL HOMSI", "سامر فادي الحمصي", "1970-05-06", "HW")
    for records in ([one, twice], [one, stranger], [one, twice, stranger]):
        run = run_matching(records, threshold=0.0)
        assert all(0 <= pair.match_probability <= 1 for pair in run.pairs)


def test_the_connection_keeps_everything_in_memory(tmp_path: Path) -> None:
    connection = memory_only_connection()
    try:
        settings = connection.sql(
            "SELECT current_setting('temp_directory'), current_setting('enable_external_access')"
        ).fetchall()
        assert settings == [("", False)]
        connection.execute("CREATE TABLE t AS SELECT 'a name' AS name")
        with pytest.raises(duckdb.PermissionException):
            connection.execute(f"COPY t TO '{tmp_path}/leak.csv'")
        with pytest.raises(duckdb.Error):
            connection.execute("SET enable_external_access = true")
    finally:
        connection.close()


def test_truth_is_closed_under_transitivity() -> None:
    assert transitive_pairs([("A", "B"), ("C", "A"), ("D", "E")]) == {
        ("A", "B"),
        ("A", "C"),
        ("B", "C"),
        ("D", "E"),
    }


def test_evaluation_counts_each_found_pair_once_in_either_order() -> None:
    found: list[CandidatePair | tuple[str, str]] = [
        CandidatePair("A", "B", 0.99, 7.0),
        ("B", "A"),
        ("B", "C"),
        ("X", "Y"),
    ]
    quality = evaluate(found, [("A", "B"), ("A", "C"), ("D", "E")])
    assert (quality.found, quality.true_pairs, quality.true_positives) == (3, 4, 2)
    assert (quality.false_positives, quality.false_negatives) == (1, 2)
    assert quality.precision == pytest.approx(2 / 3)
    assert quality.recall == pytest.approx(2 / 4)
    assert evaluate([], []).precision == evaluate([], []).recall == 1.0
