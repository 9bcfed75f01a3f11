"""Matching registrations typed in Latin letters, without households: every identifying field
counts and no single error keeps a duplicate from being compared."""

from __future__ import annotations

import dataclasses

import pytest

from safepassage.dedup import DedupRecord, MatchingRun, evaluate, run_matching, transitive_pairs
from safepassage.synthetic.typed_registrations import generate_typed_registry

THRESHOLD = 0.9


def typed(
    id: str,
    name: str,
    born: str | None,
    *,
    document: str = "",
    phone: str = "",
    place: str = "town-900",
    sex: str = "F",
) -> DedupRecord:
    return DedupRecord(
        id,
        "",
        name,
        int(born[:4]) if born else None,
        born,
        sex,
        id,
        place,
        (("SYR", document),) if document else (),
        phone,
    )


HARD_DUPLICATES = [
    # A typo in the family name: only the given name and the date of birth still block.
    (
        typed("A1", "ZOFIA KARAGIANNOPOULOU", "1971-04-23"),
        typed("A2", "ZOFIA KARAGAINNOPOLOU", "1971-04-23"),
    ),
    # Nothing in common that the name blocks see, but the passport number and the date.
    (
        typed("B1", "QUENTIN BLACKWOODE", "1983-11-05", document="N48151623"),
        typed("B2", "KWENTIN BLAKWUD", "1983-11-05", document="N48151623"),
    ),
    # One name only: no family key, found through the name part and the date of birth.
    (
        typed("C1", "OKONKWO", "1990-07-14", phone="+963944123456"),
        typed("C2", "CHINUA OKONKWO", "1990-07-14", phone="0944123456"),
    ),
    # Digits of the date transposed, a digit of the document changed.
    (
        typed("D1", "PERPETUA VANTERPOOL", "1958-03-21", document="P77001234"),
        typed("D2", "PERPETUA VANTERPOOL", "1958-03-12", document="P77001284"),
    ),
]

NOT_DUPLICATES = [
    # The same family phone, different persons.
    typed("E1", "ALDOUS FERNSBY", "1960-02-02", phone="+963955000111", sex="M"),
    typed("E2", "MIRABEL FERNSBY", "1988-09-30", phone="+963955000111"),
]


@pytest.fixture(scope="module")
def latin_run() -> tuple[list[tuple[str, str]], MatchingRun]:
    background = generate_typed_registry(1500, seed=21)
    records = [*background.records, *(r for pair in HARD_DUPLICATES for r in pair)]
    records += NOT_DUPLICATES
    truth = [*background.truth, *((a.id, b.id) for a, b in HARD_DUPLICATES)]
    return truth, run_matching(records, threshold=THRESHOLD, probe=transitive_pairs(truth))


def test_hard_duplicates_are_compared_and_found(
    latin_run: tuple[list[tuple[str, str]], MatchingRun],
) -> None:
    _, run = latin_run
    found = {(pair.left_id, pair.right_id) for pair in run.pairs}
    assert {(a.id, b.id) for a, b in HARD_DUPLICATES} <= found
    assert ("E1", "E2") not in found


def test_typed_registrations_are_found_with_high_precision_and_recall(
    latin_run: tuple[list[tuple[str, str]], MatchingRun],
) -> None:
    truth, run = latin_run
    quality = evaluate(run.pairs, truth)
    assert run.probed_compared >= 0.95 * len(transitive_pairs(truth))
    assert quality.precision >= 0.97 and quality.recall >= 0.93, quality


def test_the_place_of_a_household_does_not_count_in_a_registry_of_households() -> None:
    """The store knows a person's place only as the household's: a person registered again
    by relatives elsewhere takes their place, which says nothing about who the person is."""
    home = [
        DedupRecord(f"H{n}", "", name, 1980 + n, f"{1980 + n}-05-0{n + 1}", "M", "HH1", "nawa")
        for n, name in enumerate(("SAMI HADI AL ALI", "RAMI HADI AL ALI", "FARES HADI AL ALI"))
    ]
    elsewhere = dataclasses.replace(home[0], id="X0", household_id="HH2", place="tafas")
    there = dataclasses.replace(elsewhere, place="nawa")
    background = generate_typed_registry(300, seed=2).records
    households = [dataclasses.replace(r, household_id="HB") for r in background[:2]]
    moved, stayed = (
        run_matching([*background[2:], *households, *home, other], threshold=0.0).pairs
        for other in (elsewhere, there)
    )
    assert [p for p in moved if "X0" in (p.left_id, p.right_id)] == [
        p for p in stayed if "X0" in (p.left_id, p.right_id)
    ]
