from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path

import pytest

from safepassage.formats.problems import InputError, Problem
from safepassage.formats.scenario_folder import read_scenario, write_scenario
from safepassage.model import (
    Crossing,
    Household,
    Node,
    NodeKind,
    Road,
    Scenario,
    TimeGrid,
    Window,
    Zone,
)

PLUS_3 = timezone(timedelta(hours=3))

SCENARIO_YAML = """\
name: Test valley
start: 2018-07-21T06:00:00+03:00
step_minutes: 15
horizon_steps: 16
crossings:
  - node: X
    country: Jordan
    requires_clearance: true
    windows:
      - open: 2018-07-21T07:00:00+03:00
        close: 2018-07-21T08:00:00+03:00
        capacity: 100
zones:
  - name: North
    nodes: [A]
    unsafe_from: 2018-07-21T07:07:00+03:00
"""
NODES_CSV = """\
id,name,lat,lon,kind,shelter_capacity
A,Alpha,32.6,36.1,town,
B,Bravo,32.5,36.0,Junction ,50
X,Border,32.4,35.9,crossing,
"""
EDGES_CSV = """\
from,to,minutes,capacity_per_hour,bidirectional,unsafe_from
A,B,20,120,,
B,X,7.5,90,false,2018-07-21T08:00:00+03:00
"""
HOUSEHOLDS_CSV = """\
id,size,origin,ready_from,priority,cleared_for
H1,4,A,,,
H2,2,B,2018-07-21T06:30:00+03:00,2.5,X
"""
FILES = {
    "scenario.yaml": SCENARIO_YAML,
    "nodes.csv": NODES_CSV,
    "edges.csv": EDGES_CSV,
    "households.csv": HOUSEHOLDS_CSV,
}


def make_folder(tmp_path: Path, **replaced: str | bytes | None) -> Path:
    """The valid folder above, with files replaced (``nodes_csv=...``) or left out (``None``)."""
    folder = tmp_path / "scenario"
    folder.mkdir()
    for file, text in FILES.items():
        content = replaced.get(file.replace(".", "_"), text)
        if isinstance(content, bytes):
            (folder / file).write_bytes(content)
        elif content is not None:
            (folder / file).write_text(content, encoding="utf-8")
    return folder


def problems_in(folder: Path) -> tuple[Problem, ...]:
    with pytest.raises(InputError) as raised:
        read_scenario(folder)
    return raised.value.problems


def only_problem(
    problems: tuple[Problem, ...], file: str, row: int | None, field: str | None
) -> Problem:
    found = [p for p in problems if (p.file, p.row, p.field) == (file, row, field)]
    assert len(found) == 1, problems
    return found[0]


def assert_single_problem(
    folder: Path, file: str, row: int | None, field: str | None, *message_parts: str
) -> Problem:
    problems = problems_in(folder)
    assert len(problems) == 1, problems
    problem = only_problem(problems, file, row, field)
    for part in message_parts:
        assert part in problem.message
    return problem


# -- well-formed input ----------------------------------------------------------------------


def test_well_formed_folder_becomes_the_expected_scenario(tmp_path: Path) -> None:
    scenario = read_scenario(make_folder(tmp_path))

    assert scenario.name == "Test valley"
    assert scenario.grid == TimeGrid(datetime(2018, 7, 21, 6, tzinfo=PLUS_3), 15, 16)
    assert scenario.nodes[1] == Node("B", "Bravo", 32.5, 36.0, NodeKind.JUNCTION, 50)
    assert scenario.nodes[0].shelter_capacity is None
    assert scenario.roads == (
        Road("A", "B", Fraction(20), Fraction(120)),
        Road("B", "A", Fraction(20), Fraction(120)),
        Road("B", "X", Fraction(15, 2), Fraction(90), datetime(2018, 7, 21, 8, tzinfo=PLUS_3)),
    )
    a_to_b, b_to_a, b_to_x = scenario.roads
    assert [scenario.travel_steps(road) for road in scenario.roads] == [2, 2, 1]
    assert [scenario.capacity_per_step(road) for road in scenario.roads] == [30, 30, 22]
    assert scenario.node_unsafe_step["A"] == 4  # 07:07 falls in the step starting 07:00
    assert scenario.road_unsafe_step(a_to_b) == scenario.road_unsafe_step(b_to_a) == 4
    assert scenario.road_unsafe_step(b_to_x) == 8
    (crossing,) = scenario.crossings
    assert crossing.node == "X" and crossing.requires_clearance
    assert [scenario.window_steps(window) for window in crossing.windows] == [(4, 8)]
    assert crossing.windows[0].capacity == 100
    assert scenario.households == (
        Household("H1", 4, "A"),
        Household("H2", 2, "B", 2.5, datetime(2018, 7, 21, 6, 30, tzinfo=PLUS_3), frozenset("X")),
    )
    assert scenario.ready_step(scenario.households[1]) == 2


