"""The proven upper bound: the LP relaxation of the time-expanded multi-commodity flow.

Any valid plan is a feasible flow of persons in this LP (whole households only make it harder),
so the LP optimum bounds the objective of every plan and ``objective / bound`` is a certified
quality ratio. Commodities are persons grouped by clearances and priority, supplied at each
origin from its ready step.

Written out over every node and step the LP has millions of columns on a city network and
HiGHS does not finish in minutes, so it is solved by column generation: a HiGHS master over
itineraries (path columns) and the capacities they touch, and a pricing step that finds each
origin's most profitable itinerary under the master's capacity prices by one backward sweep
over the steps per commodity. The bound reported is the Lagrangian one, valid at every
iteration for any non-negative prices (capacities priced, each person then free to take its
best itinerary or stay), so stopping early still leaves a proven bound, just a looser one.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt

from safepassage.model import Scenario
from safepassage.planning.diagnosis import cleared_crossings
from safepassage.planning.step_network import StepNetwork

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_TOLERANCE = 1e-9
_RELATIVE_MARGIN = 1e-9
_ABSOLUTE_MARGIN = 1e-6
"""Slack added to the bound: it is a sum of floating-point products and must never fall a
rounding error below the true value."""


@dataclass
class Prices:
    """Capacity prices: per road and step, per node and step (shelters), per window."""

    road: FloatArray
    shelter: FloatArray
    window: FloatArray

    @classmethod
    def zero(cls, network: StepNetwork) -> Prices:
        horizon = network.horizon
        return cls(
            np.zeros((len(network.road_source), horizon)),
            np.zeros((len(network.node_limit), horizon)),
            np.zeros(len(network.window_open)),
        )

    def copy(self) -> Prices:
        return Prices(self.road.copy(), self.shelter.copy(), self.window.copy())


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
    time_limit: float = 120.0,
    objective: float | None = None,
    tolerance: float = 1e-6,
) -> Bound:
    """Prove an upper bound, stopping once it is within ``tolerance`` of the LP optimum.

    With ``objective`` given, generation also stops as soon as the bound proves that plan
    optimal (nothing better could be learnt).
    """
    began = time.perf_counter()
    network = network or StepNetwork.compile(scenario)
    commodities = person_commodities(scenario, from_step)
    generation = _ColumnGeneration(network, commodities)
    best = generation.price_and_add()  # prices are zero: everyone who could cross alone
    best_prices = generation.prices.copy()
    iterations = 1
    while generation.columns_added and time.perf_counter() - began < time_limit:
        master = generation.solve_master()
        bound = generation.price_and_add()
        if bound < best:
            best, best_prices = bound, generation.prices.copy()
        iterations += 1
        if best - master <= tolerance * max(1.0, abs(best)):
            break
        if objective is not None and objective >= best - _ABSOLUTE_MARGIN:
            break
    converged = not generation.columns_added or best - generation.master_value <= tolerance * max(
        1.0, abs(best)
    )
    proven_by = "LP relaxation" if converged else "Lagrangian bound (stopped early)"
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
        best_prices,
    )


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


class _ColumnGeneration:
    """Master LP over itineraries plus the pricing sweep that proposes new ones."""

    def __init__(self, network: StepNetwork, commodities: list[PersonCommodity]) -> None:
        self.network = network
        self.commodities = commodities
        self.prices = Prices.zero(network)
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        # new columns keep the basis primal feasible: primal simplex resumes where it stopped
        self.highs.setOptionValue("simplex_strategy", 4)
        self.highs.setOptionValue("presolve", "off")
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.rows: dict[tuple[str, int, int], int] = {}
        self.row_capacity: list[float] = []
        self.supply_rows: list[list[int]] = []
        for k, commodity in enumerate(commodities):
            self.supply_rows.append(
                [self._row(("supply", k, i), n) for i, (_o, _r, n) in enumerate(commodity.sources)]
            )
        self.supply_price = [np.zeros(len(c.sources)) for c in commodities]
        self.columns_added = 0
        self.column_count = 0
        self.master_value = 0.0

    # -- master ------------------------------------------------------------------------

    def _row(self, key: tuple[str, int, int], capacity: float) -> int:
        row = self.rows.get(key)
        if row is None:
            row = len(self.rows)
            self.rows[key] = row
            self.row_capacity.append(capacity)
            empty = np.zeros(0, dtype=np.int32)
            self.highs.addRows(
                1, np.array([-np.inf]), np.array([float(capacity)]), 0, empty, empty, np.zeros(0)
            )
        return row

    def solve_master(self) -> float:
        self.highs.run()
        solution = self.highs.getSolution()
        duals = np.maximum(np.asarray(solution.row_dual, dtype=np.float64), 0.0)
        prices = self.prices
        prices.road[:] = 0.0
        prices.shelter[:] = 0.0
        prices.window[:] = 0.0
        for (kind, a, b), row in self.rows.items():
            if kind == "road":
                prices.road[a, b] = duals[row]
            elif kind == "shelter":
                prices.shelter[a, b] = duals[row]
            elif kind == "window":
                prices.window[a] = duals[row]
        for k, rows in enumerate(self.supply_rows):
            self.supply_price[k] = duals[rows]
        self.master_value = float(self.highs.getInfo().objective_function_value)
        return self.master_value

    # -- pricing -------------------------------------------------------------------------

    def price_and_add(self) -> float:
        """Add every itinerary worth more than its supply's price; return the bound.

        The Lagrangian bound: capacities times their prices, plus each person's best
        itinerary profit under those prices (or nothing, staying home).
        """
        bound = sum(
            self.row_capacity[row] * price
            for key, row in self.rows.items()
            if key[0] != "supply"
            for price in (self._price_of(key),)
        )
        self.columns_added = 0
        for k, commodity in enumerate(self.commodities):
            crossing = crossing_profit(self.network, commodity, self.prices)
            present, home = backward_sweep(self.network, commodity, self.prices, crossing)
            for i, (origin, ready, persons) in enumerate(commodity.sources):
                profit = home[origin, ready]
                if profit <= _TOLERANCE:
                    continue
                bound += persons * profit
                if profit > self.supply_price[k][i] + _TOLERANCE:
                    self._add_itinerary(k, i, commodity, crossing, present, home)
        return float(bound)

    def _price_of(self, key: tuple[str, int, int]) -> float:
        kind, a, b = key
        if kind == "road":
            return float(self.prices.road[a, b])
        if kind == "shelter":
            return float(self.prices.shelter[a, b])
        return float(self.prices.window[a])

    def _add_itinerary(
        self,
        k: int,
        source: int,
        commodity: PersonCommodity,
        crossing: FloatArray,
        present: FloatArray,
        home: FloatArray,
    ) -> None:
        """Walk the best itinerary forward and add it as a column of the master."""
        net = self.network
        origin, ready, _persons = commodity.sources[source]
        crossing_at = {c: i for i, c in enumerate(commodity.crossings)}
        rows: dict[int, float] = {self.supply_rows[k][source]: 1.0}
        node, t, at_home = origin, ready, True
        while True:
            table = home if at_home else present
            if not at_home and net.shelter[node] >= 0:
                row = self._row(("shelter", node, t), float(net.shelter[node]))
                rows[row] = rows.get(row, 0.0) + 1.0
            target_value = table[node, t] + (0.0 if at_home else self.prices.shelter[node, t])
            if node in crossing_at and crossing[crossing_at[node], t] >= target_value - _TOLERANCE:
                for w in net.windows_at[node]:
                    if net.window_open[w] <= t < net.window_close[w]:
                        rows[self._row(("window", w, 0), float(net.window_capacity[w]))] = 1.0
                break
            move = self._best_road(node, t, present, target_value)
            if move is None:
                t += 1  # waiting is what reaches the best value
                continue
            road, arrive = move
            rows[self._row(("road", road, t), float(net.road_capacity[road]))] = 1.0
            node, t, at_home = int(net.road_target[road]), arrive, False
        indices = np.fromiter(rows.keys(), dtype=np.int32)
        values = np.fromiter(rows.values(), dtype=np.float64)
        self.highs.addCols(
            1,
            np.array([commodity.value]),
            np.array([0.0]),
            np.array([np.inf]),
            len(indices),
            np.array([0], dtype=np.int32),
            indices,
            values,
        )
        self.columns_added += 1
        self.column_count += 1

    def _best_road(
        self, node: int, t: int, present: FloatArray, target_value: float
    ) -> tuple[int, int] | None:
        net = self.network
        for road in net.out_roads[net.out_start[node] : net.out_start[node + 1]]:
            travel = int(net.road_travel[road])
            if t > net.road_limit[road] - travel or t + travel >= net.horizon:
                continue
            value = present[net.road_target[road], t + travel] - self.prices.road[road, t]
            if value >= target_value - _TOLERANCE:
                return int(road), t + travel
        return None


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
    net = network
    horizon, nodes = net.horizon, len(net.node_limit)
    present = np.full((nodes, horizon + 1), -np.inf)
    home = np.full((nodes, horizon + 1), -np.inf)
    crossing_nodes = np.array(commodity.crossings, dtype=np.int64)
    roads = net.out_roads  # in CSR order by source, for the maximum over each node's roads
    has_roads = np.diff(net.out_start) > 0
    travel = net.road_travel[roads]
    target = net.road_target[roads]
    last_depart = np.minimum(net.road_limit[roads] - travel, horizon - 1 - travel)
    starts = net.out_start[:-1]
    for t in range(horizon - 1, -1, -1):
        arrive = np.minimum(t + travel, horizon)
        via_road = np.where(
            t <= last_depart, present[target, arrive] - prices.road[roads, t], -np.inf
        )
        # a trailing -inf lets every node's slice start inside the array
        best_road = np.maximum.reduceat(np.append(via_road, -np.inf), starts)
        inner = np.where(has_roads, best_road, -np.inf)
        inner[crossing_nodes] = np.maximum(inner[crossing_nodes], crossing[:, t])
        alive = t < net.node_limit
        present[:, t] = np.where(
            alive, np.maximum(inner, present[:, t + 1]) - prices.shelter[:, t], -np.inf
        )
        home[:, t] = np.where(alive, np.maximum(inner, home[:, t + 1]), -np.inf)
    return present, home


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
