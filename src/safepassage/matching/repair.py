"""Making an assignment maximal: nobody left out where a place they may use is still open.

A MILP stopped within its gap, or one over the pairs column generation happened to offer, can
leave a household unplaced beside a pledge with room for it in every capacity; so can the
rounding of the parts. Placing it only adds to the objective (every placement is worth
``size * placement > 0``) and only adds placed persons (floors stay met), so it is always
right, and nobody should read "not placed" next to an open place.

:func:`fill_room` offers every unplaced household, largest value first (its best eligible
pledge), each eligible pledge with room, best score first; the order is fixed by the data
alone, so the result is deterministic. One pass suffices: room only shrinks as households are
placed, so a household that found no room when its turn came finds none later either.
"""

from __future__ import annotations

import numpy as np

from safepassage.matching import kernels
from safepassage.matching.greedy import place_in_order
from safepassage.matching.highs_model import Residual
from safepassage.matching.instance import Instance, IntArray

MOVE_HOUSEHOLDS = 5_000
"""Rounds up to this size also try moving a household out of the way (:func:`make_room`):
its table of households per pledge grows with households x pledges."""
MOVE_PASSES = 4


def fill_room(instance: Instance, assigned: IntArray) -> int:
    """Place, in place, every unplaced household that fits somewhere; returns how many."""
    waiting = np.flatnonzero(assigned < 0)
    if not len(waiting):
        return 0
    best = np.where(instance.blocked[waiting] == 0, instance.scores[waiting], -np.inf).max(
        axis=1, initial=-np.inf
    )
    value = instance.size[waiting] * (instance.problem.weights.placement + best)
    before = int(np.count_nonzero(assigned >= 0))
    # stable on the index: equal values keep the households' order in the round
    place_in_order(instance, waiting[np.argsort(-value, kind="stable")], assigned)
    return int(np.count_nonzero(assigned >= 0)) - before


def make_room(instance: Instance, assigned: IntArray) -> float:
    """Place unplaced households by moving one placed household to another pledge with room,
    where that raises the objective; fill any room this opens. Passes until one gains
    nothing or :data:`MOVE_PASSES` are done (a fixed amount of work: deterministic). Returns
    the objective gained; the caller's assignment stays feasible and maximal."""
    gained = 0.0
    if len(instance.size) > MOVE_HOUSEHOLDS:
        return gained
    placement = instance.problem.weights.placement
    for _ in range(MOVE_PASSES):
        waiting = np.flatnonzero(assigned < 0)
        if not len(waiting):
            break
        best = np.where(instance.blocked[waiting] == 0, instance.scores[waiting], -np.inf).max(
            axis=1, initial=-np.inf
        )
        order = waiting[np.argsort(-(instance.size[waiting] * (placement + best)), kind="stable")]
        left = Residual.full(instance).without(instance, assigned, np.flatnonzero(assigned >= 0))
        found = kernels.make_room(
            order,
            instance.scores,
            instance.blocked,
            instance.size,
            instance.medical,
            instance.pace_levels()[instance.batch],
            instance.pinned,
            placement,
            left.persons,
            left.households,
            left.medical,
            left.paced,
            assigned,
        )
        fill_room(instance, assigned)
        if found <= 0:
            break
        gained += found
    return gained
