"""The fast planner at metropolitan scale: plan plus verify, time and peak memory.

Run from the repository root (networks are read from ../shared/data/networks):

    python benchmarks/scale.py                      # chicago-regional, 100,000 households
    python benchmarks/scale.py --households 20000   # smaller

Prints a Markdown table row. Target: plan + verify under 60 s on 2 cores, under 4 GiB.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from safepassage.formats.road_network import read_tntp
from safepassage.planning import PlanParams, solve
from safepassage.synthetic.network_scenario import network_scenario
from safepassage.verifier import verify

NETWORKS = Path(__file__).resolve().parents[2] / "shared" / "data" / "networks"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--networks", type=Path, default=NETWORKS)
    parser.add_argument("--network", default="chicago-regional")
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=288, help="15-minute steps (288 = 3 days)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--solver", default="fast", choices=["fast", "ccrp"])
    args = parser.parse_args()
    folder = args.networks / args.network
    began = time.perf_counter()
    network = read_tntp(next(folder.glob("*_net.tntp")), next(folder.glob("*_node.tntp"), None))
    scenario = network_scenario(
        network, seed=args.seed, households=args.households, horizon_steps=args.steps
    )
    generated = time.perf_counter() - began
    solve(  # compile the route search once, as any long-running service would have
        network_scenario(network, seed=0, households=10, horizon_steps=args.steps),
        params=PlanParams(with_bound=False),
    )
    began = time.perf_counter()
    result = solve(scenario, solver=args.solver, params=PlanParams(with_bound=False))
    planned = time.perf_counter() - began
    began = time.perf_counter()
    report = verify(scenario, result.plan)
    verified = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(
        "| network | nodes | roads | steps | households | persons | persons out | generate s "
        f"| {args.solver} plan s | verify s | plan + verify s | valid | peak GiB |"
    )
    print("|---|" + "---:|" * 11 + "---:|")
    print(
        f"| {args.network} | {len(scenario.nodes)} | {len(scenario.roads)} | {args.steps} "
        f"| {len(scenario.households)} | {scenario.total_persons} | {result.persons_out} "
        f"| {generated:.1f} | {planned:.1f} | {verified:.1f} | {planned + verified:.1f} "
        f"| {'yes' if report.is_valid() else 'NO'} | {peak:.2f} |"
    )


if __name__ == "__main__":
    main()
