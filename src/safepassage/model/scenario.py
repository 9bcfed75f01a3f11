"""A scenario: the road network, crossings, front line and households to bring out.

Everything is held as the user wrote it (instants, minutes, rates) so that reports can speak the
user's language; the step-valued views the planners and the verifier need are derived once,
through the scenario's :class:`TimeGrid`, by the same contract arithmetic for everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from fractions import Fraction
from functools import cached_property

from safepassage.model.time_grid import TimeGrid

NEVER = 2**62
"""Step used for "never unsafe": later than any horizon, still a plain int for arrays."""


class NodeKind(StrEnum):
    TOWN = "town"
    JUNCTION = "junction"
    ASSEMBLY = "assembly"
    CROSSING = "crossing"


@dataclass(frozen=True)
class Node:
    id: str
    name: str
    lat: float
    lon: float
    kind: NodeKind
    shelter_capacity: int | None = None


@dataclass(frozen=True)
class Road:
    """One *directed* road; a bidirectional row of ``edges.csv`` becomes two of these."""

    source: str
    target: str
    minutes: Fraction
    capacity_per_hour: Fraction
    unsafe_from: datetime | None = None


@dataclass(frozen=True)
class Window:
    open: datetime
    close: datetime
    capacity: int


@dataclass(frozen=True)
class Crossing:
    node: str
    country: str
    requires_clearance: bool
    windows: tuple[Window, ...] = ()


@dataclass(frozen=True)
class Zone:
    name: str
    nodes: tuple[str, ...]
    unsafe_from: datetime


@dataclass(frozen=True)
class Household:
    """A party that moves whole. ``cleared_for`` of ``None`` means cleared for every crossing."""

    id: str
    size: int
    origin: str
    priority: float = 1.0
    ready_from: datetime | None = None
    cleared_for: frozenset[str] | None = None

    @property
    def value(self) -> float:
        """What bringing this household out adds to the objective."""
        return self.priority * self.size

    def is_cleared_for(self, crossing: Crossing) -> bool:
        if not crossing.requires_clearance or self.cleared_for is None:
            return True
        return crossing.node in self.cleared_for


@dataclass(frozen=True)
class Scenario:
    """A validated, immutable planning problem.

    Construction checks the cross-references a reader is expected to have reported already
    (roads, zones, crossings and origins naming known nodes), so a scenario built in code is as
    trustworthy as one read from files.
    """

    name: str
    grid: TimeGrid
    nodes: tuple[Node, ...]
    roads: tuple[Road, ...]
    crossings: tuple[Crossing, ...] = ()
    zones: tuple[Zone, ...] = ()
    households: tuple[Household, ...] = ()
    _node_index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {node.id: i for i, node in enumerate(self.nodes)}
        for node in self.nodes:
            if node.shelter_capacity is not None and node.shelter_capacity < 0:
                raise ValueError(f"node {node.id} has a negative shelter capacity")
        if len(index) != len(self.nodes):
            raise ValueError("node ids must be unique")
        object.__setattr__(self, "_node_index", index)
        for road in self.roads:
            if road.source not in index or road.target not in index:
                raise ValueError(f"road {road.source}->{road.target} names an unknown node")
            if road.source == road.target:
                raise ValueError(f"road {road.source}->{road.target} is a loop")
            if road.minutes < 0 or road.capacity_per_hour < 0:
                raise ValueError(f"road {road.source}->{road.target} has a negative time or rate")
        if len({(r.source, r.target) for r in self.roads}) != len(self.roads):
            raise ValueError("two roads join the same ordered pair of nodes")
        if len({c.node for c in self.crossings}) != len(self.crossings):
            raise ValueError("a node is listed as a crossing twice")
        for crossing in self.crossings:
            if crossing.node not in index:
                raise ValueError(f"crossing {crossing.node} is not a node")
            for window in crossing.windows:
                if window.close <= window.open or window.capacity < 0:
                    raise ValueError(f"crossing {crossing.node} has an empty or negative window")
        for zone in self.zones:
            for node_id in zone.nodes:
                if node_id not in index:
                    raise ValueError(f"zone {zone.name} names unknown node {node_id}")
        if len({h.id for h in self.households}) != len(self.households):
            raise ValueError("household ids must be unique")
        for household in self.households:
            if household.origin not in index:
                raise ValueError(f"household {household.id} starts at an unknown node")
            if household.size <= 0 or household.priority <= 0:
                raise ValueError(f"household {household.id} needs positive size and priority")

    # -- look-ups -------------------------------------------------------------------------

    def node_index(self, node_id: str) -> int:
        return self._node_index[node_id]

    def has_node(self, node_id: str) -> bool:
        return node_id in self._node_index

    @cached_property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(node.id for node in self.nodes)

    @cached_property
    def node_by_id(self) -> Mapping[str, Node]:
        return {node.id: node for node in self.nodes}

    @cached_property
    def crossing_by_node(self) -> Mapping[str, Crossing]:
        return {crossing.node: crossing for crossing in self.crossings}

    @cached_property
    def household_by_id(self) -> Mapping[str, Household]:
        return {household.id: household for household in self.households}

    @cached_property
    def roads_between(self) -> Mapping[tuple[str, str], Road]:
        return {(road.source, road.target): road for road in self.roads}

    # -- step-valued views (the contract's arithmetic, shared by all) ----------------------

    @cached_property
    def node_unsafe_step(self) -> Mapping[str, int]:
        """First step at which each node is held by hostile forces (:data:`NEVER` if none)."""
        unsafe = {node.id: NEVER for node in self.nodes}
        for zone in self.zones:
            step = self.grid.step_of(zone.unsafe_from)
            for node_id in zone.nodes:
                unsafe[node_id] = min(unsafe[node_id], step)
        return unsafe

    def road_unsafe_step(self, road: Road) -> int:
        own = NEVER if road.unsafe_from is None else self.grid.step_of(road.unsafe_from)
        return min(own, self.node_unsafe_step[road.source], self.node_unsafe_step[road.target])

    def travel_steps(self, road: Road) -> int:
        return self.grid.steps_for(road.minutes)

    def capacity_per_step(self, road: Road) -> int:
        return self.grid.per_step(road.capacity_per_hour)

    def ready_step(self, household: Household) -> int:
        """First step the household may leave; never before the scenario starts."""
        if household.ready_from is None:
            return 0
        return max(0, self.grid.step_of(household.ready_from))

    def window_steps(self, window: Window) -> tuple[int, int]:
        """``(open, close)`` as steps: crossing is allowed at ``open <= step < close``."""
        return self.grid.step_of(window.open), self.grid.step_of(window.close)

    @property
    def total_persons(self) -> int:
        return sum(h.size for h in self.households)

    @property
    def total_value(self) -> float:
        return sum(h.value for h in self.households)
