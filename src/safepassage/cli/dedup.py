"""Deduplication commands: find candidate pairs, review them, merge, undo a merge."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from safepassage.cli.registry_options import (
    ActorOption,
    DbOption,
    KeyFileOption,
    fail,
    registry_session,
)
from safepassage.model.registry import Person
from safepassage.services import dedup
from safepassage.services.registry import UnknownRecord

console = Console()


@contextmanager
def _refusals_fail() -> Iterator[None]:
    """A refused merge, undo or judgement exits 2 with the rule that refused it."""
    try:
        yield
    except (dedup.MergeRefused, UnknownRecord) as refused:
        raise fail(str(refused)) from None


dedup_app = typer.Typer(help="Find and merge duplicate registrations.", no_args_is_help=True)


@dedup_app.command("run")
def run(
    threshold: Annotated[
        float, typer.Option(help="Queue pairs at or above this match probability.")
    ] = dedup.DEFAULT_THRESHOLD,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Score every active registration and queue likely duplicates for review."""
    with registry_session(db, key_file, actor) as (session, operator):
        summary = dedup.run_dedup(session, operator, threshold=threshold)
    console.print(
        f"{summary.persons} registrations scored: {summary.candidates} candidate pairs, "
        f"{summary.new_pairs} new in the review queue"
    )


@dedup_app.command("review")
def review(
    limit: Annotated[int, typer.Option(help="How many pairs to show.")] = 20,
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Show the most likely pending pairs side by side (an audited read)."""
    with registry_session(db, key_file, actor) as (session, operator):
        items = dedup.review_queue(session, operator, limit=limit)
    if not items:
        console.print("the review queue is empty")
        return
    table = Table("pair", "p", "left", "right", "fields", show_lines=True)
    for item in items:
        table.add_row(
            str(item.pair_id),
            f"{item.probability:.3f}",
            _card(item.left),
            _card(item.right),
            "\n".join(f"{name}: {agreement.value}" for name, agreement in item.fields),
        )
    console.print(table)
    console.print(
        "merge with `safepassage dedup merge KEPT MERGED`, or mark with "
        "`safepassage dedup distinct PAIR`"
    )


def _card(person: Person) -> str:
    data = person.personal
    birth = data.birth.iso() if data.birth else "?"
    documents = ", ".join(doc.number for doc in data.documents) or "-"
    return (
        f"{person.id} ({person.household_id})\n{data.name_icao}\n{data.name_arabic}\n"
        f"born {birth}, {data.sex.value}, {data.relationship}\ndocuments: {documents}"
    )


@dedup_app.command("merge")
def merge(
    kept: Annotated[str, typer.Argument(help="The registration to keep.")],
    merged: Annotated[str, typer.Argument(help="The duplicate folded into it.")],
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Fold a duplicate into the registration kept; `unmerge` undoes it."""
    with _refusals_fail(), registry_session(db, key_file, actor) as (session, operator):
        merge_id = dedup.merge(session, operator, kept, merged)
    console.print(f"merge {merge_id}: {merged} folded into {kept}")


@dedup_app.command("unmerge")
def unmerge(
    merge_id: Annotated[int, typer.Argument(help="The merge to undo.")],
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Undo a merge: both registrations return as they were."""
    with _refusals_fail(), registry_session(db, key_file, actor) as (session, operator):
        dedup.unmerge(session, operator, merge_id)
    console.print(f"merge {merge_id} undone")


@dedup_app.command("distinct")
def distinct(
    pair: Annotated[int, typer.Argument(help="The candidate pair judged to be two people.")],
    db: DbOption = None,
    key_file: KeyFileOption = None,
    actor: ActorOption = None,
) -> None:
    """Record that a candidate pair are two different people."""
    with _refusals_fail(), registry_session(db, key_file, actor) as (session, operator):
        dedup.mark_distinct(session, operator, pair)
    console.print(f"pair {pair} marked distinct")
