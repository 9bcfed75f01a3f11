"""Loops over every household and pledge, compiled: pricing and first-fit placement.

At 100,000 households and 200 pledges a pass over all pairs is 20 million cells; NumPy would
need several temporaries of that size per pass, the compiled loop none.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from safepassage.planning.step_network import compiled

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
ScoreArray = npt.NDArray[np.float32]
BlockArray = npt.NDArray[np.uint16]


@compiled
def price_scan(
    scores: ScoreArray,
    blocked: BlockArray,
    size: IntArray,
    medical: IntArray,
    batch: IntArray,
    group: IntArray,
    pinned: IntArray,
    placement: float,
    person_price: FloatArray,
    household_price: FloatArray,
    medical_price: FloatArray,
    pace_price: FloatArray,
    floor_bonus: FloatArray,
    tie_key: IntArray,
    tie_scale: float,
    top: IntArray,
    top_profit: FloatArray,
) -> float:
    """Each household's profit at each eligible pledge under the prices.

    Fills ``top``/``top_profit`` (households x k) with the k most profitable pledges, best
    first (-1 where fewer are eligible, ties broken by a fixed pseudo-random nudge of up to
    ``tie_scale`` per person); returns the sum over households of the best profit or 0
    (staying unplaced): the household part of the Lagrangian bound. A pinned household has
    one option, its pin, whatever it is worth.
    """
    households, pledges = scores.shape
    k = top.shape[1]
    total = 0.0
    rank_key = np.empty(k)
    for h in range(households):
        for slot in range(k):
            top[h, slot] = -1
            top_profit[h, slot] = -np.inf
            rank_key[slot] = -np.inf
        people = float(size[h])
        bonus = floor_bonus[group[h]]
        first_j = 0
        last_j = pledges
        best = 0.0
        if pinned[h] >= 0:
            first_j = pinned[h]
            last_j = pinned[h] + 1
            best = -np.inf
        for j in range(first_j, last_j):
            if blocked[h, j] != 0 and pinned[h] < 0:
                continue
            profit = (
                people * (placement + float(scores[h, j]))
                - people * (person_price[j] + pace_price[j, batch[h]] - bonus)
                - household_price[j]
                - medical[h] * medical_price[j]
            )
            noise = ((tie_key[h] * 2654435761 + j * 40503) % 65536) / 65536.0
            ranked = profit + tie_scale * people * noise
            if ranked > rank_key[k - 1]:
                slot = k - 1
                while slot > 0 and rank_key[slot - 1] < ranked:
                    rank_key[slot] = rank_key[slot - 1]
                    top_profit[h, slot] = top_profit[h, slot - 1]
                    top[h, slot] = top[h, slot - 1]
                    slot -= 1
                rank_key[slot] = ranked
                top_profit[h, slot] = profit
                top[h, slot] = j
            best = max(best, profit)
        total += best
    return total


@compiled
def first_fit(
    order: IntArray,
    options: IntArray,
    size: IntArray,
    medical: IntArray,
    pace_level: IntArray,
    persons_left: IntArray,
    households_left: IntArray,
    medical_left: IntArray,
    paced_left: IntArray,
    assigned: IntArray,
) -> int:
    """Households ``order[i]`` take the first of ``options[i]`` (-1 ends them) with room.

    Households already assigned are skipped; the residual arrays are updated in place.
    Returns how many households were placed.
    """
    placed = 0
    levels = paced_left.shape[1]
    for i in range(len(order)):
        h = order[i]
        if assigned[h] >= 0:
            continue
        people = size[h]
        for slot in range(options.shape[1]):
            j = options[i, slot]
            if j < 0:
                break
            if persons_left[j] < people or households_left[j] < 1 or medical_left[j] < medical[h]:
                continue
            fits = True
            for level in range(pace_level[h], levels):
                if paced_left[j, level] < people:
                    fits = False
                    break
            if not fits:
                continue
            persons_left[j] -= people
            households_left[j] -= 1
            medical_left[j] -= medical[h]
            for level in range(pace_level[h], levels):
                paced_left[j, level] -= people
            assigned[h] = j
            placed += 1
            break
    return placed


@compiled
def ranked_options(
    scores: ScoreArray, blocked: BlockArray, size: IntArray, placement: float, k: int
) -> IntArray:
    """Each household's k highest-valued eligible pledges, best first (-1 pads)."""
    households, pledges = scores.shape
    top = np.full((households, k), -1, dtype=np.int64)
    value = np.full(k, -np.inf)
    for h in range(households):
        for slot in range(k):
            value[slot] = -np.inf
        for j in range(pledges):
            if blocked[h, j] != 0:
                continue
            v = float(size[h]) * (placement + float(scores[h, j]))
            if v > value[k - 1]:
                slot = k - 1
                while slot > 0 and value[slot - 1] < v:
                    value[slot] = value[slot - 1]
                    top[h, slot] = top[h, slot - 1]
                    slot -= 1
                value[slot] = v
                top[h, slot] = j
    return top


