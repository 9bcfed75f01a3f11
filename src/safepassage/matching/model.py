"""Resettlement matching as immutable, validated data: households, pledges and the rules.

A coordinator matches households that reached safety to places that host countries and cities
pledged. Everything the solver, the explanations and the checker need is here and checked at
construction, so a problem built in code is as trustworthy as one read from files: unknown ids,
impossible sizes, contradictory overrides and out-of-range weights raise :class:`ValueError`
naming the record (ids only, never personal data).

Readings taken where the issue leaves a choice (the stricter one where safety is at stake):

- Vetting is per household and host; a row may name a pledge or a whole country (it then holds
  for every pledge in that country, and a pledge's own row wins). ``refused`` blocks the pair,
  and so does ``pending``: a vetting under way may still refuse, so nobody is proposed before it
  is cleared. Without any row, the pair is open only if the pledge does not require vetting.
- A household whose ``ready`` date is after a pledge's ``deadline`` cannot use that pledge; a
  household without a ready date is ready now, a pledge without a deadline never closes.
- ``places_households`` and ``max_household_size`` left out mean no limit of that kind;
  ``medical_places`` left out means none: a household with medical needs is never placed where
  nobody said it could be cared for.
- Relatives' countries switched to a hard rule (:attr:`Weights.relatives_hard`) restrict a
  household to pledges in those countries, but only when at least one pledge is in one of them:
  a family whose relatives live where nobody pledged keeps every other option.
- A pin may not override a hard constraint: vetting refused, a household too large, a deadline
  passed are facts about the pair, and a pin contradicting one is refused when solving.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property

import numpy as np
import numpy.typing as npt

PREFERENCE_DEPTH = 5
"""A household ranks at most this many pledges or countries; rank ``r`` (0 first) scores
``(PREFERENCE_DEPTH - r) / PREFERENCE_DEPTH``: 1, 0.8, 0.6, 0.4, 0.2."""


class HostKind(StrEnum):
    COUNTRY = "country"
    CITY = "city"


class VettingStatus(StrEnum):
    CLEARED = "cleared"
    REFUSED = "refused"
    PENDING = "pending"


class OverrideKind(StrEnum):
    PIN = "pin"
    FORBID = "forbid"


@dataclass(frozen=True)
class Household:
    """A family that is placed whole or not at all.

    ``languages`` maps a language code to how many members speak it (at most ``size``);
    ``relatives_in`` names countries where relatives already live; ``preferences`` ranks pledge
    ids or countries, best first; ``group`` is the fairness group (floors); ``batch`` the arrival
    batch (pacing), 0 the first.
    """

    id: str
    size: int
    medical: int = 0
    languages: tuple[tuple[str, int], ...] = ()
    relatives_in: frozenset[str] = frozenset()
    preferences: tuple[str, ...] = ()
    group: str = ""
    batch: int = 0
    ready: date | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a household needs an id")
        if self.size < 1:
            raise ValueError(f"household {self.id}: size must be at least 1")
        if not 0 <= self.medical <= self.size:
            raise ValueError(f"household {self.id}: medical needs must be between 0 and its size")
        codes = [code for code, _ in self.languages]
        if len(set(codes)) != len(codes):
            raise ValueError(f"household {self.id}: a language is listed twice")
        for code, speakers in self.languages:
            if not code or not 1 <= speakers <= self.size:
                raise ValueError(
                    f"household {self.id}: language '{code}' needs between 1 and {self.size} "
                    "speakers"
                )
        if len(set(self.preferences)) != len(self.preferences):
            raise ValueError(f"household {self.id}: a preference is listed twice")
        if len(self.preferences) > PREFERENCE_DEPTH:
            raise ValueError(
                f"household {self.id}: at most {PREFERENCE_DEPTH} preferences are ranked"
            )
        if self.batch < 0:
            raise ValueError(f"household {self.id}: batch must be 0 or more")


@dataclass(frozen=True)
class Pledge:
    """A host's promise of places; ``id`` is how households, vetting and overrides name it."""

    id: str
    kind: HostKind
    country: str
    places_persons: int
    places_households: int | None = None
    max_household_size: int | None = None
    medical_places: int = 0
    languages: frozenset[str] = frozenset()
    deadline: date | None = None
    requires_vetting: bool = True

    def __post_init__(self) -> None:
        if not self.id or not self.country:
            raise ValueError("a pledge needs an id and a country")
        limits = (self.places_persons, self.places_households, self.max_household_size)
        if any(limit is not None and limit < 0 for limit in limits) or self.medical_places < 0:
            raise ValueError(f"pledge {self.id}: places and limits cannot be negative")


