"""Robustness: samples per second, runners against each other, robust plans against nominal.

Run from the repository root (networks are read from ../shared/data/networks):

    python benchmarks/robustness.py                 # all three tables
    python benchmarks/robustness.py --quick         # fewer samples, for a try

Prints Markdown tables:
1. samples per second, fixed and re-planned, on the bundled scenario and on Chicago-Sketch
   with 10,000 households, in one process, on 2 local processes and on a 2-worker Dask
   LocalCluster (each runner gives the same figures for the same seed: checked here too);
2. the robust plan's expected value against the nominal plan's and the wait-and-see bound.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from safepassage.formats.road_network import read_tntp
from safepassage.formats.scenario_folder import read_scenario
from safepassage.formats.uncertainty_law import Uncertainty, read_uncertainty
from safepassage.model import Scenario
from safepassage.planning import PlanParams, solve
from safepassage.robustness.choice import choose_robust_plan
from safepassage.robustness.evaluation import Evaluation, evaluate
from safepassage.robustness.runners import DaskCluster, InProcess, LocalPool, Runner, SampleTask
from safepassage.synthetic.futures import law_around, listed_futures, named_zones
from safepassage.synthetic.network_scenario import network_scenario
from safepassage.synthetic.random_scenario import random_scenario

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "scenarios" / "southwest-syria-2018"
NETWORKS = ROOT.parent / "shared" / "data" / "networks"


def bundled() -> tuple[str, Scenario, Uncertainty]:
    scenario = read_scenario(BUNDLED)
    return "southwest-syria-2018", scenario, read_uncertainty(BUNDLED, scenario)


def chicago(households: int) -> tuple[str, Scenario, Uncertainty]:
    folder = NETWORKS / "Chicago-Sketch"
    network = read_tntp(next(folder.glob("*_net.tntp")), next(folder.glob("*_node.tntp"), None))
    scenario = named_zones(network_scenario(network, seed=1, households=households))
    return (
        f"Chicago-Sketch {households:,} households",
        scenario,
        Uncertainty(law=law_around(scenario)),
    )


def timed(task: SampleTask, samples: int, runner: Runner) -> tuple[Evaluation, float]:
    began = time.perf_counter()
    evaluation = evaluate(task, samples, runner=runner)
    return evaluation, time.perf_counter() - began


def throughput(cases: list[tuple[str, Scenario, Uncertainty, int, int]]) -> None:
    """Each case on each runner; the local pool runs before any Dask client exists, so that
    it may fork (a process with a client's threads starts its workers fresh instead)."""
    print("| scenario | mode | runner | samples | seconds | samples/s | speed-up | same figures |")
    print("|---|---|---|---:|---:|---:|---:|---|")
    rows: list[tuple[str, str, str, int, float, list[float]]] = []
    tasks = []
    for name, scenario, uncertainty, fixed_samples, replanned_samples in cases:
        plan = solve(scenario, params=PlanParams(with_bound=False)).plan
        for replan, samples in ((False, fixed_samples), (True, replanned_samples)):
            task = SampleTask(scenario, plan, law=uncertainty.law, seed=7, replan=replan)
            tasks.append((name, "re-planned" if replan else "fixed", task, samples))

    def measure(label: str, runner: Runner) -> None:
        for name, mode, task, samples in tasks:
            evaluate(dataclasses.replace(task, seed=8), 2, runner=runner)  # warm up
            evaluation, seconds = timed(task, samples, runner)
            rows.append(
                (name, mode, label, samples, seconds, [o.value for o in evaluation.outcomes])
            )

    measure("1 process", InProcess())
    measure("2 local processes", LocalPool(2))
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        measure("Dask LocalCluster, 2 workers", DaskCluster(client=client))
    single = {(r[0], r[1]): r for r in rows if r[2] == "1 process"}
    for name, mode, label, samples, seconds, values in sorted(
        rows, key=lambda r: (r[0], r[1], r[2] != "1 process")
    ):
        base = single[(name, mode)]
        print(
            f"| {name} | {mode} | {label} | {samples:,} | {seconds:.1f} "
            f"| {samples / seconds:,.1f} | {base[4] / seconds:.2f} "
            f"| {'yes' if values == base[5] else 'NO'} |"
        )


def choices(cases: list[tuple[str, Scenario, Uncertainty]], samples: int) -> None:
    print(
        "| scenario | futures | nominal expected | robust expected (95% interval) | gain "
        "| wait-and-see bound | chosen candidate | seconds |"
    )
    print("|---|---|---:|---:|---:|---:|---|---:|")
    for name, scenario, uncertainty in cases:
        began = time.perf_counter()
        choice = choose_robust_plan(scenario, uncertainty, samples=samples, runner=LocalPool(2))
        seconds = time.perf_counter() - began
        chosen = choice.chosen.evaluation
        low, high = chosen.interval
        interval = "" if chosen.exact else f" ({low:,.1f} - {high:,.1f})"
        bound = choice.bound
        assert bound is not None, "bound_samples is above zero"
        futures = (
            f"{len(uncertainty.futures)} listed" if uncertainty.futures else f"{samples:,} drawn"
        )
        print(
            f"| {name} | {futures} | {choice.nominal.evaluation.expected_value:,.1f} "
            f"| {chosen.expected_value:,.1f}{interval} | {choice.gain:+,.1f} "
            f"| {bound.value:,.1f} (over {bound.futures}) | {choice.chosen.label} "
            f"| {seconds:.0f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    quick = args.quick
    throughput(
        [
            (*bundled(), 1_000 if quick else 10_000, 8 if quick else 40),
            (*chicago(10_000), 1_000 if quick else 10_000, 2 if quick else 8),
        ]
    )
    print()
    cases = []
    for seed in range(2 if quick else 6):
        scenario = named_zones(random_scenario(seed, nodes=30, households=300))
        cases.append(
            (f"random-{seed}, 300 households", scenario, Uncertainty(listed_futures(scenario)))
        )
    cases.append(bundled())
    choices(cases, 200 if quick else 1_000)


if __name__ == "__main__":
    main()
