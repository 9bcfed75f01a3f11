"""Typed Latin registrations: seeded, without households, duplicates with errors in them."""

from __future__ import annotations

from collections import Counter

import pytest

from safepassage.dedup import transitive_pairs
from safepassage.synthetic.typed_registrations import generate_typed_registry


def test_same_seed_same_registry_and_different_seeds_differ() -> None:
    assert generate_typed_registry(500, seed=3) == generate_typed_registry(500, seed=3)
    assert generate_typed_registry(500, seed=3) != generate_typed_registry(500, seed=4)


def test_duplicates_differ_from_their_originals_as_typed_records_do() -> None:
    registry = generate_typed_registry(4000, seed=1)
    records = {record.id: record for record in registry.records}
    originals = [record for record in registry.records if record.id.startswith("P")]
    assert len(originals) == 4000
    assert len({record.household_id for record in registry.records}) == len(registry.records)
    assert 0.15 < len({original for original, _ in registry.truth}) / 4000 < 0.25
    assert all(
        original.startswith("P") and copy.startswith("C") for original, copy in registry.truth
    )
    changed: Counter[str] = Counter()
    for original_id, copy_id in registry.truth:
        original, copy = records[original_id], records[copy_id]
        for field in ("name_latin", "birth_date", "documents", "phone", "place", "sex"):
            changed[field] += getattr(original, field) != getattr(copy, field)
        assert not copy.name_arabic
        if copy.birth_date:
            assert 1900 <= int(copy.birth_date[:4]) <= 2025
    share = {field: count / len(registry.truth) for field, count in changed.items()}
    assert share["name_latin"] > 0.3
    assert all(share[field] > 0.02 for field in ("birth_date", "documents", "phone", "place"))
    assert len(transitive_pairs(registry.truth)) > len(registry.truth)


def test_a_registry_needs_persons() -> None:
    with pytest.raises(ValueError, match="persons"):
        generate_typed_registry(0, seed=1)
