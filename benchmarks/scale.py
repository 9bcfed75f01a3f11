"""The fast planner at metropolitan scale: plan plus verify, time and peak memory.

Run from the repository root (networks are read from ../shared/data/networks):

    python benchmarks/scale.py                      # chicago-regional, 100,000 households
    python benchmarks/scale.py --households 20000   # smaller
    python benchmarks/scale.py --scenario roads     # the border takes everyone: roads bind
    python benchmarks/scale.py --scenario roads --bound   # and the LP bound

Prints a Markdown table row. Target: plan + verify under 60 s on 2 cores, under 4 GiB.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from safepassage.formats.road_network import read_tntp
from safepassage.planning import PlanParams, solve
from safepassage.planning.bound import lp_bound
from safepassage.synthetic.congested_scenario import roads_bound_scenario
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
    parser.add_argument(
        "--scenario",
        default="network",
        choices=["network", "roads"],
        help="network: windows take 50-80%% of everyone; roads: the border takes everyone",
    )
    parser.add_argument(
        "--per-vehicle",
        type=float,
        default=0.05,
        help="roads scenario: persons an hour per vehicle an hour of the network's capacity",
    )
    parser.add_argument("--bound", action="store_true", help="also prove the LP bound")
    args = parser.parse_args()
    folder = args.networks / args.network
    began = time.perf_counter()
    network = read_tntp(next(folder.glob("*_net.tntp")), next(folder.glob("*_node.tntp"), None))
    if args.scenario == "roads":
        scenario = roads_bound_scenario(
            network,
            seed=args.seed,
            households=args.households,
            horizon_steps=args.steps,
            persons_per_hour_per_vehicle=args.per_vehicle,
        )
    else:
        scenario = network_scenario(
            network, seed=args.seed, households=args.households, horizon_steps=args.steps
        )
    generated = time.perf_counter() - began
    solve(  # compile the route search once, as any long-running service would have
        network_scenario(network, seed=0, households=10, horizon_steps=args.steps),
        solver="ccrp",
        params=PlanParams(with_bound=False),
    )
    began = time.perf_counter()
    result = solve(scenario, solver=args.solver, params=PlanParams(with_bound=False))
    planned = time.perf_counter() - began
    began = time.perf_counter()
    report = verify(scenario, result.plan)
    verified = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    bound_cells = ""
    if args.bound:
        began = time.perf_counter()
        bound = lp_bound(scenario, objective=result.cost())
        bound_cells = (
            f" {bound.value:.0f} | {result.cost() / bound.value:.4f} "
            f"| {time.perf_counter() - began:.0f} | {bound.proven_by} |"
        )
    print(
        "| network | scenario | nodes | roads | steps | households | persons | persons out "
        f"| objective | generate s | {args.solver} plan s | verify s | plan + verify s | valid "
        "| peak GiB |" + (" bound | objective/bound | bound s | bound kind |" if args.bound else "")
    )
    print("|---|---|" + "---:|" * 11 + "---:|" + ("---:|---:|---:|---|" if args.bound else ""))
    print(
        f"| {args.network} | {args.scenario} | {len(scenario.nodes)} | {len(scenario.roads)} "
        f"| {args.steps} | {len(scenario.households)} | {scenario.total_persons} "
        f"| {result.persons_out} | {result.cost():g} | {generated:.1f} | {planned:.1f} "
        f"| {verified:.1f} | {planned + verified:.1f} | {'yes' if report.is_valid() else 'NO'} "
        f"| {peak:.2f} |" + bound_cells
    )


if __name__ == "__main__":
    main()
