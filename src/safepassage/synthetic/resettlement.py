"""The 2018 resettlement pledges, and synthetic vetting and wishes for the bundled households.

Pledges follow ../shared/docs/scenario-facts.md: the UK about 100 people (29 volunteers and
their families), Canada about 110 (26 volunteers and 84 family members), Germany 47 (8
volunteers and families), the Netherlands 27 (five families and three single people). France
was named without a figure; the demo assumes 40 places in 10 households. Medical places and
languages are assumptions too (the reports give none), written down here so nobody mistakes
them for facts.

Vetting and wishes are drawn per household from a generator seeded by the household's id in
the registration file, so the demo gives the same round whatever keys the registry uses.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from safepassage.matching import HostKind, Pledge

PLEDGES_2018: tuple[Pledge, ...] = (
    Pledge(
        "uk-2018",
        HostKind.COUNTRY,
        "GBR",
        places_persons=100,
        places_households=29,
        medical_places=10,
        languages=frozenset({"en"}),
    ),
    Pledge(
        "canada-2018",
        HostKind.COUNTRY,
        "CAN",
        places_persons=110,
        places_households=26,
        medical_places=12,
        languages=frozenset({"en", "fr"}),
    ),
    Pledge(
        "germany-2018",
        HostKind.COUNTRY,
        "DEU",
        places_persons=47,
        places_households=8,
        medical_places=6,
        languages=frozenset({"de"}),
    ),
    Pledge(
        "netherlands-2018",
        HostKind.COUNTRY,
        "NLD",
        places_persons=27,
        places_households=8,
        medical_places=3,
        languages=frozenset({"nl"}),
    ),
    Pledge(
        "france-2018",
        HostKind.COUNTRY,
        "FRA",
        places_persons=40,
        places_households=10,
        medical_places=4,
        languages=frozenset({"fr"}),
    ),
)

HOST_COUNTRIES = tuple(pledge.country for pledge in PLEDGES_2018)
CLEARED_SHARE = 0.6
"""Each host country cleared about this share of the households it vetted."""
RELATIVES_SHARE = {"DEU": 0.18, "GBR": 0.05, "NLD": 0.05, "FRA": 0.04, "CAN": 0.04}
"""Syrians already living there, roughly in the proportion of the diaspora's size."""


@dataclass(frozen=True)
class Wishes:
    """What a household said at its resettlement interview."""

    languages: tuple[tuple[str, int], ...]
    relatives_in: frozenset[str]
    preferences: tuple[str, ...]


def _generator(source_household: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(source_household.encode("utf-8"))])


def host_clearances(source_household: str, seed: int = 2018) -> tuple[str, ...]:
    """The host countries that cleared the household before it crossed."""
    rng = _generator(source_household, seed)
    return tuple(country for country in HOST_COUNTRIES if rng.random() < CLEARED_SHARE)


def wishes(source_household: str, size: int, seed: int = 2018) -> Wishes:
    """Everyone speaks Arabic; some members English or French; relatives abroad; and a
    ranking of up to three host countries for the households that gave one."""
    rng = _generator(source_household, seed + 1)
    languages = [("ar", size)]
    for code, share in (("en", 0.25), ("fr", 0.05)):
        if rng.random() < share:
            languages.append((code, int(rng.integers(1, size + 1))))
    relatives = frozenset(c for c, share in RELATIVES_SHARE.items() if rng.random() < share)
    preferences: tuple[str, ...] = ()
    if rng.random() < 0.6:
        ranked = [*sorted(relatives), *rng.permutation(HOST_COUNTRIES).tolist()]
        preferences = tuple(dict.fromkeys(ranked))[: int(rng.integers(1, 4))]
    return Wishes(tuple(languages), relatives, preferences)


def member_needs(source_person: str, seed: int = 2018) -> str:
    """Needs recorded at registration: a few members need medical care or help to move."""
    draw = _generator(source_person, seed + 2).random()
    return "medical" if draw < 0.06 else "mobility" if draw < 0.09 else ""