def test_optional_columns_and_keys_take_their_defaults(tmp_path: Path) -> None:
    scenario_yaml = "name: Bare\nstart: 2018-07-21T06:00:00Z\nhorizon_steps: 4\nextra: kept out\n"
    folder = make_folder(
        tmp_path,
        scenario_yaml=scenario_yaml,
        nodes_csv="ID,Name,Lat,Lon,Kind,Notes\nA,Alpha,1,2,town,x\nB,Bravo,1,2,town,y\n",
        edges_csv="from,to,minutes,capacity_per_hour\nA,B,10,60\n",
        households_csv="id,size,origin,ready_from,priority\nH1,1,A,,\n",
    )
    scenario = read_scenario(folder)
    assert scenario.grid.step_minutes == 15
    assert scenario.crossings == () and scenario.zones == ()
    assert len(scenario.roads) == 2
    assert scenario.households == (Household("H1", 1, "A", 1.0, None, None),)


def test_a_byte_order_mark_blank_lines_and_padding_are_accepted(tmp_path: Path) -> None:
    nodes = "\ufeffid , name,lat,lon,kind\n\n A , Alpha ,1,2,town\n,,,,\nB,Bravo,1,2,town\n"
    folder = make_folder(
        tmp_path,
        nodes_csv=nodes.encode("utf-8"),
        edges_csv="from,to,minutes,capacity_per_hour\r\nA,B,10,60\r\n",
        households_csv="id,size,origin,ready_from,priority\nH1,1,A,,\n",
        scenario_yaml="name: Bare\nstart: 2018-07-21T06:00:00Z\nhorizon_steps: 4\n",
    )
    scenario = read_scenario(folder)
    assert [node.id for node in scenario.nodes] == ["A", "B"]
    assert scenario.nodes[0].name == "Alpha"


def test_naive_instants_take_the_offset_of_start(tmp_path: Path) -> None:
    folder = make_folder(
        tmp_path,
        scenario_yaml=SCENARIO_YAML.replace(
            "close: 2018-07-21T08:00:00+03:00", "close: 2018-07-21T08:00:00"
        ),
        households_csv=HOUSEHOLDS_CSV.replace("2018-07-21T06:30:00+03:00", "2018-07-21T06:30:00"),
    )
    scenario = read_scenario(folder)
    assert scenario.crossings[0].windows[0].close == datetime(2018, 7, 21, 8, tzinfo=PLUS_3)
    ready_from = scenario.households[1].ready_from
    assert ready_from is not None and ready_from.utcoffset() == timedelta(hours=3)
    assert scenario.ready_step(scenario.households[1]) == 2


def test_identical_duplicate_roads_are_merged(tmp_path: Path) -> None:
    edges = EDGES_CSV + "B,A,20,120,yes,\nA,B,20.0,120,0,\n"
    scenario = read_scenario(make_folder(tmp_path, edges_csv=edges))
    assert [(road.source, road.target) for road in scenario.roads] == [
        ("A", "B"),
        ("B", "A"),
        ("B", "X"),
    ]


