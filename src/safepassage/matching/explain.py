"""Why every household got what it got, and how much of every pledge was used.

For each household: its pledge and the score behind it, component by component with the
published weights; its three best-scoring other pledges and why each was not chosen; every
pledge a hard rule blocks, grouped by the rules; if unplaced, why. For each pledge: use against
what was pledged, per capacity, with the price that says whether the capacity binds.

An alternative scoring above the assignment is always explained by what stops the move: a hard
rule, or a capacity without room for this household (the message says which, and how much is
left). In an optimal assignment nothing else can stop it: moving the household there would
raise the objective. When the solver stopped within a gap it can happen, and the message says
so instead of inventing a reason.

Prices come with the result: the LP duals of the capacity rows for exact solves, otherwise the
prices that prove the bound: one more place there would raise the objective by about that
much. A price and a full capacity are two facts, given apart: a capacity is ``full`` when it is
used to the last place; a positive price may stand on one with room left (the prices are those
of the relaxation, which splits households) and a full one may carry none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from safepassage.matching.eligibility import Block, reasons
from safepassage.matching.highs_model import Residual
from safepassage.matching.model import OverrideKind
from safepassage.matching.result import MatchingResult
from safepassage.matching.scoring import COMPONENTS, ScoreTables

ALTERNATIVES = 3
_PRICED = 1e-9
_CHUNK = 4096


@dataclass(frozen=True)
class ComponentScore:
    name: str
    value: float  # between 0 and 1
    weight: float
    points: float  # weight * value


@dataclass(frozen=True)
class Alternative:
    pledge: str
    score: float
    why_not: str  # starts with "blocked:", "capacity:", "lower score", ... (see the module)


@dataclass(frozen=True)
class HouseholdExplanation:
    household: str
    size: int
    pledge: str | None
    score: float | None
    value: float | None  # what the placement adds to the objective
    components: tuple[ComponentScore, ...]
    pinned: str | None  # the reason given for the pin
    alternatives: tuple[Alternative, ...]
    blocked: Mapping[str, tuple[str, ...]]  # rules (joined by "; ") -> pledges they block
    unplaced: str | None


@dataclass(frozen=True)
class Use:
    capacity: str
    used: int
    pledged: int | None  # None: no limit of this kind
    price: float

    @property
    def full(self) -> bool:
        """Used to the last place (a capacity of none is not called full)."""
        return self.pledged is not None and 0 < self.pledged <= self.used


@dataclass(frozen=True)
class PledgeUse:
    pledge: str
    kind: str
    country: str
    uses: tuple[Use, ...]


@dataclass(frozen=True)
class FloorUse:
    group: str
    needed: int
    placed: int
    price: float


@dataclass(frozen=True)
class Explanations:
    households: tuple[HouseholdExplanation, ...]
    pledges: tuple[PledgeUse, ...]
    floors: tuple[FloorUse, ...]
    prices_from: str

    def by_household(self) -> Mapping[str, HouseholdExplanation]:
        return {e.household: e for e in self.households}

    def as_json(self) -> dict[str, Any]:
        by_country = self._by_country()
        return {
            "prices_from": self.prices_from,
            "pledges": [
                {
                    "pledge": p.pledge,
                    "kind": p.kind,
                    "country": p.country,
                    "uses": [
                        {
                            "capacity": u.capacity,
                            "used": u.used,
                            "pledged": u.pledged,
                            "price": round(u.price, 6),
                            "full": u.full,
                        }
                        for u in p.uses
                    ],
                }
                for p in self.pledges
            ],
            "floors": [
                {"group": f.group, "needed": f.needed, "placed": f.placed, "price": f.price}
                for f in self.floors
            ],
            "households": [_household_json(e, by_country) for e in self.households],
        }

    def _by_country(self) -> Mapping[str, frozenset[str]]:
        countries: dict[str, set[str]] = {}
        for p in self.pledges:
            countries.setdefault(p.country, set()).add(p.pledge)
        return {country: frozenset(ids) for country, ids in countries.items()}


def _blocked_json(
    blocked: Mapping[str, tuple[str, ...]], by_country: Mapping[str, frozenset[str]]
) -> list[dict[str, Any]]:
    """Each group of rules with the countries it blocks whole (every pledge in them), then
    the pledges left over: vetting is mostly per country, and listing its 20 pledges for each
    of 100,000 households would be most of the file."""
    groups = []
    for rules, pledges in blocked.items():
        listed = set(pledges)
        whole = sorted(c for c, ids in by_country.items() if len(ids) > 1 and ids <= listed)
        covered = set().union(*(by_country[c] for c in whole)) if whole else set()
        groups.append(
            {
                "rules": rules,
                "countries": whole,
                "pledges": [p for p in pledges if p not in covered],
            }
        )
    return groups


def _household_json(
    e: HouseholdExplanation, by_country: Mapping[str, frozenset[str]]
) -> dict[str, Any]:
    return {
        "household": e.household,
        "size": e.size,
        "pledge": e.pledge,
        "score": None if e.score is None else round(e.score, 6),
        "value": None if e.value is None else round(e.value, 6),
        "components": [
            {
                "name": c.name,
                "value": round(c.value, 6),
                "weight": c.weight,
                "points": round(c.points, 6),
            }
            for c in e.components
        ],
        "pinned": e.pinned,
        "alternatives": [
            {"pledge": a.pledge, "score": round(a.score, 6), "why_not": a.why_not}
            for a in e.alternatives
        ],
        "blocked": _blocked_json(e.blocked, by_country),
        "unplaced": e.unplaced,
    }


def reason_kind(reason: str) -> str:
    """An unplaced household's reason up to its colon ("no room", "every pledge is blocked by
    a hard rule"): what follows counts pledges or names the household's size, which would
    make every group a household of its own."""
    return reason.split(":", 1)[0]


def explain(result: MatchingResult) -> Explanations:
    instance = result.instance
    problem = result.problem
    assigned = result.assigned_index
    everyone = np.arange(len(problem.households))
    left = Residual.full(instance).without(instance, assigned, everyone)
    tables = ScoreTables(problem)
    context = _Context(result, left)
    households = []
    for start in range(0, len(everyone), _CHUNK):
        rows = everyone[start : start + _CHUNK]
        components = tables.components(rows)
        for offset, h in enumerate(rows.tolist()):
            households.append(
                context.household(h, {n: components.of(n)[offset] for n in COMPONENTS})
            )
    return Explanations(
        households=tuple(households),
        pledges=_pledge_uses(result, left),
        floors=_floor_uses(result),
        prices_from=_prices_from(result),
    )


class _Context:
    def __init__(self, result: MatchingResult, left: Residual) -> None:
        self.result = result
        self.instance = result.instance
        self.left = left
        self.first_level = self.instance.pace_levels()[self.instance.batch]
        problem = result.problem
        self.pledge_ids = [p.id for p in problem.pledges]
        self.pins = {o.household: o.reason for o in problem.overrides if o.kind is OverrideKind.PIN}
        self._words: dict[int, str] = {}
        self.forbids = {
            (o.household, o.host): o.reason
            for o in problem.overrides
            if o.kind is OverrideKind.FORBID
        }

    def household(
        self, h: int, components: Mapping[str, np.typing.NDArray[np.float32]]
    ) -> HouseholdExplanation:
        instance, problem = self.instance, self.result.problem
        household = problem.households[h]
        weights = problem.weights
        scores = instance.scores[h].astype(np.float64)
        flags = instance.blocked[h]
        j = int(self.result.assigned_index[h])
        pinned = self.pins.get(household.id)
        breakdown: tuple[ComponentScore, ...] = ()
        score = value = None
        if j >= 0:
            score = float(scores[j])
            value = float(instance.values(np.array([h]), np.array([j]))[0])
            breakdown = tuple(
                ComponentScore(
                    name,
                    float(components[name][j]),
                    getattr(weights, name),
                    getattr(weights, name) * float(components[name][j]),
                )
                for name in COMPONENTS
            )
        ranked = np.lexsort((np.arange(len(scores)), -scores))[: ALTERNATIVES + 1].tolist()
        alternatives = tuple(
            self._alternative(h, household.id, k, j, scores, pinned)
            for k in [k for k in ranked if k != j][:ALTERNATIVES]
        )
        blocked: dict[str, list[str]] = {}
        where = np.flatnonzero(flags)
        for flag in np.unique(flags[where]).tolist():
            members = where[flags[where] == flag].tolist()
            if flag & Block.FORBIDDEN:
                for k in members:
                    rules = "; ".join(self._rules(household.id, k, flag))
                    blocked.setdefault(rules, []).append(self.pledge_ids[k])
            else:
                rules = self._words.get(flag) or self._words.setdefault(
                    flag, "; ".join(reasons(flag))
                )
                blocked.setdefault(rules, []).extend(self.pledge_ids[k] for k in members)
        return HouseholdExplanation(
            household=household.id,
            size=household.size,
            pledge=None if j < 0 else self.pledge_ids[j],
            score=score,
            value=value,
            components=breakdown,
            pinned=pinned,
            alternatives=alternatives,
            blocked={rules: tuple(ids) for rules, ids in blocked.items()},
            unplaced=None if j >= 0 else self._unplaced(h, flags),
        )

    def _rules(self, household: str, k: int, flags: int) -> list[str]:
        words = reasons(flags)
        if flags & Block.FORBIDDEN:
            reason = self.forbids[(household, self.pledge_ids[k])]
            words[0] = f"{words[0]} ({reason})"
        return words

    def _short_of(self, h: int, k: int) -> list[str]:
        """Capacities of pledge ``k`` without room for household ``h`` as assigned."""
        instance, left, prices = self.instance, self.left, self.result.prices
        size, medical = int(instance.size[h]), int(instance.medical[h])
        pledge = self.pledge_ids[k]
        short = []
        checks = (
            ("person places", int(left.persons[k]), size, float(prices.persons[k])),
            ("household places", int(left.households[k]), 1, float(prices.households[k])),
            ("medical places", int(left.medical[k]), medical, float(prices.medical[k])),
        )
        for name, room, need, price in checks:
            if room < need:
                short.append(_capacity_words(pledge, name, room, need, price))
        for level in range(int(self.first_level[h]), left.paced.shape[1]):
            room = int(left.paced[k, level])
            if room < size:
                batch = int(instance.batch_of_level[level])
                name = f"person places open to batches up to {batch}"
                short.append(
                    _capacity_words(pledge, name, room, size, float(prices.paced[k, level]))
                )
                break
        return short

    def _alternative(
        self,
        h: int,
        household: str,
        k: int,
        j: int,
        scores: np.typing.NDArray[np.float64],
        pinned: str | None,
    ) -> Alternative:
        flags = int(self.instance.blocked[h, k])
        pledge = self.pledge_ids[k]
        if flags:
            rules = tuple(self._rules(household, k, flags))
            return Alternative(pledge, float(scores[k]), "blocked: " + "; ".join(rules))
        if j >= 0 and scores[k] < scores[j]:
            why = f"lower score ({scores[k]:.3f} against {scores[j]:.3f} at {self.pledge_ids[j]})"
        elif j >= 0 and scores[k] == scores[j]:
            why = f"same score as {self.pledge_ids[j]}; either is as good"
        elif pinned is not None:
            why = f"the household is pinned to {self.pledge_ids[j]} ({pinned})"
        elif short := self._short_of(h, k):
            why = "capacity: " + "; ".join(short)
        else:
            better = "scores higher and " if j >= 0 else ""
            why = (
                f"it {better}has room for the household, but the {self.result.method} "
                f"({self.result.status}) did not move it there"
            )
        return Alternative(pledge, float(scores[k]), why)

    def _unplaced(self, h: int, flags: np.typing.NDArray[np.uint16]) -> str:
        eligible = np.flatnonzero(flags == 0)
        if not len(eligible):
            counts: dict[str, int] = {}
            for value, n in zip(*np.unique(flags, return_counts=True), strict=True):
                for word in reasons(int(value)):
                    counts[word] = counts.get(word, 0) + int(n)
            listed = "; ".join(f"{word} ({n})" for word, n in counts.items())
            return f"every pledge is blocked by a hard rule: {listed}"
        instance, left = self.instance, self.left
        size = instance.size[h]
        room = (
            (left.persons[eligible] >= size)
            & (left.households[eligible] >= 1)
            & (left.medical[eligible] >= instance.medical[h])
            & (left.paced[eligible, int(self.first_level[h]) :] >= size).all(axis=1)
        )
        if not room.any():
            return (
                f"no room: none of the {len(eligible)} pledges it may use has room left for a "
                f"household of {int(size)}" + self._medical_note(h)
            )
        return (
            f"left out although {self.pledge_ids[int(eligible[room][0])]} has room: the "
            f"{self.result.method} ({self.result.status}) did not place it"
        )

    def _medical_note(self, h: int) -> str:
        needs = int(self.instance.medical[h])
        return f" with {needs} medical need(s)" if needs else ""


def _prices_from(result: MatchingResult) -> str:
    if result.bound is None:
        return "none: this matcher proves no bound, so no capacity is priced"
    if result.method == "exact MILP":
        return "duals of the LP relaxation over every eligible pair"
    return "the part duals that prove the bound (the lowest Lagrangian value)"


def _capacity_words(pledge: str, name: str, room: int, need: int, price: float) -> str:
    words = f"{pledge} has {room} {name} left, {need} needed"
    if price > _PRICED:
        words += f" (one more is worth {price:.3f})"
    return words


def _pledge_uses(result: MatchingResult, left: Residual) -> tuple[PledgeUse, ...]:
    instance, prices = result.instance, result.prices
    uses = []
    for j, pledge in enumerate(result.problem.pledges):
        rows = [
            Use(
                "persons",
                int(instance.persons[j] - left.persons[j]),
                pledge.places_persons,
                float(prices.persons[j]),
            ),
            Use(
                "households",
                int(instance.households[j] - left.households[j]),
                pledge.places_households,
                float(prices.households[j]),
            ),
            Use(
                "medical",
                int(instance.medical_places[j] - left.medical[j]),
                pledge.medical_places,
                float(prices.medical[j]),
            ),
        ]
        for level, batch in enumerate(instance.batch_of_level.tolist()):
            rows.append(
                Use(
                    f"persons from batches up to {batch}",
                    int(instance.paced[j, level] - left.paced[j, level]),
                    int(instance.paced[j, level]),
                    float(prices.paced[j, level]),
                )
            )
        uses.append(PledgeUse(pledge.id, pledge.kind.value, pledge.country, tuple(rows)))
    return tuple(uses)


def _floor_uses(result: MatchingResult) -> tuple[FloorUse, ...]:
    instance = result.instance
    placed = result.assigned_index >= 0
    persons = np.bincount(
        instance.group[placed], weights=instance.size[placed], minlength=len(instance.groups)
    )
    index = {g: i for i, g in enumerate(instance.groups)}
    return tuple(
        FloorUse(
            f.group,
            int(instance.floor_need[index[f.group]]),
            int(persons[index[f.group]]),
            float(result.prices.floors[index[f.group]]),
        )
        for f in result.problem.floors
    )
