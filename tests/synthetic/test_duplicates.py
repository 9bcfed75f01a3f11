"""Planted duplicates: seeded, varied like real ones, and with the truth kept right."""

from __future__ import annotations

from collections import Counter

import pytest

from safepassage.dedup.matching import DedupRecord
from safepassage.synthetic.duplicates import plant_duplicates
from safepassage.synthetic.registry import SyntheticRegistry, generate_registry

TOWNS = {"daraa": 97_969, "nawa": 59_170, "quneitra-city": 4_318}


@pytest.fixture(scope="module")
def registry() -> SyntheticRegistry:
    return generate_registry(
        seed=5,
        persons=3000,
        towns=TOWNS,
        cleared_share=0.8,
        clearance=None,
        not_cleared_for=(),
    )


def planted(
    registry: SyntheticRegistry, seed: int = 1, share: float = 0.2
) -> tuple[list[DedupRecord], list[tuple[str, str]]]:
    places = {household.id: household.origin for household in registry.households}
    return plant_duplicates(registry.persons, share=share, seed=seed, places=places)


def test_same_seed_same_records_and_different_seeds_differ(registry: SyntheticRegistry) -> None:
    assert planted(registry, seed=3) == planted(registry, seed=3)
    assert planted(registry, seed=3) != planted(registry, seed=4)


def test_originals_come_first_unchanged_and_duplicates_follow(
    registry: SyntheticRegistry,
) -> None:
    records, truth = planted(registry)
    persons = registry.persons
    originals = records[: len(persons)]
    assert [(r.id, r.name_latin, r.name_arabic, r.birth_year, r.sex) for r in originals] == [
        (p.id, p.name_latin, p.name_arabic, p.birth_year, p.sex) for p in persons
    ]
    assert len({record.id for record in records}) == len(records)
    duplicated = Counter(original for original, _ in truth)
    assert len(duplicated) == round(0.2 * len(persons))
    assert 0 < sum(count == 2 for count in duplicated.values()) < 0.2 * len(duplicated)
    assert [duplicate for _, duplicate in truth] == [r.id for r in records[len(persons) :]]


def test_duplicates_vary_as_registrations_do(registry: SyntheticRegistry) -> None:
    records, truth = planted(registry)
    by_id = {record.id: record for record in records}
    pairs = [(by_id[a], by_id[b]) for a, b in truth]
    share = len(pairs)

    def often(condition: int) -> bool:
        return 0.01 < condition / share < 0.95

    assert often(sum(a.name_latin != b.name_latin for a, b in pairs))
    assert often(sum(a.name_arabic != b.name_arabic and b.name_arabic != "" for a, b in pairs))
    assert often(sum(b.name_arabic == "" for _, b in pairs))
    assert often(sum(b.birth_year is None for _, b in pairs))
    assert often(
        sum(
            None not in (a.birth_year, b.birth_year) and a.birth_year != b.birth_year
            for a, b in pairs
        )
    )
    assert often(sum(a.household_id != b.household_id for a, b in pairs))
    assert often(sum(len(b.name_latin.split()) < len(a.name_latin.split()) for a, b in pairs))
    assert all(a.sex == b.sex for a, b in pairs)


def test_birth_dates_fall_in_the_birth_year_or_are_missing(registry: SyntheticRegistry) -> None:
    records, _ = planted(registry)
    dated = [(r.birth_date, r.birth_year) for r in records if r.birth_date is not None]
    assert 0.5 < len(dated) / len(records) < 0.95
    assert all(date[:4] == str(year) for date, year in dated)
    assert any(date.endswith("-01-01") for date, _ in dated)


def test_places_come_from_the_households(registry: SyntheticRegistry) -> None:
    records, _ = planted(registry, share=0.0)
    origin = {household.id: household.origin for household in registry.households}
    assert [record.place for record in records] == [origin[r.household_id] for r in records]
    no_places, _ = plant_duplicates(registry.persons, share=0.1, seed=1)
    assert {record.place for record in no_places} == {""}


def test_share_must_be_a_share(registry: SyntheticRegistry) -> None:
    with pytest.raises(ValueError, match="share"):
        plant_duplicates(registry.persons, share=1.5, seed=1)