# -- problems, one at a time ----------------------------------------------------------------


def test_unknown_node_in_edges(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, edges_csv=EDGES_CSV + "B,Q,5,60,,\n")
    assert_single_problem(folder, "edges.csv", 4, "to", "unknown node 'Q'", "add it to nodes.csv")


def test_road_joining_a_node_to_itself(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, edges_csv=EDGES_CSV + "B,B,5,60,,\n")
    assert_single_problem(folder, "edges.csv", 4, "to", "two different nodes")


def test_negative_capacity(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, edges_csv=EDGES_CSV.replace("A,B,20,120", "A,B,20,-120"))
    assert_single_problem(
        folder, "edges.csv", 2, "capacity_per_hour", "'-120' is negative", "0 or more"
    )


@pytest.mark.parametrize("capacity", ["lots", "nan", "inf", "1e99999999"])
def test_non_numeric_capacity(tmp_path: Path, capacity: str) -> None:
    folder = make_folder(tmp_path, edges_csv=EDGES_CSV.replace("A,B,20,120", f"A,B,20,{capacity}"))
    problem = assert_single_problem(folder, "edges.csv", 2, "capacity_per_hour", f"'{capacity}'")
    assert "not a number" in problem.message or "out of range" in problem.message


def test_bidirectional_that_is_not_a_truth_value(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, edges_csv=EDGES_CSV.replace("B,X,7.5,90,false", "B,X,7.5,90,on"))
    assert_single_problem(folder, "edges.csv", 3, "bidirectional", "'on' is not true or false")


def test_conflicting_duplicate_road(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, edges_csv=EDGES_CSV + "B,A,25,120,true,\n")
    assert_single_problem(
        folder,
        "edges.csv",
        4,
        None,
        "conflicting duplicate road B->A (rows 2 and 4)",
        "bidirectional=false",
    )


def test_window_closing_before_it_opens(tmp_path: Path) -> None:
    yaml_text = SCENARIO_YAML.replace("close: 2018-07-21T08:00", "close: 2018-07-21T06:45")
    assert_single_problem(
        make_folder(tmp_path, scenario_yaml=yaml_text),
        "scenario.yaml",
        11,
        "crossings[0].windows[0].close",
        "window closes before it opens",
    )


def test_empty_window(tmp_path: Path) -> None:
    yaml_text = SCENARIO_YAML.replace("close: 2018-07-21T08:00", "close: 2018-07-21T07:00")
    assert_single_problem(
        make_folder(tmp_path, scenario_yaml=yaml_text),
        "scenario.yaml",
        11,
        "crossings[0].windows[0].close",
        "closes as it opens",
    )


def test_household_origin_that_is_not_a_node(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, households_csv=HOUSEHOLDS_CSV.replace("H1,4,A", "H1,4,Nowhere"))
    assert_single_problem(folder, "households.csv", 2, "origin", "unknown node 'Nowhere'")


def test_crossing_that_is_not_a_node(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, scenario_yaml=SCENARIO_YAML.replace("node: X", "node: Z"))
    problems = problems_in(folder)
    problem = only_problem(problems, "scenario.yaml", 6, "crossings[0].node")
    assert "unknown node 'Z'" in problem.message
    # H2 is cleared for X, which is no longer a crossing.
    assert "'X' is not a crossing in scenario.yaml" in (
        only_problem(problems, "households.csv", 3, "cleared_for").message
    )
    assert len(problems) == 2


def test_zone_node_that_is_not_a_node(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, scenario_yaml=SCENARIO_YAML.replace("[A]", "[A, Q]"))
    assert_single_problem(folder, "scenario.yaml", 15, "zones[0].nodes[1]", "unknown node 'Q'")


def test_crossing_listed_twice(tmp_path: Path) -> None:
    yaml_text = SCENARIO_YAML.replace(
        "zones:", "  - node: X\n    country: Jordan\n    windows: []\nzones:"
    )
    assert_single_problem(
        make_folder(tmp_path, scenario_yaml=yaml_text),
        "scenario.yaml",
        13,
        "crossings[1].node",
        "listed twice (lines 6 and 13)",
    )


