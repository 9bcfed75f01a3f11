"""ccrp, fast, exact and the bound on small random boxes, where capacity binds hard.

Run: python benchmarks/random_boxes.py [--seeds 12] [--exact-limit 120]

The random boxes of :mod:`safepassage.synthetic.random_scenario` (tight windows, shelters, a
front line across a box with no road hierarchy) are adversarial next to the road networks of
benchmarks/planners.py: this is where a single greedy pass falls furthest short.
"""

from __future__ import annotations

import argparse

from safepassage.planning import PlanParams, solve
from safepassage.planning.bound import lp_bound
from safepassage.synthetic.random_scenario import random_scenario


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--exact-limit", type=float, default=120.0)
    args = parser.parse_args()
    params = PlanParams(with_bound=False, time_limit=args.exact_limit)
    print(
        "| seed | households | ccrp | fast | exact (gap) | bound | ccrp/bound | fast/bound "
        "| fast/exact | s exact |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for seed in range(args.seeds):
        scenario = random_scenario(seed, nodes=14, households=40)
        ccrp = solve(scenario, solver="ccrp", params=params).cost()
        fast = solve(scenario, solver="fast", params=params).cost()
        exact = solve(scenario, solver="exact", params=params)
        bound = lp_bound(scenario).value
        if bound < 1e-3:
            continue  # nobody can get out at all: nothing to compare
        print(
            f"| {seed} | {len(scenario.households)} | {ccrp:g} | {fast:g} | {exact.cost():g} "
            f"({exact.gap:.0e}) | {bound:.1f} | {ccrp / bound:.4f} | {fast / bound:.4f} "
            f"| {fast / exact.cost() if exact.cost() else 1:.4f} | {exact.runtime:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
