"""The optimal assignment: a MILP with HiGHS, and a bound that holds for the whole problem.

The objective, per household placed: ``size * (placement + score)`` (see ``Weights``).

A round of 100,000 households and 200 pledges has 20 million pairs; written out as a MILP it is
far too large, and even its LP relaxation (restricted to a few pledges per household) takes
HiGHS over a minute. It is solved in parts:

1. Households are shuffled (by the seed) into parts of about :data:`PART_SIZE`. Each part gets
   its share of what is left of every capacity, and solves the LP relaxation over its own
   households by column generation: start from each household's most profitable pledges at
   the prices learnt so far, add every pair whose reduced cost is positive, until none is (or
   a round adds almost nothing).
2. The part's LP is rounded (:func:`_round`): what it places whole is kept, the few it
   splits take the pledge holding most of them if it has room. Households left out are
   carried into the next part.
3. A final pass offers every household still unplaced each eligible pledge with room, best
   value first.
4. Rounds of up to :data:`POLISH_HOUSEHOLDS` households, where few households share a pledge
   and the LP splits most of them, are then polished by a MILP over the generated pairs.

The bound never depends on that heuristic. For any non-negative prices of the capacity rows,
``sum(price * capacity) + sum over households of max(0, best profit at those prices)`` is at
least the objective of every feasible assignment (Lagrangian relaxation; a household's profit
is its value minus the price of the capacity it uses; pinned households take their pin). Every
part's LP duals are such prices; each is priced against all 20 million pairs (a compiled
pass, a fraction of a second) and the lowest value is the bound. Parts drawn at random face
the same market, so their duals nearly clear the whole of it and the bound lands within
hundredths of a percent of the LP optimum of the full problem: the gap reported is against
the whole problem, never against the pairs the parts happened to generate.

Small rounds (up to :data:`EXACT_PAIRS` eligible pairs) are one MILP over every eligible pair,
started from the parts' assignment, so HiGHS's own bound covers the whole problem and
"optimal" means optimal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from safepassage.matching import kernels
from safepassage.matching.highs_model import (
    NODE_LIMIT_REACHED,
    TIME_LIMIT_REACHED,
    Layout,
    Residual,
    RestrictedLp,
    Solution,
    solve_milp,
)
from safepassage.matching.instance import FloatArray, Instance, IntArray, Outcome, Prices
from safepassage.matching.repair import fill_room

NODE_LIMIT = 2_000
"""Branch-and-bound nodes per HiGHS MILP: the deterministic work limit that stops a search
short of the gap asked (a wall clock is only ever an explicit option)."""
EXACT_PAIRS = 20_000
"""Eligible pairs up to which the whole problem is one MILP. HiGHS solves 1,000 households by
20 pledges to a 0.01% gap in seconds; at 1,000 by 200 (170,000 pairs) it was still 28% short
of its bound, and below the greedy baseline, after a minute."""

PART_SIZE = 10_000
FIRST_COLUMNS = 4
"""Pledges offered per household when a part's LP starts: the most profitable at the prices
known so far."""
ADDED_COLUMNS = 3
"""Pledges per household a pricing round may add."""
GENERATION_ROUNDS = 12
POLISH_HOUSEHOLDS = 5_000
"""Rounds up to this size are polished by a MILP over the generated pairs after rounding."""
_REDUCED_COST = 1e-7
_WHOLE = 1 - 1e-6
_ABSOLUTE_MARGIN = 1e-6
_RELATIVE_MARGIN = 1e-9
"""Slack added to every bound: it is a sum of floating-point products and must never fall a
rounding error below the true value."""


@dataclass(frozen=True)
class Pricing:
    total: float
    top: IntArray
    top_profit: FloatArray


TIE_SCALE = 1e-3
"""Pledges whose profits tie (same score, same prices) are ranked by a fixed pseudo-random
nudge of up to this much per person, so that tied households spread over tied pledges
instead of all proposing the first one. Only the ranking sees it, never a value or a bound."""


def price(instance: Instance, prices: Prices, rows: IntArray | None, k: int) -> Pricing:
    """Profits under ``prices`` of the households ``rows`` (all when ``None``)."""
    if rows is None:
        arrays = (instance.scores, instance.blocked, instance.size, instance.medical)
        more = (instance.batch, instance.group, instance.pinned)
        keys = np.arange(len(instance.size), dtype=np.int64)
    else:
        arrays = (
            instance.scores[rows],
            instance.blocked[rows],
            instance.size[rows],
            instance.medical[rows],
        )
        more = (instance.batch[rows], instance.group[rows], instance.pinned[rows])
        keys = rows
    count = len(arrays[2])
    top = np.empty((count, k), dtype=np.int64)
    top_profit = np.empty((count, k))
    total = kernels.price_scan(
        *arrays,
        *more,
        instance.problem.weights.placement,
        prices.persons,
        prices.households,
        prices.medical,
        prices.pace_by_batch(instance),
        prices.floors,
        keys,
        TIE_SCALE,
        top,
        top_profit,
    )
    return Pricing(float(total), top, top_profit)


def lagrangian_bound(instance: Instance, prices: Prices) -> float:
    """An upper bound on every feasible assignment's objective, valid for any prices >= 0."""
    value = prices.capacity_value(instance) + price(instance, prices, None, 1).total
    return value + _RELATIVE_MARGIN * abs(value) + _ABSOLUTE_MARGIN


