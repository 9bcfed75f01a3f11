"""Time the fast planner and the verifier on seeded random scenarios of growing size.

Run: python benchmarks/plan_random.py [--sizes 100 1000 10000] [--seed 0]
Prints a Markdown table (kept in docs/benchmarks.md with the command that made it).
"""

from __future__ import annotations

import argparse
import resource
import time

from safepassage.planning import solve
from safepassage.synthetic.random_scenario import random_scenario
from safepassage.verifier import verify


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(
        "| households | persons | nodes | roads | steps | persons out | objective "
        "| plan s | verify s | peak RSS MiB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for households in args.sizes:
        nodes = max(12, households // 20)
        scenario = random_scenario(
            args.seed, nodes=nodes, households=households, crossings=3, horizon_steps=192
        )
        began = time.perf_counter()
        result = solve(scenario)
        planned = time.perf_counter() - began
        began = time.perf_counter()
        report = verify(scenario, result.plan)
        verified = time.perf_counter() - began
        if not report.is_valid():
            raise SystemExit(f"plan for {households} households does not verify")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"| {households} | {scenario.total_persons} | {nodes} | {len(scenario.roads)} "
            f"| {scenario.grid.horizon_steps} | {result.persons_out} | {result.cost():g} "
            f"| {planned:.2f} | {verified:.2f} | {peak:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
