"""The registry at scale, on SQLite and PostgreSQL: import, re-import, deduplication through
the store, backup, restore, key rotation and audit verification.

Run from the repository root (PostgreSQL at 127.0.0.1:5432, database ``test``, as in CI):

    python benchmarks/registry.py                         # 10,000 and 100,000 rows, both engines
    python benchmarks/registry.py --sizes 10000 --engines sqlite

Each engine and size runs in a fresh process (peak memory is its own) on a new SQLite file or
PostgreSQL schema. The import file is synthetic (KoboToolbox-style CSV, 5% bad rows planted);
the deduplication runs on a second registry of the same size loaded with planted duplicates
(10% of persons registered again with variants). Prints aggregates only, no personal data.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy import text

from safepassage.dedup import evaluate
from safepassage.formats.registry_rows import ColumnMapping, read_table
from safepassage.model.registry import (
    Household,
    PartialDate,
    Person,
    PersonalData,
    Sex,
    Status,
)
from safepassage.protection import KeyRing
from safepassage.services import backup, dedup, registry
from safepassage.services.importing import import_rows
from safepassage.services.keys import rotate_keys
from safepassage.services.registry import Operator
from safepassage.store import Database, audit
from safepassage.store.postgresql import PostgresDatabase
from safepassage.store.schema import upgrade
from safepassage.store.sqlite import SQLiteDatabase
from safepassage.synthetic.duplicates import plant_duplicates
from safepassage.synthetic.registry import generate_registry
from safepassage.synthetic.registry_file import write_registry_file
from safepassage.synthetic.southwest_syria import HOME_TOWNS

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def fresh_database(engine: str, folder: Path, name: str) -> Iterator[Database]:
    if engine == "sqlite":
        database: Database = SQLiteDatabase(folder / f"{name}.db")
        upgrade(database)
        yield database
        database.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = PostgresDatabase(POSTGRES_URL)
    with admin.engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    postgres = PostgresDatabase(POSTGRES_URL, schema=schema)
    try:
        upgrade(postgres)
        yield postgres
    finally:
        postgres.dispose()
        with admin.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def measure(engine: str, rows: int, seed: int) -> dict[str, float | str]:
    """One engine and size, end to end; runs in its own process."""
    figures: dict[str, float | str] = {"engine": engine, "rows": rows}
    operator = Operator.with_ring("benchmark", KeyRing.generate())
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        source = folder / "registrations.csv"
        write_registry_file(source, rows, seed=seed, bad_share=0.05)
        table = read_table(source).rows
        mapping = ColumnMapping.default()
        with fresh_database(engine, folder, "registry") as database:
            began = time.perf_counter()
            with database.session() as session:
                first = import_rows(session, operator, "bench", table, mapping)
            figures["import s"] = time.perf_counter() - began
            figures["added"] = first.added
            figures["quarantined"] = first.quarantined
            began = time.perf_counter()
            with database.session() as session:
                again = import_rows(session, operator, "bench", table, mapping)
            figures["re-import s"] = time.perf_counter() - began
            figures["re-import changes"] = again.added + again.updated + again.quarantined

            began = time.perf_counter()
            with database.session() as session:
                backup.write_backup(session, operator, folder / "registry.backup")
            figures["backup s"] = time.perf_counter() - began
            with fresh_database(engine, folder, "restored") as target:
                began = time.perf_counter()
                with target.session() as session:
                    backup.restore_backup(session, operator, folder / "registry.backup")
                figures["restore s"] = time.perf_counter() - began

            began = time.perf_counter()
            with database.session() as session:
                rotate_keys(session, operator, operator.ring.rotated())
            figures["rotate s"] = time.perf_counter() - began
        figures.update(deduplicate(engine, folder, rows, seed))
    figures["peak GiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return figures


def deduplicate(engine: str, folder: Path, persons: int, seed: int) -> dict[str, float]:
    """Planted duplicates loaded into a registry of their own, then ``dedup run`` on it."""
    people = generate_registry(
        seed=seed,
        persons=persons,
        towns=HOME_TOWNS,
        cleared_share=0.8,
        clearance=None,
        not_cleared_for=(),
    )
    places = {household.id: household.origin for household in people.households}
    records, truth = plant_duplicates(people.persons, share=0.1, seed=seed, places=places)
    operator = Operator.with_ring("benchmark", KeyRing.generate())
    with fresh_database(engine, folder, "dedup") as database:
        with database.session() as session:
            # A duplicate registered under a new household id brings its own place.
            origins = {record.household_id: record.place for record in reversed(records)}
            for household_id, origin in sorted(origins.items()):
                registry.save_household(session, operator, Household(household_id, origin, 1))
            batch = [
                Person(
                    record.id,
                    record.household_id,
                    Status.REGISTERED,
                    date(2031, 1, 1),
                    PersonalData(
                        name_arabic=record.name_arabic,
                        name_icao=record.name_latin,
                        sex=Sex(record.sex),
                        birth=(
                            PartialDate.parse(record.birth_date)
                            if record.birth_date
                            else PartialDate(record.birth_year)
                            if record.birth_year
                            else None
                        ),
                    ),
                )
                for record in records
            ]
            for start in range(0, len(batch), 5000):
                registry.add_persons(session, operator, batch[start : start + 5000])
        began = time.perf_counter()
        with database.session() as session:
            summary = dedup.run_dedup(session, operator)
        seconds = time.perf_counter() - began
        with database.session() as session:
            queued = [
                (item.left.id, item.right.id)
                for item in dedup.review_queue(session, operator, limit=summary.new_pairs)
            ]
            began = time.perf_counter()
            intact = audit.verify(session, operator.ring).intact
            verify_seconds = time.perf_counter() - began
    quality = evaluate(queued, truth)
    return {
        "dedup records": len(records),
        "dedup s": seconds,
        "precision": quality.precision,
        "recall": quality.recall,
        "audit verify s": verify_seconds if intact else float("nan"),
    }


COLUMNS = (
    ("engine", "{}"),
    ("rows", "{:,}"),
    ("added", "{:,}"),
    ("quarantined", "{:,}"),
    ("import s", "{:.1f}"),
    ("re-import s", "{:.1f}"),
    ("re-import changes", "{}"),
    ("backup s", "{:.1f}"),
    ("restore s", "{:.1f}"),
    ("rotate s", "{:.1f}"),
    ("dedup records", "{:,}"),
    ("dedup s", "{:.1f}"),
    ("precision", "{:.3f}"),
    ("recall", "{:.3f}"),
    ("audit verify s", "{:.2f}"),
    ("peak GiB", "{:.2f}"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print("| " + " | ".join(name for name, _ in COLUMNS) + " |")
    print("|" + "|".join("---" if name == "engine" else "---:" for name, _ in COLUMNS) + "|")
    context = multiprocessing.get_context("spawn")
    for rows in (int(size) for size in args.sizes.split(",")):
        for engine in args.engines.split(","):
            with ProcessPoolExecutor(1, mp_context=context) as pool:
                figures = pool.submit(measure, engine, rows, args.seed).result()
            cells = [fmt.format(figures[name]) for name, fmt in COLUMNS]
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
