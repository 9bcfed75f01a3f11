"""Planner quality and speed on seeded scenarios over real road networks and grids.

Run from the repository root (networks are read from ../shared/data/networks):

    python benchmarks/planners.py                 # the full table of docs/benchmarks.md
    python benchmarks/planners.py --only sioux    # instances whose name contains "sioux"
    python benchmarks/planners.py --set congested # where roads and shelters bind

Each instance runs in its own process, so the peak memory column is that instance's alone;
in the congested set each solver runs in a process of its own, so it is per solver.
Prints a Markdown table; ``fast/bound`` is the certified quality ratio of the fast plan.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from safepassage.formats.road_network import RoadNetwork, read_tntp
from safepassage.model import Scenario
from safepassage.planning import PlanParams, solve
from safepassage.planning.bound import lp_bound
from safepassage.synthetic.congested_scenario import congested_grid, roads_bound_scenario
from safepassage.synthetic.grid_network import grid_network
from safepassage.synthetic.network_scenario import network_scenario
from safepassage.synthetic.random_scenario import random_scenario
from safepassage.verifier import verify

NETWORKS = Path(__file__).resolve().parents[2] / "shared" / "data" / "networks"


@dataclass(frozen=True)
class Instance:
    name: str
    network: str  # SiouxFalls, Anaheim, Chicago-Sketch or grid-RxC
    households: int
    seed: int
    horizon_steps: int
    exact: bool  # small enough for the MILP


INSTANCES = [
    *(
        Instance(f"sioux-{h}-s{s}", "SiouxFalls", h, s, 48, True)
        for h in (100, 200)
        for s in (1, 2, 3)
    ),
    *(Instance(f"grid8-{h}-s{s}", "grid-8x8", h, s, 48, True) for h in (100, 200) for s in (1, 2)),
    Instance("sioux-1000-s1", "SiouxFalls", 1000, 1, 48, True),
    Instance("grid8-1000-s1", "grid-8x8", 1000, 1, 48, True),
    *(
        Instance(f"anaheim-{h}-s{s}", "Anaheim", h, s, 96, False)
        for h in (1000, 3000)
        for s in (1, 2)
    ),
    *(
        Instance(f"chicago-{h}-s{s}", "Chicago-Sketch", h, s, 96, False)
        for h in (3000, 10000)
        for s in (1, 2)
    ),
    *(Instance(f"grid30-5000-s{s}", "grid-30x30", 5000, s, 96, False) for s in (1, 2)),
]


@dataclass(frozen=True)
class Congested:
    """An instance of the congested set: ``kind`` is grid, roads (a TNTP network) or box."""

    name: str
    kind: str
    seed: int
    households: int
    size: int = 8  # grid side
    network: str = ""
    horizon_steps: int = 96

    @property
    def exact(self) -> bool:
        return self.households <= 1000

    def scenario(self, networks: Path) -> Scenario:
        if self.kind == "grid":
            return congested_grid(
                self.seed,
                rows=self.size,
                columns=self.size,
                households=self.households,
                horizon_steps=self.horizon_steps,
                name=self.name,
            )
        if self.kind == "roads":
            return roads_bound_scenario(
                load_network(self.network, networks),
                seed=self.seed,
                households=self.households,
                horizon_steps=self.horizon_steps,
                name=self.name,
            )
        return random_scenario(self.seed, nodes=14, households=self.households)


CONGESTED = [
    *(Congested(f"cgrid8-1500-s{s}", "grid", s, 1500, 8) for s in (1, 2, 3, 4)),
    *(Congested(f"cgrid9-1800-s{s}", "grid", s, 1800, 9) for s in (1, 2, 3, 4)),
    *(Congested(f"cgrid8-1000-s{s}", "grid", s, 1000, 8) for s in (5, 6)),
    *(Congested(f"cgrid9-1000-s{s}", "grid", s, 1000, 9) for s in (5, 6)),
    Congested("sioux-roads-1000-s1", "roads", 1, 1000, network="SiouxFalls", horizon_steps=48),
    Congested("anaheim-roads-3000-s1", "roads", 1, 3000, network="Anaheim"),
    *(Congested(f"box-40-s{s}", "box", s, 40, horizon_steps=48) for s in (1, 2, 5, 7)),
]


def run_solver(
    instance: Congested, solver: str, networks: Path, exact_limit: float | None
) -> dict[str, object]:
    """One solver on one instance, in a process of its own: value, seconds, peak MiB."""
    scenario = instance.scenario(networks)
    row: dict[str, object] = {}
    if solver == "bound":
        began = time.perf_counter()
        bound = lp_bound(scenario)
        row.update(value=bound.value, seconds=time.perf_counter() - began, kind=bound.proven_by)
    else:
        params = PlanParams(with_bound=False, time_limit=exact_limit if solver == "exact" else None)
        began = time.perf_counter()
        result = solve(scenario, solver=solver, params=params)
        row.update(value=result.cost(), seconds=time.perf_counter() - began, gap=result.gap)
        if not verify(scenario, result.plan).is_valid():
            raise SystemExit(f"{instance.name}: the {solver} plan does not verify")
    row["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row.update(
        households=len(scenario.households),
        persons=scenario.total_persons,
        nodes=len(scenario.nodes),
        roads=len(scenario.roads),
        steps=scenario.grid.horizon_steps,
    )
    return row


def congested_table(chosen: list[Congested], networks: Path, exact_limit: float | None) -> None:
    print(
        "| instance | households | persons | nodes | roads | steps | ccrp | fast | exact (gap) "
        "| bound | fast/bound | ccrp/bound | s ccrp | s fast | s exact | s bound "
        "| MiB ccrp | MiB fast | MiB exact | MiB bound |"
    )
    print("|---|" + "---:|" * 19)
    ratios: list[float] = []
    below_ccrp = 0
    context = get_context("spawn")
    for instance in chosen:
        rows: dict[str, dict[str, object]] = {}
        for solver in ("ccrp", "fast", "bound", "exact"):
            if solver == "exact" and not instance.exact:
                continue
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                rows[solver] = pool.submit(
                    run_solver, instance, solver, networks, exact_limit
                ).result()
        value = {k: float(r["value"]) for k, r in rows.items()}  # type: ignore[arg-type]
        bound = value["bound"]
        ratios.append(value["fast"] / bound if bound else 1.0)
        below_ccrp += value["fast"] < value["ccrp"]
        exact = rows.get("exact")
        exact_cell = "" if exact is None else f"{value['exact']:g} ({exact['gap'] or 0:.0e})"
        first = rows["ccrp"]

        def cell(
            solver: str, field: str, form: str, rows: dict[str, dict[str, object]] = rows
        ) -> str:
            return format(rows[solver][field], form) if solver in rows else ""

        print(
            f"| {instance.name} | {first['households']} | {first['persons']} | {first['nodes']} "
            f"| {first['roads']} | {first['steps']} | {value['ccrp']:g} | {value['fast']:g} "
            f"| {exact_cell} | {bound:.1f} | {ratios[-1]:.4f} "
            f"| {value['ccrp'] / bound if bound else 1:.4f} | {cell('ccrp', 'seconds', '.1f')} "
            f"| {cell('fast', 'seconds', '.1f')} | {cell('exact', 'seconds', '.1f')} "
            f"| {cell('bound', 'seconds', '.1f')} | {cell('ccrp', 'peak_mib', '.0f')} "
            f"| {cell('fast', 'peak_mib', '.0f')} | {cell('exact', 'peak_mib', '.0f')} "
            f"| {cell('bound', 'peak_mib', '.0f')} |",
            flush=True,
        )
    if ratios:
        print(
            f"\nfast/bound over {len(ratios)} instances: median {statistics.median(ratios):.4f}, "
            f"worst {min(ratios):.4f}; fast below ccrp on {below_ccrp}"
        )


def load_network(name: str, networks: Path) -> RoadNetwork:
    if name.startswith("grid-"):
        rows, columns = (int(x) for x in name.removeprefix("grid-").split("x"))
        return grid_network(rows, columns)
    folder = networks / name
    net_file = next(folder.glob("*_net.tntp"))
    node_files = [*folder.glob("*_node.tntp"), *folder.glob("*_nodes.geojson")]
    return read_tntp(net_file, node_files[0] if node_files else None)


def run(
    instance: Instance, networks: Path, exact_limit: float, bound_limit: float
) -> dict[str, object]:
    scenario = network_scenario(
        load_network(instance.network, networks),
        seed=instance.seed,
        households=instance.households,
        horizon_steps=instance.horizon_steps,
        name=instance.name,
    )
    no_bound = PlanParams(with_bound=False, time_limit=exact_limit)
    # load the compiled route search before timing anything, as a running service would have
    solve(
        network_scenario(grid_network(3, 3), seed=0, households=5, horizon_steps=8), params=no_bound
    )
    row: dict[str, object] = {
        "instance": instance.name,
        "households": len(scenario.households),
        "persons": scenario.total_persons,
        "nodes": len(scenario.nodes),
        "roads": len(scenario.roads),
        "steps": scenario.grid.horizon_steps,
    }
    for solver in ("ccrp", "fast"):
        began = time.perf_counter()
        result = solve(scenario, solver=solver, params=no_bound)
        row[f"{solver}_s"] = time.perf_counter() - began
        row[solver] = result.cost()
        if not verify(scenario, result.plan).is_valid():
            raise SystemExit(f"{instance.name}: the {solver} plan does not verify")
    began = time.perf_counter()
    bound = lp_bound(scenario, time_limit=bound_limit)
    row["bound_s"] = time.perf_counter() - began
    row["bound"] = bound.value
    row["bound_kind"] = bound.proven_by
    if instance.exact:
        began = time.perf_counter()
        exact = solve(scenario, solver="exact", params=no_bound)
        row["exact_s"] = time.perf_counter() - began
        row["exact"] = exact.cost()
        row["gap"] = exact.gap
        if not verify(scenario, exact.plan).is_valid():
            raise SystemExit(f"{instance.name}: the exact plan does not verify")
    row["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--networks", type=Path, default=NETWORKS)
    parser.add_argument("--only", default="", help="run instances whose name contains this")
    parser.add_argument("--exact-limit", type=float, default=600.0, help="seconds for the MILP")
    parser.add_argument("--bound-limit", type=float, default=300.0, help="seconds for the bound")
    parser.add_argument("--set", choices=["networks", "congested"], default="networks")
    args = parser.parse_args()
    if args.set == "congested":
        congested_table(
            [i for i in CONGESTED if args.only in i.name], args.networks, args.exact_limit
        )
        return
    chosen = [i for i in INSTANCES if args.only in i.name]
    print(
        "| instance | households | persons | nodes | roads | steps | ccrp | fast | exact (gap) "
        "| bound | ccrp/bound | fast/bound | fast/exact | s ccrp | s fast | s exact | s bound "
        "| peak MiB |"
    )
    print("|---|" + "---:|" * 17)
    ratios: list[float] = []
    context = get_context("spawn")
    for instance in chosen:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            row = pool.submit(
                run, instance, args.networks, args.exact_limit, args.bound_limit
            ).result()
        bound = float(row["bound"])  # type: ignore[arg-type]
        fast, ccrp = float(row["fast"]), float(row["ccrp"])  # type: ignore[arg-type]
        ratios.append(fast / bound if bound else 1.0)
        exact = row.get("exact")
        gap = row.get("gap")
        exact_cell = (
            "" if exact is None else f"{exact:g} ({gap:.0e})" if gap is not None else f"{exact:g}"
        )
        fast_exact = "" if not exact else f"{fast / float(exact):.4f}"  # type: ignore[arg-type]
        exact_s = "" if "exact_s" not in row else f"{row['exact_s']:.1f}"
        print(
            f"| {row['instance']} | {row['households']} | {row['persons']} | {row['nodes']} "
            f"| {row['roads']} | {row['steps']} | {ccrp:g} | {fast:g} | {exact_cell} "
            f"| {bound:.1f} | {ccrp / bound if bound else 1:.4f} | {ratios[-1]:.4f} | {fast_exact} "
            f"| {row['ccrp_s']:.2f} | {row['fast_s']:.2f} | {exact_s} | {row['bound_s']:.1f} "
            f"| {row['peak_mib']:.0f} |",
            flush=True,
        )
    if ratios:
        print(
            f"\nfast/bound over {len(ratios)} instances: median {statistics.median(ratios):.4f}, "
            f"worst {min(ratios):.4f}"
        )


if __name__ == "__main__":
    main()
