"""Resettlement matching: the MILP against its proven bound and the greedy baseline.

Run from the repository root:

    python benchmarks/matching.py                  # the table of docs/benchmarks.md
    python benchmarks/matching.py --only 100000    # instances whose name contains "100000"
    python benchmarks/matching.py --command        # the whole `match --from-csv` command

Seeded synthetic rounds (`safepassage.synthetic.matching_instance`): places for 95% of the
persons, 18 host countries, vetting by six of them, synthetic outcome scores unless the name
ends in `-noout` (then scores tie across whole countries). Each instance runs in its own
process, so the peak memory column is that instance's alone; the compiled kernels are loaded
before timing, as in a running service. `s milp` and `s greedy` include compiling the round
(scores and blocked pairs); generating it is not timed. `gap` is (bound - objective) /
objective, the bound being valid for the whole round.

`--command` times the whole command instead, as a user runs it: the round is written to a
temporary folder (not timed; outcomes as `outcomes.csv`, or as `outcomes.parquet`), then
`safepassage match --from-csv FOLDER --out OUT` runs as a child process: reading the files,
solving, explaining and writing the three result files. `s` is its wall-clock time, `CPU s`
its user plus system time (less sensitive to a loaded machine), `peak MiB` its peak resident
memory (`getrusage(RUSAGE_CHILDREN)`).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from safepassage.formats.matching_csv import OUTCOMES_FILE
from safepassage.formats.matching_outcomes import write_outcomes_parquet
from safepassage.formats.matching_writing import write_matching_folder
from safepassage.matching import MatchingParams, solve
from safepassage.matching.eligibility import blocked_pairs
from safepassage.synthetic.matching_instance import matching_instance


@dataclass(frozen=True)
class Instance:
    name: str
    households: int
    hosts: int
    seed: int
    outcomes: bool = True


INSTANCES = [
    Instance("match-1000x20-s1", 1_000, 20, 1),
    Instance("match-1000x200-s1", 1_000, 200, 1),
    Instance("match-10000x100-s1", 10_000, 100, 1),
    *(Instance(f"match-100000x200-s{s}", 100_000, 200, s) for s in (1, 2, 3)),
    Instance("match-100000x200-s1-noout", 100_000, 200, 1, outcomes=False),
]


COMMAND_INSTANCES = [
    Instance("match-100000x200-s1", 100_000, 200, 1),
    Instance("match-1000x200-s1", 1_000, 200, 1),
]
CLI = "import sys; from safepassage.cli.main import app; sys.argv[0] = 'safepassage'; app()"


def run_command(instance: Instance, parquet: bool) -> dict[str, object]:
    problem = matching_instance(instance.households, instance.hosts, seed=instance.seed)
    with tempfile.TemporaryDirectory() as temporary:
        folder, out = Path(temporary) / "round", Path(temporary) / "out"
        write_matching_folder(problem, folder)
        if parquet and problem.outcomes is not None:
            (folder / OUTCOMES_FILE).unlink()
            write_outcomes_parquet(problem.outcomes, folder)
        size = sum(path.stat().st_size for path in folder.iterdir())
        del problem
        began = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-c", CLI, "match", "--from-csv", str(folder), "--out", str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - began
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        if completed.returncode != 0:
            raise SystemExit(f"{instance.name}: match exited {completed.returncode}")
        written = json.loads((out / "explanations.json").read_text(encoding="utf-8"))
    return {
        "instance": instance.name,
        "outcomes": "outcomes.parquet" if parquet else "outcomes.csv",
        "folder_mb": size / 1e6,
        "seconds": seconds,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024,
        "gap": written["gap"],
        "status": written["status"],
    }


def commands(only: str) -> None:
    print("| instance | outcomes | folder MB | s command | CPU s | peak MiB | gap | status |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    context = get_context("spawn")
    for instance in (i for i in COMMAND_INSTANCES if only in i.name):
        for parquet in (False, True):
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                row = pool.submit(run_command, instance, parquet).result()
            print(
                f"| {row['instance']} | {row['outcomes']} | {row['folder_mb']:,.0f} "
                f"| {row['seconds']:.1f} | {row['cpu']:.1f} | {row['peak_mib']:,.0f} "
                f"| {row['gap']:.4%} | {row['status']} |",
                flush=True,
            )


def run(instance: Instance, time_limit: float | None) -> dict[str, object]:
    solve(matching_instance(20, 3, seed=0))  # load the compiled kernels
    began = time.perf_counter()
    problem = matching_instance(
        instance.households, instance.hosts, seed=instance.seed, outcomes=instance.outcomes
    )
    row: dict[str, object] = {
        "instance": instance.name,
        "households": len(problem.households),
        "persons": problem.total_persons,
        "hosts": len(problem.pledges),
        "places": sum(p.places_persons for p in problem.pledges),
        "pairs": int(np.count_nonzero(blocked_pairs(problem) == 0)),
        "generate_s": time.perf_counter() - began,
    }
    best = solve(problem, params=MatchingParams(time_limit=time_limit), seed=0)
    if not best.is_feasible():
        raise SystemExit(f"{instance.name}: the MILP assignment breaks a rule: {best.violations}")
    baseline = solve(problem, solver="greedy")
    if not baseline.is_feasible():
        raise SystemExit(f"{instance.name}: the greedy assignment breaks a rule")
    row |= {
        "method": best.method,
        "status": best.status,
        "milp": best.objective,
        "bound": best.bound,
        "gap": best.gap,
        "milp_s": best.runtime,
        "milp_persons": best.persons_placed,
        "greedy": baseline.objective,
        "greedy_s": baseline.runtime,
        "greedy_persons": baseline.persons_placed,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--only", default="", help="run instances whose name contains this")
    parser.add_argument(
        "--time-limit", type=float, default=None, help="seconds for the MILP (default: none)"
    )
    parser.add_argument("--command", action="store_true", help="time the whole command")
    args = parser.parse_args()
    if args.command:
        commands(args.only)
        return
    print(
        "| instance | households | persons | hosts | places | eligible pairs | method "
        "| MILP objective | bound | gap | s MILP | persons placed | greedy objective "
        "| greedy/MILP | greedy persons | s greedy | peak MiB |"
    )
    print("|---|" + "---:|" * 5 + "---|" + "---:|" * 10)
    context = get_context("spawn")
    for instance in (i for i in INSTANCES if args.only in i.name):
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            row = pool.submit(run, instance, args.time_limit).result()
        milp, greedy = float(row["milp"]), float(row["greedy"])  # type: ignore[arg-type]
        print(
            f"| {row['instance']} | {row['households']:,} | {row['persons']:,} | {row['hosts']} "
            f"| {row['places']:,} | {row['pairs']:,} | {row['method']} | {milp:,.1f} "
            f"| {row['bound']:,.1f} | {row['gap']:.4%} | {row['milp_s']:.1f} "
            f"| {row['milp_persons']:,} | {greedy:,.1f} | {greedy / milp:.4f} "
            f"| {row['greedy_persons']:,} | {row['greedy_s']:.1f} | {row['peak_mib']:,.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
