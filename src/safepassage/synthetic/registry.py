"""A seeded generator of SYNTHETIC registries: households of invented people, never real ones.

Demos, tests and benchmarks need registries that behave like the real thing (Arab naming with the
father's given name in the middle, households built around a volunteer, sizes typical of rural
southern Syria, a cleared majority) without anyone ever handling a real person's data. Every
random draw is vectorised with numpy so that benchmark-sized registries (hundreds of thousands of
people) take seconds, and everything follows from the seed so a scenario regenerates byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from safepassage.synthetic.names import FAMILY, FEMALE_GIVEN, MALE_GIVEN, passport_latin

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.object_]

SIZE_WEIGHTS = np.array([0.10, 0.08, 0.12, 0.15, 0.17, 0.14, 0.10, 0.07, 0.04, 0.03])
"""Household sizes 1..10: single young volunteers exist, most families have 3-7 members, and the
mean (about 4.8) sits between the 4.3 of the group that got out in 2018 and rural Daraa families."""

FAMILY_ONLY_SHARE = 0.08
"""Share of households (of two or more) with no volunteer: relatives registered on their own."""

FEMALE_VOLUNTEER_SHARE = 0.1
"""The Syrian Civil Defence had women's teams, but most volunteers were men."""

# Relationship to the head, in the order members are listed within a household.
HEAD, SPOUSE, CHILD, PARENT, SIBLING = range(5)
_RELATIONSHIP = {
    (HEAD, False): "head",
    (HEAD, True): "head",
    (SPOUSE, False): "spouse",
    (SPOUSE, True): "spouse",
    (CHILD, False): "son",
    (CHILD, True): "daughter",
    (PARENT, False): "father",
    (PARENT, True): "mother",
    (SIBLING, False): "brother",
    (SIBLING, True): "sister",
}


@dataclass(frozen=True, slots=True)
class SyntheticPerson:
    """An invented person. ``name_latin`` is the passport form: GIVEN FATHER FAMILY."""

    id: str
    household_id: str
    name_arabic: str
    name_latin: str
    sex: str
    birth_year: int
    role: str
    relationship: str


@dataclass(frozen=True)
class SyntheticHousehold:
    """``priority`` 3: volunteer at highest risk, 2: volunteer household, 1: no volunteer.

    ``cleared_for`` of ``None`` means cleared for every crossing, as in the planning model.
    """

    id: str
    origin: str
    size: int
    priority: int
    cleared_for: tuple[str, ...] | None
    members: tuple[SyntheticPerson, ...]


@dataclass(frozen=True)
class SyntheticRegistry:
    households: tuple[SyntheticHousehold, ...]

    @cached_property
    def persons(self) -> tuple[SyntheticPerson, ...]:
        return tuple(person for household in self.households for person in household.members)


def generate_registry(
    *,
    seed: int,
    persons: int,
    towns: Mapping[str, float],
    cleared_share: float,
    clearance: tuple[str, ...] | None,
    not_cleared_for: tuple[str, ...],
    high_risk_share: float = 0.2,
    reference_year: int = 2018,
) -> SyntheticRegistry:
    """Invent exactly ``persons`` people in households spread over ``towns`` by weight.

    Households are picked for clearance favouring higher priority (weighted sampling without
    replacement) until the cleared persons come closest to ``cleared_share``; they get
    ``clearance``, the rest ``not_cleared_for``. Ages are counted at ``reference_year``.
    """
    if persons < 1:
        raise ValueError("persons must be at least 1")
    if not towns or any(weight <= 0 for weight in towns.values()):
        raise ValueError("towns need at least one town, each with a positive weight")
    if not 0 <= cleared_share <= 1 or not 0 <= high_risk_share <= 1:
        raise ValueError("cleared_share and high_risk_share are shares between 0 and 1")

    rng = np.random.default_rng(seed)
    sizes = _household_sizes(rng, persons)
    count = len(sizes)
    family_only = _pick(rng, sizes >= 2, FAMILY_ONLY_SHARE)
    priority = np.where(family_only, 1, 2)
    priority[_pick(rng, ~family_only, high_risk_share)] = 3
    origins = _spread_over_towns(rng, count, towns)
    cleared = _pick_cleared(rng, sizes, priority, cleared_share)
    people = _members(rng, sizes, family_only, reference_year)

    household_ids = [f"H{i + 1:0{len(str(count))}d}" for i in range(count)]
    person_ids = [f"P{i + 1:0{len(str(persons))}d}" for i in range(persons)]
    member_household = np.repeat(np.arange(count), sizes).tolist()
    everyone = [
        SyntheticPerson(person_id, household_ids[h], arabic, latin, sex, year, role, relationship)
        for person_id, h, arabic, latin, sex, year, role, relationship in zip(
            person_ids,
            member_household,
            people.name_arabic,
            people.name_latin,
            people.sex,
            people.birth_year,
            people.role,
            people.relationship,
            strict=True,
        )
    ]
    ends = np.cumsum(sizes).tolist()
    households = tuple(
        SyntheticHousehold(
            id=household_ids[i],
            origin=origin,
            size=size,
            priority=rank,
            cleared_for=clearance if is_cleared else not_cleared_for,
            members=tuple(everyone[end - size : end]),
        )
        for i, (origin, size, rank, is_cleared, end) in enumerate(
            zip(origins, sizes.tolist(), priority.tolist(), cleared.tolist(), ends, strict=True)
        )
    )
    return SyntheticRegistry(households)


