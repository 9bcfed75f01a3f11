"""Plan JSON: round trips, clock times for readers, and every kind of broken file reported."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from safepassage.formats.plan_json import plan_to_dict, read_plan, write_plan
from safepassage.formats.problems import InputError, Problem
from safepassage.model import HouseholdPlan, Plan, Stop, TimeGrid

GRID = TimeGrid(datetime.fromisoformat("2018-07-21T00:00:00+03:00"), 15, 200)

PLAN = Plan(
    scenario="test",
    solver="hand",
    objective=9.5,
    bound=12.25,
    households=(
        HouseholdPlan(
            "h1", "X", (Stop("A", 0, 2), Stop("J", 4, 4), Stop("S", 5, 5), Stop("X", 6, 86))
        ),
        HouseholdPlan("h2", None, (Stop("B", 0, None),), reason="stayed: road cut"),
        HouseholdPlan("h3", None, ()),
        HouseholdPlan("h4", "Y", (Stop("A", 3, 3), Stop("Y", 5, 7))),
    ),
)


def problems(path: Path) -> tuple[Problem, ...]:
    with pytest.raises(InputError) as caught:
        read_plan(path)
    return caught.value.problems


def write_raw(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan(PLAN, GRID, path)
    assert read_plan(path) == PLAN
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text.startswith('{\n "scenario": "test"')


def test_no_bound_round_trips(tmp_path: Path) -> None:
    plan = Plan("test", "hand", 0.0, None, ())
    path = tmp_path / "plan.json"
    write_plan(plan, GRID, path)
    assert read_plan(path) == plan


def test_clock_times_for_readers() -> None:
    data = plan_to_dict(PLAN, GRID)
    assert data["start"] == "2018-07-21T00:00:00+03:00"
    assert data["step_minutes"] == 15
    h1, h2, _h3, h4 = data["households"]
    assert h1["itinerary"][0]["depart_time"] == "2018-07-21T00:30:00+03:00"
    # Step 86 is 21:30 on the day the real crossing started.
    assert h1["itinerary"][-1]["depart_step"] == 86
    assert h1["crossing_time"] == "2018-07-21T21:30:00+03:00"
    assert h4["itinerary"][1]["arrive_time"] == "2018-07-21T01:15:00+03:00"
    assert h2["itinerary"] == [
        {
            "node": "B",
            "arrive_step": 0,
            "arrive_time": "2018-07-21T00:00:00+03:00",
            "depart_step": None,
            "depart_time": None,
        }
    ]


def test_reason_and_crossing_time_only_where_they_belong() -> None:
    h1, h2, h3, _h4 = plan_to_dict(PLAN, GRID)["households"]
    assert h2["reason"] == "stayed: road cut"
    assert "reason" not in h1 and "reason" not in h3
    assert "crossing_time" not in h2 and "crossing_time" not in h3


def test_unknown_fields_are_ignored(tmp_path: Path) -> None:
    data = plan_to_dict(PLAN, GRID)
    data["notes"] = "checked by the coordinator"
    data["households"][0]["colour"] = "green"
    assert read_plan(write_raw(tmp_path, data)) == PLAN


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{\n "scenario": "test",\n "solver" "hand"\n}\n', encoding="utf-8")
    [problem] = problems(path)
    assert problem.file == str(path)
    assert "line 3, column 11" in problem.message


@pytest.mark.parametrize("bad", [1.5, "1", True, None])
def test_steps_must_be_integers(tmp_path: Path, bad: object) -> None:
    data = plan_to_dict(PLAN, GRID)
    data["households"][3]["itinerary"][0]["arrive_step"] = bad
    [problem] = problems(write_raw(tmp_path, data))
    assert problem.row is None
    assert problem.field == "households[3].itinerary[0].arrive_step"
    assert "h4" in problem.message


def test_missing_field_path_is_reported(tmp_path: Path) -> None:
    data = plan_to_dict(PLAN, GRID)
    del data["households"][0]["itinerary"][1]["depart_step"]
    del data["solver"]
    found = {(p.field, p.message) for p in problems(write_raw(tmp_path, data))}
    assert found == {
        ("solver", "Field required"),
        ("households[0].itinerary[1].depart_step", "household h1: Field required"),
    }


def test_household_without_an_id_is_still_located(tmp_path: Path) -> None:
    data = plan_to_dict(PLAN, GRID)
    del data["households"][2]["id"]
    [problem] = problems(write_raw(tmp_path, data))
    assert problem.field == "households[2].id"


def test_non_finite_objective_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    text = json.dumps(plan_to_dict(PLAN, GRID)).replace('"objective": 9.5', '"objective": NaN')
    path.write_text(text, encoding="utf-8")
    [problem] = problems(path)
    assert problem.field == "objective"
    with pytest.raises(ValueError):
        write_plan(Plan("test", "hand", float("inf"), None, ()), GRID, path)


def test_not_an_object(tmp_path: Path) -> None:
    [problem] = problems(write_raw(tmp_path, [1, 2]))
    assert problem.field is None


def test_missing_file(tmp_path: Path) -> None:
    [problem] = problems(tmp_path / "absent.json")
    assert "cannot read" in problem.message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(b'{"scenario": "caf\xe9"}')
    [problem] = problems(path)
    assert "UTF-8" in problem.message