@compiled
def make_room(
    candidates: IntArray,
    scores: ScoreArray,
    blocked: BlockArray,
    size: IntArray,
    medical: IntArray,
    pace_level: IntArray,
    pinned: IntArray,
    placement: float,
    persons_left: IntArray,
    households_left: IntArray,
    medical_left: IntArray,
    paced_left: IntArray,
    assigned: IntArray,
) -> float:
    """Unplaced households ``candidates`` (best first) each try to get a place by moving one
    household out of the way: ``h`` (not pinned) leaves pledge ``j`` for a pledge ``k`` with
    room, and the candidate takes ``j``. The move raising the objective most is made, if any;
    the residual arrays and ``assigned`` are updated in place. Returns the objective gained.
    """
    households, pledges = scores.shape
    levels = paced_left.shape[1]
    gained = 0.0
    members = np.empty((pledges, households), dtype=np.int64)  # households at each pledge
    count = np.zeros(pledges, dtype=np.int64)
    slot_of = np.full(households, -1, dtype=np.int64)
    for h in range(households):
        j = assigned[h]
        if j >= 0:
            members[j, count[j]] = h
            slot_of[h] = count[j]
            count[j] += 1
    for c in range(len(candidates)):
        u = candidates[c]
        if assigned[u] >= 0:
            continue
        best_gain = 1e-9
        best_h, best_j, best_k = -1, -1, -1
        for j in range(pledges):
            if blocked[u, j] != 0:
                continue
            value_u = size[u] * (placement + float(scores[u, j]))
            for slot in range(count[j]):
                h = members[j, slot]
                if pinned[h] >= 0:
                    continue
                # does u fit at j once h has left?
                fits = (
                    persons_left[j] + size[h] >= size[u]
                    and medical_left[j] + medical[h] >= medical[u]
                )
                if fits:
                    for level in range(levels):
                        room = paced_left[j, level]
                        if level >= pace_level[h]:
                            room += size[h]
                        if level >= pace_level[u] and room < size[u]:
                            fits = False
                            break
                if fits:
                    value_h = size[h] * (placement + float(scores[h, j]))
                    for k in range(pledges):
                        if k == j or blocked[h, k] != 0:
                            continue
                        if persons_left[k] < size[h] or households_left[k] < 1:
                            continue
                        if medical_left[k] < medical[h]:
                            continue
                        paced_ok = True
                        for level in range(pace_level[h], levels):
                            if paced_left[k, level] < size[h]:
                                paced_ok = False
                                break
                        if not paced_ok:
                            continue
                        gain = value_u + size[h] * (placement + float(scores[h, k])) - value_h
                        if gain > best_gain:
                            best_gain, best_h, best_j, best_k = gain, h, j, k
        if best_h < 0:
            continue
        h, j, k = best_h, best_j, best_k
        persons_left[j] += size[h] - size[u]
        medical_left[j] += medical[h] - medical[u]
        persons_left[k] -= size[h]
        households_left[k] -= 1
        medical_left[k] -= medical[h]
        for level in range(levels):
            if level >= pace_level[h]:
                paced_left[j, level] += size[h]
                paced_left[k, level] -= size[h]
            if level >= pace_level[u]:
                paced_left[j, level] -= size[u]
        assigned[h] = k
        assigned[u] = j
        members[j, slot_of[h]] = u  # u takes h's slot at j
        slot_of[u] = slot_of[h]
        members[k, count[k]] = h
        slot_of[h] = count[k]
        count[k] += 1
        gained += best_gain
    return gained
