"""Why a household is left behind, in a sentence a coordinator can act on.

The first words name the cause (``town fell``, ``not cleared``, ``no route``, ``capacity
taken``, ``too late``) so reports can group by it; the rest says where and when.
"""

from __future__ import annotations

from safepassage.model import Household, Scenario
from safepassage.planning.routing import earliest_route
from safepassage.planning.step_network import Residuals, StepNetwork


def cleared_crossings(scenario: Scenario, household: Household) -> frozenset[int]:
    """Crossing nodes this household may use: cleared for, and open at some time."""
    return frozenset(
        scenario.node_index(crossing.node)
        for crossing in scenario.crossings
        if crossing.windows and household.is_cleared_for(crossing)
    )


class CutOffDiagnosis:
    """Tells the cause; whether a household could get out alone is remembered per kind.

    That depends only on origin, readiness, size and clearances, which many households share.
    ``lost_to`` completes "capacity taken: ... went to households ..." for the planner at hand.
    """

    def __init__(
        self, scenario: Scenario, network: StepNetwork, *, from_step: int, lost_to: str
    ) -> None:
        self.scenario = scenario
        self.network = network
        self.from_step = from_step
        self.lost_to = lost_to
        self.untouched = Residuals.full(network)
        self.alone: dict[tuple[int, int, int, frozenset[int]], bool] = {}

    def __call__(self, household: Household) -> str:
        scenario, network = self.scenario, self.network
        grid = scenario.grid
        origin = scenario.node_index(household.origin)
        town = scenario.nodes[origin].name
        limit = int(network.node_limit[origin])
        own_ready = scenario.ready_step(household)
        ready = max(own_ready, self.from_step)
        if ready >= limit:
            if limit >= network.horizon:
                return f"too late: not ready to leave {town} before the plan's horizon"
            if limit > own_ready:
                when = f"planning starts at {grid.describe(self.from_step)}"
            elif own_ready > 0:
                when = "it was ready to leave"
            else:
                when = "the scenario starts"
            return f"town fell: {town} fell at {grid.describe(limit)}, before {when}"
        allowed = cleared_crossings(scenario, household)
        if not allowed:
            return "not cleared: not cleared for any crossing that opens"
        key = (origin, ready, household.size, allowed)
        if key not in self.alone:
            route = earliest_route(
                network,
                self.untouched,
                origin=origin,
                size=household.size,
                ready=ready,
                crossings=allowed,
            )
            self.alone[key] = route is not None
        if not self.alone[key]:
            return (
                f"no route: no safe road from {town} reaches a cleared crossing while it is "
                f"open and before {town} falls"
            )
        return (
            "capacity taken: roads, shelters or crossing places on its routes went to "
            f"households {self.lost_to}"
        )
