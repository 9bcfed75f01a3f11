"""A plan run as written in a future, valued exactly as the planning contract says.

A crisis cell asks how many people a plan brings out if Nawa falls a day early or the crossing
opens for fewer. The contract answers for a plan nobody re-plans: a household gets out only if
every place and road on its itinerary is still safe when it is there and its crossing step
lies in one of that future's windows; then, in order of crossing step (ties: plan order), it
takes room in every window containing its step, or is turned back.

Thousands of futures are valued per plan, so the plan is compiled once into flat arrays
(:class:`PlanArrays`) and each future into a handful more (:class:`FutureArrays`); one compiled
loop (:func:`value_in_future`) then values a future in microseconds per thousand households.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safepassage.model import Plan, Scenario
from safepassage.model.futures import Future
from safepassage.model.scenario import NEVER
from safepassage.planning.step_network import compiled

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class ScenarioArrays:
    """What of the nominal scenario a future can change, indexed by integers.

    Zones are kept as memberships (zone, node) rather than as node instants, because a future
    moves a zone's fall and a node takes the earliest of its zones'.
    """

    scenario: Scenario
    zone_index: dict[str, int]
    crossing_index: dict[str, int]
    road_index: dict[tuple[str, str], int]
    member_zone: IntArray
    member_node: IntArray
    zone_step: IntArray  # nominal fall step of each zone
    road_source: IntArray
    road_target: IntArray
    road_own_step: IntArray  # the road's own unsafe_from column, NEVER if none

    @classmethod
    def of(cls, scenario: Scenario) -> ScenarioArrays:
        grid = scenario.grid
        zone_index: dict[str, int] = {}
        member_zone: list[int] = []
        member_node: list[int] = []
        zone_step: list[int] = []
        for position, zone in enumerate(scenario.zones):
            # Names index zones for futures; a repeated name keeps its first zone here, and
            # Future.check_against refuses a future that names it.
            zone_index.setdefault(zone.name, position)
            zone_step.append(grid.step_of(zone.unsafe_from))
            for node_id in zone.nodes:
                member_zone.append(position)
                member_node.append(scenario.node_index(node_id))
        road_own = [
            NEVER if road.unsafe_from is None else grid.step_of(road.unsafe_from)
            for road in scenario.roads
        ]
        return cls(
            scenario=scenario,
            zone_index=zone_index,
            crossing_index={c.node: i for i, c in enumerate(scenario.crossings)},
            road_index={(r.source, r.target): i for i, r in enumerate(scenario.roads)},
            member_zone=np.asarray(member_zone, dtype=np.int64),
            member_node=np.asarray(member_node, dtype=np.int64),
            zone_step=np.asarray(zone_step, dtype=np.int64),
            road_source=np.asarray(
                [scenario.node_index(r.source) for r in scenario.roads], dtype=np.int64
            ),
            road_target=np.asarray(
                [scenario.node_index(r.target) for r in scenario.roads], dtype=np.int64
            ),
            road_own_step=np.asarray(road_own, dtype=np.int64),
        )


@dataclass(frozen=True, eq=False)
class FutureArrays:
    """One future as steps: each zone's fall, each road's cut, each crossing's windows.

    Windows are in CSR form: crossing ``c`` has windows ``window_start[c]:window_start[c+1]``.
    """

    zone_step: IntArray
    road_cut_step: IntArray
    window_start: IntArray
    window_open: IntArray
    window_close: IntArray
    window_capacity: IntArray

    @classmethod
    def nominal(cls, arrays: ScenarioArrays) -> FutureArrays:
        return cls.of(arrays, Future("nominal", 1.0))

    @classmethod
    def of(cls, arrays: ScenarioArrays, future: Future) -> FutureArrays:
        scenario = arrays.scenario
        future.check_against(scenario)
        grid = scenario.grid
        zone_step = arrays.zone_step.copy()
        for name, instant in future.zone_falls:
            zone_step[arrays.zone_index[name]] = NEVER if instant is None else grid.step_of(instant)
        road_cut = np.full(len(scenario.roads), NEVER, dtype=np.int64)
        for cut in future.road_cuts:
            road = arrays.road_index[(cut.source, cut.target)]
            road_cut[road] = min(int(road_cut[road]), grid.step_of(cut.at))
        replaced = dict(future.crossing_windows)
        starts = [0]
        opens: list[int] = []
        closes: list[int] = []
        capacities: list[int] = []
        for crossing in scenario.crossings:
            for window in replaced.get(crossing.node, crossing.windows):
                opens.append(grid.step_of(window.open))
                closes.append(grid.step_of(window.close))
                capacities.append(window.capacity)
            starts.append(len(opens))
        return cls(
            zone_step=zone_step,
            road_cut_step=road_cut,
            window_start=np.asarray(starts, dtype=np.int64),
            window_open=np.asarray(opens, dtype=np.int64),
            window_close=np.asarray(closes, dtype=np.int64),
            window_capacity=np.asarray(capacities, dtype=np.int64),
        )


@dataclass(frozen=True, eq=False)
class PlanArrays:
    """The evacuated households of a plan, in the contract's order for taking window room.

    ``order[i]`` is the position in ``plan.households`` of the i-th household taken; its stops
    are ``stop_node/stop_last[stop_start[i]:stop_start[i+1]]`` (the last step it occupies each
    node) and its roads ``leg_road/leg_last[leg_start[i]:leg_start[i+1]]``.
    """

    order: IntArray
    value: FloatArray
    size: IntArray
    crossing: IntArray
    crossing_step: IntArray
    stop_start: IntArray
    stop_node: IntArray
    stop_last: IntArray
    leg_start: IntArray
    leg_road: IntArray
    leg_last: IntArray

    @property
    def count(self) -> int:
        return len(self.order)

    @classmethod
    def of(cls, arrays: ScenarioArrays, plan: Plan) -> PlanArrays:
        """Compile a plan that the verifier accepted on the nominal scenario."""
        scenario = arrays.scenario
        households = scenario.household_by_id
        evacuated = [
            (entry.crossing_step, position)
            for position, entry in enumerate(plan.households)
            if entry.crossing is not None and entry.itinerary
        ]
        evacuated.sort()  # crossing step, then plan order: the contract's order
        order: list[int] = []
        value: list[float] = []
        size: list[int] = []
        crossing: list[int] = []
        crossing_step: list[int] = []
        stop_start, stop_node, stop_last = [0], [], []
        leg_start, leg_road, leg_last = [0], [], []
        for step, position in evacuated:
            entry = plan.households[position]
            assert entry.crossing is not None and step is not None
            household = households[entry.household]
            order.append(position)
            value.append(household.value)
            size.append(household.size)
            crossing.append(arrays.crossing_index[entry.crossing])
            crossing_step.append(step)
            for stop in entry.itinerary:
                assert stop.depart_step is not None
                stop_node.append(scenario.node_index(stop.node))
                stop_last.append(stop.depart_step)
            for before, after in zip(entry.itinerary, entry.itinerary[1:], strict=False):
                leg_road.append(arrays.road_index[(before.node, after.node)])
                leg_last.append(after.arrive_step - 1)
            stop_start.append(len(stop_node))
            leg_start.append(len(leg_road))

        def ints(values: list[int]) -> IntArray:
            return np.asarray(values, dtype=np.int64)

        return cls(
            order=ints(order),
            value=np.asarray(value, dtype=np.float64),
            size=ints(size),
            crossing=ints(crossing),
            crossing_step=ints(crossing_step),
            stop_start=ints(stop_start),
            stop_node=ints(stop_node),
            stop_last=ints(stop_last),
            leg_start=ints(leg_start),
            leg_road=ints(leg_road),
            leg_last=ints(leg_last),
        )


@compiled
def _value_in_future(
    node_count: int,
    member_zone: IntArray,
    member_node: IntArray,
    road_source: IntArray,
    road_target: IntArray,
    road_own_step: IntArray,
    zone_step: IntArray,
    road_cut_step: IntArray,
    window_start: IntArray,
    window_open: IntArray,
    window_close: IntArray,
    window_capacity: IntArray,
    size: IntArray,
    crossing: IntArray,
    crossing_step: IntArray,
    stop_start: IntArray,
    stop_node: IntArray,
    stop_last: IntArray,
    leg_start: IntArray,
    leg_road: IntArray,
    leg_last: IntArray,
    out: BoolArray,
) -> None:
    node_unsafe = np.full(node_count, NEVER, dtype=np.int64)
    for m in range(len(member_zone)):
        step = zone_step[member_zone[m]]
        if step < node_unsafe[member_node[m]]:
            node_unsafe[member_node[m]] = step
    room = window_capacity.copy()
    for i in range(len(size)):
        out[i] = False
        safe = True
        for k in range(stop_start[i], stop_start[i + 1]):
            if stop_last[k] >= node_unsafe[stop_node[k]]:
                safe = False
                break
        if not safe:
            continue
        for k in range(leg_start[i], leg_start[i + 1]):
            road = leg_road[k]
            limit = min(
                road_own_step[road],
                road_cut_step[road],
                node_unsafe[road_source[road]],
                node_unsafe[road_target[road]],
            )
            if leg_last[k] >= limit:
                safe = False
                break
        if not safe:
            continue
        c = crossing[i]
        step = crossing_step[i]
        inside = False
        fits = True
        for w in range(window_start[c], window_start[c + 1]):
            if window_open[w] <= step < window_close[w]:
                inside = True
                if room[w] < size[i]:
                    fits = False
        if not inside or not fits:
            continue
        for w in range(window_start[c], window_start[c + 1]):
            if window_open[w] <= step < window_close[w]:
                room[w] -= size[i]
        out[i] = True


def households_out(arrays: ScenarioArrays, plan: PlanArrays, future: FutureArrays) -> BoolArray:
    """For each household of ``plan.order``, whether it gets out in ``future``."""
    out = np.zeros(plan.count, dtype=np.bool_)
    _value_in_future(
        len(arrays.scenario.nodes),
        arrays.member_zone,
        arrays.member_node,
        arrays.road_source,
        arrays.road_target,
        arrays.road_own_step,
        future.zone_step,
        future.road_cut_step,
        future.window_start,
        future.window_open,
        future.window_close,
        future.window_capacity,
        plan.size,
        plan.crossing,
        plan.crossing_step,
        plan.stop_start,
        plan.stop_node,
        plan.stop_last,
        plan.leg_start,
        plan.leg_road,
        plan.leg_last,
        out,
    )
    return out
