"""Seeded scenarios on a real network: valid, reproducible, and hard in the intended ways."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from safepassage.formats.road_network import RoadNetwork, read_tntp
from safepassage.formats.scenario_folder import read_scenario, write_scenario
from safepassage.model import NodeKind, Scenario
from safepassage.model.scenario import NEVER
from safepassage.planning import solve
from safepassage.synthetic.network_scenario import network_scenario
from safepassage.verifier import verify

SIOUX_FALLS = Path(__file__).resolve().parents[1] / "fixtures" / "siouxfalls"
HORIZON = 96
"""A day of 15-minute steps keeps planning (and its LP bound) quick in the suite."""


@pytest.fixture(scope="module")
def network() -> RoadNetwork:
    return read_tntp(SIOUX_FALLS / "SiouxFalls_net.tntp", SIOUX_FALLS / "SiouxFalls_node.tntp")


@pytest.fixture(scope="module")
def scenario(network: RoadNetwork) -> Scenario:
    return network_scenario(network, seed=2, households=300, horizon_steps=HORIZON)


def planar_grid(side: int = 6) -> RoadNetwork:
    """A street grid in state-plane feet, without zones, roads both ways."""
    x, y = np.meshgrid(np.arange(side) * 5280.0 + 7e5, np.arange(side) * 5280.0 + 1.9e6)
    index = np.arange(side * side).reshape(side, side)
    pairs = np.concatenate(
        [
            np.column_stack([index[:, :-1].ravel(), index[:, 1:].ravel()]),
            np.column_stack([index[:-1, :].ravel(), index[1:, :].ravel()]),
        ]
    )
    both = np.concatenate([pairs, pairs[:, ::-1]])
    return RoadNetwork(
        name="grid",
        node_ids=tuple(f"n{i}" for i in range(side * side)),
        lat=y.ravel(),
        lon=x.ravel(),
        source=both[:, 0].astype(np.int64),
        target=both[:, 1].astype(np.int64),
        minutes=np.full(len(both), 3.04),
        capacity_per_hour=np.full(len(both), 1000.0),
        zones=0,
    )


def test_same_seed_same_scenario_other_seeds_differ(network: RoadNetwork) -> None:
    def make(seed: int) -> Scenario:
        return network_scenario(network, seed=seed, households=50, horizon_steps=HORIZON)

    assert make(5) == make(5)
    assert make(5) != make(6)


def test_households_are_as_asked_with_realistic_sizes(network: RoadNetwork) -> None:
    scenario = network_scenario(network, seed=1, households=4000, priorities=(1.0, 5.0))
    households = scenario.households
    assert len(households) == 4000
    assert {h.size for h in households} == set(range(1, 9))
    assert 4.2 < scenario.total_persons / len(households) < 4.8
    assert {h.priority for h in households} == {1.0, 5.0}
    late = [h.ready_from for h in households if h.ready_from is not None]
    assert 0.15 < len(late) / len(households) < 0.35
    assert all(0 < scenario.grid.step_of(t) <= scenario.grid.horizon_steps // 4 for t in late)


def test_crossings_are_network_nodes_with_windows_inside_the_horizon(scenario: Scenario) -> None:
    assert len(scenario.crossings) == 3
    kinds = scenario.node_by_id
    for crossing in scenario.crossings:
        assert kinds[crossing.node].kind is NodeKind.CROSSING
        assert 1 <= len(crossing.windows) <= 2
        for window in crossing.windows:
            opens, closes = scenario.window_steps(window)
            assert 0 <= opens < closes <= scenario.grid.horizon_steps
    assert any(c.requires_clearance for c in scenario.crossings)
    capacity = sum(w.capacity for c in scenario.crossings for w in c.windows)
    assert 0.45 * scenario.total_persons < capacity <= 0.8 * scenario.total_persons
    assert not {h.origin for h in scenario.households} & set(scenario.crossing_by_node)


def test_the_front_line_falls_inside_the_horizon_and_spares_a_fifth(scenario: Scenario) -> None:
    unsafe = scenario.node_unsafe_step
    steps = [step for step in unsafe.values() if step != NEVER]
    assert all(0 < step < scenario.grid.horizon_steps for step in steps)
    assert len(scenario.zones) == len(
        {scenario.grid.step_of(z.unsafe_from) for z in scenario.zones}
    )
    assert all(unsafe[c.node] == NEVER for c in scenario.crossings)
    assert 0.1 < 1 - len(steps) / len(unsafe) < 0.35


def test_clearance_groups_are_distinct_and_never_empty(network: RoadNetwork) -> None:
    scenario = network_scenario(network, seed=4, households=500, crossings=3, clearance_groups=4)
    groups = Counter(h.cleared_for for h in scenario.households)
    assert len(groups) == 4
    assert None in groups
    crossings = set(scenario.crossing_by_node)
    assert all(group and group <= crossings for group in groups if group is not None)


def test_road_capacities_become_persons(network: RoadNetwork) -> None:
    scenario = network_scenario(
        network, seed=0, households=10, persons_per_vehicle=2.0, capacity_scale=0.5
    )
    first = scenario.roads[0]
    assert (first.source, first.target, first.minutes) == ("1", "2", Fraction(6))
    assert first.capacity_per_hour == 25900  # floor(25900.20064 * 2.0 * 0.5)


def test_the_scenario_round_trips_through_a_folder(scenario: Scenario, tmp_path: Path) -> None:
    write_scenario(scenario, tmp_path / "sf")
    assert read_scenario(tmp_path / "sf") == scenario


def test_the_fast_plan_verifies_and_capacity_binds(scenario: Scenario) -> None:
    result = solve(scenario)
    assert verify(scenario, result.plan).violations == ()
    share = result.persons_out / scenario.total_persons
    assert 0.2 < share < 1.0


def test_planar_networks_without_zones_get_origins_shelters_and_valid_degrees(
    tmp_path: Path,
) -> None:
    scenario = network_scenario(
        planar_grid(), seed=3, households=200, horizon_steps=HORIZON, shelter_share=0.1
    )
    kinds = Counter(node.kind for node in scenario.nodes)
    assert kinds[NodeKind.CROSSING] == 3
    assert kinds[NodeKind.TOWN] == round(0.3 * 33)
    assert kinds[NodeKind.ASSEMBLY] == 4
    assert all(
        (node.shelter_capacity or 0) >= 8
        for node in scenario.nodes
        if node.kind is NodeKind.ASSEMBLY
    )
    assert all(-0.5 <= node.lat <= 0.5 and -0.5 <= node.lon <= 0.5 for node in scenario.nodes)
    assert {r.minutes for r in scenario.roads} == {3}
    write_scenario(scenario, tmp_path / "grid")
    assert read_scenario(tmp_path / "grid") == scenario
    assert verify(scenario, solve(scenario).plan).is_valid()


def test_impossible_requests_are_refused(network: RoadNetwork) -> None:
    with pytest.raises(ValueError, match="crossings"):
        network_scenario(network, seed=0, households=1, crossings=24)
    with pytest.raises(ValueError, match="clearance_groups"):
        network_scenario(network, seed=0, households=1, crossings=1, clearance_groups=3)
