"""Running an operation through a future as a crisis cell would: re-planning as news comes.

A cell does not run a plan blind. When a zone falls earlier (or later) than expected, a road is
cut or a crossing's windows change, it re-plans the households not yet across from that
instant, keeping what is in motion (the same re-planning as ``plan --fixed``). Here the cell
learns each difference between the future and the nominal scenario at the first instant it
could be seen:

- a zone's fall, at the earlier of its nominal and its actual fall (a zone that holds past its
  expected fall is news then, and the cell is taken to learn its actual fall with it);
- a cut road, when it is cut;
- a crossing's changed windows, at the earliest open or close that differs.

At each such step (at most :data:`MOST_REPLANS`; later news is folded into the last), the
scenario known so far is re-planned with the ``fast`` planner, and the final plan is valued in
the whole future by the contract's rule, like any plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from safepassage.model import Plan, Scenario, Window
from safepassage.model.futures import Future, RoadCut
from safepassage.planning import PlanParams, solve
from safepassage.planning.replanning import commitments

MOST_REPLANS = 4
"""Re-plans per future: a cell re-plans a handful of times, not at every step."""


def replan_through(scenario: Scenario, plan: Plan, future: Future, from_step: int = 0) -> Plan:
    """``plan`` (made at ``from_step``) as re-planned by a cell living through ``future``."""
    news = _news(scenario, future)
    horizon = scenario.grid.horizon_steps
    steps = sorted({max(item.step, from_step + 1) for item in news if item.step < horizon})
    steps = [step for step in steps if step < horizon]
    if len(steps) > MOST_REPLANS:
        steps = [*steps[: MOST_REPLANS - 1], steps[-1]]
    current = plan
    for position, step in enumerate(steps):
        last = position == len(steps) - 1
        known = [item for item in news if item.step <= step or last]
        world = _known_future(future, known).apply(scenario)
        committed = commitments(world, current, step, source="plan")
        params = PlanParams(from_step=step, with_bound=False, committed=committed)
        current = solve(world, solver="fast", params=params).plan
    return current


@dataclass(frozen=True)
class _News:
    """One difference of a future from the nominal scenario and the step it shows."""

    step: int
    zone: tuple[str, datetime | None] | None = None
    crossing: tuple[str, tuple[Window, ...]] | None = None
    cut: RoadCut | None = None


def _news(scenario: Scenario, future: Future) -> list[_News]:
    grid = scenario.grid
    nominal_fall = {zone.name: zone.unsafe_from for zone in scenario.zones}
    news: list[_News] = []
    for name, instant in future.zone_falls:
        expected = nominal_fall[name]
        if instant != expected:
            seen = expected if instant is None else min(expected, instant)
            news.append(_News(grid.step_of(seen), zone=(name, instant)))
    for cut in future.road_cuts:
        news.append(_News(grid.step_of(cut.at), cut=cut))
    for node, windows in future.crossing_windows:
        changed = set(windows) ^ set(scenario.crossing_by_node[node].windows)
        if changed:
            first = min([w.open for w in changed] + [w.close for w in changed])
            news.append(_News(grid.step_of(first), crossing=(node, windows)))
    return news


def _known_future(future: Future, known: list[_News]) -> Future:
    return Future(
        future.name,
        1.0,
        tuple(item.zone for item in known if item.zone is not None),
        tuple(item.crossing for item in known if item.crossing is not None),
        tuple(item.cut for item in known if item.cut is not None),
    )