class Infeasible(Exception):
    """HiGHS proved that no assignment meets every row (only floors can cause it)."""


def floors_within_reach(instance: Instance) -> bool:
    """Whether every floor asks at most the persons of its group who could go anywhere (HiGHS
    reports a model without any eligible pair as empty, not infeasible)."""
    reachable = (instance.blocked == 0).any(axis=1) | (instance.pinned >= 0)
    persons = np.bincount(
        instance.group[reachable],
        weights=instance.size[reachable],
        minlength=len(instance.groups),
    )
    return bool((persons >= instance.floor_need).all())


def exact(
    instance: Instance, *, time_limit: float | None, gap: float, node_limit: int, seed: int
) -> Outcome:
    """One MILP over every eligible pair, started from the rounded LP of :func:`by_parts`.

    HiGHS's search on its own finds poor assignments slowly when hundreds of pledges tie on
    score; handed a rounded LP optimum it only has to close the last fraction of a percent.
    The LP relaxation over every pair gives the capacity prices explanations quote.
    """
    began = time.perf_counter()
    half = None if time_limit is None else time_limit / 2
    start = by_parts(instance, time_limit=half, seed=seed, node_limit=node_limit, polish=False)
    rows, columns = np.nonzero(instance.blocked == 0)
    keep = (instance.pinned[rows] < 0) | (instance.pinned[rows] == columns)
    rows, columns = rows[keep], columns[keep]
    if not len(rows):
        return start
    households = np.arange(len(instance.size))
    layout = Layout(instance, households, Residual.full(instance))
    relaxation = RestrictedLp(layout, rows, columns, _left(time_limit, began)).solve()
    if relaxation.status == "Infeasible":
        raise Infeasible
    if relaxation.prices is None:
        return start
    initial = (start.assigned[rows] == columns).astype(np.float64)
    solution = solve_milp(
        layout,
        rows,
        columns,
        time_limit=_left(time_limit, began),
        gap=gap,
        node_limit=node_limit,
        start=initial,
    )
    if solution.status == "Infeasible":
        raise Infeasible
    if not np.isfinite(solution.objective):
        return start
    assigned = _read(instance, rows, columns, solution.values)
    objective = instance.objective(assigned)
    if objective < start.objective and instance.meets_floors(start.assigned):
        assigned, objective = start.assigned, start.objective
    proven = min(solution.dual_bound, relaxation.dual_bound, start.bound or np.inf)
    bound = max(objective, proven + _RELATIVE_MARGIN * abs(proven) + _ABSOLUTE_MARGIN)
    stopped_by = {
        TIME_LIMIT_REACHED: STOPPED_BY_TIME,
        NODE_LIMIT_REACHED: f"the node limit ({node_limit:,} nodes)",
    }.get(solution.status, f"HiGHS ({solution.status.lower()})")
    return Outcome(
        assigned,
        objective,
        bound,
        relaxation.prices,
        "optimal" if solution.optimal else stopped_by,
        "exact MILP",
    )


def _left(time_limit: float | None, began: float) -> float | None:
    """Seconds left of a wall-clock limit, None when none was asked for."""
    return None if time_limit is None else time_limit - (time.perf_counter() - began)


OPTIMAL_GAP = 1e-6
"""A relative gap called optimal: HiGHS's own tolerances, and the margin every bound carries
against rounding, are of this order."""
STOPPED_BY_TIME = "the time limit"
FLOORS_NOT_MET = "floors not met: the heuristic for large rounds fell short of them"
STOPPED_BY_PARTS = "the end of the method for large rounds (one pass over the parts)"


