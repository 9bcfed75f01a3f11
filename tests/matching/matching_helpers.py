"""Tiny matching rounds built in code, and the brute force the solver is compared with.

Plain functions rather than fixtures in a ``conftest.py``: the suite imports helpers with
``from conftest import ...`` from ``tests/conftest.py``, and a second module named
``conftest`` in this folder would shadow it for every test collected after this one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import date

from safepassage.matching import (
    HostKind,
    Household,
    MatchingProblem,
    Pledge,
    Vetting,
    VettingStatus,
)
from safepassage.matching.check import violations
from safepassage.matching.scoring import ScoreTables, pair_value

NOT_CAPACITY = {"vetting", "size", "medical", "deadline", "relatives", "forbid", "pledge"}
"""Rules a single pair breaks by itself, whatever else is placed."""


def household(hid: str, size: int = 2, **more: object) -> Household:
    return Household(hid, size, **more)  # type: ignore[arg-type]


def pledge(pid: str, places: int = 10, country: str = "DE", **more: object) -> Pledge:
    more.setdefault("requires_vetting", False)
    return Pledge(pid, HostKind.CITY, country, places, **more)  # type: ignore[arg-type]


def cleared(households: Iterable[Household], host: str) -> tuple[Vetting, ...]:
    return tuple(Vetting(h.id, host, VettingStatus.CLEARED) for h in households)


def on(day: int) -> date:
    return date(2018, 8, day)


def objective(problem: MatchingProblem, assigned: Sequence[str | None]) -> float:
    """The objective written out from its definition: size * (placement + score)."""
    scores = ScoreTables(problem).scores()
    index = problem.pledge_index
    return float(
        sum(
            pair_value(h.size, float(scores[i, index[p]]), problem.weights)
            for i, (h, p) in enumerate(zip(problem.households, assigned, strict=True))
            if p is not None
        )
    )


def brute_force(problem: MatchingProblem) -> tuple[float, tuple[str | None, ...]] | None:
    """The best feasible assignment by enumeration (None when there is none)."""
    nobody = [None] * len(problem.households)
    options: list[list[str | None]] = []
    for i, h in enumerate(problem.households):
        mine: list[str | None] = [None]
        for p in problem.pledges:
            alone = list(nobody)
            alone[i] = p.id
            if not any(
                v.rule in NOT_CAPACITY and v.subject == h.id for v in violations(problem, alone)
            ):
                mine.append(p.id)
        options.append(mine)
    best: tuple[float, tuple[str | None, ...]] | None = None
    for choice in itertools.product(*options):
        if violations(problem, choice):
            continue
        value = objective(problem, choice)
        if best is None or value > best[0] + 1e-9:
            best = (value, tuple(choice))
    return best
