"""The worked example of docs/matching-model.md, recomputed from the round's files alone.

Nothing here uses the solver's scoring or eligibility code: the components, the hard rules and
the capacities are written out again from the document, every assignment of the tiny round is
tried, and the best one, its values and the document's table must all agree with what
``safepassage match`` writes.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safepassage.cli.main import app

ROUND = Path(__file__).parent / "fixtures" / "worked_round"
DOCUMENT = Path(__file__).parents[2] / "docs" / "matching-model.md"
WEIGHTS = {"placement": 10.0, "relatives": 3.0, "language": 2.0, "preference": 1.0, "outcome": 1.0}


def rows(name: str) -> list[dict[str, str]]:
    with (ROUND / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def speakers(text: str, size: int) -> dict[str, int]:
    spoken = {}
    for item in filter(None, text.split(";")):
        code, _, count = item.partition(":")
        spoken[code.strip().lower()] = int(count) if count else size
    return spoken


def components(household: dict[str, str], pledge: dict[str, str]) -> dict[str, float]:
    size = int(household["size"])
    relatives = set(filter(None, household["relatives_in"].split(";")))
    spoken = speakers(household["languages"], size)
    languages = set(filter(None, pledge["languages"].split(";")))
    ranked = list(filter(None, household["preferences"].split(";")))
    ranks = [r for r, place in enumerate(ranked) if place in (pledge["id"], pledge["country"])]
    outcomes = {(o["household"], o["host"]): float(o["score"]) for o in rows("outcomes.csv")}
    return {
        "relatives": 1.0 if pledge["country"] in relatives else 0.0,
        "language": max((spoken.get(code, 0) / size for code in languages), default=0.0),
        "preference": (5 - min(ranks)) / 5 if ranks else 0.0,
        "outcome": outcomes.get((household["id"], pledge["id"]), 0.0),
    }


def score(parts: dict[str, float]) -> float:
    return sum(WEIGHTS[name] * value for name, value in parts.items())


def open_pair(household: dict[str, str], pledge: dict[str, str]) -> bool:
    vetting = {(v["household"], v["host"]): v["status"] for v in rows("vetting.csv")}
    status = vetting.get(
        (household["id"], pledge["id"]), vetting.get((household["id"], pledge["country"]))
    )
    if status in ("refused", "pending"):
        return False
    if status is None and pledge["requires_vetting"] != "false":
        return False
    size, medical = int(household["size"]), int(household["medical"] or 0)
    if pledge["max_household_size"] and size > int(pledge["max_household_size"]):
        return False
    if size > int(pledge["places_persons"]) or pledge["places_households"] == "0":
        return False
    if medical > int(pledge["medical_places"] or 0):
        return False
    ready, deadline = household["ready"], pledge["deadline"]
    return not (ready and deadline and date.fromisoformat(ready) > date.fromisoformat(deadline))


def fits(chosen: dict[str, list[dict[str, str]]], pledges: dict[str, dict[str, str]]) -> bool:
    for pledge_id, placed in chosen.items():
        pledge = pledges[pledge_id]
        if sum(int(h["size"]) for h in placed) > int(pledge["places_persons"]):
            return False
        if pledge["places_households"] and len(placed) > int(pledge["places_households"]):
            return False
        if sum(int(h["medical"] or 0) for h in placed) > int(pledge["medical_places"] or 0):
            return False
    return True


def best_by_hand() -> tuple[float, dict[str, str | None]]:
    households = rows("households.csv")
    pledges = {p["id"]: p for p in rows("pledges.csv")}
    options = [[None, *(p for p in pledges if open_pair(h, pledges[p]))] for h in households]
    best: tuple[float, dict[str, str | None]] = (-1.0, {})
    for choice in itertools.product(*options):
        chosen: dict[str, list[dict[str, str]]] = {}
        total = 0.0
        for household, where in zip(households, choice, strict=True):
            if where is not None:
                chosen.setdefault(where, []).append(household)
                parts = components(household, pledges[where])
                total += int(household["size"]) * (WEIGHTS["placement"] + score(parts))
        if fits(chosen, pledges) and total > best[0]:
            best = (total, {h["id"]: w for h, w in zip(households, choice, strict=True)})
    return best


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("worked")
    result = CliRunner().invoke(app, ["match", "--from-csv", str(ROUND), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_the_solver_finds_the_best_assignment_tried_by_hand(written: Path) -> None:
    total, chosen = best_by_hand()
    with (written / "assignment.csv").open(encoding="utf-8", newline="") as handle:
        assignment = {r["household"]: r["pledge"] or None for r in csv.DictReader(handle)}
    assert assignment == chosen
    document = json.loads((written / "explanations.json").read_text(encoding="utf-8"))
    assert document["objective"] == pytest.approx(total, rel=1e-6)
    assert f"= {total:g}" in DOCUMENT.read_text(encoding="utf-8")


def test_every_value_recomputes_from_the_files(written: Path) -> None:
    households = {h["id"]: h for h in rows("households.csv")}
    pledges = {p["id"]: p for p in rows("pledges.csv")}
    document = json.loads((written / "explanations.json").read_text(encoding="utf-8"))
    placed = [e for e in document["households"] if e["pledge"]]
    assert placed
    for explained in placed:
        household, pledge = households[explained["household"]], pledges[explained["pledge"]]
        parts = components(household, pledge)
        given = {c["name"]: c["value"] for c in explained["components"]}
        assert given == pytest.approx(parts, abs=1e-6)
        assert explained["score"] == pytest.approx(score(parts), rel=1e-6)
        value = int(household["size"]) * (WEIGHTS["placement"] + score(parts))
        assert explained["value"] == pytest.approx(value, rel=1e-6)


def test_the_documents_table_is_what_the_files_give() -> None:
    households = {h["id"]: h for h in rows("households.csv")}
    pledges = {p["id"]: p for p in rows("pledges.csv")}
    line = re.compile(r"^\| (h-\w+) \| ([\w-]+) \|((?: [\d.]+ \|){6})$")
    table = [m for m in map(line.match, DOCUMENT.read_text(encoding="utf-8").splitlines()) if m]
    opened = [(h, p) for h in households for p in pledges if open_pair(households[h], pledges[p])]
    assert [(m[1], m[2]) for m in table] == opened
    for match in table:
        household, pledge = households[match[1]], pledges[match[2]]
        parts = components(household, pledge)
        value = int(household["size"]) * (WEIGHTS["placement"] + score(parts))
        expected = [*parts.values(), score(parts), value]
        stated = [float(cell) for cell in match[3].split("|") if cell.strip()]
        assert stated == pytest.approx(expected, abs=1e-6)
