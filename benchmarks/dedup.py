"""Deduplication of a synthetic registry with planted duplicates: quality, time, peak memory.

Run from the repository root:

    python benchmarks/dedup.py                          # 10,000 and 100,000 persons
    python benchmarks/dedup.py --sizes 2000 --share 0.2

Each size runs in a fresh process, so its peak memory is its own. Prints a Markdown table of
aggregates only (no names, no dates). Target: precision >= 0.95 and recall >= 0.90 on planted
duplicates; 100,000 registrations in under 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from concurrent.futures import ProcessPoolExecutor

from safepassage.dedup import evaluate, run_matching, transitive_pairs
from safepassage.synthetic.duplicates import plant_duplicates
from safepassage.synthetic.registry import generate_registry
from safepassage.synthetic.southwest_syria import HOME_TOWNS


def measure(persons: int, share: float, threshold: float, seed: int) -> dict[str, float]:
    """One size, end to end; runs in its own process."""
    began = time.perf_counter()
    registry = generate_registry(
        seed=seed,
        persons=persons,
        towns=HOME_TOWNS,
        cleared_share=0.8,
        clearance=None,
        not_cleared_for=(),
    )
    places = {household.id: household.origin for household in registry.households}
    records, truth = plant_duplicates(registry.persons, share=share, seed=seed, places=places)
    generated = time.perf_counter() - began
    run = run_matching(records, threshold=threshold, seed=seed)
    quality = evaluate(run.pairs, truth)
    return {
        "records": len(records),
        "planted": len(truth),
        "true pairs": len(transitive_pairs(truth)),
        "compared": run.compared,
        "candidates": len(run.pairs),
        "true positives": quality.true_positives,
        "precision": quality.precision,
        "recall": quality.recall,
        "generate s": generated,
        "blocking s": run.blocking_seconds,
        "scoring s": run.scoring_seconds,
        "peak GiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--share", type=float, default=0.1, help="persons registered again")
    parser.add_argument("--threshold", type=float, default=0.9, help="match probability")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(
        "| persons | records | planted duplicates | true pairs | compared pairs | candidate pairs "
        "| true positives | precision | recall | blocking s | scoring s | total s | peak GiB |"
    )
    print("|" + "---:|" * 13)
    spawn = multiprocessing.get_context("spawn")
    for persons in args.sizes:
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            row = pool.submit(measure, persons, args.share, args.threshold, args.seed).result()
        total = row["blocking s"] + row["scoring s"]
        print(
            f"| {persons:,} | {row['records']:,.0f} | {row['planted']:,.0f} "
            f"| {row['true pairs']:,.0f} | {row['compared']:,.0f} | {row['candidates']:,.0f} "
            f"| {row['true positives']:,.0f} | {row['precision']:.3f} | {row['recall']:.3f} "
            f"| {row['blocking s']:.1f} | {row['scoring s']:.1f} | {total:.1f} "
            f"| {row['peak GiB']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
