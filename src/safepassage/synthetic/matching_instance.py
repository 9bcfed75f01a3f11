"""Seeded SYNTHETIC matching rounds: invented households and pledges, never real ones.

Tests and the benchmark need rounds that behave like the real thing without anyone handling a
real family's data: household sizes as in the registry generator, Arabic spoken by everyone and
a few members speaking a European language, relatives in the countries earlier arrivals went
to, pledges from the countries that took part in 2018 and others, most countries vetting every
household, a few refusals and vettings still pending. Places fall short of people by
``scarcity`` so capacities bind, as they did when 827 places met 800 planned evacuees.
Everything follows from the seed and is drawn with numpy, so 100,000 households take seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from safepassage.matching.model import (
    PREFERENCE_DEPTH,
    Floor,
    HostKind,
    Household,
    MatchingProblem,
    OutcomeScores,
    Pledge,
    Vetting,
    VettingStatus,
    Weights,
)
from safepassage.synthetic.registry import FAMILY_ONLY_SHARE, SIZE_WEIGHTS


@dataclass(frozen=True)
class HostCountry:
    code: str
    languages: tuple[str, ...]
    weight: float  # share of pledges and of relatives already there
    vets: bool  # requires its own vetting of every household


HOST_COUNTRIES = (
    HostCountry("DE", ("de",), 0.16, True),
    HostCountry("GB", ("en",), 0.10, True),
    HostCountry("CA", ("en", "fr"), 0.10, True),
    HostCountry("SE", ("sv",), 0.08, False),
    HostCountry("NL", ("nl",), 0.07, False),
    HostCountry("FR", ("fr",), 0.07, True),
    HostCountry("US", ("en",), 0.06, True),
    HostCountry("AU", ("en",), 0.05, True),
    HostCountry("AT", ("de",), 0.05, False),
    HostCountry("BE", ("nl", "fr"), 0.04, False),
    HostCountry("NO", ("no",), 0.04, False),
    HostCountry("CH", ("de", "fr", "it"), 0.03, False),
    HostCountry("IE", ("en",), 0.03, False),
    HostCountry("ES", ("es",), 0.03, False),
    HostCountry("AR", ("es",), 0.03, False),
    HostCountry("FI", ("fi", "sv"), 0.02, False),
    HostCountry("PT", ("pt",), 0.02, False),
    HostCountry("IT", ("it",), 0.02, False),
)
"""Six countries named in 2018 (DE, GB, CA, NL, FR, SE, AR are in the scenario facts) and
others, with their official languages; which ones vet is invented for the benchmark."""

SECOND_LANGUAGES = (("en", 0.40), ("fr", 0.08), ("de", 0.05))
"""Share of households where some members speak the language besides Arabic."""

START = date(2018, 8, 1)
BATCH_SHARES = (0.5, 0.3, 0.2)


def matching_instance(
    households: int,
    hosts: int,
    *,
    seed: int,
    scarcity: float = 0.95,
    outcomes: bool = True,
    weights: Weights | None = None,
    floors: tuple[Floor, ...] = (),
    pacing: tuple[float, ...] = (),
) -> MatchingProblem:
    """A round of ``households`` households and ``hosts`` pledges.

    Every country of :data:`HOST_COUNTRIES` (as many as ``hosts`` allows) makes a national
    pledge; the rest are city pledges spread by country weight. Person places add up to
    ``scarcity`` times the persons to place. Groups: ``volunteer`` and ``family`` (no volunteer).
    """
    if households < 1 or hosts < 1:
        raise ValueError("a round needs at least one household and one pledge")
    rng = np.random.default_rng(seed)
    countries = HOST_COUNTRIES[: min(hosts, len(HOST_COUNTRIES))]
    weight = np.array([c.weight for c in countries])
    weight /= weight.sum()
    sizes = rng.choice(np.arange(1, len(SIZE_WEIGHTS) + 1), size=households, p=SIZE_WEIGHTS)
    family = _households(rng, sizes, countries, weight)
    pledges = _pledges(rng, hosts, int(sizes.sum()), scarcity, countries, weight)
    vetting = _vetting(rng, family, countries, pledges)
    scores = _outcomes(rng, family, pledges) if outcomes else None
    return MatchingProblem(
        households=family,
        pledges=pledges,
        vetting=vetting,
        outcomes=scores,
        weights=weights or Weights(),
        floors=floors,
        pacing=pacing,
    )


def _households(
    rng: np.random.Generator,
    sizes: npt.NDArray[np.int64],
    countries: tuple[HostCountry, ...],
    weight: npt.NDArray[np.float64],
) -> tuple[Household, ...]:
    count = len(sizes)
    width = len(str(count))
    needs = rng.random(count) < 0.12
    medical = np.where(needs, np.minimum(sizes, 1 + (rng.random(count) < 0.2)), 0)
    speakers = []
    for _code, share in SECOND_LANGUAGES:
        some = rng.random(count) < share
        speakers.append(np.where(some, 1 + rng.binomial(sizes - 1, 0.3), 0))
    relatives_first = rng.choice(len(countries), size=count, p=weight)
    relatives_second = rng.choice(len(countries), size=count, p=weight)
    has_relatives = rng.random(count) < 0.3
    has_second = has_relatives & (rng.random(count) < 0.15)
    ranks = np.where(rng.random(count) < 0.35, rng.integers(1, 4, size=count), 0)
    ranked = rng.choice(len(countries), size=(count, PREFERENCE_DEPTH), p=weight)
    family_only = (sizes >= 2) & (rng.random(count) < FAMILY_ONLY_SHARE)
    batch = rng.choice(len(BATCH_SHARES), size=count, p=BATCH_SHARES)
    ready_day = batch * 30 + rng.integers(0, 21, size=count)
    result = []
    for i in range(count):
        languages = [("ar", int(sizes[i]))]
        languages += [
            (code, int(speakers[k][i]))
            for k, (code, _share) in enumerate(SECOND_LANGUAGES)
            if speakers[k][i]
        ]
        relatives = set()
        if has_relatives[i]:
            relatives.add(countries[relatives_first[i]].code)
            if has_second[i]:
                relatives.add(countries[relatives_second[i]].code)
        wanted = tuple(dict.fromkeys(countries[c].code for c in ranked[i, : ranks[i]]))
        result.append(
            Household(
                id=f"H{i + 1:0{width}d}",
                size=int(sizes[i]),
                medical=int(medical[i]),
                languages=tuple(languages),
                relatives_in=frozenset(relatives),
                preferences=wanted,
                group="family" if family_only[i] else "volunteer",
                batch=int(batch[i]),
                ready=START + timedelta(days=int(ready_day[i])),
            )
        )
    return tuple(result)


def _pledges(
    rng: np.random.Generator,
    hosts: int,
    persons: int,
    scarcity: float,
    countries: tuple[HostCountry, ...],
    weight: npt.NDArray[np.float64],
) -> tuple[Pledge, ...]:
    cities = hosts - len(countries)
    country_of = np.concatenate(
        [np.arange(len(countries)), rng.choice(len(countries), size=cities, p=weight)]
    )
    share = rng.dirichlet(np.full(hosts, 3.0)) * (1 + (np.arange(hosts) < len(countries)))
    places = np.floor(share / share.sum() * persons * scarcity).astype(np.int64)
    places = np.maximum(places, 1)
    limited = rng.random(hosts) < 0.3
    largest = rng.choice([5, 6, 8], size=hosts)
    no_medical = (np.arange(hosts) >= len(countries)) & (rng.random(hosts) < 0.25)
    deadline_day = rng.integers(45, 151, size=hosts)
    open_ended = rng.random(hosts) < 0.2
    city_number = np.zeros(len(countries), dtype=np.int64)
    result = []
    for j in range(hosts):
        country = countries[country_of[j]]
        if j < len(countries):
            pledge_id, kind = f"{country.code}-national", HostKind.COUNTRY
        else:
            city_number[country_of[j]] += 1
            pledge_id = f"{country.code}-city-{city_number[country_of[j]]:03d}"
            kind = HostKind.CITY
        persons_here = int(places[j])
        result.append(
            Pledge(
                id=pledge_id,
                kind=kind,
                country=country.code,
                places_persons=persons_here,
                places_households=math.ceil(persons_here / 3.2),
                max_household_size=int(largest[j]) if limited[j] else None,
                medical_places=0 if no_medical[j] else max(1, round(0.04 * persons_here)),
                languages=frozenset(country.languages),
                deadline=None if open_ended[j] else START + timedelta(days=int(deadline_day[j])),
                requires_vetting=country.vets,
            )
        )
    return tuple(result)


def _vetting(
    rng: np.random.Generator,
    households: tuple[Household, ...],
    countries: tuple[HostCountry, ...],
    pledges: tuple[Pledge, ...],
) -> tuple[Vetting, ...]:
    """Every vetting country's outcome for every household; a few city-level refusals."""
    statuses = (VettingStatus.CLEARED, VettingStatus.PENDING, VettingStatus.REFUSED)
    result: list[Vetting] = []
    for country in countries:
        if not country.vets:
            continue
        drawn = rng.choice(len(statuses), size=len(households), p=(0.9, 0.06, 0.04))
        result.extend(
            Vetting(h.id, country.code, statuses[s])
            for h, s in zip(households, drawn.tolist(), strict=True)
        )
    cities = [p.id for p in pledges if p.kind is HostKind.CITY and not p.requires_vetting]
    if cities:
        refused = np.flatnonzero(rng.random(len(households)) < 0.002)
        where = rng.choice(len(cities), size=len(refused))
        result.extend(
            Vetting(households[h].id, cities[c], VettingStatus.REFUSED)
            for h, c in zip(refused.tolist(), where.tolist(), strict=True)
        )
    return tuple(result)


def _outcomes(
    rng: np.random.Generator, households: tuple[Household, ...], pledges: tuple[Pledge, ...]
) -> OutcomeScores:
    """Invented employment chances: a logistic of language, household and local market."""
    english = np.array(
        [dict(h.languages).get("en", 0) / h.size for h in households], dtype=np.float64
    )
    speaks_english = np.array(["en" in p.languages for p in pledges], dtype=np.float64)
    market = rng.normal(0.0, 0.5, size=len(pledges))
    person = rng.normal(0.0, 0.7, size=len(households))
    values = np.empty((len(households), len(pledges)), dtype=np.float32)
    for start in range(0, len(households), 8192):
        rows = slice(start, start + 8192)
        logit = (
            -0.8
            + 1.5 * english[rows, None] * speaks_english[None, :]
            + market[None, :]
            + person[rows, None]
            + rng.normal(0.0, 0.4, size=(len(english[rows]), len(pledges)))
        )
        values[rows] = np.round(1.0 / (1.0 + np.exp(-logit)), 3)
    return OutcomeScores(
        "predicted employment (synthetic)",
        tuple(h.id for h in households),
        tuple(p.id for p in pledges),
        values,
    )