@dataclass(frozen=True)
class Vetting:
    """The outcome of one host's vetting of one household; ``host`` is a pledge or a country."""

    household: str
    host: str
    status: VettingStatus


@dataclass(frozen=True)
class Override:
    """A coordinator's decision on one pair, kept with the reason given for it."""

    household: str
    host: str
    kind: OverrideKind
    reason: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError(
                f"override of household {self.household} and pledge {self.host}: give a reason"
            )


@dataclass(frozen=True)
class Floor:
    """At least ``share`` of the persons in households of ``group`` must be placed."""

    group: str
    share: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.share <= 1.0:
            raise ValueError(f"floor of group '{self.group}': the share must be between 0 and 1")


@dataclass(frozen=True)
class Weights:
    """The published weights of the objective, per person placed.

    Placing a person earns ``placement``; each score component (between 0 and 1 for a household
    and a pledge) adds its weight times the household's size. With the defaults one more person
    placed (10) is worth more than the best fit any one person can get (3 + 2 + 1 + 1 = 7), so
    fit never keeps a person out on its own.
    """

    placement: float = 10.0
    relatives: float = 3.0
    language: float = 2.0
    preference: float = 1.0
    outcome: float = 1.0
    relatives_hard: bool = False

    def __post_init__(self) -> None:
        values = (self.placement, self.relatives, self.language, self.preference, self.outcome)
        if not all(math.isfinite(v) and v >= 0 for v in values) or self.placement <= 0:
            raise ValueError("weights must be finite and not negative; placement above 0")

    def as_dict(self) -> dict[str, float | bool]:
        return {
            "placement": self.placement,
            "relatives": self.relatives,
            "language": self.language,
            "preference": self.preference,
            "outcome": self.outcome,
            "relatives_hard": self.relatives_hard,
        }


@dataclass(frozen=True, eq=False)
class OutcomeScores:
    """A user's predicted outcome (e.g. employment) per household and pledge, between 0 and 1.

    Held dense, rows in ``households`` order and columns in ``hosts`` order, with NaN where no
    score was given (the component then counts 0): a list of objects per pair would not fit in
    memory at 100,000 households and 200 pledges. The array is read-only.
    """

    label: str
    households: tuple[str, ...]
    hosts: tuple[str, ...]
    values: npt.NDArray[np.float32]

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float32)
        if values.shape != (len(self.households), len(self.hosts)):
            raise ValueError("outcome scores: one row per household and one column per pledge")
        if len(set(self.households)) != len(self.households) or len(set(self.hosts)) != len(
            self.hosts
        ):
            raise ValueError("outcome scores: each household and pledge once")
        given = values[~np.isnan(values)]
        if given.size and (given.min() < 0.0 or given.max() > 1.0):
            raise ValueError("outcome scores must lie between 0 and 1")
        values.setflags(write=False)
        object.__setattr__(self, "values", values)


