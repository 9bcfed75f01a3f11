"""The bundled scenario is exactly what its generator writes, and says what the facts say."""

from __future__ import annotations

import csv
import heapq
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from safepassage.formats.scenario_folder import read_scenario
from safepassage.model import Scenario
from safepassage.synthetic.southwest_syria import build_southwest_syria, write_southwest_syria

BUNDLED = Path(__file__).resolve().parents[2] / "scenarios" / "southwest-syria-2018"

FACTS = {
    # place in shared/docs/scenario-facts.md: (node id, lat, lon)
    "Quneitra crossing": ("quneitra-crossing", 33.1128, 35.8158),
    "Quneitra city": ("quneitra-city", 33.1256, 35.8239),
    "Daraa": ("daraa", 32.617, 36.100),
    "Busra al-Sham": ("busra-al-sham", 32.517, 36.483),
    "Busra al-Harir": ("busra-al-harir", 32.84, 36.34),
    "Nawa": ("nawa", 32.8889, 36.0431),
    "Jasim": ("jasim", 32.967, 36.067),
    "Inkhil": ("inkhil", 33.000, 36.117),
    "al-Harra": ("al-harra", 33.050, 36.000),
    "Tafas": ("tafas", 32.7378, 36.0688),
    "Da'el": ("dael", 32.7539, 36.1300),
    "al-Shajara": ("al-shajara", 32.7717, 35.8831),
    "Nasib": ("nasib-crossing", 32.54, 36.20),
    "Ramtha": ("ramtha-crossing", 32.59, 36.06),
    "Izra'": ("izra", 32.86, 36.25),
    "al-Sanamayn": ("al-sanamayn", 33.07, 36.18),
    "al-Hirak": ("al-hirak", 32.75, 36.30),
    "Sheikh Miskin": ("sheikh-miskin", 32.83, 36.16),
    "Muzayrib": ("muzayrib", 32.71, 36.03),
    "Kafr Shams": ("kafr-shams", 33.12, 36.11),
    "Khan Arnabah": ("khan-arnabah", 33.18, 35.89),
    "Saham al-Jawlan": ("saham-al-jawlan", 32.78, 35.93),
}


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return read_scenario(BUNDLED)


def test_bundled_folder_is_exactly_what_the_generator_writes(tmp_path: Path) -> None:
    write_southwest_syria(tmp_path)
    written = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*"))
    assert sorted(str(path.relative_to(BUNDLED)) for path in BUNDLED.rglob("*")) == written
    assert {"persons.csv", "README.md", "resettlement/pledges.csv"} <= set(written)
    for name in written:
        if (tmp_path / name).is_file():
            assert (BUNDLED / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_folder_reads_back_as_the_built_scenario(scenario: Scenario) -> None:
    built, _ = build_southwest_syria()
    assert scenario == built


def test_registry_size_and_clearance(scenario: Scenario) -> None:
    assert scenario.total_persons == 1000
    cleared = sum(
        h.size for h in scenario.households if h.cleared_for == frozenset({"quneitra-crossing"})
    )
    assert 770 <= cleared <= 830
    assert {h.cleared_for for h in scenario.households} == {
        frozenset({"quneitra-crossing"}),
        frozenset({"nasib-crossing", "ramtha-crossing"}),
    }
    assert {h.priority for h in scenario.households} == {1.0, 2.0, 3.0}
    assert all(h.ready_from is None for h in scenario.households)


def test_persons_file_matches_the_households(scenario: Scenario) -> None:
    with (BUNDLED / "persons.csv").open(encoding="utf-8", newline="") as stream:
        persons = list(csv.DictReader(stream))
    assert list(persons[0]) == [
        "id",
        "household_id",
        "name_arabic",
        "name_latin",
        "sex",
        "birth_year",
        "role",
        "relationship",
    ]
    assert Counter(p["household_id"] for p in persons) == {
        h.id: h.size for h in scenario.households
    }
    assert sum(p["relationship"] == "head" for p in persons) == len(scenario.households)


def test_readme_says_the_registry_is_synthetic() -> None:
    readme = (BUNDLED / "README.md").read_text(encoding="utf-8")
    assert "**The registry of this scenario (`households.csv`, `persons.csv`) is SYNTHETIC" in (
        readme
    )
    assert "assumption" in readme


def test_the_quneitra_crossing_opens_one_night(scenario: Scenario) -> None:
    (window,) = scenario.crossing_by_node["quneitra-crossing"].windows
    assert scenario.window_steps(window) == (
        scenario.grid.step_of(datetime.fromisoformat("2018-07-21T21:30:00+03:00")),
        scenario.grid.step_of(datetime.fromisoformat("2018-07-22T06:00:00+03:00")),
    )
    assert scenario.window_steps(window) == (32 * 96 + 86, 33 * 96 + 24)
    assert window.capacity == 800
    assert scenario.crossing_by_node["quneitra-crossing"].country == "Israel"


def test_jordanian_crossings_are_listed_but_closed(scenario: Scenario) -> None:
    for node in ("nasib-crossing", "ramtha-crossing"):
        crossing = scenario.crossing_by_node[node]
        assert crossing.country == "Jordan"
        assert crossing.windows == ()
        assert crossing.requires_clearance


def test_every_place_of_the_facts_is_there_with_its_coordinates(scenario: Scenario) -> None:
    for place, (node_id, lat, lon) in FACTS.items():
        node = scenario.node_by_id[node_id]
        assert place.lower() in node.name.lower()
        assert (node.lat, node.lon) == (lat, lon)


def test_time_and_front_line(scenario: Scenario) -> None:
    grid = scenario.grid
    assert grid.start == datetime.fromisoformat("2018-06-19T00:00:00+03:00")
    assert grid.step_minutes == 15
    assert grid.instant_of(grid.horizon_steps) == datetime.fromisoformat(
        "2018-07-31T00:00:00+03:00"
    )
    unsafe = scenario.node_unsafe_step
    for node_id in ("izra", "al-sanamayn", "sheikh-miskin", "khan-arnabah", "al-shajara"):
        assert unsafe[node_id] == 0
    assert grid.instant_of(unsafe["busra-al-harir"]) == datetime.fromisoformat(
        "2018-06-25T00:00:00+03:00"
    )
    assert grid.instant_of(unsafe["quneitra-crossing"]) == datetime.fromisoformat(
        "2018-07-26T00:00:00+03:00"
    )


def test_every_home_town_could_reach_the_crossing_before_it_fell(scenario: Scenario) -> None:
    """Earliest arrival over the roads, ignoring capacities, waiting only where still safe."""
    crossing = "quneitra-crossing"
    (window,) = scenario.crossing_by_node[crossing].windows
    _, close = scenario.window_steps(window)
    for origin in {h.origin for h in scenario.households}:
        arrival = {origin: 0}
        queue = [(0, origin)]
        while queue:
            step, node = heapq.heappop(queue)
            if step > arrival[node]:
                continue
            for road in scenario.roads:
                if road.source != node:
                    continue
                reached = step + scenario.travel_steps(road)
                if reached <= scenario.road_unsafe_step(road) - 1 and reached < arrival.get(
                    road.target, close
                ):
                    arrival[road.target] = reached
                    heapq.heappush(queue, (reached, road.target))
        assert crossing in arrival, origin