def test_crossing_without_windows(tmp_path: Path) -> None:
    yaml_text = SCENARIO_YAML.replace("    windows:\n", "    gates:\n")
    assert_single_problem(
        make_folder(tmp_path, scenario_yaml=yaml_text),
        "scenario.yaml",
        6,
        "crossings[0].windows",
        "windows: []",
    )


@pytest.mark.parametrize(
    ("file", "original", "bad", "row", "field"),
    [
        (
            "scenario_yaml",
            "unsafe_from: 2018",
            "unsafe_from: soon 2018",
            16,
            "zones[0].unsafe_from",
        ),
        ("scenario_yaml", "open: 2018-07-21T07", "open: 2018-21-07T07", 10, None),
        ("households_csv", "2018-07-21T06:30", "21/07/2018 06:30", 3, "ready_from"),
        ("edges_csv", "2018-07-21T08:00:00+03:00", "8pm", 3, "unsafe_from"),
    ],
)
def test_unparseable_instant(
    tmp_path: Path, file: str, original: str, bad: str, row: int, field: str | None
) -> None:
    text = FILES[file.replace("_", ".")].replace(original, bad)
    problems = problems_in(make_folder(tmp_path, **{file: text}))
    assert len(problems) == 1, problems
    (problem,) = problems
    assert (problem.file, problem.row) == (file.replace("_", "."), row)
    assert problem.field == (field or "crossings[0].windows[0].open")
    bad_value = bad.split(": ")[-1] if file == "scenario_yaml" else bad
    assert f"'{bad_value}" in problem.message
    assert "2018-07-21T21:30:00+03:00" in problem.message


def test_start_without_offset(tmp_path: Path) -> None:
    yaml_text = SCENARIO_YAML.replace("start: 2018-07-21T06:00:00+03:00", "start: 2018-07-21")
    assert_single_problem(
        make_folder(tmp_path, scenario_yaml=yaml_text),
        "scenario.yaml",
        2,
        "start",
        "'2018-07-21' has no UTC offset",
    )


def test_duplicate_node_id(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, nodes_csv=NODES_CSV + "A,Again,1,1,town,\n")
    assert_single_problem(folder, "nodes.csv", 5, "id", "duplicate node id 'A' (rows 2 and 5)")


def test_duplicate_household_id(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, households_csv=HOUSEHOLDS_CSV + "H1,3,B,,,\n")
    assert_single_problem(
        folder, "households.csv", 4, "id", "duplicate household id 'H1' (rows 2 and 4)"
    )


def test_missing_column(tmp_path: Path) -> None:
    households = "id,size,origin\nH1,4,A\n"
    assert_single_problem(
        make_folder(tmp_path, households_csv=households),
        "households.csv",
        1,
        None,
        "missing column(s) ready_from, priority",
    )


def test_empty_file(tmp_path: Path) -> None:
    problems = problems_in(make_folder(tmp_path, nodes_csv="\n \n"))
    problem = only_problem(problems, "nodes.csv", None, None)
    assert "file is empty: expected the header `id,name,lat,lon,kind[,shelter_capacity]`" in (
        problem.message
    )
    # Without nodes there is nothing to check references against, so no flood of unknowns.
    assert len(problems) == 1


def test_missing_file(tmp_path: Path) -> None:
    assert_single_problem(
        make_folder(tmp_path, edges_csv=None), "edges.csv", None, None, "file is missing"
    )


def test_row_with_the_wrong_number_of_cells(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, nodes_csv=NODES_CSV.replace("A,Alpha,32.6", "A,Alpha,32,6"))
    # The row's id still counts as a node, so edges and households naming A are not flagged.
    assert_single_problem(folder, "nodes.csv", 2, None, "7 cells but the header has 6 columns")


