"""The synthetic registry must look like a real one to the code that consumes it."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from safepassage.synthetic.names import FAMILY, FEMALE_GIVEN, MALE_GIVEN, passport_latin
from safepassage.synthetic.registry import SyntheticRegistry, generate_registry

TOWNS = {"daraa": 97_969, "nawa": 59_170, "quneitra-city": 4_318}
ARABIC = re.compile(r"^[\u0600-\u06FF]+( [\u0600-\u06FF]+)*$")
LATIN = re.compile(r"^[A-Z]+( [A-Z]+)*$")


def registry(seed: int = 7, persons: int = 2000, **overrides: object) -> SyntheticRegistry:
    arguments: dict[str, object] = {
        "seed": seed,
        "persons": persons,
        "towns": TOWNS,
        "cleared_share": 0.8,
        "clearance": ("quneitra-crossing",),
        "not_cleared_for": ("nasib-crossing",),
    }
    arguments.update(overrides)
    return generate_registry(**arguments)  # type: ignore[arg-type]


def test_same_seed_same_registry_and_different_seeds_differ() -> None:
    assert registry(seed=3) == registry(seed=3)
    assert registry(seed=3) != registry(seed=4)


@pytest.mark.parametrize("persons", [1, 2, 17, 1000, 2001])
def test_total_persons_is_the_target(persons: int) -> None:
    result = registry(persons=persons)
    assert len(result.persons) == sum(h.size for h in result.households) == persons


def test_household_sizes_are_realistic() -> None:
    sizes = [h.size for h in registry(persons=20_000).households]
    assert 4 <= sum(sizes) / len(sizes) <= 5.5
    assert min(sizes) == 1
    assert max(sizes) <= 10


def test_cleared_share_and_clearance_lists() -> None:
    result = registry(persons=5000)
    cleared = sum(h.size for h in result.households if h.cleared_for == ("quneitra-crossing",))
    assert cleared / 5000 == pytest.approx(0.8, abs=0.02)
    assert {h.cleared_for for h in result.households} == {
        ("quneitra-crossing",),
        ("nasib-crossing",),
    }


def test_clearance_none_means_all_crossings() -> None:
    result = registry(clearance=None, cleared_share=1.0)
    assert all(h.cleared_for is None for h in result.households)


def test_clearance_favours_higher_priority() -> None:
    result = registry(persons=20_000, cleared_share=0.5)

    def cleared_share(priority: int) -> float:
        group = [h for h in result.households if h.priority == priority]
        return sum(h.cleared_for == ("quneitra-crossing",) for h in group) / len(group)

    assert cleared_share(3) > cleared_share(2) > cleared_share(1)


def test_priorities_follow_volunteers() -> None:
    result = registry(persons=20_000, high_risk_share=0.25)
    volunteer_households = [h for h in result.households if h.priority > 1]
    high = sum(h.priority == 3 for h in volunteer_households)
    assert high / len(volunteer_households) == pytest.approx(0.25, abs=0.01)
    for household in result.households:
        roles = Counter(person.role for person in household.members)
        assert roles["volunteer"] == (1 if household.priority > 1 else 0)
        assert household.members[0].role == ("volunteer" if household.priority > 1 else "family")
    assert 0 < sum(h.priority == 1 for h in result.households) < 0.15 * len(result.households)


def test_households_spread_over_towns_by_weight() -> None:
    result = registry(persons=20_000)
    homes = Counter(h.origin for h in result.households)
    total_weight = sum(TOWNS.values())
    for town, weight in TOWNS.items():
        assert homes[town] / len(result.households) == pytest.approx(
            weight / total_weight, abs=0.01
        )


def test_ids_are_zero_padded_and_unique() -> None:
    result = registry(persons=1000)
    person_ids = [p.id for p in result.persons]
    assert person_ids[0] == "P0001" and person_ids[-1] == "P1000"
    width = len(str(len(result.households)))
    assert result.households[0].id == "H" + "1".zfill(width)
    assert len(set(person_ids)) == len(person_ids)
    assert len({h.id for h in result.households}) == len(result.households)
    for household in result.households:
        assert all(p.household_id == household.id for p in household.members)


def test_names_are_arabic_script_and_upper_case_latin() -> None:
    for person in registry().persons:
        assert ARABIC.match(person.name_arabic), person.name_arabic
        assert LATIN.match(person.name_latin), person.name_latin
        assert len(person.name_latin.split()) >= 3


def test_name_lists_are_clean() -> None:
    for given in (*MALE_GIVEN, *FEMALE_GIVEN):
        assert " " not in passport_latin(given[1])  # so GIVEN FATHER FAMILY splits cleanly
    for names in (MALE_GIVEN, FEMALE_GIVEN, FAMILY):
        assert len(names) == 60
        assert len({arabic for arabic, _ in names}) == len(names)
        assert len({passport_latin(latin) for _, latin in names}) == len(names)
        for arabic, latin in names:
            assert ARABIC.match(arabic)
            assert LATIN.match(passport_latin(latin))
    assert passport_latin("al-Hariri") == "AL HARIRI"


def test_members_form_plausible_households() -> None:
    expected_sex = {"son": "M", "father": "M", "brother": "M"}
    expected_sex |= {"daughter": "F", "mother": "F", "sister": "F"}
    for household in registry(persons=20_000).households:
        members = household.members
        assert len(members) == household.size
        relationships = Counter(p.relationship for p in members)
        assert relationships["head"] == 1 and members[0].relationship == "head"
        assert relationships["spouse"] <= 1
        assert relationships["father"] + relationships["mother"] <= 1
        head = members[0]
        head_given, head_father, *head_family = head.name_latin.split(" ")
        for person in members[1:]:
            given, father, *family = person.name_latin.split(" ")
            if person.relationship in expected_sex:
                assert person.sex == expected_sex[person.relationship]
            if person.relationship == "spouse":
                assert person.sex != head.sex
                assert person.birth_year <= 2018 - 17
            if person.relationship in ("son", "daughter"):
                assert person.birth_year >= head.birth_year + 18
                if head.sex == "M":
                    assert (father, family) == (head_given, head_family)
            if person.relationship in ("father", "mother"):
                assert person.birth_year <= head.birth_year - 18
            if person.relationship == "father":
                assert (given, family) == (head_father, head_family)
            if person.relationship in ("brother", "sister"):
                assert (father, family) == (head_father, head_family)
        if head.role == "volunteer":
            assert 2018 - 55 <= head.birth_year <= 2018 - 19


def test_single_households_are_young_volunteers() -> None:
    singles = [h for h in registry(persons=20_000).households if h.size == 1]
    assert singles
    for household in singles:
        (person,) = household.members
        assert person.role == "volunteer"
        assert 19 <= 2018 - person.birth_year <= 32


def test_large_registries_are_generated() -> None:
    result = registry(persons=100_000, seed=11)
    assert len(result.persons) == 100_000


@pytest.mark.parametrize(
    "overrides",
    [
        {"persons": 0},
        {"towns": {}},
        {"towns": {"daraa": 0}},
        {"cleared_share": 1.5},
        {"high_risk_share": -0.1},
    ],
)
def test_rejects_impossible_requests(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        registry(**overrides)
