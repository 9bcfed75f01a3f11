"""The proven upper bound: the LP relaxation of the time-expanded multi-commodity flow.

Any valid plan is a feasible flow of persons in this LP (whole households only make it harder),
so the LP optimum bounds the objective of every plan and ``objective / bound`` is a certified
quality ratio. Commodities are persons grouped by clearances and priority, supplied at each
origin from its ready step.

Written out over every node and step the LP has millions of columns on a city network and
HiGHS does not finish in minutes, so it is solved by column generation: a HiGHS master over
itineraries (path columns) and the capacities they touch, and a pricing step that finds each
origin's most profitable itineraries under capacity prices by one backward sweep over the
steps per commodity. The bound reported is the Lagrangian one, valid for any non-negative
prices (capacities priced, each person then free to take its best itinerary or stay), so
stopping early still leaves a proven bound, just a looser one.

Two things make the generation converge where one best itinerary per origin and round
stalled (a 30x30 grid with 5,000 households, still far off after 20 minutes):

- Where everyone's best itineraries together overload a road or a shelter at some step, the
  origins concerned also get their best itineraries leaving home at other steps. Best
  itineraries alone all queue for the same cheapest road-step, so each round opened about
  one more slot at each bottleneck; with departures spread, the master spreads the flow over
  time itself.
- Columns out of the master's basis for two solves in a row are dropped (pricing proposes
  them again if they are needed), which keeps the master small: its solves dominate.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt

from safepassage.model import Scenario
from safepassage.planning import time_expanded
from safepassage.planning.diagnosis import cleared_crossings
from safepassage.planning.step_network import StepNetwork, compiled

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_TOLERANCE = 1e-9
_RELATIVE_MARGIN = 1e-9
_ABSOLUTE_MARGIN = 1e-6
"""Slack added to the bound: it is a sum of floating-point products and must never fall a
rounding error below the true value."""

MAX_ROUNDS = 2000
STALL_ROUNDS = 50
"""Rounds of pricing after which the generation stops with the Lagrangian bound it has, and
rounds without the bound improving after which it stops too: on congested grids the master
can take thousands of rounds to catch up with a bound that was tight from the start."""

FULL_LP_NODE_STEPS = 250_000
"""Up to this many node-steps over all commodities, the time-expanded LP is first solved
whole (:mod:`.time_expanded`, HiGHS' interior point method): its duals are the optimal
prices, and the Lagrangian bound they give is the LP optimum, where column generation may
need thousands of rounds to prove it."""

_DEPARTURES = 4
"""Itineraries an origin may get per round, each leaving home at a different step, where its
best itinerary meets a bottleneck that everyone's best itineraries together overload."""

_IDLE_SOLVES = 2
_RETIRE_AT_ONCE = 0.1
"""A column leaves the master after this many solves in a row out of its basis, in batches of
at least this share of the columns (each deletion rewrites HiGHS' matrix)."""


@dataclass
class Prices:
    """Capacity prices: per road and step, per node and step (shelters), per window."""

    road: FloatArray
    shelter: FloatArray
    window: FloatArray

    @classmethod
    def unflatten(cls, network: StepNetwork, flat: FloatArray) -> Prices:
        """Prices from one vector over every road-step, then every node-step, then every
        window: the generation's capacity keys."""
        horizon = network.horizon
        roads, nodes = len(network.road_source) * horizon, len(network.node_limit) * horizon
        return cls(
            flat[:roads].reshape(-1, horizon).copy(),
            flat[roads : roads + nodes].reshape(-1, horizon).copy(),
            flat[roads + nodes :].copy(),
        )


class BoundBelowPlanError(RuntimeError):
    """A proven upper bound came out below a valid plan's objective: one of the two is wrong.

    Never papered over by taking the larger of the two, which would hide the bug and certify
    a ratio nobody proved."""

    def __init__(self, bound: float, objective: float, solver: str) -> None:
        super().__init__(
            f"the proven bound {bound:.9g} is below the {solver} plan's objective "
            f"{objective:.9g}: the bound or the plan is wrong"
        )
        self.bound, self.objective, self.solver = bound, objective, solver


def check_bound(bound: float, objective: float, solver: str) -> float:
    """``bound``, if it is at least ``objective``; else :class:`BoundBelowPlanError`."""
    if bound < objective:
        raise BoundBelowPlanError(bound, objective, solver)
    return bound


@dataclass(frozen=True)
class Bound:
    """``lagrangian`` is the bound before its safety margin, proven by ``prices``."""

    value: float
    proven_by: str
    seconds: float
    iterations: int
    columns: int
    lagrangian: float
    prices: Prices | None
    itineraries: tuple[tuple[int, IntArray], ...] = ()
    """Every itinerary generated, as (source, capacity keys), when asked for: the columns a
    whole-household MILP can choose from (sources numbered as in :func:`source_list`)."""


@dataclass(frozen=True)
class PersonCommodity:
    value: float  # per person
    crossings: tuple[int, ...]
    sources: tuple[tuple[int, int, int], ...]  # (origin, ready step, persons)


def lp_bound(
    scenario: Scenario,
    network: StepNetwork | None = None,
    *,
    from_step: int = 0,
    time_limit: float | None = None,
    max_rounds: int = MAX_ROUNDS,
    objective: float | None = None,
    tolerance: float = 1e-6,
    keep_itineraries: bool = False,
) -> Bound:
    """Prove an upper bound, stopping once it is within ``tolerance`` of the LP optimum.

    With ``objective`` given, generation also stops as soon as the bound proves that plan
    optimal (nothing better could be learnt). Otherwise it stops after ``max_rounds`` rounds
    of pricing, a count of work, so that the same scenario gets the same bound at any load;
    ``time_limit`` (seconds) stops it earlier only when asked for.
    """
    began = time.perf_counter()
    network = network or StepNetwork.compile(scenario)
    generation = _ColumnGeneration(network, person_commodities(scenario, from_step))
    generation.keep = keep_itineraries
    # at zero prices everyone who could cross alone does: the first bound and the first columns
    prices = np.zeros(generation.keys)
    pricing = generation.price(prices)
    best, best_prices = pricing.bound, prices
    generation.add_columns(pricing, np.zeros(generation.sources))
    iterations = 1
    converged = stalled = False
    optimum = _full_lp(network, generation.commodities)
    if optimum is not None:
        pricing = generation.price(optimum[1])
        if pricing.bound < best:
            best, best_prices = pricing.bound, optimum[1]
        generation.add_columns(pricing, np.zeros(generation.sources))
        converged = best <= optimum[0] + tolerance * max(1.0, abs(optimum[0]))
    improved_at = iterations
    while (
        (not converged or keep_itineraries)
        and iterations < max_rounds
        and (time_limit is None or time.perf_counter() - began < time_limit)
    ):
        master, prices, supply_prices = generation.solve_master()
        if best - master <= tolerance * max(1.0, abs(best)):
            converged = True
            break
        if objective is not None and objective >= best - _ABSOLUTE_MARGIN:
            break
        if not converged and iterations - improved_at >= STALL_ROUNDS:
            stalled = True
            break
        pricing = generation.price(prices)
        iterations += 1
        if pricing.bound < best * (1 - tolerance):
            improved_at = iterations
        if pricing.bound < best:
            best, best_prices = pricing.bound, prices
        if not generation.add_columns(pricing, supply_prices):
            converged = True  # nothing improves the master at its own duals: it is optimal
            break
    proven_by = "LP relaxation" if converged else "Lagrangian bound (stopped early)"
    if stalled:
        proven_by = f"Lagrangian bound (no gain in {STALL_ROUNDS} rounds)"
    if objective is not None and objective >= best - _ABSOLUTE_MARGIN:
        proven_by = "LP relaxation (reached by a plan)"
    value = best * (1 + _RELATIVE_MARGIN) + _ABSOLUTE_MARGIN
    return Bound(
        value,
        proven_by,
        time.perf_counter() - began,
        iterations,
        generation.column_count,
        best,
        Prices.unflatten(network, best_prices),
        tuple(generation.pool),
    )


def _full_lp(
    network: StepNetwork, commodities: list[PersonCommodity]
) -> tuple[float, FloatArray] | None:
    """The time-expanded LP's optimum and its capacity duals by key, on small scenarios.

    The value is only HiGHS' word; what is proven is the Lagrangian bound of the duals,
    evaluated by the caller's own sweeps."""
    if not commodities or len(commodities) * len(network.node_limit) * network.horizon > (
        FULL_LP_NODE_STEPS
    ):
        return None
    model = time_expanded.build(
        network,
        tuple(
            time_expanded.Commodity(1, c.value, frozenset(c.crossings), c.sources)
            for c in commodities
        ),
        integer=False,
    )
    solution = time_expanded.solve(model, interior_point=True)
    if solution.row_duals is None:
        return None
    keyed = model.row_key >= 0
    prices = np.zeros(
        (len(network.road_source) + len(network.node_limit)) * network.horizon
        + len(network.window_open)
    )
    prices[model.row_key[keyed]] = np.maximum(solution.row_duals[keyed], 0.0)
    return solution.objective, prices


def source_list(commodities: list[PersonCommodity]) -> list[tuple[int, int, int]]:
    """(commodity, origin, ready step) of every source, in the generation's numbering."""
    return [(k, o, r) for k, c in enumerate(commodities) for o, r, _n in c.sources]


def person_commodities(scenario: Scenario, from_step: int) -> list[PersonCommodity]:
    supplies: dict[tuple[tuple[int, ...], float], dict[tuple[int, int], int]] = defaultdict(
        lambda: defaultdict(int)
    )
    horizon = scenario.grid.horizon_steps
    for household in scenario.households:
        allowed = tuple(sorted(cleared_crossings(scenario, household)))
        ready = max(scenario.ready_step(household), from_step)
        if allowed and ready < horizon:
            origin = scenario.node_index(household.origin)
            supplies[(allowed, household.priority)][(origin, ready)] += household.size
    return [
        PersonCommodity(
            priority, allowed, tuple((o, r, n) for (o, r), n in sorted(sources.items()))
        )
        for (allowed, priority), sources in sorted(supplies.items())
    ]


@dataclass(frozen=True)
class _Pricing:
    """What one set of prices gives: the Lagrangian bound and the sweeps behind it."""

    prices: Prices
    bound: float
    tables: list[tuple[FloatArray, FloatArray, FloatArray, FloatArray]]
    # per commodity: crossing profit, present, home, depart (see _sweep)


class _ColumnGeneration:
    """Master LP over itineraries plus the pricing sweep that proposes new ones.

    Capacities are numbered by *key* over every road-step, node-step and window (the order of
    :meth:`Prices.unflatten`); a key gets a master row only once an itinerary touches it.
    Sources are numbered over all commodities, and their supply rows come first in the master.
    """

    def __init__(self, network: StepNetwork, commodities: list[PersonCommodity]) -> None:
        self.network = network
        self.commodities = commodities
        horizon = network.horizon
        self.shelter_key = len(network.road_source) * horizon
        self.window_key = self.shelter_key + len(network.node_limit) * horizon
        self.key_capacity = np.concatenate(
            [
                np.repeat(network.road_capacity, horizon),
                np.repeat(np.maximum(network.shelter, 0), horizon),
                network.window_capacity,
            ]
        ).astype(np.float64)
        self.keys = len(self.key_capacity)
        self.key_row = np.full(self.keys, -1, dtype=np.int64)
        self.row_key = np.zeros(0, dtype=np.int64)
        self.first_source = np.cumsum([0] + [len(c.sources) for c in commodities])
        self.sources = int(self.first_source[-1])
        self.persons = np.array([n for c in commodities for _o, _r, n in c.sources], dtype=float)
        self.cross_index: list[IntArray] = []
        for commodity in commodities:
            index = np.full(len(network.node_limit), -1, dtype=np.int64)
            index[list(commodity.crossings)] = np.arange(len(commodity.crossings))
            self.cross_index.append(index)
        self.seen: set[bytes] = set()  # signatures of the master's columns
        self.signatures: list[bytes] = []  # by column
        self.idle = np.zeros(0, dtype=np.int64)  # by column: solves in a row out of the basis
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        # new columns keep the basis primal feasible: primal simplex resumes where it stopped
        self.highs.setOptionValue("simplex_strategy", 4)
        self.highs.setOptionValue("presolve", "off")
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        empty = np.zeros(0, dtype=np.int32)
        self.highs.addRows(
            self.sources, np.full(self.sources, -np.inf), self.persons, 0, empty, empty, empty
        )
        self.column_count = 0
        self.keep = False  # keep every itinerary generated in ``pool``
        self.pool: list[tuple[int, IntArray]] = []

    # -- master ------------------------------------------------------------------------

    def solve_master(self) -> tuple[float, FloatArray, FloatArray]:
        """The master's value, its capacity duals by key and its supply duals by source."""
        self.highs.run()
        value = float(self.highs.getInfo().objective_function_value)
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            value = -np.inf  # its duals still price, but its value proves nothing
        solution = self.highs.getSolution()
        duals = np.maximum(np.asarray(solution.row_dual, dtype=np.float64), 0.0)
        prices = np.zeros(self.keys)
        prices[self.row_key] = duals[self.sources :]
        self._retire(self.highs.getBasis())  # changes the model: read the solution first
        return value, prices, duals[: self.sources]

    def _retire(self, basis: highspy.HighsBasis) -> None:
        """Drop the columns left out of the basis for ``_IDLE_SOLVES`` solves in a row.

        Each simplex iteration of the master costs time in proportion to its columns, and most
        itineraries only ever serve to reach the next prices: kept, they made the solves
        dominate the generation. Most of them do not even price out (reduced cost zero: the
        same persons by another way at the same value), so all non-basic ones go. Dropping
        non-basic columns keeps the basis and the master's value; a column needed again is
        proposed again by pricing.
        """
        basic = np.asarray(basis.col_status) == highspy.HighsBasisStatus.kBasic
        self.idle = np.where(basic, 0, self.idle + 1)
        stale = self.idle >= _IDLE_SOLVES
        if stale.sum() < _RETIRE_AT_ONCE * len(stale):
            return
        gone = np.flatnonzero(stale)
        self.highs.deleteCols(len(gone), gone.astype(np.int32))
        for column in gone:
            self.seen.discard(self.signatures[column])
        self.signatures = [
            sig for sig, drop in zip(self.signatures, stale, strict=True) if not drop
        ]
        self.idle = self.idle[~stale]

    def _rows_for(self, keys: IntArray) -> IntArray:
        """Master rows of capacity keys, adding the rows not there yet."""
        new = np.unique(keys[self.key_row[keys] < 0])
        if len(new):
            first = self.sources + len(self.row_key)
            self.key_row[new] = np.arange(first, first + len(new))
            self.row_key = np.concatenate([self.row_key, new])
            empty = np.zeros(0, dtype=np.int32)
            self.highs.addRows(
                len(new), np.full(len(new), -np.inf), self.key_capacity[new], 0, empty, empty, empty
            )
        return self.key_row[keys]

    # -- pricing -------------------------------------------------------------------------

    def price(self, flat: FloatArray) -> _Pricing:
        """The Lagrangian bound at these prices: capacities times their prices, plus each
        person's best itinerary profit under them (or nothing, staying home)."""
        net = self.network
        prices = Prices.unflatten(net, flat)
        bound = float(self.key_capacity @ flat)
        profit = np.zeros(self.sources)
        tables = []
        for k, commodity in enumerate(self.commodities):
            crossing = crossing_profit(net, commodity, prices)
            present, home, depart = _tables(net, commodity, prices, crossing)
            tables.append((crossing, present, home, depart))
            origin, ready, _persons = np.array(commodity.sources, dtype=np.int64).T
            profit[self.first_source[k] : self.first_source[k + 1]] = np.maximum(
                home[origin, ready], 0.0
            )
        bound += float(self.persons @ profit)
        return _Pricing(prices, bound, tables)

    def add_columns(self, pricing: _Pricing, supply_prices: FloatArray) -> int:
        """Add the itineraries worth more than their supply's price; return how many are new.

        Each source gets its best itinerary; where everyone taking their best would overload
        a road or a shelter at some step, the sources whose best itinerary passes there also
        get their best ones leaving home at other steps.
        """
        worth: dict[int, tuple[int, FloatArray]] = {}  # source: ready step, worth from there
        best: list[tuple[int, int, int]] = []  # (commodity, source, step)
        for k, commodity in enumerate(self.commodities):
            home, depart = pricing.tables[k][2], pricing.tables[k][3]
            for i, (origin, ready, _persons) in enumerate(commodity.sources):
                source = int(self.first_source[k]) + i
                if home[origin, ready] - supply_prices[source] > _TOLERANCE:
                    worth[source] = ready, depart[origin, ready:] - supply_prices[source]
                    best.append((k, source, ready + int(np.argmax(worth[source][1]))))
        keys, bounds = self._walk(pricing, best)
        persons = self.persons[[source for _k, source, _step in best]]
        load = np.bincount(keys, np.repeat(persons, np.diff(bounds)), minlength=self.keys)
        # how many times over everyone's best itineraries fill a road or shelter at a step (a
        # window's persons do not depend on the step, so other departures cannot relieve it)
        timed = (keys < self.window_key) & (self.key_capacity[keys] > 0)
        crowding = np.where(timed, load[keys] / np.where(timed, self.key_capacity[keys], 1), 0)
        walked = np.flatnonzero(bounds[1:] > bounds[:-1])
        needed = np.ones(len(best), dtype=np.int64)
        if len(walked):
            worst = np.maximum.reduceat(crowding, bounds[walked])
            needed[walked] = np.minimum(np.ceil(worst), _DEPARTURES)
        others = []
        for j in np.flatnonzero(needed > 1):
            k, source, chosen = best[j]
            ready, gain = worth[source]
            others += [
                (k, source, ready + int(step))
                for step in _departures(gain, int(needed[j]))
                if ready + step != chosen
            ]
        more_keys, more_bounds = self._walk(pricing, others)
        return self._add(
            [*best, *others],
            np.concatenate([keys, more_keys]),
            np.concatenate([bounds, more_bounds[1:] + bounds[-1]]),
        )

    def _walk(
        self, pricing: _Pricing, starts: list[tuple[int, int, int]]
    ) -> tuple[IntArray, IntArray]:
        """The itineraries leaving home at (commodity, source, step), as for :func:`_walks`;
        ``starts`` come grouped by commodity, in the commodities' order."""
        net = self.network
        keys: list[IntArray] = [np.zeros(0, dtype=np.int64)]
        bounds: list[IntArray] = [np.zeros(1, dtype=np.int64)]
        for k, commodity in enumerate(self.commodities):
            mine = [(source, step) for c, source, step in starts if c == k]
            if not mine:
                continue
            crossing, present, home, depart = pricing.tables[k]
            start = np.array(mine, dtype=np.int64)
            origin = np.array([commodity.sources[i][0] for i in start[:, 0] - self.first_source[k]])
            found, found_bounds = _walks(
                net.out_start,
                net.out_roads,
                net.road_target,
                net.road_travel,
                net.road_limit,
                net.shelter,
                net.window_start,
                net.window_ids,
                net.window_open,
                net.window_close,
                present,
                home,
                depart,
                pricing.prices.road,
                pricing.prices.shelter,
                self.cross_index[k],
                crossing,
                origin.astype(np.int64),
                start[:, 1].copy(),
                self.shelter_key,
                self.window_key,
            )
            keys.append(found)
            bounds.append(found_bounds[1:] + bounds[-1][-1])
        return np.concatenate(keys), np.concatenate(bounds)

    def _add(self, starts: list[tuple[int, int, int]], keys: IntArray, bounds: IntArray) -> int:
        """Add the walked itineraries the master does not have yet; return how many."""
        sources = np.array([source for _k, source, _step in starts], dtype=np.int64)
        values = np.array([self.commodities[k].value for k, _s, _t in starts], dtype=np.float64)
        fresh = bounds[1:] > bounds[:-1]  # a walk that found no crossing is dropped
        for j in np.flatnonzero(fresh):
            signature = sources[j].tobytes() + keys[bounds[j] : bounds[j + 1]].tobytes()
            fresh[j] = signature not in self.seen
            if fresh[j]:
                self.seen.add(signature)
                self.signatures.append(signature)
                if self.keep:
                    self.pool.append((int(sources[j]), keys[bounds[j] : bounds[j + 1]].copy()))
        count = int(fresh.sum())
        if not count:
            return 0
        lengths = np.diff(bounds)
        rows = self._rows_for(keys[np.repeat(fresh, lengths)])
        lengths = lengths[fresh]
        # each column: its supply row first, then its capacity rows
        starts_at = np.concatenate([[0], np.cumsum(lengths + 1)])
        index = np.empty(int(starts_at[-1]), dtype=np.int64)
        first = np.zeros(len(index), dtype=bool)
        first[starts_at[:-1]] = True
        index[first] = sources[fresh]
        index[~first] = rows
        self.highs.addCols(
            count,
            values[fresh],
            np.zeros(count),
            np.full(count, np.inf),
            len(index),
            starts_at[:-1].astype(np.int32),
            index.astype(np.int32),
            np.ones(len(index)),
        )
        self.idle = np.concatenate([self.idle, np.zeros(count, dtype=np.int64)])
        self.column_count += count
        return count


def _departures(worth: FloatArray, count: int) -> IntArray:
    """Steps to leave at: the best one in each of ``count`` stretches of those worth leaving
    at, so that the itineraries meet the bottlenecks at different steps."""
    worthy = np.flatnonzero(worth > _TOLERANCE)
    return np.array(
        [part[np.argmax(worth[part])] for part in np.array_split(worthy, count) if len(part)],
        dtype=np.int64,
    )


def crossing_profit(network: StepNetwork, commodity: PersonCommodity, prices: Prices) -> FloatArray:
    """(crossing, step) profit of crossing there then: value less window prices."""
    net = network
    profit = np.full((len(commodity.crossings), net.horizon), -np.inf)
    steps = np.arange(net.horizon)
    for i, c in enumerate(commodity.crossings):
        open_ = np.zeros(net.horizon, dtype=bool)
        price = np.zeros(net.horizon)
        for w in net.windows_at[c]:
            inside = (steps >= net.window_open[w]) & (steps < net.window_close[w])
            open_ |= inside
            price += np.where(inside, prices.window[w], 0.0)
        profit[i] = np.where(open_, commodity.value - price, -np.inf)
    return profit


def backward_sweep(
    network: StepNetwork, commodity: PersonCommodity, prices: Prices, crossing: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Best profit from being present at (node, step) on, and from being home there.

    ``present`` charges shelter prices for every step spent at a node; ``home`` is the same
    for a household still at its own origin, which shelters do not count.
    """
    present, home, _depart = _tables(network, commodity, prices, crossing)
    return present, home


def _tables(
    network: StepNetwork, commodity: PersonCommodity, prices: Prices, crossing: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    net = network
    return _sweep(
        net.out_start,
        net.out_roads,
        net.road_target,
        net.road_travel,
        net.road_limit,
        net.node_limit,
        prices.road,
        prices.shelter,
        np.array(commodity.crossings, dtype=np.int64),
        crossing,
    )


@compiled
def _sweep(
    out_start: IntArray,
    out_roads: IntArray,
    road_target: IntArray,
    road_travel: IntArray,
    road_limit: IntArray,
    node_limit: IntArray,
    road_price: FloatArray,
    shelter_price: FloatArray,
    crossing_nodes: IntArray,
    crossing: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``present`` and ``home`` of :func:`backward_sweep`, and ``depart``: the best profit of
    leaving (node, step) right then, by a road or across the border."""
    nodes, horizon = shelter_price.shape
    present = np.full((nodes, horizon + 1), -np.inf)
    home = np.full((nodes, horizon + 1), -np.inf)
    depart = np.full((nodes, horizon), -np.inf)
    for t in range(horizon - 1, -1, -1):
        for v in range(nodes):
            if t >= node_limit[v]:
                continue
            best = -np.inf
            for e in out_roads[out_start[v] : out_start[v + 1]]:
                arrive = t + road_travel[e]
                if arrive < horizon and arrive <= road_limit[e]:
                    value = present[road_target[e], arrive] - road_price[e, t]
                    best = max(best, value)
            depart[v, t] = best
        for i in range(len(crossing_nodes)):
            c = crossing_nodes[i]
            if t < node_limit[c]:
                depart[c, t] = max(depart[c, t], crossing[i, t])
        for v in range(nodes):
            if t < node_limit[v]:
                present[v, t] = max(depart[v, t], present[v, t + 1]) - shelter_price[v, t]
                home[v, t] = max(depart[v, t], home[v, t + 1])
    return present, home, depart


@compiled
def _walks(
    out_start: IntArray,
    out_roads: IntArray,
    road_target: IntArray,
    road_travel: IntArray,
    road_limit: IntArray,
    shelter: IntArray,
    window_start: IntArray,
    window_ids: IntArray,
    window_open: IntArray,
    window_close: IntArray,
    present: FloatArray,
    home: FloatArray,
    depart: FloatArray,
    road_price: FloatArray,
    shelter_price: FloatArray,
    cross_index: IntArray,
    crossing: FloatArray,
    start_node: IntArray,
    start_step: IntArray,
    shelter_key: int,
    window_key: int,
) -> tuple[IntArray, IntArray]:
    """The best itineraries leaving home at ``start_node`` at exactly ``start_step``.

    Each is followed forward through the sweep's tables, taking at each node-step the first
    move that reaches the best value from there, and returned as the capacity keys it uses
    (road-steps, shelter node-steps, windows): ``keys[bounds[j]:bounds[j + 1]]`` for walk j,
    empty if it never crossed.
    """
    horizon = depart.shape[1]
    keys = np.empty(64 * len(start_node) + 64, dtype=np.int64)
    bounds = np.zeros(len(start_node) + 1, dtype=np.int64)
    used = 0
    for j in range(len(start_node)):
        node, t, at_home = start_node[j], start_step[j], True
        target = depart[node, t]
        crossed = False
        while t < horizon:
            if used + 2 + window_start[node + 1] - window_start[node] > len(keys):
                keys = np.concatenate((keys, np.empty(len(keys), dtype=np.int64)))
            if not at_home and shelter[node] >= 0:
                keys[used] = shelter_key + node * horizon + t
                used += 1
            c = cross_index[node]
            if c >= 0 and crossing[c, t] >= target - 1e-9:
                for w in window_ids[window_start[node] : window_start[node + 1]]:
                    if window_open[w] <= t < window_close[w]:
                        keys[used] = window_key + w
                        used += 1
                crossed = True
                break
            moved = False
            for e in out_roads[out_start[node] : out_start[node + 1]]:
                arrive = t + road_travel[e]
                if arrive < horizon and arrive <= road_limit[e]:
                    value = present[road_target[e], arrive] - road_price[e, t]
                    if value >= target - 1e-9:
                        keys[used] = e * horizon + t
                        used += 1
                        node, t, at_home, moved = road_target[e], arrive, False, True
                        target = present[node, t] + shelter_price[node, t]
                        break
            if not moved:
                t += 1  # waiting is what reaches the best value
                if t < horizon:
                    target = home[node, t] if at_home else present[node, t] + shelter_price[node, t]
        if not crossed:
            used = bounds[j]  # cannot happen with exact tables; left out rather than wrong
        bounds[j + 1] = used
    return keys[:used], bounds


def forward_sweep(
    network: StepNetwork, commodity: PersonCommodity, prices: Prices, home: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Best profit of reaching (node, step), less the best its origin could do (``home``).

    With :func:`backward_sweep`, the profit through any arc less its source's best, i.e. what
    using that arc would cost against the Lagrangian bound: the basis of reduced-cost fixing.
    """
    net = network
    horizon, nodes = net.horizon, len(net.node_limit)
    reach = np.full((nodes, horizon), -np.inf)
    reach_home = np.full((nodes, horizon), -np.inf)
    for origin, ready, _persons in commodity.sources:
        loss = -max(0.0, float(home[origin, ready]))
        reach_home[origin, ready] = max(reach_home[origin, ready], loss)
    u, w, travel = net.road_source, net.road_target, net.road_travel
    unsheltered = net.shelter < 0
    for t in range(horizon):
        alive = t < net.node_limit
        if t:
            reach_home[:, t] = np.maximum(reach_home[:, t], reach_home[:, t - 1])
        reach_home[:, t] = np.where(alive, reach_home[:, t], -np.inf)
        depart = t - travel
        usable = (depart >= 0) & (depart <= net.road_limit - travel)
        roads = np.flatnonzero(usable)
        arriving = np.full(nodes, -np.inf)
        if len(roads):
            d = depart[roads]
            value = np.maximum(reach[u[roads], d], reach_home[u[roads], d]) - prices.road[roads, d]
            np.maximum.at(arriving, w[roads], value)
        before = reach[:, t - 1] if t else np.full(nodes, -np.inf)
        reach[:, t] = np.where(alive, np.maximum(arriving, before) - prices.shelter[:, t], -np.inf)
        # where no shelter counts, being home and being there are one state (the MILP supplies
        # such origins at the node itself)
        reach[unsheltered, t] = np.maximum(reach[unsheltered, t], reach_home[unsheltered, t])
    return reach, reach_home
