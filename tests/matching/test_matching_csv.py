"""Matching rounds as CSV folders: read back what was written; every problem located."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from safepassage.formats.matching_csv import read_matching_folder, read_weights
from safepassage.formats.matching_writing import write_matching_folder, write_results
from safepassage.formats.problems import InputError, Problem
from safepassage.matching import (
    Floor,
    MatchingParams,
    Override,
    OverrideKind,
    Weights,
    explain,
    solve,
)
from safepassage.synthetic.matching_instance import matching_instance

NAME = "Mohammad Al-Hariri"
"""A (synthetic) name typed into the wrong cell: it must never come back in a message."""


def write(folder: Path, name: str, rows: list[list[str]]) -> None:
    with (folder / name).open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def good_folder(folder: Path) -> Path:
    write(
        folder,
        "households.csv",
        [
            ["id", "size", "medical", "languages", "relatives_in", "preferences", "ready"],
            ["h1", "4", "1", "ar;en:2", "DE", "DE-berlin", "2018-08-20"],
            ["h2", "2", "0", "ar", "", "", ""],
        ],
    )
    write(
        folder,
        "pledges.csv",
        [
            ["id", "kind", "country", "places_persons", "medical_places", "languages"],
            ["DE-berlin", "city", "DE", "5", "1", "de"],
            ["GB-national", "country", "GB", "4", "0", "en"],
        ],
    )
    write(
        folder,
        "vetting.csv",
        [["household", "host", "status"], ["h1", "DE", "cleared"], ["h2", "GB", "cleared"]],
    )
    return folder


def problems_of(folder: Path) -> tuple[Problem, ...]:
    with pytest.raises(InputError) as caught:
        read_matching_folder(folder)
    for problem in caught.value.problems:
        assert NAME not in str(problem)
    return caught.value.problems


def test_a_written_round_reads_back_the_same(tmp_path: Path) -> None:
    problem = matching_instance(60, 6, seed=2, floors=(Floor("family", 0.5),), pacing=(0.6,))
    problem = dataclasses.replace(
        problem,
        overrides=(
            Override(problem.households[3].id, problem.pledges[1].id, OverrideKind.FORBID, "x"),
        ),
    )
    write_matching_folder(problem, tmp_path)
    again = read_matching_folder(tmp_path)
    assert again.households == problem.households
    assert again.pledges == problem.pledges
    assert again.vetting == problem.vetting
    assert again.overrides == problem.overrides
    assert again.floors == problem.floors and again.pacing == problem.pacing
    assert again.outcomes is not None and problem.outcomes is not None
    np.testing.assert_array_equal(again.outcomes.values, problem.outcomes.values)
    assert solve(again).objective == pytest.approx(solve(problem).objective, rel=1e-12)


def test_a_hand_written_round_is_read(tmp_path: Path) -> None:
    problem = read_matching_folder(good_folder(tmp_path))
    h1 = problem.households[0]
    assert h1.languages == (("ar", 4), ("en", 2))
    assert h1.preferences == ("DE-berlin",)
    assert problem.pledges[0].requires_vetting is True
    result = solve(problem)
    assert result.assigned == ("DE-berlin", "GB-national")


def test_bad_cells_are_reported_with_file_row_and_field(tmp_path: Path) -> None:
    folder = good_folder(tmp_path)
    write(
        folder,
        "households.csv",
        [
            ["id", "size", "medical", "languages", "ready"],
            ["h1", NAME, "0", "ar", "2018-08-20"],
            ["h2", "2", "3", "ar:5", "20/08/2018"],
            ["h1", "2", "0", "", ""],
        ],
    )
    write(
        folder,
        "vetting.csv",
        [["household", "host", "status"], [NAME, "FR", "cleared"], ["h2", "GB", NAME]],
    )
    write(
        folder,
        "overrides.csv",
        [["household", "host", "action", "reason"], ["h2", "DE-berlin", "pin", ""]],
    )
    found = {(p.file, p.row, p.field) for p in problems_of(folder)}
    assert found == {
        ("households.csv", 2, "size"),
        ("households.csv", 3, "medical"),
        ("households.csv", 3, "languages"),
        ("households.csv", 3, "ready"),
        ("households.csv", 4, "id"),
        ("vetting.csv", 2, "household"),
        ("vetting.csv", 2, "host"),
        ("vetting.csv", 3, "status"),
        ("overrides.csv", 2, "reason"),
    }


def test_missing_files_and_columns_say_what_to_add(tmp_path: Path) -> None:
    write(tmp_path, "households.csv", [["id"], ["h1"]])
    found = problems_of(tmp_path)
    assert [(p.file, p.row) for p in found] == [("pledges.csv", None), ("households.csv", 1)]
    assert "size" in found[1].message


def test_a_pledge_named_like_a_country_is_refused(tmp_path: Path) -> None:
    folder = good_folder(tmp_path)
    write(
        folder,
        "pledges.csv",
        [["id", "kind", "country", "places_persons"], ["GB", "country", "GB", "4"]],
    )
    found = problems_of(folder)
    assert any(p.file == "pledges.csv" and p.field == "id" for p in found)


def test_rules_with_an_unknown_group_are_reported(tmp_path: Path) -> None:
    folder = good_folder(tmp_path)
    (folder / "rules.yaml").write_text("floors:\n  volunteers: 0.9\npacing: [0.8, 0.5]\n")
    found = {(p.file, p.field) for p in problems_of(folder)}
    assert found == {("rules.yaml", "floors.volunteers"), ("rules.yaml", "pacing")}


def test_weights_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "weights.yaml"
    path.write_text("relatives: 5\nrelatives_hard: true\n")
    assert read_weights(path) == Weights(relatives=5.0, relatives_hard=True)
    path.write_text("relatives: -1\nkinship: 2\nplacement: 0\n")
    with pytest.raises(InputError) as caught:
        read_weights(path)
    assert {p.field for p in caught.value.problems} == {"relatives", "kinship", "placement"}


def test_results_are_written_as_csv_and_json(tmp_path: Path) -> None:
    problem = matching_instance(40, 5, seed=8)
    result = solve(problem, params=MatchingParams(gap=0.0))
    paths = write_results(result, explain(result), tmp_path / "out")
    assert [p.name for p in paths] == ["assignment.csv", "pledge_use.csv", "explanations.json"]
    with paths[0].open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["household"] for r in rows] == [h.id for h in problem.households]
    assert [r["pledge"] or None for r in rows] == list(result.assigned)
    document = json.loads(paths[2].read_text(encoding="utf-8"))
    assert document["objective"] == pytest.approx(result.objective)
    assert document["weights"]["placement"] == 10.0
    assert len(document["households"]) == 40
    assert len(document["pledges"]) == 5
