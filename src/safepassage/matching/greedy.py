"""The greedy baseline: what a coordinator with a spreadsheet would do, for comparison.

Pinned households first, then households of groups with a floor, then everyone else; within
each, the household with the best fit anywhere goes first (larger households first among
equals) and takes its best-scoring eligible pledge that still has room in every capacity. It
never revisits a choice, so it shows what the optimisation adds.
"""

from __future__ import annotations

import numpy as np

from safepassage.matching import kernels
from safepassage.matching.highs_model import Residual
from safepassage.matching.instance import Instance, IntArray, Outcome, Prices

_CHUNK = 8192
"""Households whose ranked pledges are held at once (a full ranking of 100,000 households
over 200 pledges would take 160 MB)."""


def greedy(instance: Instance) -> Outcome:
    count = len(instance.size)
    assigned = np.full(count, -1, dtype=np.int64)
    pinned = np.flatnonzero(instance.pinned >= 0)
    assigned[pinned] = instance.pinned[pinned]
    best = np.where(instance.blocked == 0, instance.scores, -np.inf).max(axis=1, initial=-np.inf)
    floored = instance.floor_need[instance.group] > 0
    order = np.lexsort((-instance.size, -best, ~floored))
    place_in_order(instance, order, assigned)
    objective = instance.objective(assigned)
    return Outcome(assigned, objective, None, Prices.zero(instance), "done", "greedy")


def place_in_order(instance: Instance, order: IntArray, assigned: IntArray) -> None:
    """Each household of ``order`` not yet placed takes its best eligible pledge with room
    (best by score, which for one household is also best by value)."""
    left = Residual.full(instance).without(instance, assigned, np.flatnonzero(assigned >= 0))
    waiting = order[assigned[order] < 0]
    for start in range(0, len(waiting), _CHUNK):
        rows = waiting[start : start + _CHUNK]
        options = kernels.ranked_options(
            instance.scores[rows],
            instance.blocked[rows],
            instance.size[rows],
            instance.problem.weights.placement,
            len(instance.persons),
        )
        kernels.first_fit(
            rows,
            options,
            instance.size,
            instance.medical,
            instance.pace_levels()[instance.batch],
            left.persons,
            left.households,
            left.medical,
            left.paced,
            assigned,
        )
