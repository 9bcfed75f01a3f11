"""Running samples where there is room: in this process, on a local pool, on a Dask cluster.

Samples are independent, so they are cut into chunks of consecutive indices and the chunks'
results are put back in index order: since sample ``i`` is drawn from its own seed (see
:mod:`safepassage.robustness.sampling`), every runner gives the same figures for the same seed.

What every sample needs (the scenario, the plan, the law) is a :class:`SampleTask`, sent to
each worker once; workers compile it to arrays once and keep it by its token, so chunk after
chunk reuses the compiled plan and the numba loop compiled on the worker's first chunk.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import multiprocessing
import os
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from safepassage.model import Plan, Scenario
from safepassage.model.futures import Future
from safepassage.model.uncertainty import FutureLaw
from safepassage.planning.bound import lp_bound
from safepassage.robustness.fixed_plan import (
    FutureArrays,
    PlanArrays,
    ScenarioArrays,
    households_out,
)
from safepassage.robustness.replan import replan_through
from safepassage.robustness.sampling import Stream, sample_future

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

Progress = Callable[[int], None] | None
"""Told how many more samples are done, as chunks finish."""

CHUNKS_PER_WORKER = 4
"""Chunks per worker: enough to even out slow samples (re-planning), few enough to be cheap."""


@dataclass(frozen=True)
class SampleTask:
    """What valuing one plan in many futures needs, whoever values them.

    Future ``i`` is ``futures[i]`` when the scenario lists its futures, else sample ``i`` of
    ``law`` under ``seed``. The first ``bound_samples`` futures also get their LP bound (the
    wait-and-see bound is their mean), computed where the future is valued; ``from_step`` is
    the step planning started from (nobody moves before it, in a bound as in a plan).
    """

    scenario: Scenario
    plan: Plan
    futures: tuple[Future, ...] = ()
    law: FutureLaw = field(default_factory=FutureLaw)
    seed: int = 0
    replan: bool = False
    stream: Stream = Stream.EVALUATE
    bound_samples: int = 0
    from_step: int = 0
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def future(self, index: int) -> Future:
        if self.futures:
            return self.futures[index]
        return sample_future(self.scenario, self.law, self.seed, index, self.stream)


@dataclass(frozen=True)
class ChunkResult:
    """Samples ``start..stop``: each one's value and persons; per scenario household and per
    crossing, how often it got out and how many persons crossed, summed over the chunk."""

    start: int
    values: FloatArray
    persons: IntArray
    household_out: IntArray
    crossing_persons: IntArray
    bounds: FloatArray  # LP bounds of the chunk's futures below ``bound_samples``


_COMPILED: dict[str, tuple[ScenarioArrays, PlanArrays, IntArray]] = {}


def _compiled(task: SampleTask) -> tuple[ScenarioArrays, PlanArrays, IntArray]:
    cached = _COMPILED.get(task.token)
    if cached is None:
        _COMPILED.clear()  # one task at a time per worker: keep memory flat
        arrays = ScenarioArrays.of(task.scenario)
        compiled = PlanArrays.of(arrays, task.plan)
        cached = (arrays, compiled, _scenario_positions(task.scenario, task.plan, compiled))
        _COMPILED[task.token] = cached
    return cached


def _scenario_positions(scenario: Scenario, plan: Plan, compiled: PlanArrays) -> IntArray:
    index = {household.id: i for i, household in enumerate(scenario.households)}
    return np.asarray([index[plan.households[p].household] for p in compiled.order], dtype=np.int64)


def run_chunk(task: SampleTask, start: int, stop: int) -> ChunkResult:
    """Value samples ``start..stop`` of ``task``: the one function every runner calls."""
    arrays, fixed_plan, positions = _compiled(task)
    count = stop - start
    values = np.zeros(count, dtype=np.float64)
    persons = np.zeros(count, dtype=np.int64)
    household_out = np.zeros(len(task.scenario.households), dtype=np.int64)
    crossing_persons = np.zeros(len(task.scenario.crossings), dtype=np.int64)
    bounds = []
    for offset, index in enumerate(range(start, stop)):
        future = task.future(index)
        if index < task.bound_samples:
            world = future.apply(task.scenario)
            bounds.append(lp_bound(world, from_step=task.from_step).value)
        future_arrays = FutureArrays.of(arrays, future)
        plan, where = fixed_plan, positions
        if task.replan:
            replanned = replan_through(task.scenario, task.plan, future, task.from_step)
            plan = PlanArrays.of(arrays, replanned)
            where = _scenario_positions(task.scenario, replanned, plan)
        out = households_out(arrays, plan, future_arrays)
        values[offset] = float(plan.value[out].sum())
        persons[offset] = int(plan.size[out].sum())
        household_out[where[out]] += 1
        np.add.at(crossing_persons, plan.crossing[out], plan.size[out])
    return ChunkResult(
        start, values, persons, household_out, crossing_persons, np.asarray(bounds, dtype=float)
    )


class Runner(Protocol):
    """Runs ``run_chunk`` over chunks of samples and returns the results in chunk order."""

    def run(
        self, task: SampleTask, chunks: Sequence[tuple[int, int]], progress: Progress = None
    ) -> list[ChunkResult]: ...

    @property
    def workers(self) -> int: ...


class InProcess:
    workers = 1

    def run(
        self, task: SampleTask, chunks: Sequence[tuple[int, int]], progress: Progress = None
    ) -> list[ChunkResult]:
        results = []
        for start, stop in chunks:
            results.append(run_chunk(task, start, stop))
            if progress is not None:
                progress(stop - start)
        return results


_WORKER_TASK: SampleTask | None = None


def _install(task: SampleTask) -> None:
    global _WORKER_TASK
    _WORKER_TASK = task


def _run_installed(start: int, stop: int) -> ChunkResult:
    assert _WORKER_TASK is not None, "the pool's initializer installs the task"
    return run_chunk(_WORKER_TASK, start, stop)


@dataclass(frozen=True)
class LocalPool:
    """A pool of processes, one per core by default; the task reaches each process once,
    through the pool's initializer.

    Forked when this process runs a single thread, so workers start with the modules imported
    and the loop compiled; started fresh ("spawn") beside other threads (a server's), where a
    fork could copy a lock held by one of them.
    """

    processes: int = field(default_factory=lambda: os.cpu_count() or 1)

    @property
    def workers(self) -> int:
        return self.processes

    def run(
        self, task: SampleTask, chunks: Sequence[tuple[int, int]], progress: Progress = None
    ) -> list[ChunkResult]:
        method = "fork" if threading.active_count() == 1 else "spawn"
        context = multiprocessing.get_context(method)
        with concurrent.futures.ProcessPoolExecutor(
            self.processes, mp_context=context, initializer=_install, initargs=(task,)
        ) as pool:
            pending = [pool.submit(_run_installed, start, stop) for start, stop in chunks]
            for job in concurrent.futures.as_completed(pending):
                if progress is not None:
                    done = job.result()
                    progress(len(done.values))
            return [job.result() for job in pending]


@dataclass
class DaskCluster:
    """An existing Dask cluster (``tcp://host:port``) or a client already made (tests pass a
    ``LocalCluster``'s). The task is scattered to every worker once, then chunks are mapped."""

    address: str | None = None
    client: Any = None

    def _client(self) -> Any:
        if self.client is None:
            from distributed import Client  # here: only cluster users pay for the import

            self.client = Client(self.address)
        return self.client

    @property
    def workers(self) -> int:
        return max(1, len(self._client().scheduler_info()["workers"]))

    def run(
        self, task: SampleTask, chunks: Sequence[tuple[int, int]], progress: Progress = None
    ) -> list[ChunkResult]:
        from distributed import as_completed

        client = self._client()
        shared = client.scatter(task, broadcast=True)
        jobs = [client.submit(run_chunk, shared, start, stop, pure=False) for start, stop in chunks]
        for job in as_completed(jobs):
            if progress is not None:
                progress(len(job.result().values))
        results: list[ChunkResult] = client.gather(jobs)
        return results


def chunks_for(samples: int, workers: int) -> list[tuple[int, int]]:
    """Consecutive index ranges covering ``0..samples``; their cut never changes a figure."""
    count = max(1, min(samples, workers * CHUNKS_PER_WORKER))
    edges = np.linspace(0, samples, count + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]


def runner_named(dask: str | None, processes: int | None) -> Runner:
    """The runner a command line asks for: a Dask address wins, else a local pool (one
    process: no pool at all)."""
    if dask:
        return DaskCluster(dask)
    processes = processes or os.cpu_count() or 1
    return InProcess() if processes == 1 else LocalPool(processes)
