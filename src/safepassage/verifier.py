"""The independent plan verifier: the contract's eight rules, checked against a plan.

Plans are judged by this module alone, so it is written straight from
``docs/planning-model.md`` and shares no feasibility code with the planners; the only arithmetic
it borrows is the scenario's step-valued views (unsafe steps, travel steps, per-step capacities,
ready steps, window steps), which *are* the contract's arithmetic and must agree for everyone.

Where the contract leaves room, the stricter reading is taken, so that a plan passing here passes
under any reasonable reading:

- every entry of the plan is checked and counted, including a repeated household id (reported
  under rule 1) and a household the scenario does not know (reported under rule 0; its path is
  still checked, but having no size it loads no road, shelter or window);
- a stop that has a ``depart_step`` occupies its node at ``arrive..depart`` and is checked like
  any other, even the origin-only stop of a household that stays at home; only a null
  ``depart_step`` on such a stop claims nothing (write null for households left at home);
- a stop whose steps are reversed (``depart < arrive``, itself a rule 3 violation) is still taken
  to occupy its node from the earlier step to the later one, and a road whose arrival does not
  match its travel time occupies the road for the longer of the claimed and the real traversal;
- a stop missing its ``depart_step`` when one is required (rule 3) still occupies its node at its
  arrival step, and an evacuated household whose last stop has none never crosses (rule 7 too);
- a household whose itinerary starts at its origin is exempt from shelter capacity only on that
  first stop; coming back to the origin later counts against the origin's shelter;
- a household crossing in a step covered by several windows of its crossing is counted against
  *every* one of those windows, so overlapping windows cannot be used to exceed any one of them;
- a household not cleared for its crossing still counts against the capacity of the windows
  its crossing step falls in: the places it takes are taken whatever its papers say.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice, pairwise

from safepassage.model.plan import HouseholdPlan, Plan, Stop
from safepassage.model.scenario import Household, Scenario

RULES = range(9)
"""Rule numbers as in the contract; 0 is for plan-level problems outside the eight rules."""

_LISTED = 10
"""How many household ids a capacity message names before summarising the rest."""


@dataclass(frozen=True)
class Violation:
    rule: int
    household: str | None
    step: int | None
    message: str


@dataclass(frozen=True)
class VerificationReport:
    violations: tuple[Violation, ...]
    objective: float

    def is_valid(self) -> bool:
        return not self.violations

    def by_rule(self) -> dict[int, list[Violation]]:
        """Every rule number maps to a list, empty when the rule holds, so callers can index."""
        grouped: dict[int, list[Violation]] = {rule: [] for rule in RULES}
        for violation in self.violations:
            grouped[violation.rule].append(violation)
        return grouped


def verify(scenario: Scenario, plan: Plan) -> VerificationReport:
    """Check ``plan`` against every rule of the contract and list all violations found."""
    return _Verifier(scenario).run(plan)


def _names(ids: Iterable[str], count: int) -> str:
    """Household ids for a message, cut short so an overload by thousands stays readable."""
    listed = ", ".join(islice(ids, _LISTED))
    return listed if count <= _LISTED else f"{listed} and {count - _LISTED} more"


class _Verifier:
    """One verification run: per-entry checks first, then the shared capacities they load."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.horizon = scenario.grid.horizon_steps
        self.node_unsafe = scenario.node_unsafe_step
        self.node_ids = frozenset(node.id for node in scenario.nodes)
        self.shelter = {
            node.id: node.shelter_capacity
            for node in scenario.nodes
            if node.shelter_capacity is not None
        }
        # Road views are looked up once per road, not once per traversal: a plan of a
        # hundred thousand households makes about a million traversals.
        self.roads = {
            key: (
                scenario.travel_steps(road),
                scenario.capacity_per_step(road),
                scenario.road_unsafe_step(road),
            )
            for key, road in scenario.roads_between.items()
        }
        self.windows = {
            crossing.node: [
                (index, *scenario.window_steps(window), window.capacity)
                for index, window in enumerate(crossing.windows)
            ]
            for crossing in scenario.crossings
        }
        self.violations: list[Violation] = []
        # (source, target, step) -> (household, size) departing onto that road at that step
        self.road_use: defaultdict[tuple[str, str, int], list[tuple[str, int]]] = defaultdict(list)
        # node -> (first step, last step, household, size) for nodes with a shelter capacity
        self.shelter_use: defaultdict[str, list[tuple[int, int, str, int]]] = defaultdict(list)
        # (crossing node, window index) -> (crossing step, household, size)
        self.window_use: defaultdict[tuple[str, int], list[tuple[int, str, int]]] = defaultdict(
            list
        )

    def report(self, rule: int, household: str | None, step: int | None, message: str) -> None:
        self.violations.append(Violation(rule, household, step, message))

    def run(self, plan: Plan) -> VerificationReport:
        scenario = self.scenario
        if plan.scenario != scenario.name:
            self.report(
                0, None, None, f"plan is for scenario {plan.scenario!r}, not {scenario.name!r}"
            )
        known = scenario.household_by_id
        seen: set[str] = set()
        evacuated: dict[str, float] = {}
        for entry in plan.households:
            household = known.get(entry.household)
            if household is None:
                self.report(
                    0, entry.household, None, f"household {entry.household} is not in the scenario"
                )
            elif entry.evacuated:
                evacuated[household.id] = household.value
            if entry.household in seen:
                self.report(
                    1, entry.household, None, f"household {entry.household} appears more than once"
                )
            seen.add(entry.household)
            self.check_entry(entry, household)
        self.check_roads()
        self.check_shelters()
        self.check_windows()
        objective = math.fsum(evacuated.values())
        self.check_claims(plan, objective)
        return VerificationReport(tuple(self.violations), objective)

    # -- one household ----------------------------------------------------------------------

    def check_entry(self, entry: HouseholdPlan, household: Household | None) -> None:
        hid = entry.household
        stops = entry.itinerary
        # An unknown household's origin cannot be told, so its single stop is taken as home.
        at_home_only = (
            not entry.evacuated
            and len(stops) == 1
            and (household is None or stops[0].node == household.origin)
        )
        if not entry.evacuated:
            if stops and not at_home_only:
                where = stops[1] if len(stops) > 1 else stops[0]
                self.report(
                    1,
                    hid,
                    where.arrive_step,
                    f"household {hid} is not evacuated but moves: its itinerary has "
                    f"{len(stops)} stop(s), reaching node {where.node} at step {where.arrive_step}",
                )
        elif not stops:
            self.report(1, hid, None, f"household {hid} is evacuated but has no itinerary")
        elif stops[-1].node != entry.crossing:
            self.report(
                1,
                hid,
                stops[-1].arrive_step,
                f"household {hid} claims crossing {entry.crossing} but its itinerary ends at "
                f"node {stops[-1].node}",
            )
        size = 0 if household is None else household.size
        for index, stop in enumerate(stops):
            exempt = index == 0 and household is not None and stop.node == household.origin
            self.check_stop(hid, size, stop, needs_depart=not at_home_only, shelter_exempt=exempt)
        for prev, nxt in pairwise(stops):
            self.check_leg(hid, size, prev, nxt)
        if household is not None and stops:
            self.check_readiness(household, stops[0])
        if entry.crossing is not None:
            self.check_crossing(entry, entry.crossing, household)

    def check_stop(
        self, hid: str, size: int, stop: Stop, *, needs_depart: bool, shelter_exempt: bool
    ) -> None:
        node, arrive, depart = stop.node, stop.arrive_step, stop.depart_step
        known = node in self.node_ids
        if not known:
            self.report(1, hid, arrive, f"household {hid} stops at unknown node {node}")
        self.check_horizon(hid, node, "arrives at", arrive)
        if depart is None:
            if not needs_depart:
                return  # a household left at home claims no occupancy
            self.report(
                3,
                hid,
                arrive,
                f"household {hid} has no depart step at node {node} (arrived at step {arrive})",
            )
            first, last = arrive, arrive
        else:
            self.check_horizon(hid, node, "leaves", depart)
            if depart < arrive:
                self.report(
                    3,
                    hid,
                    depart,
                    f"household {hid} leaves node {node} at step {depart}, before arriving at "
                    f"step {arrive}",
                )
            first, last = min(arrive, depart), max(arrive, depart)
        if not known:
            return
        unsafe = self.node_unsafe[node]
        if last >= unsafe:
            self.report(
                4,
                hid,
                max(first, unsafe),
                f"household {hid} is at node {node} at steps {first}..{last} but the node is "
                f"unsafe from step {unsafe}",
            )
        if node in self.shelter and size and not shelter_exempt:
            self.shelter_use[node].append((first, last, hid, size))

    def check_horizon(self, hid: str, node: str, verb: str, step: int) -> None:
        if not 0 <= step < self.horizon:
            self.report(
                8,
                hid,
                step,
                f"household {hid} {verb} node {node} at step {step}, outside steps "
                f"0..{self.horizon - 1}",
            )

    def check_leg(self, hid: str, size: int, prev: Stop, nxt: Stop) -> None:
        if prev.node not in self.node_ids or nxt.node not in self.node_ids:
            return  # already reported as an unknown node
        road = self.roads.get((prev.node, nxt.node))
        depart = prev.depart_step
        if road is None:
            self.report(
                3,
                hid,
                nxt.arrive_step if depart is None else depart,
                f"household {hid} goes from node {prev.node} to node {nxt.node} but no road "
                f"joins them in that direction",
            )
            return
        if depart is None:
            return  # already reported as a missing depart step
        travel, _capacity, unsafe = road
        if nxt.arrive_step != depart + travel:
            self.report(
                3,
                hid,
                nxt.arrive_step,
                f"household {hid} leaves node {prev.node} at step {depart} on a road of "
                f"{travel} step(s), so reaches node {nxt.node} at step {depart + travel}, "
                f"not {nxt.arrive_step}",
            )
        last = max(depart, nxt.arrive_step - 1, depart + travel - 1)
        if last >= unsafe:
            self.report(
                4,
                hid,
                max(depart, unsafe),
                f"household {hid} is on the road {prev.node}->{nxt.node} at steps "
                f"{depart}..{last} but the road is unsafe from step {unsafe}",
            )
        if size:
            self.road_use[(prev.node, nxt.node, depart)].append((hid, size))

    def check_readiness(self, household: Household, first: Stop) -> None:
        hid = household.id
        if first.node != household.origin:
            self.report(
                2,
                hid,
                first.arrive_step,
                f"household {hid} starts at node {first.node}, not at its origin "
                f"{household.origin}",
            )
        ready = self.scenario.ready_step(household)
        if first.depart_step is not None and first.depart_step < ready:
            self.report(
                2,
                hid,
                first.depart_step,
                f"household {hid} leaves node {first.node} at step {first.depart_step} but is "
                f"ready only from step {ready}",
            )

    def check_crossing(self, entry: HouseholdPlan, node: str, household: Household | None) -> None:
        hid = entry.household
        step = entry.itinerary[-1].depart_step if entry.itinerary else None
        crossing = self.scenario.crossing_by_node.get(node)
        if crossing is None:
            self.report(7, hid, step, f"household {hid} crosses at {node}, which is no crossing")
            return
        if household is not None and not household.is_cleared_for(crossing):
            self.report(
                7,
                hid,
                step,
                f"household {hid} is not cleared for crossing {node}, which requires clearance",
            )
        if not entry.itinerary:
            return  # already reported: an evacuated household without an itinerary
        if step is None:
            self.report(
                7,
                hid,
                entry.itinerary[-1].arrive_step,
                f"household {hid} has no crossing step at crossing {node}",
            )
            return
        inside = [
            index for index, open_, close, _cap in self.windows[node] if open_ <= step < close
        ]
        if not inside:
            spans = ", ".join(f"{o}..{c - 1}" for _i, o, c, _cap in self.windows[node]) or "none"
            self.report(
                7,
                hid,
                step,
                f"household {hid} crosses at {node} at step {step}, outside every window "
                f"(open steps: {spans})",
            )
        if household is not None:
            for index in inside:
                self.window_use[(node, index)].append((step, hid, household.size))

    # -- shared capacities -----------------------------------------------------------------

    def check_roads(self) -> None:
        for (source, target, step), users in self.road_use.items():
            capacity = self.roads[(source, target)][1]
            total = sum(size for _hid, size in users)
            if total <= capacity:
                continue
            self.report(
                5,
                users[_overflowing([size for _hid, size in users], capacity)][0],
                step,
                f"{total} persons depart onto road {source}->{target} at step {step}, above its "
                f"capacity of {capacity} per step; households: "
                f"{_names((hid for hid, _size in users), len(users))}",
            )

    def check_shelters(self) -> None:
        """Sweep each shelter's arrivals and departures, so a long wait costs O(1), not O(steps).

        Presence is constant between consecutive events, so each over-capacity stretch between
        events is one violation, naming the most recent arrival still present.
        """
        for node, stays in self.shelter_use.items():
            capacity = self.shelter[node]
            starts = sorted(range(len(stays)), key=lambda i: stays[i][0])
            ends = sorted(range(len(stays)), key=lambda i: stays[i][1])
            steps = sorted({stay[0] for stay in stays} | {stay[1] + 1 for stay in stays})
            present: dict[int, None] = {}  # insertion-ordered set of stays, by arrival
            persons = 0
            next_start = next_end = 0
            for at, following in pairwise(steps):
                while next_end < len(ends) and stays[ends[next_end]][1] + 1 == at:
                    del present[ends[next_end]]
                    persons -= stays[ends[next_end]][3]
                    next_end += 1
                while next_start < len(starts) and stays[starts[next_start]][0] == at:
                    present[starts[next_start]] = None
                    persons += stays[starts[next_start]][3]
                    next_start += 1
                if persons <= capacity:
                    continue
                latest = stays[next(reversed(present))][2]
                self.report(
                    6,
                    latest,
                    at,
                    f"{persons} persons are at node {node} at steps {at}..{following - 1}, above "
                    f"its shelter capacity of {capacity}; households: "
                    f"{_names((stays[i][2] for i in present), len(present))}",
                )

    def check_windows(self) -> None:
        for (node, index), crossers in self.window_use.items():
            _index, open_, close, capacity = self.windows[node][index]
            total = sum(size for _step, _hid, size in crossers)
            if total <= capacity:
                continue
            ordered = sorted(crossers, key=lambda crosser: crosser[0])
            step, culprit, _size = ordered[
                _overflowing([size for _step, _hid, size in ordered], capacity)
            ]
            self.report(
                7,
                culprit,
                step,
                f"{total} persons cross at {node} in the window of steps {open_}..{close - 1}, "
                f"above its capacity of {capacity}; households: "
                f"{_names((hid for _step, hid, _size in ordered), len(ordered))}",
            )

    # -- the plan's claims -------------------------------------------------------------------

    def check_claims(self, plan: Plan, objective: float) -> None:
        if not math.isclose(plan.objective, objective, rel_tol=1e-6):
            self.report(
                0,
                None,
                None,
                f"plan claims objective {plan.objective} but its evacuated households add up to "
                f"{objective}",
            )
        if plan.bound is not None and not plan.bound >= objective - 1e-9 * abs(objective):
            self.report(
                0, None, None, f"plan claims bound {plan.bound}, below its objective {objective}"
            )


def _overflowing(sizes: list[int], capacity: int) -> int:
    """Index of the first party, in the given order, that takes the total over capacity."""
    total = 0
    for index, size in enumerate(sizes):
        total += size
        if total > capacity:
            return index
    raise ValueError("capacity is not exceeded")
