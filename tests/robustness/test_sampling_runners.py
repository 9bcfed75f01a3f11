"""Drawn futures: the same seed gives the same figures, whichever runner values them."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import numpy as np
import pytest

from conftest import at
from safepassage.model import Scenario
from safepassage.model.futures import Future
from safepassage.model.uncertainty import FutureLaw, RoadCutLaw
from safepassage.planning import PlanParams, solve
from safepassage.robustness.evaluation import evaluate, evaluate_fixed
from safepassage.robustness.runners import DaskCluster, InProcess, LocalPool, SampleTask
from safepassage.robustness.sampling import Stream, sample_future
from safepassage.synthetic.futures import law_around, named_zones
from safepassage.synthetic.random_scenario import random_scenario


def uncertain_scenario(seed: int) -> tuple[Scenario, FutureLaw]:
    scenario = named_zones(random_scenario(seed, nodes=14, households=60))
    law = law_around(scenario)
    roads = tuple(RoadCutLaw(r.source, r.target, 0.2, at(0), at(40)) for r in scenario.roads[:5])
    return scenario, dataclasses.replace(law, roads=roads)


def test_a_sample_depends_on_seed_and_index_only() -> None:
    scenario, law = uncertain_scenario(1)
    first = sample_future(scenario, law, 11, 5)
    assert sample_future(scenario, law, 11, 5) == first
    assert sample_future(scenario, law, 12, 5) != first
    assert sample_future(scenario, law, 11, 6) != first
    assert sample_future(scenario, law, 11, 5, Stream.BUILD) != first


def test_zone_falls_follow_the_triangular_law() -> None:
    scenario, law = uncertain_scenario(1)
    zone = law.zones[0]
    falls = np.asarray(
        [
            (dict(sample_future(scenario, law, 3, i).zone_falls)[zone.zone] - zone.earliest)
            / timedelta(hours=1)
            for i in range(3000)
        ]
    )
    assert falls.min() >= 0 and falls.max() <= 8
    # triangular(0, 6, 8): mean (0 + 6 + 8) / 3
    assert falls.mean() == pytest.approx(14 / 3, abs=0.12)


@pytest.fixture(scope="module")
def task() -> SampleTask:
    scenario, law = uncertain_scenario(2)
    plan = solve(scenario, solver="fast", params=PlanParams(with_bound=False)).plan
    return SampleTask(scenario, plan, law=law, seed=2026)


def same(a: object, b: object) -> None:
    assert a.expected_value == b.expected_value  # type: ignore[attr-defined]
    assert [o.value for o in a.outcomes] == [o.value for o in b.outcomes]  # type: ignore[attr-defined]
    assert np.array_equal(a.household_chance, b.household_chance)  # type: ignore[attr-defined]
    assert a.crossing_use == b.crossing_use  # type: ignore[attr-defined]


def test_drawn_futures_are_valued_as_if_listed(task: SampleTask) -> None:
    drawn = evaluate(task, 40)
    listed = [sample_future(task.scenario, task.law, task.seed, i) for i in range(40)]
    by_hand = evaluate_fixed(task.scenario, task.plan, listed, weights=[1.0] * 40)
    assert [o.value for o in drawn.outcomes] == [o.value for o in by_hand.outcomes]
    assert drawn.expected_value == pytest.approx(by_hand.expected_value)
    assert drawn.standard_error > 0  # these futures differ: the estimate has an error


def test_a_local_pool_gives_the_figures_of_one_process(task: SampleTask) -> None:
    same(evaluate(task, 300, runner=InProcess()), evaluate(task, 300, runner=LocalPool(2)))


def test_a_dask_cluster_gives_the_figures_of_one_process(task: SampleTask) -> None:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        on_cluster = evaluate(task, 300, runner=DaskCluster(client=client))
        replanned_on_cluster = evaluate(
            dataclasses.replace(task, replan=True), 6, runner=DaskCluster(client=client)
        )
    same(evaluate(task, 300, runner=InProcess()), on_cluster)
    same(evaluate(dataclasses.replace(task, replan=True), 6), replanned_on_cluster)


def test_replanning_never_does_worse_than_nobody_and_changes_the_plan(task: SampleTask) -> None:
    replanned = evaluate(dataclasses.replace(task, replan=True), 8)
    fixed = evaluate(task, 8)
    assert all(o.value >= 0 for o in replanned.outcomes)
    assert [o.value for o in replanned.outcomes] != [o.value for o in fixed.outcomes]


def test_listed_futures_need_no_samples(task: SampleTask) -> None:
    listed = dataclasses.replace(task, futures=(Future("only", 1.0),))
    assert evaluate(listed).exact