def test_non_utf8_bytes_are_reported_by_row_and_reading_goes_on(tmp_path: Path) -> None:
    nodes = NODES_CSV.encode() + "C,Caf\u00e9,1,2,town,\nD,Delta,1,2,castle,\n".encode("latin-1")
    problems = problems_in(make_folder(tmp_path, nodes_csv=nodes))
    bad_byte = len(NODES_CSV.encode()) + len("C,Caf")
    assert nodes[bad_byte] == 0xE9
    assert f"byte {bad_byte} of the file is not UTF-8" in (
        only_problem(problems, "nodes.csv", 5, None).message
    )
    assert "unknown kind 'castle'" in only_problem(problems, "nodes.csv", 6, "kind").message
    assert len(problems) == 2


def test_yaml_syntax_error_gives_its_line(tmp_path: Path) -> None:
    yaml_text = SCENARIO_YAML.replace("    country: Jordan", "    country: [Jordan")
    problem = assert_single_problem(
        make_folder(tmp_path, scenario_yaml=yaml_text), "scenario.yaml", 8, None, "not valid YAML"
    )
    assert "indentation" in problem.message


def test_yaml_key_given_twice(tmp_path: Path) -> None:
    yaml_text = SCENARIO_YAML.replace("step_minutes: 15", "step_minutes: 15\nname: Again")
    assert_single_problem(
        make_folder(tmp_path, scenario_yaml=yaml_text),
        "scenario.yaml",
        4,
        "name",
        "'name' is given twice",
    )


def test_crossings_that_are_not_a_list_do_not_flag_every_clearance(tmp_path: Path) -> None:
    yaml_text = SCENARIO_YAML.split("crossings:")[0] + "crossings: X\n"
    assert_single_problem(
        make_folder(tmp_path, scenario_yaml=yaml_text),
        "scenario.yaml",
        5,
        "crossings",
        "expected a list",
    )


def test_non_utf8_bytes_in_yaml(tmp_path: Path) -> None:
    yaml_bytes = SCENARIO_YAML.replace("Jordan", "Jord\u00e1n").encode("latin-1")
    assert_single_problem(
        make_folder(tmp_path, scenario_yaml=yaml_bytes), "scenario.yaml", 7, None, "not UTF-8"
    )


@pytest.mark.parametrize(
    ("cleared_for", "message"), [("*;X", "cannot be combined"), (";", "names no crossing")]
)
def test_ambiguous_clearance(tmp_path: Path, cleared_for: str, message: str) -> None:
    households = HOUSEHOLDS_CSV.replace("2.5,X", f"2.5,{cleared_for}")
    assert_single_problem(
        make_folder(tmp_path, households_csv=households),
        "households.csv",
        3,
        "cleared_for",
        message,
    )


def test_cleared_for_a_node_that_is_not_a_crossing(tmp_path: Path) -> None:
    households = HOUSEHOLDS_CSV.replace("2.5,X", "2.5, X ; B;")
    assert_single_problem(
        make_folder(tmp_path, households_csv=households),
        "households.csv",
        3,
        "cleared_for",
        "'B' is not a crossing in scenario.yaml",
    )


def test_several_problems_in_several_files_come_together(tmp_path: Path) -> None:
    folder = make_folder(
        tmp_path,
        scenario_yaml=SCENARIO_YAML.replace("horizon_steps: 16", "horizon_steps: 0"),
        nodes_csv=NODES_CSV.replace("32.5,36.0", "95,36.0"),
        edges_csv=EDGES_CSV.replace("A,B,20", "A,B,twenty"),
        households_csv=HOUSEHOLDS_CSV.replace("H1,4,A", "H1,0,A").replace("2.5,X", "-1,X"),
    )
    problems = problems_in(folder)
    assert [(p.file, p.row, p.field) for p in problems] == [
        ("scenario.yaml", 4, "horizon_steps"),
        ("nodes.csv", 3, "lat"),
        ("edges.csv", 2, "minutes"),
        ("households.csv", 2, "size"),
        ("households.csv", 3, "priority"),
    ]
    assert "too small" in problems[0].message
    assert "between -90 and 90" in problems[1].message
    assert "'twenty' is not a number" in problems[2].message