def _household_sizes(rng: np.random.Generator, persons: int) -> IntArray:
    """Draw sizes until ``persons`` is reached; the last household is cut to hit it exactly."""
    values = np.arange(1, len(SIZE_WEIGHTS) + 1)
    mean = float(values @ SIZE_WEIGHTS)
    sizes = np.zeros(0, dtype=np.int64)
    while sizes.sum() < persons:
        batch = rng.choice(values, size=int(persons / mean * 1.05) + 8, p=SIZE_WEIGHTS)
        sizes = np.concatenate([sizes, batch])
    cumulative = np.cumsum(sizes)
    count = int(np.searchsorted(cumulative, persons)) + 1
    sizes = sizes[:count].copy()
    sizes[-1] -= cumulative[count - 1] - persons
    return sizes


def _pick(rng: np.random.Generator, eligible: BoolArray, share: float) -> BoolArray:
    """Exactly ``round(share * eligible)`` of the eligible households, chosen at random."""
    candidates = np.flatnonzero(eligible)
    chosen = rng.choice(candidates, size=round(share * len(candidates)), replace=False)
    picked = np.zeros(len(eligible), dtype=bool)
    picked[chosen] = True
    return picked


def _spread_over_towns(
    rng: np.random.Generator, count: int, towns: Mapping[str, float]
) -> list[str]:
    """Largest-remainder shares of the households per town, in random order."""
    names = list(towns)
    weights = np.array([towns[name] for name in names], dtype=float)
    exact = weights / weights.sum() * count
    per_town = np.floor(exact).astype(np.int64)
    shortfall = count - int(per_town.sum())
    per_town[np.argsort(-(exact - per_town), kind="stable")[:shortfall]] += 1
    town_of = rng.permutation(np.repeat(np.arange(len(names)), per_town))
    return [names[i] for i in town_of.tolist()]


def _pick_cleared(
    rng: np.random.Generator, sizes: IntArray, priority: IntArray, share: float
) -> BoolArray:
    """Weighted sampling without replacement (keys ``u ** (1 / priority)``), cut where the
    cleared persons come closest to ``share`` of everyone."""
    order = np.argsort(-(rng.random(len(sizes)) ** (1.0 / priority)), kind="stable")
    cumulative = np.concatenate([[0], np.cumsum(sizes[order])])
    take = int(np.argmin(np.abs(cumulative - share * cumulative[-1])))
    cleared = np.zeros(len(sizes), dtype=bool)
    cleared[order[:take]] = True
    return cleared


@dataclass(frozen=True)
class _Members:
    """Per-person columns, as plain lists, in household order (head first)."""

    name_arabic: list[str]
    name_latin: list[str]
    sex: list[str]
    birth_year: list[int]
    role: list[str]
    relationship: list[str]


