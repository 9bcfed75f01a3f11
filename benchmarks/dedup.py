"""Deduplication on three kinds of registry: quality, blocking, time, peak memory.

Run from the repository root:

    python benchmarks/dedup.py                               # every row below
    python benchmarks/dedup.py --registry 10000 --typed --febrl febrl1
    python benchmarks/dedup.py --registry --typed 1000000    # one million records

- ``registry``: the synthetic registry (Arabic names in two scripts, households) with 10% of
  persons registered again (:mod:`safepassage.synthetic.duplicates`), matched alone.
- ``typed``: Latin registrations typed from paper, no households, keyboard and OCR typos
  (:mod:`safepassage.synthetic.typed_registrations`), matched alone.
- ``febrlN``: the public FEBRL data sets (``pip install .[bench]``), converted to a registry
  import file (``febrl_registry.py``), imported into a new SQLite registry with the default
  mapping and deduplicated by ``dedup run`` as a user would; quality is that of the review
  queue. Nothing in the model was fitted to them: they are the unseen check.

``blocking recall`` is true pairs compared / true pairs: the ceiling of recall. Each row runs in
a fresh process, so its peak memory is its own. Prints a Markdown table of aggregates only.
Targets: precision >= 0.98 on every row; recall >= 0.95 on the registry and >= 0.98 on typed
registrations; 100,000 persons in under 30 s; 1,000,000 records in under 10 minutes and 8 GiB.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

from febrl_registry import DATASETS, write_import_file

from safepassage.dedup import DedupRecord, evaluate, run_matching, transitive_pairs
from safepassage.formats.registry_rows import ColumnMapping, read_table
from safepassage.protection import KeyRing
from safepassage.services import dedup
from safepassage.services.importing import import_rows
from safepassage.services.registry import Operator, read_persons
from safepassage.store.schema import upgrade
from safepassage.store.sqlite import SQLiteDatabase
from safepassage.synthetic.duplicates import plant_duplicates
from safepassage.synthetic.registry import generate_registry
from safepassage.synthetic.southwest_syria import HOME_TOWNS
from safepassage.synthetic.typed_registrations import generate_typed_registry

Figures = dict[str, float | str]


def synthetic(kind: str, persons: int, threshold: float, seed: int) -> Figures:
    """One synthetic registry, matched alone; runs in its own process."""
    records, truth = _registry(persons, seed) if kind == "registry" else _typed(persons, seed)
    return _matched(records, truth, threshold, seed) | {"data": kind, "persons": persons}


def _registry(persons: int, seed: int) -> tuple[list[DedupRecord], list[tuple[str, str]]]:
    registry = generate_registry(
        seed=seed,
        persons=persons,
        towns=HOME_TOWNS,
        cleared_share=0.8,
        clearance=None,
        not_cleared_for=(),
    )
    places = {household.id: household.origin for household in registry.households}
    return plant_duplicates(registry.persons, share=0.1, seed=seed, places=places)


def _typed(persons: int, seed: int) -> tuple[list[DedupRecord], list[tuple[str, str]]]:
    typed = generate_typed_registry(persons, seed=seed)
    return list(typed.records), list(typed.truth)


def _matched(
    records: list[DedupRecord], truth: list[tuple[str, str]], threshold: float, seed: int
) -> Figures:
    true_pairs = transitive_pairs(truth)
    run = run_matching(records, threshold=threshold, seed=seed, probe=true_pairs)
    quality = evaluate(run.pairs, truth)
    return {
        "records": len(records),
        "true pairs": len(true_pairs),
        "compared": run.compared,
        "blocking recall": run.probed_compared / max(len(true_pairs), 1),
        "candidates": len(run.pairs),
        "precision": quality.precision,
        "recall": quality.recall,
        "blocking s": run.blocking_seconds,
        "scoring s": run.scoring_seconds,
        "total s": run.blocking_seconds + run.scoring_seconds,
        "peak GiB": _peak(),
    }


def febrl(name: str, threshold: float, seed: int) -> Figures:
    """A FEBRL data set through an import file, the store and ``dedup run``."""
    operator = Operator.with_ring("benchmark", KeyRing.generate())
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        source = folder / f"{name}.csv"
        truth, repaired = write_import_file(name, source)
        database = SQLiteDatabase(folder / "registry.db")
        upgrade(database)
        with database.session() as session:
            imported = import_rows(
                session, operator, "bench", read_table(source).rows, ColumnMapping.default()
            )
        began = time.perf_counter()
        with database.session() as session:
            summary = dedup.run_dedup(session, operator, threshold=threshold)
        seconds = time.perf_counter() - began
        with database.session() as session:
            queue = dedup.review_queue(session, operator, limit=max(summary.new_pairs, 1))
            queued = [
                (item.left.personal.external_id, item.right.personal.external_id) for item in queue
            ]
            records = dedup.registry_records(session, operator)
            external = {
                person.id: person.personal.external_id
                for person in read_persons(
                    session, operator, [record.id for record in records], purpose="benchmark"
                )
            }
        database.dispose()
    # Blocking recall of the very records `dedup run` scored, by person id.
    by_external = {value: key for key, value in external.items()}
    in_store = [
        (by_external[left], by_external[right])
        for left, right in truth
        if left in by_external and right in by_external
    ]
    true_pairs = transitive_pairs(truth)
    blocked = run_matching(
        records, threshold=threshold, probe=transitive_pairs(in_store)
    ).probed_compared
    quality = evaluate(queued, truth)
    return {
        "data": name,
        "persons": "-",
        "records": imported.added,
        "true pairs": len(true_pairs),
        "compared": float("nan"),
        "blocking recall": blocked / max(len(true_pairs), 1),
        "candidates": summary.candidates,
        "precision": quality.precision,
        "recall": quality.recall,
        "blocking s": float("nan"),
        "scoring s": float("nan"),
        "total s": seconds,
        "peak GiB": _peak(),
        "note": f"{imported.quarantined} quarantined, {repaired} dates not dates",
    }


def _peak() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _f1(row: Figures) -> float:
    precision, recall = float(row["precision"]), float(row["recall"])
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _cell(value: float | str, form: str) -> str:
    if isinstance(value, float) and value != value:
        return "-"
    return form.format(value) if not isinstance(value, str) else value


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--registry", type=int, nargs="*", help="persons (default 10k, 100k)")
    parser.add_argument("--typed", type=int, nargs="*", help="persons (default 10k, 100k)")
    parser.add_argument("--febrl", nargs="*", choices=sorted(DATASETS), help="default all")
    parser.add_argument("--threshold", type=float, default=dedup.DEFAULT_THRESHOLD)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    everything = args.registry is None and args.typed is None and args.febrl is None
    default = [10_000, 100_000]
    jobs: list[tuple[str, tuple[object, ...]]] = []
    for kind in ("registry", "typed"):
        sizes = getattr(args, kind)
        for persons in default if everything or sizes == [] else sizes or []:
            jobs.append(("synthetic", (kind, persons, args.threshold, args.seed)))
    names = sorted(DATASETS) if everything or args.febrl == [] else args.febrl or []
    for name in names:
        jobs.append(("febrl", (name, args.threshold, args.seed)))

    print(f"{date.today().isoformat()}, threshold {args.threshold}, seed {args.seed}\n")
    print(
        "| data | persons | records | true pairs | compared pairs | blocking recall "
        "| candidate pairs | precision | recall | F1 | blocking s | scoring s | total s "
        "| peak GiB | note |"
    )
    print("|---|" + "---:|" * 13 + "---|")
    spawn = multiprocessing.get_context("spawn")
    febrl_f1: list[float] = []
    for kind, job in jobs:
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            row = pool.submit(synthetic if kind == "synthetic" else febrl, *job).result()
        if kind == "febrl":
            febrl_f1.append(_f1(row))
        persons = row["persons"]
        print(
            f"| {row['data']} | {_cell(persons, '{:,}')} | {_cell(row['records'], '{:,}')} "
            f"| {_cell(row['true pairs'], '{:,}')} | {_cell(row['compared'], '{:,.0f}')} "
            f"| {_cell(row['blocking recall'], '{:.3f}')} "
            f"| {_cell(row['candidates'], '{:,}')} | {_cell(row['precision'], '{:.3f}')} "
            f"| {_cell(row['recall'], '{:.3f}')} | {_f1(row):.3f} "
            f"| {_cell(row['blocking s'], '{:.1f}')} | {_cell(row['scoring s'], '{:.1f}')} "
            f"| {_cell(row['total s'], '{:.1f}')} | {_cell(row['peak GiB'], '{:.2f}')} "
            f"| {row.get('note', '')} |",
            flush=True,
        )
    if febrl_f1:
        print(f"\nFEBRL F1: worst {min(febrl_f1):.3f}, median {statistics.median(febrl_f1):.3f}")


if __name__ == "__main__":
    main()
