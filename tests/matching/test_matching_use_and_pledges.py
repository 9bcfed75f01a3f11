"""``pledge_use.csv`` says which capacities are full, with the price apart; a malformed pledge
row is reported once, not again through every file that names its country."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from matching_helpers import household, pledge

from safepassage.formats.matching_csv import read_matching_folder
from safepassage.formats.matching_writing import write_results
from safepassage.formats.problems import InputError
from safepassage.matching import MatchingParams, MatchingProblem, explain, solve


def test_full_means_used_to_the_last_place_and_the_price_stands_apart(tmp_path: Path) -> None:
    problem = MatchingProblem(
        (household("a", 3), household("b", 3), household("c", 4)),
        (pledge("p", 5), pledge("q", 4, places_households=1)),
    )
    result = solve(problem, params=MatchingParams(gap=0.0))
    write_results(result, explain(result), tmp_path)
    with (tmp_path / "pledge_use.csv").open(encoding="utf-8", newline="") as handle:
        rows = {(r["pledge"], r["capacity"]): r for r in csv.DictReader(handle)}
    assert list(next(iter(rows.values()))) == [
        "pledge", "kind", "country", "capacity", "used", "pledged", "full", "price",
    ]  # fmt: skip
    room_left = rows[("p", "persons")]  # one household of 3 in 5 places: 2 left
    assert (room_left["used"], room_left["full"]) == ("3", "false")
    assert float(room_left["price"]) > 0  # the relaxation would split a household into it
    assert (rows[("q", "persons")]["full"], rows[("q", "households")]["full"]) == ("true", "true")
    assert rows[("p", "households")]["full"] == "false"  # no limit of that kind
    assert rows[("p", "medical")]["full"] == "false"  # none pledged, none used


@pytest.mark.parametrize("places", ["-1", "many"])
def test_a_bad_capacity_is_the_only_problem_reported(tmp_path: Path, places: str) -> None:
    (tmp_path / "pledges.csv").write_text(
        "id,kind,country,places_persons,requires_vetting\n"
        "DE-berlin,city,DE,5,false\n"
        f"GB-national,country,GB,{places},false\n",
        encoding="utf-8",
    )
    (tmp_path / "households.csv").write_text(
        "id,size,preferences\nh1,4,GB;DE-berlin\nh2,2,GB\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as raised:
        read_matching_folder(tmp_path)
    assert [(p.file, p.row, p.field) for p in raised.value.problems] == [
        ("pledges.csv", 3, "places_persons")
    ]