def stop_status(outcome: Outcome, gap: float) -> str:
    """Says whether the gap asked was reached, and if not, what stopped the search.

    ``outcome.status`` is "optimal" when the matcher ran to its end, otherwise what stopped
    it; the gap is measured here, on the final assignment against the bound."""
    if outcome.bound is None or outcome.status == FLOORS_NOT_MET:
        return outcome.status
    reached = max(0.0, outcome.bound - outcome.objective) / max(1.0, abs(outcome.objective))
    if reached <= OPTIMAL_GAP:
        return "optimal"
    if reached <= gap:
        return f"gap reached: {reached:.4%}, at most the {gap:.4%} asked"
    stopped_by = STOPPED_BY_PARTS if outcome.status == "optimal" else outcome.status
    return f"stopped by {stopped_by} at a gap of {reached:.4%} ({gap:.4%} asked)"


def by_parts(
    instance: Instance,
    *,
    time_limit: float | None,
    seed: int,
    gap: float = 1e-4,
    part_size: int = PART_SIZE,
    node_limit: int = 1_000,
    polish: bool = True,
) -> Outcome:
    """The round in parts, as the module says; the bound is the lowest Lagrangian one."""
    began = time.perf_counter()
    count = len(instance.size)
    rng = np.random.default_rng(seed)
    assigned = np.full(count, -1, dtype=np.int64)
    pinned = np.flatnonzero(instance.pinned >= 0)
    assigned[pinned] = instance.pinned[pinned]
    free = rng.permutation(np.flatnonzero(instance.pinned < 0))
    parts = np.array_split(free, max(1, round(len(free) / part_size)))
    prices = Prices.zero(instance)
    best_bound, best_prices = np.inf, prices
    carried = np.zeros(0, dtype=np.int64)
    status = "optimal"
    generated: list[tuple[IntArray, IntArray]] = []
    for number, part in enumerate(parts):
        rows = np.sort(np.concatenate([part, carried]))
        left = Residual.full(instance).without(instance, assigned, np.flatnonzero(assigned >= 0))
        arriving = sum(len(p) for p in parts[number:])
        share = left if number == len(parts) - 1 else left.share(len(part) / arriving)
        budget = _left(time_limit, began)
        if budget is not None and budget <= 0:
            status = STOPPED_BY_TIME
            break
        lp, solution = _generate(instance, rows, share, prices, budget)
        if solution.prices is None:
            carried = rows
            continue
        prices = solution.prices
        bound = lagrangian_bound(instance, prices)
        if bound < best_bound:
            best_bound, best_prices = bound, prices
        _round(instance, lp, solution, share, assigned)
        generated.append((lp.column_household, lp.column_pledge))
        carried = rows[assigned[rows] < 0]
    fill_room(instance, assigned)
    if not np.isfinite(best_bound):  # no part had an LP (all pinned, or out of time)
        best_bound = lagrangian_bound(instance, best_prices)
    objective = instance.objective(assigned)
    method = "LP by parts"
    spare = _left(time_limit, began)
    worth_polishing = (
        polish and count <= POLISH_HOUSEHOLDS and best_bound - objective > gap * abs(objective)
    )
    if worth_polishing and (spare is None or spare > 1.0):
        found = _polish(instance, generated, assigned, spare, gap, node_limit)
        if found.improved:
            objective = instance.objective(assigned)
            method = "LP by parts, polished by a MILP"
        if status == "optimal" and found.stopped_by is not None:
            status = found.stopped_by
    if not instance.meets_floors(assigned):
        status = FLOORS_NOT_MET
    return Outcome(assigned, objective, max(best_bound, objective), best_prices, status, method)


def _polish(
    instance: Instance,
    generated: list[tuple[IntArray, IntArray]],
    assigned: IntArray,
    time_limit: float | None,
    gap: float,
    node_limit: int,
) -> Polished:
    """A MILP over every pair the LPs generated, started from the assignment found.

    With few households per pledge most of them are split by the LP and rounding loses
    percents, which HiGHS wins back; its own bound covers only these pairs, so the bound
    reported stays the Lagrangian one.
    """
    placed = np.flatnonzero(assigned >= 0)
    households = np.concatenate([*(h for h, _ in generated), placed])
    pledges = np.concatenate([*(p for _, p in generated), assigned[placed]])
    pairs = np.unique(households * len(instance.persons) + pledges)
    households, pledges = pairs // len(instance.persons), pairs % len(instance.persons)
    everyone = np.arange(len(instance.size))
    layout = Layout(instance, everyone, Residual.full(instance))
    start = (assigned[households] == pledges).astype(np.float64)
    found = solve_milp(
        layout,
        households,
        pledges,
        time_limit=time_limit,
        gap=gap,
        node_limit=node_limit,
        start=start,
    )
    stopped_by = {
        TIME_LIMIT_REACHED: STOPPED_BY_TIME,
        NODE_LIMIT_REACHED: f"the node limit of the polishing MILP ({node_limit:,} nodes)",
    }.get(found.status)
    if not found.objective > instance.objective(assigned) + _ABSOLUTE_MARGIN:
        return Polished(False, stopped_by)
    chosen = found.values > 0.5
    assigned[:] = -1
    assigned[households[chosen]] = pledges[chosen]
    return Polished(True, stopped_by)