def _members(
    rng: np.random.Generator, sizes: IntArray, family_only: BoolArray, reference_year: int
) -> _Members:
    """Compose every household (head, spouse, children, a parent, a sibling) and name them.

    Ages keep families plausible: the head is old enough for the children, children are at least
    18 years younger than both parents, a parent of the head at least 18 years older.
    """
    count = len(sizes)
    total = int(sizes.sum())
    head_female = rng.random(count) < np.where(family_only, 0.5, FEMALE_VOLUNTEER_SHARE)
    spouse = (sizes >= 2) & (rng.random(count) < np.where(head_female, 0.4, 0.9))
    extras = sizes - 1 - spouse
    parent = (extras >= 1) & (rng.random(count) < np.where(spouse, 0.12, 0.4))
    sibling = (extras - parent >= 1) & (rng.random(count) < np.where(spouse, 0.06, 0.3))
    children = extras - parent - sibling

    youngest = np.where(sizes == 1, 19, np.maximum(20, 19 + 2 * children))
    oldest = np.maximum(np.where(sizes == 1, 32, np.where(family_only, 65, 50)), youngest + 2)
    head_age = rng.integers(youngest, oldest + 1)
    gap = rng.integers(0, 9, count)
    spouse_age = np.where(
        head_female, head_age + gap, np.maximum(head_age - gap, np.maximum(17, 18 + 2 * children))
    )
    parents_age = np.where(spouse, np.minimum(head_age, spouse_age), head_age)
    eldest_child = np.clip(parents_age - 18, 0, 28)

    household = np.repeat(np.arange(count), sizes)
    starts = np.cumsum(sizes) - sizes
    position = np.arange(total) - starts[household]
    after_spouse = position - 1 - spouse[household]
    relation = np.select(
        [
            position == 0,
            (position == 1) & spouse[household],
            after_spouse < children[household],
            after_spouse < children[household] + parent[household],
        ],
        [HEAD, SPOUSE, CHILD, PARENT],
        SIBLING,
    )
    female = np.select(
        [relation == HEAD, relation == SPOUSE],
        [head_female[household], ~head_female[household]],
        rng.random(total) < np.where(relation == PARENT, 0.7, 0.5),
    )
    age = np.select(
        [relation == HEAD, relation == SPOUSE, relation == CHILD, relation == PARENT],
        [
            head_age[household],
            spouse_age[household],
            rng.integers(0, eldest_child[household] + 1),
            np.minimum(head_age[household] + rng.integers(18, 36, total), 95),
        ],
        np.maximum(head_age[household] - rng.integers(-5, 16, total), 10),
    )
    order = np.lexsort((-age, relation, household))
    relation, female, age = relation[order], female[order], age[order]

    male_name = rng.integers(0, len(MALE_GIVEN), total)
    female_name = rng.integers(0, len(FEMALE_GIVEN), total)
    own_father = rng.integers(0, len(MALE_GIVEN), total)
    own_family = rng.integers(0, len(FAMILY), total)
    heads_father = own_father[starts][household]
    heads_family = own_family[starts][household]
    is_father = (relation == PARENT) & ~female
    male_name = np.where(is_father, heads_father, male_name)

    # Children carry their father's names; a widow's late husband is invented on the spot.
    husband = np.where(head_female, np.minimum(starts + 1, total - 1), starts)
    present = ~head_female | spouse
    childrens_father = np.where(
        present, male_name[husband], rng.integers(0, len(MALE_GIVEN), count)
    )
    childrens_family = np.where(present, own_family[husband], rng.integers(0, len(FAMILY), count))
    father = np.select(
        [relation == CHILD, relation == SIBLING],
        [childrens_father[household], heads_father],
        own_father,
    )
    family = np.select(
        [relation == CHILD, (relation == SIBLING) | is_father],
        [childrens_family[household], heads_family],
        own_family,
    )

    given_arabic = np.where(female, _ARABIC_FEMALE[female_name], _ARABIC_MALE[male_name])
    given_latin = np.where(female, _LATIN_FEMALE[female_name], _LATIN_MALE[male_name])
    name_arabic = given_arabic + " " + _ARABIC_MALE[father] + " " + _ARABIC_FAMILY[family]
    name_latin = given_latin + " " + _LATIN_MALE[father] + " " + _LATIN_FAMILY[family]
    volunteer = (relation == HEAD) & ~family_only[household]
    return _Members(
        name_arabic=name_arabic.tolist(),
        name_latin=name_latin.tolist(),
        sex=np.where(female, "F", "M").tolist(),
        birth_year=(reference_year - age).tolist(),
        role=np.where(volunteer, "volunteer", "family").tolist(),
        relationship=[
            _RELATIONSHIP[key] for key in zip(relation.tolist(), female.tolist(), strict=True)
        ],
    )


def _column(names: tuple[tuple[str, str], ...], latin: bool) -> StrArray:
    return np.array([passport_latin(pair[1]) if latin else pair[0] for pair in names], dtype=object)


_ARABIC_MALE = _column(MALE_GIVEN, latin=False)
_ARABIC_FEMALE = _column(FEMALE_GIVEN, latin=False)
_ARABIC_FAMILY = _column(FAMILY, latin=False)
_LATIN_MALE = _column(MALE_GIVEN, latin=True)
_LATIN_FEMALE = _column(FEMALE_GIVEN, latin=True)
_LATIN_FAMILY = _column(FAMILY, latin=True)
