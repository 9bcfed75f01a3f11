"""The route search on hand-worked networks, and against brute force on random ones."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import build, crossing
from safepassage.model import Household, NodeKind, Scenario
from safepassage.planning import routing
from safepassage.planning.routing import (
    Route,
    earliest_route,
    earliest_route_from,
    release,
    reserve,
)
from safepassage.planning.step_network import Residuals, StepNetwork
from safepassage.synthetic.random_scenario import random_scenario


def prepared(scenario: Scenario) -> tuple[StepNetwork, Residuals, dict[str, int]]:
    network = StepNetwork.compile(scenario)
    index = {node.id: i for i, node in enumerate(scenario.nodes)}
    return network, Residuals.full(network), index


def snapshot(residuals: Residuals) -> list[np.ndarray]:
    return [
        a.copy()
        for a in (
            residuals.road,
            residuals.shelter,
            residuals.window,
            residuals.road_low,
            residuals.shelter_low,
        )
    ]


def same(before: list[np.ndarray], residuals: Residuals) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(before, snapshot(residuals), strict=True))


def test_a_full_queue_area_keeps_the_second_household_waiting_at_home() -> None:
    # The crossing's queue area holds 5 and its window opens at step 10.
    scenario = build(
        nodes=[("a", NodeKind.TOWN), ("x", NodeKind.CROSSING, 5)],
        roads=[("a", "x", 15, 400)],
        crossings=[crossing("x", (10, 12, 100))],
        households=[],
    )
    network, residuals, ix = prepared(scenario)
    a, x = ix["a"], ix["x"]
    first = earliest_route(network, residuals, origin=a, size=4, ready=0, crossings={x})
    assert first is not None
    assert first.stops == ((a, 0, 0), (x, 1, 10))
    reserve(network, residuals, first, 4)
    second = earliest_route(network, residuals, origin=a, size=4, ready=0, crossings={x})
    assert second is not None
    assert second.stops == ((a, 0, 10), (x, 11, 11))
    assert second.moves == ((0, 10),)


def test_a_step_inside_overlapping_windows_needs_room_in_each() -> None:
    # Five steps to the crossing; a wide window and, over steps 5-7, a second one for 3 persons.
    scenario = build(
        nodes=[("a", NodeKind.TOWN), ("x", NodeKind.CROSSING)],
        roads=[("a", "x", 75, 400)],
        crossings=[crossing("x", (0, 10, 100), (5, 8, 3))],
        households=[],
    )
    network, residuals, ix = prepared(scenario)
    a, x = ix["a"], ix["x"]
    four = earliest_route(network, residuals, origin=a, size=4, ready=0, crossings={x})
    assert four is not None and four.crossing_step == 8
    two = earliest_route(network, residuals, origin=a, size=2, ready=0, crossings={x})
    assert two is not None and two.crossing_step == 5
    reserve(network, residuals, two, 2)
    assert residuals.window.tolist() == [98, 1]  # counted against both windows


def test_a_full_road_delays_the_departure() -> None:
    # Five persons a step may enter the road.
    scenario = build(
        nodes=[("a", NodeKind.TOWN), ("x", NodeKind.CROSSING)],
        roads=[("a", "x", 15, 20)],
        crossings=[crossing("x", (0, 10, 100))],
        households=[],
    )
    network, residuals, ix = prepared(scenario)
    a, x = ix["a"], ix["x"]
    five = earliest_route(network, residuals, origin=a, size=5, ready=0, crossings={x})
    assert five is not None and five.stops == ((a, 0, 0), (x, 1, 1))
    reserve(network, residuals, five, 5)
    one = earliest_route(network, residuals, origin=a, size=1, ready=0, crossings={x})
    assert one is not None and one.stops == ((a, 0, 1), (x, 2, 2))
    assert earliest_route(network, residuals, origin=a, size=6, ready=0, crossings={x}) is None


def test_equal_routes_go_by_the_road_found_first() -> None:
    scenario = build(
        nodes=[
            ("a", NodeKind.TOWN),
            ("b", NodeKind.JUNCTION),
            ("c", NodeKind.JUNCTION),
            ("x", NodeKind.CROSSING),
        ],
        roads=[("a", "c", 15, 400), ("a", "b", 15, 400), ("b", "x", 15, 400), ("c", "x", 15, 400)],
        crossings=[crossing("x", (0, 10, 100))],
        households=[],
    )
    network, residuals, ix = prepared(scenario)
    route = earliest_route(network, residuals, origin=ix["a"], size=1, ready=0, crossings={ix["x"]})
    assert route is not None
    assert [v for v, _, _ in route.stops] == [ix["a"], ix["c"], ix["x"]]


def test_a_household_part_way_counts_where_it_is_from_not_before() -> None:
    # j holds 4 and the road on to x takes 4 a step; the window opens at step 6.
    scenario = build(
        nodes=[("a", NodeKind.TOWN), ("j", NodeKind.JUNCTION, 4), ("x", NodeKind.CROSSING)],
        roads=[("a", "j", 15, 400), ("j", "x", 15, 16)],
        crossings=[crossing("x", (6, 12, 100))],
        households=[],
    )
    network, residuals, ix = prepared(scenario)
    a, j, x = ix["a"], ix["j"], ix["x"]
    a_j, j_x = 0, 1
    # The household got to j at step 2, where the caller holds its place at step 2.
    reserve(network, residuals, Route(((a, 1, 1), (j, 2, 2)), ((a_j, 1),)), 4)
    # Someone from j takes the road at step 3; someone passing through fills j at step 5.
    reserve(network, residuals, Route(((j, 0, 3), (x, 4, 6)), ((j_x, 3),)), 4)
    reserve(network, residuals, Route(((a, 4, 4), (j, 5, 5), (x, 6, 6)), ((a_j, 4), (j_x, 5))), 1)
    before = snapshot(residuals)

    route = earliest_route_from(
        network, residuals, start=j, arrive=2, not_before=3, size=4, crossings={x}, origin=a
    )
    assert route is not None
    assert route.stops == ((j, 2, 4), (x, 5, 6))  # the last step it can leave before j fills
    assert route.counted_from == 3
    reserve(network, residuals, route, 4)
    row = residuals.shelter_row[j]
    assert residuals.shelter[row, 1:6].tolist() == [4, 0, 0, 0, 3]
    release(network, residuals, route, 4)
    assert same(before, residuals)

    # Without room at not_before itself it cannot stay where it is.
    assert (
        earliest_route_from(
            network, residuals, start=j, arrive=2, not_before=5, size=4, crossings={x}, origin=a
        )
        is None
    )


def test_a_household_part_way_may_pass_back_through_its_origin() -> None:
    # The only road out of j leads back to the origin, which counts like anywhere else.
    scenario = build(
        nodes=[("a", NodeKind.TOWN, 3), ("j", NodeKind.JUNCTION), ("x", NodeKind.CROSSING)],
        roads=[("a", "j", 15, 400), ("j", "a", 15, 400), ("a", "x", 15, 400)],
        crossings=[crossing("x", (0, 12, 100))],
        households=[],
    )
    network, residuals, ix = prepared(scenario)
    a, j, x = ix["a"], ix["j"], ix["x"]
    route = earliest_route_from(
        network, residuals, start=j, arrive=1, not_before=1, size=3, crossings={x}, origin=a
    )
    assert route is not None and route.stops == ((j, 1, 1), (a, 2, 2), (x, 3, 3))
    assert (
        earliest_route_from(
            network, residuals, start=j, arrive=1, not_before=1, size=4, crossings={x}, origin=a
        )
        is None
    )


def test_the_label_buffer_grows_when_a_search_needs_more() -> None:
    scenario = random_scenario(7, nodes=14, households=0, crossings=2, horizon_steps=120)
    network, residuals, _ = prepared(scenario)
    crossings = set(network.window_node.tolist())
    routes = [
        earliest_route(network, residuals, origin=v, size=2, ready=0, crossings=crossings)
        for v in range(len(scenario.nodes))
    ]
    workspace = routing._workspace(network)
    workspace.labels = workspace.labels[:1].copy()
    again = [
        earliest_route(network, residuals, origin=v, size=2, ready=0, crossings=crossings)
        for v in range(len(scenario.nodes))
    ]
    assert again == routes
    assert len(workspace.labels) > 1


def test_release_gives_back_exactly_what_reserve_took() -> None:
    scenario = random_scenario(3, nodes=14, households=40, crossings=2, horizon_steps=96)
    network, residuals, _ = prepared(scenario)
    before = snapshot(residuals)
    taken: list[tuple[Route, int]] = []
    for household, allowed in households_with_crossings(scenario):
        route = earliest_route(
            network,
            residuals,
            origin=scenario.node_index(household.origin),
            size=household.size,
            ready=scenario.ready_step(household),
            crossings=allowed,
        )
        if route is not None:
            reserve(network, residuals, route, household.size)
            taken.append((route, household.size))
    assert taken
    assert not same(before, residuals)
    for route, size in reversed(taken[::2]):
        # A route rebuilt from its tuples (as a caller ripping up a plan would) works as well.
        release(network, residuals, Route(route.stops, route.moves), size)
    for route, size in taken[1::2]:
        release(network, residuals, route, size)
    assert same(before, residuals)


def households_with_crossings(scenario: Scenario) -> list[tuple[Household, frozenset[int]]]:
    with_windows = [c for c in scenario.crossings if c.windows]
    return [
        (
            household,
            frozenset(
                scenario.node_index(c.node) for c in with_windows if household.is_cleared_for(c)
            ),
        )
        for household in scenario.households
    ]


def earliest_crossing_by_brute_force(
    network: StepNetwork,
    residuals: Residuals,
    *,
    start: int,
    not_before: int,
    at_home: bool,
    size: int,
    crossings: Collection[int],
) -> int | None:
    """Every (node, step) the household can be at, step by step, straight from the contract."""
    limit = network.node_limit

    def room(v: int, t: int) -> bool:
        row = residuals.shelter_row[v]
        return bool(row < 0 or residuals.shelter[row, t] >= size)

    def can_cross(v: int, t: int) -> bool:
        windows = network.windows_at[v]
        open_now = [w for w in windows if network.window_open[w] <= t < network.window_close[w]]
        return bool(open_now) and all(residuals.window[w] >= size for w in open_now)

    if not_before >= limit[start] or not (at_home or room(start, not_before)):
        return None
    at_step: dict[int, set[tuple[int, bool]]] = {not_before: {(start, at_home)}}
    for t in range(not_before, network.horizon):
        for v, home in at_step.get(t, set()):
            if v in crossings and can_cross(v, t):
                return t
            if t + 1 < limit[v] and (home or room(v, t + 1)):
                at_step.setdefault(t + 1, set()).add((v, home))
            for e in network.out_roads[network.out_start[v] : network.out_start[v + 1]]:
                w, travel = int(network.road_target[e]), int(network.road_travel[e])
                arrive = t + travel
                if (
                    residuals.road[e, t] >= size
                    and arrive - 1 < network.road_limit[e]
                    and arrive < limit[w]
                    and room(w, arrive)
                ):
                    at_step.setdefault(arrive, set()).add((w, False))
    return None


def follows_the_rules(
    network: StepNetwork, residuals: Residuals, route: Route, size: int, not_before: int
) -> bool:
    """The route fits in what is free (the verifier checks whole plans; this, one search)."""
    stops, moves = route.stops, route.moves
    if len(moves) != len(stops) - 1 or stops[0][2] < not_before:
        return False
    for (v, _, depart), (w, arrive, _), (road, leave) in zip(stops, stops[1:], moves, strict=False):
        if not (
            network.road_source[road] == v
            and network.road_target[road] == w
            and leave == depart
            and arrive == depart + network.road_travel[road]
            and residuals.road[road, leave] >= size
        ):
            return False
    for i, (v, arrive, depart) in enumerate(stops):
        if i == 0:
            if route.counted_from is None:
                continue
            arrive = route.counted_from
        row = residuals.shelter_row[v]
        if arrive > depart or (
            row >= 0 and residuals.shelter[row, arrive : depart + 1].min() < size
        ):
            return False
    node, step = route.crossing_node, route.crossing_step
    open_now = [
        w
        for w in network.windows_at[node]
        if network.window_open[w] <= step < network.window_close[w]
    ]
    return bool(open_now) and all(residuals.window[w] >= size for w in open_now)


@settings(max_examples=120, deadline=None)
@given(
    st.builds(
        random_scenario,
        st.integers(0, 2**32 - 1),
        nodes=st.integers(3, 14),
        households=st.integers(1, 30),
        crossings=st.integers(1, 2),
        horizon_steps=st.integers(8, 120),
    ),
    st.integers(0, 2**32 - 1),
)
def test_every_search_crosses_as_early_as_brute_force_allows(scenario: Scenario, seed: int) -> None:
    network, residuals, _ = prepared(scenario)
    rng = np.random.default_rng(seed)
    for household, allowed in households_with_crossings(scenario):
        origin = scenario.node_index(household.origin)
        ready, size = scenario.ready_step(household), household.size
        route = earliest_route(
            network, residuals, origin=origin, size=size, ready=ready, crossings=allowed
        )
        expected = earliest_crossing_by_brute_force(
            network,
            residuals,
            start=origin,
            not_before=ready,
            at_home=True,
            size=size,
            crossings=allowed,
        )
        assert (None if route is None else route.crossing_step) == expected
        if route is not None:
            assert follows_the_rules(network, residuals, route, size, ready)
            reserve(network, residuals, route, size)

        # The same household somewhere else, part-way through the operation.
        start = int(rng.integers(len(scenario.nodes)))
        not_before = int(rng.integers(network.horizon))
        moved = earliest_route_from(
            network,
            residuals,
            start=start,
            arrive=not_before,
            not_before=not_before,
            size=size,
            crossings=allowed,
            origin=origin,
        )
        expected = earliest_crossing_by_brute_force(
            network,
            residuals,
            start=start,
            not_before=not_before,
            at_home=False,
            size=size,
            crossings=allowed,
        )
        assert (None if moved is None else moved.crossing_step) == expected
        if moved is not None:
            assert moved.stops[0][:2] == (start, not_before)
            assert follows_the_rules(network, residuals, moved, size, not_before)


@pytest.mark.parametrize("seed", range(5))
def test_searching_twice_gives_the_same_route(seed: int) -> None:
    # Buffers are reused between searches: nothing may leak from one search into the next.
    scenario = random_scenario(seed, nodes=14, households=30, crossings=2, horizon_steps=96)
    network, residuals, _ = prepared(scenario)
    for household, allowed in households_with_crossings(scenario):
        origin, size = scenario.node_index(household.origin), household.size
        ready = scenario.ready_step(household)
        first = earliest_route(
            network, residuals, origin=origin, size=size, ready=ready, crossings=allowed
        )
        again = earliest_route(
            network, residuals, origin=origin, size=size, ready=ready, crossings=allowed
        )
        assert again == first


def test_a_household_cannot_leave_before_it_arrives() -> None:
    scenario = random_scenario(1, nodes=5, households=0, crossings=1, horizon_steps=20)
    network, residuals, _ = prepared(scenario)
    with pytest.raises(ValueError, match="before it arrives"):
        earliest_route_from(
            network, residuals, start=1, arrive=5, not_before=4, size=1, crossings={0}, origin=1
        )
