"""Reading ``futures`` from scenario.yaml: what differs from the nominal files, all checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import at
from safepassage.formats.futures import read_futures
from safepassage.formats.problems import InputError
from safepassage.formats.scenario_folder import read_scenario
from safepassage.model import Window
from safepassage.model.futures import RoadCut

NOMINAL = """\
name: two towns
start: 2018-07-21T00:00:00+03:00
step_minutes: 15
horizon_steps: 40
crossings:
  - node: x
    country: Jordan
    requires_clearance: false
    windows:
      - {open: 2018-07-21T00:00:00+03:00, close: 2018-07-21T02:30:00+03:00, capacity: 100}
zones:
  - {name: north, nodes: [b], unsafe_from: 2018-07-21T07:30:00+03:00}
  - {name: south, nodes: [c], unsafe_from: 2018-07-21T07:30:00+03:00}
"""
NODES = """\
id,name,lat,lon,kind
a,A,33,36,town
b,B,33,36,junction
c,C,33,36,town
x,X,33,36,crossing
"""
EDGES = """\
from,to,minutes,capacity_per_hour,bidirectional
a,b,15,60,
b,x,15,60,false
c,x,15,60,yes
"""
HOUSEHOLDS = "id,size,origin,ready_from,priority\nh1,4,a,,1\n"


def folder_with(tmp_path: Path, futures: str) -> Path:
    (tmp_path / "scenario.yaml").write_text(NOMINAL + futures, encoding="utf-8")
    (tmp_path / "nodes.csv").write_text(NODES, encoding="utf-8")
    (tmp_path / "edges.csv").write_text(EDGES, encoding="utf-8")
    (tmp_path / "households.csv").write_text(HOUSEHOLDS, encoding="utf-8")
    return tmp_path


def test_a_folder_without_futures_has_none(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, "")
    assert read_futures(folder, read_scenario(folder)) == ()


def test_futures_name_only_what_differs(tmp_path: Path) -> None:
    folder = folder_with(
        tmp_path,
        """\
futures:
  - name: as planned
    probability: 0.5
  - name: north early, crossing narrow
    probability: 0.3
    zones: [{name: north, unsafe_from: 2018-07-21T00:30:00}]
    crossings:
      - node: x
        windows: [{open: 2018-07-21T00:30:00+03:00, close: 2018-07-21T01:00:00+03:00, capacity: 9}]
  - name: south holds, road cut, border shut
    probability: 0.2
    zones: [{name: south, unsafe_from: }]
    crossings: [{node: x, windows: []}]
    roads_cut:
      - {from: x, to: c, at: 2018-07-21T00:15:00+03:00}
      - {from: a, to: b, at: 2018-07-21T01:00:00+03:00}
""",
    )
    scenario = read_scenario(folder)
    nominal, early, held = read_futures(folder, scenario)
    assert (nominal.name, nominal.probability, nominal.zone_falls) == ("as planned", 0.5, ())
    assert early.zone_falls == (("north", at(2)),)  # no offset: read in start's offset
    assert early.crossing_windows == (("x", (Window(at(2), at(4), 9),)),)
    assert held.zone_falls == (("south", None),)
    assert held.crossing_windows == (("x", ()),)
    # c-x is bidirectional, so both directions are cut; a-b is too (empty = default true)
    assert set(held.road_cuts) == {
        RoadCut("x", "c", at(1)),
        RoadCut("c", "x", at(1)),
        RoadCut("a", "b", at(4)),
        RoadCut("b", "a", at(4)),
    }


def test_a_one_way_road_is_cut_one_way(tmp_path: Path) -> None:
    folder = folder_with(
        tmp_path,
        """\
futures:
  - {name: cut, probability: 1, roads_cut: [{from: b, to: x, at: 2018-07-21T01:00:00+03:00}]}
""",
    )
    (future,) = read_futures(folder, read_scenario(folder))
    assert future.road_cuts == (RoadCut("b", "x", at(4)),)


def test_every_problem_is_reported_at_once_with_line_and_field(tmp_path: Path) -> None:
    folder = folder_with(
        tmp_path,
        """\
futures:
  - name: one
    probability: 0.7
    zones: [{name: west, unsafe_from: 2018-07-21T00:30:00}, {name: north}]
    crossings: [{node: a, windows: []}, {node: x}]
    roads_cut: [{from: x, to: b, at: soon}]
  - name: one
    probability: 1.5
  - name: two
    probability: 0.2
""",
    )
    with pytest.raises(InputError) as raised:
        read_futures(folder, read_scenario(folder))
    messages = [str(problem) for problem in raised.value.problems]
    assert messages == [
        "scenario.yaml, row 17, field 'futures[0].zones[0].name': no zone 'west' in the "
        "nominal zones: correct the name or add the zone to zones",
        "scenario.yaml, row 17, field 'futures[0].zones[1].unsafe_from': missing unsafe_from: "
        "give the instant, or leave it empty (`unsafe_from:`) if the zone does not fall in "
        "this future",
        "scenario.yaml, row 18, field 'futures[0].crossings[0].node': 'a' is not a crossing of "
        "the nominal scenario: name one of its crossings' nodes",
        "scenario.yaml, row 18, field 'futures[0].crossings[1].windows': no windows: list the "
        "crossing's windows in this future, or write `windows: []` if it does not open",
        "scenario.yaml, row 19, field 'futures[0].roads_cut[0].at': 'soon' is not an ISO 8601 "
        "instant: write it like 2018-07-21T21:30:00+03:00",
        "scenario.yaml, row 20, field 'futures[1].name': future 'one' is named twice: rename one",
        "scenario.yaml, row 21, field 'futures[1].probability': '1.5' is not a probability "
        "above 0 and at most 1",
    ]


def test_probabilities_must_sum_to_one(tmp_path: Path) -> None:
    folder = folder_with(
        tmp_path,
        "futures:\n  - {name: a, probability: 0.5}\n  - {name: b, probability: 0.4}\n",
    )
    with pytest.raises(InputError) as raised:
        read_futures(folder, read_scenario(folder))
    (problem,) = raised.value.problems
    assert problem.field == "futures"
    assert "sum to 0.9, not 1" in problem.message


def test_a_zone_name_shared_by_two_zones_cannot_be_named(tmp_path: Path) -> None:
    folder = folder_with(
        tmp_path,
        "futures:\n  - {name: a, probability: 1, zones: [{name: south, unsafe_from: }]}\n",
    )
    text = (folder / "scenario.yaml").read_text().replace("name: north", "name: south")
    (folder / "scenario.yaml").write_text(text)
    with pytest.raises(InputError, match="2 nominal zones are named 'south'"):
        read_futures(folder, read_scenario(folder))
