"""A matching round written as a folder of CSV files, and a round's results written out.

The reader (:mod:`safepassage.formats.matching_csv`) and this writer share the file and column
names, so a round written here reads back as the same round; results go out as
``assignment.csv``, ``pledge_use.csv`` and ``explanations.json``, or sealed in one archive
built in memory for a registry round.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import yaml

from safepassage.formats.matching_csv import (
    ASSIGNMENT_FILE,
    EXPLANATIONS_FILE,
    HOUSEHOLD_OPTIONAL,
    HOUSEHOLDS_FILE,
    OUTCOME_COLUMNS,
    OUTCOMES_FILE,
    OVERRIDE_COLUMNS,
    OVERRIDES_FILE,
    PLEDGE_COLUMNS,
    PLEDGE_OPTIONAL,
    PLEDGE_USE_FILE,
    PLEDGES_FILE,
    RULES_FILE,
    SEPARATOR,
    VETTING_COLUMNS,
    VETTING_FILE,
)
from safepassage.matching.explain import Explanations
from safepassage.matching.model import MatchingProblem, Pledge
from safepassage.matching.result import MatchingResult


def write_matching_folder(problem: MatchingProblem, folder: Path) -> None:
    """Write a round in the format :func:`read_matching_folder` reads (synthetic rounds)."""
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(
        folder / HOUSEHOLDS_FILE,
        ("id", "size", *HOUSEHOLD_OPTIONAL),
        (
            (
                h.id,
                h.size,
                h.medical,
                SEPARATOR.join(f"{code}:{n}" for code, n in h.languages),
                SEPARATOR.join(sorted(h.relatives_in)),
                SEPARATOR.join(h.preferences),
                h.group,
                h.batch,
                h.ready.isoformat() if h.ready else "",
            )
            for h in problem.households
        ),
    )
    write_pledges(problem.pledges, folder)
    _write_csv(
        folder / VETTING_FILE,
        VETTING_COLUMNS,
        ((v.household, v.host, v.status.value) for v in problem.vetting),
    )
    if problem.outcomes is not None:
        given = problem.outcomes
        rows, columns = np.nonzero(~np.isnan(given.values))
        _write_csv(
            folder / OUTCOMES_FILE,
            OUTCOME_COLUMNS,
            (
                (given.households[i], given.hosts[j], repr(float(given.values[i, j])))
                for i, j in zip(rows.tolist(), columns.tolist(), strict=True)
            ),
        )
    if problem.overrides:
        _write_csv(
            folder / OVERRIDES_FILE,
            OVERRIDE_COLUMNS,
            ((o.household, o.host, o.kind.value, o.reason) for o in problem.overrides),
        )
    if problem.floors or problem.pacing:
        rules = {
            "floors": {f.group: f.share for f in problem.floors},
            "pacing": list(problem.pacing),
        }
        (folder / RULES_FILE).write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")


def write_pledges(pledges: Sequence[Pledge], folder: Path) -> Path:
    """``pledges.csv`` alone: a round from the registry needs nothing else."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PLEDGES_FILE
    _write_csv(
        path,
        (*PLEDGE_COLUMNS, *PLEDGE_OPTIONAL),
        (
            (
                p.id,
                p.kind.value,
                p.country,
                p.places_persons,
                "" if p.places_households is None else p.places_households,
                "" if p.max_household_size is None else p.max_household_size,
                p.medical_places,
                SEPARATOR.join(sorted(p.languages)),
                p.deadline.isoformat() if p.deadline else "",
                "true" if p.requires_vetting else "false",
            )
            for p in pledges
        ),
    )
    return path


def write_results(
    result: MatchingResult, explanations: Explanations, folder: Path
) -> tuple[Path, ...]:
    """``assignment.csv``, ``pledge_use.csv`` and ``explanations.json`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, write in _RESULT_FILES.items():
        path = folder / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            write(result, explanations, handle)
        written.append(path)
    return tuple(written)


def results_archive(result: MatchingResult, explanations: Explanations) -> bytes:
    """The same three files as a ZIP built in memory, for sealing before anything touches
    the disk (a round from the registry is as sensitive as the registry)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, write in _RESULT_FILES.items():
            text = io.StringIO(newline="")
            write(result, explanations, text)
            archive.writestr(name, text.getvalue().encode("utf-8"))
    return buffer.getvalue()


def _write_assignment(result: MatchingResult, explanations: Explanations, handle: TextIO) -> None:
    country = {p.id: p.country for p in result.problem.pledges}
    writer = csv.writer(handle)
    writer.writerow(
        (
            "household",
            "size",
            "pledge",
            "country",
            "score",
            "value",
            "pinned",
            "best_alternative",
            "why_not",
            "unplaced_reason",
        )
    )
    writer.writerows(
        (
            e.household,
            e.size,
            e.pledge or "",
            country[e.pledge] if e.pledge else "",
            "" if e.score is None else f"{e.score:.6g}",
            "" if e.value is None else f"{e.value:.6g}",
            e.pinned or "",
            e.alternatives[0].pledge if e.alternatives else "",
            e.alternatives[0].why_not if e.alternatives else "",
            e.unplaced or "",
        )
        for e in explanations.households
    )


def _write_pledge_use(result: MatchingResult, explanations: Explanations, handle: TextIO) -> None:
    writer = csv.writer(handle)
    writer.writerow(("pledge", "kind", "country", "capacity", "used", "pledged", "full", "price"))
    writer.writerows(
        (
            p.pledge,
            p.kind,
            p.country,
            u.capacity,
            u.used,
            "" if u.pledged is None else u.pledged,
            "true" if u.full else "false",
            f"{u.price:.6g}",
        )
        for p in explanations.pledges
        for u in p.uses
    )


def _write_explanations(result: MatchingResult, explanations: Explanations, handle: TextIO) -> None:
    document = {
        "solver": result.solver,
        "method": result.method,
        "status": result.status,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "feasible": result.is_feasible(),
        "households_placed": result.households_placed,
        "persons_placed": result.persons_placed,
        "weights": result.problem.weights.as_dict(),
        "overrides": [
            {"household": o.household, "pledge": o.host, "action": o.kind.value, "reason": o.reason}
            for o in result.problem.overrides
        ],
        **explanations.as_json(),
    }
    households = document.pop("households")
    head = json.dumps(document, ensure_ascii=False, indent=1)
    # one household per line: greppable, and a third of the size of an indented file
    handle.write(head[:-2] + ',\n "households": [\n')
    handle.write(
        ",\n".join(json.dumps(h, ensure_ascii=False, separators=(",", ":")) for h in households)
    )
    handle.write("\n ]\n}\n")


_RESULT_FILES: Mapping[str, Callable[[MatchingResult, Explanations, TextIO], None]] = {
    ASSIGNMENT_FILE: _write_assignment,
    PLEDGE_USE_FILE: _write_pledge_use,
    EXPLANATIONS_FILE: _write_explanations,
}


def _write_csv(path: Path, header: Sequence[str], rows: Iterator[Sequence[object]] | Any) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
