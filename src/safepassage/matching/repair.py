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

from safepassage.matching.greedy import place_in_order
from safepassage.matching.instance import Instance, IntArray


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
