"""Outcome scores read in columns, from CSV or Parquet: the same matrix, every problem located."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from safepassage.formats.matching_csv import read_matching_folder
from safepassage.formats.matching_outcomes import (
    CSV_FILE,
    PARQUET_FILE,
    OutcomeIds,
    read_outcomes,
    write_outcomes_parquet,
)
from safepassage.formats.matching_writing import write_matching_folder
from safepassage.formats.problems import InputError, Problem
from safepassage.synthetic.matching_instance import matching_instance

NAME = "Mohammad Al-Hariri"
"""A (synthetic) name typed into the wrong cell: it must never come back in a message."""

IDS = OutcomeIds(["h1", "h2", "h3"], ["p", "q"], {"h1", "h2", "h3", "h-bad"}, {"p", "q"})


def read(folder: Path) -> tuple[np.ndarray | None, list[Problem]]:
    problems: list[Problem] = []
    scores = read_outcomes(folder, IDS, lambda *where: problems.append(Problem(*where)))
    return (None if scores is None else scores.values), problems


def write_csv(folder: Path, text: str) -> None:
    (folder / CSV_FILE).write_text(text, encoding="utf-8")


def test_a_good_csv_fills_the_matrix_and_leaves_the_rest_unscored(tmp_path: Path) -> None:
    write_csv(tmp_path, "\ufeffHousehold,extra,HOST,score\nh1,x,p,0.25\n h2 ,,q, 1\n\nh3,y,p,0\n")
    values, problems = read(tmp_path)
    assert problems == []
    assert values is not None
    np.testing.assert_array_equal(
        values, np.array([[0.25, np.nan], [np.nan, 1.0], [0.0, np.nan]], dtype=np.float32)
    )


def test_every_csv_problem_is_located_without_its_value(tmp_path: Path) -> None:
    write_csv(
        tmp_path,
        "household,host,score\n"
        "h1,p,0.5\n"  # row 2
        "\n"  # row 3, blank
        f'"{NAME}",p,0.5\n'  # row 4
        f"h1,{NAME},0.5\n"  # row 5
        "h2,p,much\n"  # row 6
        "h2,q,1.5\n"  # row 7
        'h3,"q\nwith a line break",0.5\n'  # rows 8-9
        "h3,p,\n"  # row 10
        "h1,p,0.7\n"  # row 11: repeats row 2
        "h2,p,0.1,extra\n"  # row 12
        "h-bad,p,0.3\n",  # row 13: its household row is reported on its own
    )
    _values, problems = read(tmp_path)
    assert problems == [
        Problem(CSV_FILE, 4, "household", "names no household of households.csv"),
        Problem(CSV_FILE, 5, "host", "names no pledge of pledges.csv"),
        Problem(CSV_FILE, 6, "score", "is not a number: write a number between 0 and 1"),
        Problem(CSV_FILE, 7, "score", "must lie between 0 and 1"),
        Problem(CSV_FILE, 8, "host", "names no pledge of pledges.csv"),
        Problem(CSV_FILE, 10, "score", "no value: fill in score"),
        Problem(
            CSV_FILE,
            11,
            None,
            "the same household and pledge are also on row 2: keep one score per pair",
        ),
        Problem(
            CSV_FILE,
            12,
            None,
            "row has 4 cells but the header has 3: quote cells that contain commas",
        ),
    ]
    assert all(NAME not in str(p) and "much" not in str(p) for p in problems)


def test_a_csv_without_its_columns_or_not_utf8_is_refused(tmp_path: Path) -> None:
    write_csv(tmp_path, "household,score\nh1,0.5\n")
    assert read(tmp_path)[1] == [
        Problem(CSV_FILE, 1, None, "missing column(s) host: the header is `household,host,score`")
    ]
    (tmp_path / CSV_FILE).write_bytes(b"household,host,score\nh1,p,0.5\nh\xe9,p,0.5\n")
    assert read(tmp_path)[1] == [
        Problem(CSV_FILE, None, None, 'is not UTF-8: save it as "CSV UTF-8"')
    ]


def write_parquet(folder: Path, columns: dict[str, pa.Array]) -> None:
    pq.write_table(pa.table(columns), folder / PARQUET_FILE)


def test_parquet_gives_the_same_matrix_and_locates_its_problems(tmp_path: Path) -> None:
    write_parquet(
        tmp_path,
        {
            "household": pa.array(["h1", "h2", NAME, "h1", "h3"]),
            "host": pa.array(["p", "q", "p", "p", "q"]).dictionary_encode(),
            "score": pa.array([0.25, 1.0, 0.5, 0.5, 2.0], pa.float32()),
        },
    )
    values, problems = read(tmp_path)
    assert problems == [
        Problem(PARQUET_FILE, 3, "household", "names no household of households.csv"),
        Problem(
            PARQUET_FILE,
            4,
            None,
            "the same household and pledge are also on row 1: keep one score per pair",
        ),
        Problem(PARQUET_FILE, 5, "score", "give a number between 0 and 1"),
    ]
    assert values is not None and values[0, 0] == 0.25 and values[1, 1] == 1.0
    write_csv(tmp_path, "household,host,score\n")
    assert read(tmp_path)[1] == [
        Problem(PARQUET_FILE, None, None, f"give the outcomes once: remove it or {CSV_FILE}")
    ]


def test_parquet_with_a_column_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    write_parquet(
        tmp_path,
        {"household": pa.array([1, 2]), "host": pa.array(["p", "q"]), "score": pa.array([0.5, 1])},
    )
    assert read(tmp_path)[1] == [
        Problem(
            PARQUET_FILE,
            None,
            None,
            "column(s) household of the wrong type: ids as strings, scores as floating-point "
            "numbers",
        )
    ]


@pytest.mark.parametrize("parquet", [False, True])
def test_a_round_reads_back_its_outcomes_from_either_file(tmp_path: Path, parquet: bool) -> None:
    problem = matching_instance(300, 12, seed=4)
    assert problem.outcomes is not None
    write_matching_folder(problem, tmp_path)
    if parquet:
        (tmp_path / CSV_FILE).unlink()
        write_outcomes_parquet(problem.outcomes, tmp_path)
    again = read_matching_folder(tmp_path)
    assert again.outcomes is not None
    np.testing.assert_array_equal(again.outcomes.values, problem.outcomes.values)


def test_a_bad_outcome_stops_the_round_with_the_other_problems(tmp_path: Path) -> None:
    problem = matching_instance(30, 4, seed=2)
    write_matching_folder(problem, tmp_path)
    with (tmp_path / CSV_FILE).open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerow(["nobody", problem.pledges[0].id, "0.5"])
    with pytest.raises(InputError) as raised:
        read_matching_folder(tmp_path)
    rows = sum(1 for _ in (tmp_path / CSV_FILE).open(encoding="utf-8"))
    assert raised.value.problems == (
        Problem(CSV_FILE, rows, "household", "names no household of households.csv"),
    )


def test_a_repeated_pair_alone_is_found_by_the_columnar_pass(tmp_path: Path) -> None:
    write_csv(tmp_path, "household,host,score\nh1,p,0.5\nh2,p,0.5\nh1,p,0.5\n")
    assert read(tmp_path)[1] == [
        Problem(
            CSV_FILE,
            4,
            None,
            "the same household and pledge are also on row 2: keep one score per pair",
        )
    ]