@dataclass(frozen=True)
class MatchingProblem:
    """Households, pledges and the rules of one matching round, checked as a whole.

    ``pacing`` is the cumulative share of every pledge's person places that households of
    batches ``0..b`` may take (so later arrivals still find places); batches beyond its length
    may use everything.
    """

    households: tuple[Household, ...]
    pledges: tuple[Pledge, ...]
    vetting: tuple[Vetting, ...] = ()
    outcomes: OutcomeScores | None = None
    overrides: tuple[Override, ...] = ()
    weights: Weights = field(default_factory=Weights)
    floors: tuple[Floor, ...] = ()
    pacing: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        households = self.household_index
        pledges = self.pledge_index
        if len(households) != len(self.households):
            raise ValueError(f"household id {_first_repeat(h.id for h in self.households)} twice")
        if len(pledges) != len(self.pledges):
            raise ValueError(f"pledge id {_first_repeat(p.id for p in self.pledges)} twice")
        countries = self.countries
        for pledge in self.pledges:
            if pledge.id in countries:
                raise ValueError(
                    f"pledge id {pledge.id} is also a country: vetting and preferences naming "
                    "it would be ambiguous"
                )
        for household in self.households:
            for wanted in household.preferences:
                if wanted not in pledges and wanted not in countries:
                    raise ValueError(
                        f"household {household.id}: preference '{wanted}' is neither a pledge "
                        "nor a country with a pledge"
                    )
        seen: set[tuple[str, str]] = set()
        for vetting in self.vetting:
            if vetting.household not in households:
                raise ValueError(f"vetting names unknown household {vetting.household}")
            if vetting.host not in pledges and vetting.host not in countries:
                raise ValueError(f"vetting names unknown pledge or country {vetting.host}")
            key = (vetting.household, vetting.host)
            if key in seen:
                raise ValueError(
                    f"vetting of household {vetting.household} by {vetting.host} given twice"
                )
            seen.add(key)
        self._check_overrides(households, pledges)
        groups = {h.group for h in self.households}
        floor_groups = [f.group for f in self.floors]
        if len(set(floor_groups)) != len(floor_groups):
            raise ValueError("a group has two floors")
        for floor in self.floors:
            if floor.group not in groups:
                raise ValueError(f"floor names group '{floor.group}' that no household is in")
        if any(not 0.0 < p <= 1.0 for p in self.pacing) or any(
            a > b for a, b in zip(self.pacing, self.pacing[1:], strict=False)
        ):
            raise ValueError("pacing shares must rise from batch to batch, between 0 and 1")
        if self.outcomes is not None:
            for hid in self.outcomes.households:
                if hid not in households:
                    raise ValueError(f"outcome scores name unknown household {hid}")
            for pid in self.outcomes.hosts:
                if pid not in pledges:
                    raise ValueError(f"outcome scores name unknown pledge {pid}")

    def _check_overrides(self, households: Mapping[str, int], pledges: Mapping[str, int]) -> None:
        pins: dict[str, str] = {}
        pairs: set[tuple[str, str]] = set()
        for override in self.overrides:
            if override.household not in households:
                raise ValueError(f"override names unknown household {override.household}")
            if override.host not in pledges:
                raise ValueError(f"override names unknown pledge {override.host}")
            pair = (override.household, override.host)
            if pair in pairs:
                raise ValueError(
                    f"household {override.household} and pledge {override.host} are "
                    "overridden twice: keep one decision per pair"
                )
            pairs.add(pair)
            if override.kind is OverrideKind.PIN:
                if override.household in pins:
                    raise ValueError(
                        f"household {override.household} is pinned to two pledges; "
                        "a household goes to one place"
                    )
                pins[override.household] = override.host

    @cached_property
    def household_index(self) -> Mapping[str, int]:
        return {h.id: i for i, h in enumerate(self.households)}

    @cached_property
    def pledge_index(self) -> Mapping[str, int]:
        return {p.id: i for i, p in enumerate(self.pledges)}

    @cached_property
    def countries(self) -> tuple[str, ...]:
        """Countries with at least one pledge, in order of first appearance."""
        return tuple(dict.fromkeys(p.country for p in self.pledges))

    @property
    def total_persons(self) -> int:
        return sum(h.size for h in self.households)

    @property
    def pins(self) -> Mapping[str, Override]:
        return {o.household: o for o in self.overrides if o.kind is OverrideKind.PIN}


def _first_repeat(ids: Iterable[str]) -> str:
    return next(key for key, n in Counter(ids).items() if n > 1)