def test_missing_required_yaml_keys(tmp_path: Path) -> None:
    problems = problems_in(make_folder(tmp_path, scenario_yaml="step_minutes: 15\n"))
    assert [(p.file, p.row, p.field) for p in problems] == [
        ("scenario.yaml", None, "name"),
        ("scenario.yaml", None, "start"),
        ("scenario.yaml", None, "horizon_steps"),
        # X is not listed as a crossing any more.
        ("households.csv", 3, "cleared_for"),
    ]
    assert "add `start: ...`" in problems[1].message


# -- writing --------------------------------------------------------------------------------


def rich_scenario() -> Scenario:
    start = datetime(2018, 7, 21, 21, 30, tzinfo=PLUS_3)
    return Scenario(
        name="Round: trip",
        grid=TimeGrid(start, 10, 48),
        nodes=(
            Node("007", "Town, with comma", 32.61890123, 36.1, NodeKind.TOWN),
            Node("J", "Junction", -1e-5, 180.0, NodeKind.JUNCTION, 12),
            Node("true", "Border", 32.4, 35.9, NodeKind.CROSSING),
            Node("Y", "Other border", 32.3, 35.8, NodeKind.CROSSING),
        ),
        roads=(
            Road("007", "J", Fraction(29, 4), Fraction(1, 8)),
            Road("J", "007", Fraction(31, 4), Fraction(500)),
            Road("J", "true", Fraction(0), Fraction(12345, 100), start + timedelta(hours=5)),
            Road("J", "Y", Fraction(45), Fraction(60)),
        ),
        crossings=(
            Crossing(
                "true",
                "Jordan",
                True,
                (
                    Window(start, start + timedelta(hours=2), 300),
                    Window(
                        start + timedelta(hours=4),
                        datetime(2018, 7, 22, 1, 0, tzinfo=UTC),
                        0,
                    ),
                ),
            ),
            Crossing("Y", "Israel", False),
        ),
        zones=(Zone("Front", ("J", "007"), start + timedelta(minutes=97)),),
        households=(
            Household("H1", 5, "007"),
            Household("H2", 1, "J", 0.1, start + timedelta(minutes=5), frozenset({"true", "Y"})),
            Household("H3", 3, "J", 3.0, None, frozenset({"Y"})),
        ),
    )


def test_round_trip_gives_an_equal_scenario(tmp_path: Path) -> None:
    scenario = rich_scenario()
    write_scenario(scenario, tmp_path / "out")
    assert read_scenario(tmp_path / "out") == scenario
    edges = (tmp_path / "out" / "edges.csv").read_text()
    assert "007,J,7.25,0.125,false," in edges
    assert ",Y;true\n" in (tmp_path / "out" / "households.csv").read_text()


def test_fraction_without_a_decimal_keeps_its_steps(tmp_path: Path) -> None:
    scenario = rich_scenario()
    thirds = Road("J", "Y", Fraction(20, 3), Fraction(120, 7))
    scenario = Scenario(
        scenario.name, TimeGrid(scenario.grid.start, 7, 10), scenario.nodes, (thirds,)
    )
    write_scenario(scenario, tmp_path / "out")
    (read_back,) = read_scenario(tmp_path / "out").roads
    assert read_back.minutes == Fraction("6.66666666666666666667")
    assert scenario.travel_steps(read_back) == scenario.travel_steps(thirds) == 1
    assert scenario.capacity_per_step(read_back) == scenario.capacity_per_step(thirds) == 2


def test_household_cleared_for_no_crossing_cannot_be_written(tmp_path: Path) -> None:
    scenario = rich_scenario()
    nobody = Scenario(
        scenario.name,
        scenario.grid,
        scenario.nodes,
        scenario.roads,
        households=(Household("H9", 1, "J", cleared_for=frozenset()),),
    )
    with pytest.raises(ValueError, match="cleared for no crossing"):
        write_scenario(nobody, tmp_path / "out")
