"""Tiny scenarios built in code, shared by tests across the package."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from fractions import Fraction

import pytest

from safepassage.model import (
    Crossing,
    Household,
    Node,
    NodeKind,
    Road,
    Scenario,
    TimeGrid,
    Window,
    Zone,
)

START = datetime.fromisoformat("2018-07-21T00:00:00+03:00")


def at(step: int) -> datetime:
    """The instant at which a 15-minute step of the test grid begins."""
    return START + timedelta(minutes=15 * step)


def build(
    *,
    nodes: Iterable[tuple[str, NodeKind] | tuple[str, NodeKind, int]],
    roads: Iterable[tuple[str, str, int, int]],
    crossings: Iterable[Crossing],
    households: Iterable[Household],
    zones: Iterable[Zone] = (),
    horizon: int = 40,
) -> Scenario:
    """Roads as ``(from, to, minutes, persons per hour)``, one direction each."""
    return Scenario(
        name="hand-worked",
        grid=TimeGrid(START, 15, horizon),
        nodes=tuple(
            Node(spec[0], spec[0].title(), 33.0, 36.0, spec[1], spec[2] if len(spec) > 2 else None)
            for spec in nodes
        ),
        roads=tuple(Road(a, b, Fraction(m), Fraction(c)) for a, b, m, c in roads),
        crossings=tuple(crossings),
        zones=tuple(zones),
        households=tuple(households),
    )


def crossing(node: str, *windows: tuple[int, int, int], clearance: bool = False) -> Crossing:
    """Windows as ``(open step, close step, capacity)``."""
    return Crossing(
        node, "Elsewhere", clearance, tuple(Window(at(o), at(c), cap) for o, c, cap in windows)
    )


@pytest.fixture
def bottleneck() -> Scenario:
    """A short road taking one household a step, a longer one taking two, a window of 3 steps.

    Four households of five: two by the short road (leaving at steps 0 and 1), two together by
    the long road (leaving at step 0). All twenty persons can cross; no more can exist.
    """
    return build(
        nodes=[("a", NodeKind.TOWN), ("b", NodeKind.JUNCTION), ("x", NodeKind.CROSSING)],
        roads=[("a", "x", 15, 20), ("a", "b", 15, 40), ("b", "x", 15, 40)],
        crossings=[crossing("x", (0, 3, 100))],
        households=[Household(f"h{i}", 5, "a") for i in range(4)],
    )
