"""Same scenario and options, same plan bytes: at any machine load, with no time limit given."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from safepassage.formats.plan_json import write_plan
from safepassage.model import Scenario
from safepassage.planning import BoundBelowPlanError, PlanParams, improve, prove_bound, solve
from safepassage.planning import bound as bound_module
from safepassage.synthetic.random_scenario import random_scenario

NO_BOUND = PlanParams(with_bound=False)


def _busy(stop: float) -> None:
    while time.monotonic() < stop:
        pass


@pytest.fixture
def busy_cpu() -> Iterator[None]:
    """Two processes spinning, on a two-core machine: everything else runs at half speed."""
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_busy, args=(time.monotonic() + 120,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        yield
    finally:
        for worker in workers:
            worker.terminate()
            worker.join()


class _RacingClock:
    """A clock on which every reading is ten seconds after the last: a machine so loaded that
    anything stopping on the wall clock would stop at once."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        self.now += 10.0
        return self.now


def _plan_bytes(scenario: Scenario, tmp_path: Path, name: str) -> bytes:
    result = solve(scenario, solver="fast", params=NO_BOUND)
    assert result.is_feasible()
    path = tmp_path / f"{name}.json"
    write_plan(result.plan, scenario.grid, path)
    return path.read_bytes()


@pytest.mark.parametrize("seed", [1, 2, 7])
def test_fast_gives_the_same_plan_bytes_on_a_busy_and_a_slow_machine(
    seed: int, tmp_path: Path, busy_cpu: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seeds where rip-up improves on the single pass, so a rip-up cut short by the clock
    would give a different plan."""
    scenario = random_scenario(seed, nodes=14, households=40)
    ccrp = solve(scenario, solver="ccrp", params=NO_BOUND).cost()
    first = _plan_bytes(scenario, tmp_path, "first")
    second = _plan_bytes(scenario, tmp_path, "second")
    monkeypatch.setattr(improve, "time", _RacingClock())
    slow = _plan_bytes(scenario, tmp_path, "slow")
    assert first == second == slow
    assert solve(scenario, solver="fast", params=NO_BOUND).cost() > ccrp


def test_a_bound_below_the_plan_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong bound is never replaced by the plan's objective to make the ratio look right."""
    scenario = random_scenario(1, nodes=14, households=40)
    result = solve(scenario, solver="fast", params=NO_BOUND)
    assert result.cost() > 0
    honest = prove_bound(result, NO_BOUND)
    assert honest.plan.bound is not None and honest.plan.bound >= result.cost()

    real = bound_module.lp_bound

    def too_low(*args: object, **kwargs: object) -> bound_module.Bound:
        proven = real(*args, **kwargs)  # type: ignore[arg-type]
        return bound_module.Bound(
            result.cost() - 1.0,
            proven.proven_by,
            proven.seconds,
            proven.iterations,
            proven.columns,
            proven.lagrangian,
            proven.prices,
        )

    monkeypatch.setattr("safepassage.planning.lp_bound", too_low)
    with pytest.raises(BoundBelowPlanError):
        prove_bound(result, NO_BOUND)