@dataclass(frozen=True)
class Polished:
    improved: bool
    stopped_by: str | None  # None: HiGHS closed its own gap over the pairs it was given


def _generate(
    instance: Instance,
    rows: IntArray,
    residual: Residual,
    prices: Prices,
    time_limit: float | None,
) -> tuple[RestrictedLp, Solution]:
    began = time.perf_counter()
    pricing = price(instance, prices, rows, FIRST_COLUMNS)
    households, pledges = _columns(rows, pricing.top, pricing.top >= 0)
    lp = RestrictedLp(Layout(instance, rows, residual), households, pledges, time_limit)
    solution = lp.solve()
    for _ in range(GENERATION_ROUNDS):
        if solution.prices is None or solution.household_duals is None:
            break
        if time_limit is not None and time.perf_counter() - began > time_limit:
            break
        pricing = price(instance, solution.prices, rows, ADDED_COLUMNS)
        reduced = pricing.top_profit - solution.household_duals[:, None]
        households, pledges = _columns(rows, pricing.top, (reduced > _REDUCED_COST))
        if lp.add(households, pledges) < max(10, len(rows) // 1000):
            break  # too few to change the rounding; the bound does not need them
        solution = lp.solve()
    return lp, solution


def _columns(
    rows: IntArray, top: IntArray, keep: np.typing.NDArray[np.bool_]
) -> tuple[IntArray, IntArray]:
    keep = keep & (top >= 0)
    households = np.repeat(rows, top.shape[1])[keep.ravel()]
    return households, top.ravel()[keep.ravel()]


def _round(
    instance: Instance,
    lp: RestrictedLp,
    solution: Solution,
    residual: Residual,
    assigned: IntArray,
) -> None:
    """Households the LP places whole keep their pledge; split ones take, most decided
    first, the pledge holding most of them that still has room.

    A vertex splits at most about one household per binding capacity row, a few hundred
    out of ten thousand; re-solving the LP over them after fixing the rest (diving) was tried
    and gained nothing measurable at any size while costing a HiGHS run per dive.
    """
    x = solution.values  # columns added after the last solve come last and are not in it
    households, pledges = lp.column_household[: len(x)], lp.column_pledge[: len(x)]
    whole = x > _WHOLE
    assigned[households[whole]] = pledges[whole]
    split = (x > 1e-6) & ~whole
    if not split.any():
        return
    order = np.lexsort((-x[split], households[split]))
    waiting, options = _options(households[split][order], pledges[split][order])
    share = np.zeros(len(instance.size))
    np.maximum.at(share, households[split], x[split])
    ranked = np.argsort(-share[waiting], kind="stable")
    left = residual.without(instance, assigned, lp.layout.households)
    _first_fit(instance, waiting[ranked], options[ranked], left, assigned)


def _options(households: IntArray, pledges: IntArray) -> tuple[IntArray, IntArray]:
    """Grouped pairs (sorted by household) as one row of pledges per household."""
    if not len(households):
        return households, np.zeros((0, 1), dtype=np.int64)
    firsts = np.flatnonzero(np.r_[True, households[1:] != households[:-1]])
    lengths = np.diff(np.r_[firsts, len(households)])
    options = np.full((len(firsts), int(lengths.max())), -1, dtype=np.int64)
    slot = np.arange(len(households)) - np.repeat(firsts, lengths)
    options[np.repeat(np.arange(len(firsts)), lengths), slot] = pledges
    return households[firsts], options


def _first_fit(
    instance: Instance, order: IntArray, options: IntArray, left: Residual, assigned: IntArray
) -> None:
    kernels.first_fit(
        order,
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


def _read(instance: Instance, households: IntArray, pledges: IntArray, x: FloatArray) -> IntArray:
    assigned = np.full(len(instance.size), -1, dtype=np.int64)
    chosen = x > 0.5
    assigned[households[chosen]] = pledges[chosen]
    return assigned
