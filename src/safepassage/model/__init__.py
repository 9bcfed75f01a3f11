"""The immutable domain model: scenarios, plans and the time grid they share.

Nothing here imports the rest of the package, so readers, planners and the verifier can all
depend on it without depending on each other.
"""

from safepassage.model.plan import HouseholdPlan, Plan, Stop
from safepassage.model.scenario import (
    Crossing,
    Household,
    Node,
    NodeKind,
    Road,
    Scenario,
    Window,
    Zone,
)
from safepassage.model.time_grid import TimeGrid

__all__ = [
    "Crossing",
    "Household",
    "HouseholdPlan",
    "Node",
    "NodeKind",
    "Plan",
    "Road",
    "Scenario",
    "Stop",
    "TimeGrid",
    "Window",
    "Zone",
]
