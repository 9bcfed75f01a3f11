"""Real road networks read into a RoadNetwork, and every input problem reported at once."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from safepassage.formats.problems import InputError
from safepassage.formats.road_network import (
    DEFAULT_CAPACITY_PER_HOUR,
    MIN_MINUTES,
    RoadNetwork,
    read_geojson_roads,
    read_tntp,
)

SIOUX_FALLS = Path(__file__).resolve().parents[1] / "fixtures" / "siouxfalls"
NET = SIOUX_FALLS / "SiouxFalls_net.tntp"
NODES = SIOUX_FALLS / "SiouxFalls_node.tntp"

HEADER = """<NUMBER OF ZONES> 2
<NUMBER OF NODES> 4
<FIRST THRU NODE> 1
<NUMBER OF LINKS> {links}
<END OF METADATA>


~\tinit_node\tterm_node\tcapacity\tlength\tfree_flow_time\tb\tpower\tspeed\ttoll\tlink_type\t;
"""


def tntp(tmp_path: Path, *links: str, declared: int | None = None) -> Path:
    path = tmp_path / "Tiny_net.tntp"
    count = len(links) if declared is None else declared
    path.write_text(HEADER.format(links=count) + "".join(f"\t{link}\t;\n" for link in links))
    return path


def road(network: RoadNetwork, source: str, target: str) -> tuple[float, float]:
    """``(minutes, capacity)`` of the directed road, which must exist exactly once."""
    ids = network.node_ids
    found = [
        (float(network.minutes[i]), float(network.capacity_per_hour[i]))
        for i in range(network.road_count)
        if (ids[network.source[i]], ids[network.target[i]]) == (source, target)
    ]
    assert len(found) == 1, found
    return found[0]


# -- TNTP ---------------------------------------------------------------------------------


def test_sioux_falls_reads_as_published() -> None:
    network = read_tntp(NET, NODES)
    assert network.name == "SiouxFalls"
    assert (network.node_count, network.road_count, network.zones) == (24, 76, 24)
    assert network.node_ids == tuple(str(i) for i in range(1, 25))
    first = (network.node_ids[network.source[0]], network.node_ids[network.target[0]])
    assert first == ("1", "2")
    assert network.minutes[0] == 6
    assert network.capacity_per_hour[0] == pytest.approx(25900.20064)
    assert (network.lat[0], network.lon[0]) == (43.61282792, -96.77041974)
    assert (network.lat[23], network.lon[23]) == (43.50316422, -96.74920028)


def test_the_time_unit_scales_free_flow_times() -> None:
    network = read_tntp(NET, NODES, time_unit_minutes=0.6)  # 0.01 h, as the README says
    assert network.minutes[0] == pytest.approx(3.6)


def test_without_a_node_file_nodes_sit_on_a_circle() -> None:
    network = read_tntp(NET)
    assert network.node_count == 24
    assert np.allclose(np.hypot(network.lat, network.lon), 0.5)


def test_zero_times_and_capacities_are_clamped_loops_dropped_duplicates_keep_the_widest(
    tmp_path: Path,
) -> None:
    network = read_tntp(
        tntp(
            tmp_path,
            "1\t2\t100\t1\t0\t0.15\t4\t0\t0\t1",
            "2\t3\t0\t1\t4\t0.15\t4\t0\t0\t1",
            "3\t3\t900\t1\t4\t0.15\t4\t0\t0\t1",
            "3\t4\t500\t1\t4\t0.15\t4\t0\t0\t1",
            "3\t4\t700\t1\t9\t0.15\t4\t0\t0\t1",
        )
    )
    assert network.road_count == 3
    assert road(network, "1", "2") == (MIN_MINUTES, 100)
    assert road(network, "2", "3") == (4, 1)
    assert road(network, "3", "4") == (9, 700)
    assert network.zones == 2


def test_node_files_without_a_header_and_geojson_points_are_read(tmp_path: Path) -> None:
    net = tntp(tmp_path, "1 2 100 1 3 0.15 4 0 0 1", "4 3 100 1 3 0.15 4 0 0 1")
    plain = tmp_path / "Tiny_node.tntp"
    plain.write_text("1 30208 74789\n2 30224 74793\n3 30247 74783\n4 30220 74767\n")
    network = read_tntp(net, plain)
    assert (network.lon[2], network.lat[2]) == (30247, 74783)
    points = tmp_path / "tiny_nodes.geojson"
    features = [
        {
            "type": "Feature",
            "properties": {"id": i},
            "geometry": {"type": "Point", "coordinates": [-117.9 + i / 100, 33.8]},
        }
        for i in (1, 2, 3, 4)
    ]
    points.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    network = read_tntp(net, points)
    assert network.lon[3] == pytest.approx(-117.86)


def test_every_tntp_problem_is_reported_with_file_line_and_field(tmp_path: Path) -> None:
    net = tntp(
        tmp_path,
        "1\t2\tlots\t1\t3\t0.15\t4\t0\t0\t1",
        "1\t2",
        "2\t3\t100\t1\tslow\t0.15\t4\t0\t0\t1",
        declared=9,
    )
    with pytest.raises(InputError) as raised:
        read_tntp(net)
    found = {(p.file, p.row, p.field) for p in raised.value.problems}
    assert found == {
        ("Tiny_net.tntp", 9, "capacity"),
        ("Tiny_net.tntp", 10, "capacity"),
        ("Tiny_net.tntp", 11, "free_flow_time"),
        ("Tiny_net.tntp", 4, "<NUMBER OF LINKS>"),
    }
    assert "'lots' is not a number" in str(raised.value)


def test_links_to_unknown_or_malformed_nodes_are_reported(tmp_path: Path) -> None:
    net = tntp(tmp_path, "1 2 100 1 3 0.15 4 0 0 1", "2 9 100 1 3 0.15 4 0 0 1", "0.5 1 1 1 1")
    nodes = tmp_path / "Tiny_node.tntp"
    nodes.write_text("Node X Y ;\n1 0 0 ;\n2 1 1 ;\n2 1 1 ;\n")
    with pytest.raises(InputError) as raised:
        read_tntp(net, nodes)
    found = {(p.file, p.row, p.field) for p in raised.value.problems}
    assert found == {
        ("Tiny_node.tntp", 4, "node"),
        ("Tiny_net.tntp", 10, "term_node"),
        ("Tiny_net.tntp", 11, "init_node"),
    }
    with pytest.raises(InputError) as raised:
        read_tntp(net)  # without the node file, node 9 is beyond <NUMBER OF NODES> 4
    messages = [str(p) for p in raised.value.problems]
    assert any(
        message.startswith("Tiny_net.tntp, row 10, field 'term_node': node 9 is not in 1..4")
        for message in messages
    )


def test_a_file_that_is_not_tntp_or_missing_is_one_problem(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("init term\n1 2\n")
    with pytest.raises(InputError, match="END OF METADATA"):
        read_tntp(other)
    with pytest.raises(InputError, match="missing"):
        read_tntp(tmp_path / "nowhere_net.tntp")


# -- GeoJSON ------------------------------------------------------------------------------


def line(coordinates: list[list[float]], **properties: object) -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "LineString", "coordinates": coordinates},
    }


def geojson(tmp_path: Path, *features: dict[str, object]) -> Path:
    path = tmp_path / "roads.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "name": "Valley", "features": features})
    )
    return path


def test_geojson_roads_join_at_shared_ends_and_respect_oneway(tmp_path: Path) -> None:
    network = read_geojson_roads(
        geojson(
            tmp_path,
            line([[36.0, 33.0], [36.0, 33.05], [36.0, 33.1]]),
            line([[36.0, 33.1], [36.1, 33.1]], oneway=True, minutes=7, capacity_per_hour=900),
            line([[36.1, 33.1], [36.2, 33.2]], **{"from": "ridge", "to": "pass"}),
            line([[36.2, 33.2], [36.3, 33.3]], oneway="yes", speed_kmh=20),
        )
    )
    assert network.name == "Valley"
    assert network.node_ids == ("g0", "g1", "ridge", "pass", "g2")
    assert network.road_count == 2 + 1 + 2 + 1
    assert road(network, "g1", "ridge") == (7, 900)
    # 0.1 degree of latitude is 11.12 km; at 40 km/h that is 16.7 minutes, both ways
    minutes, capacity = road(network, "g0", "g1")
    assert minutes == pytest.approx(11.1195 / 40 * 60, rel=1e-4)
    assert capacity == DEFAULT_CAPACITY_PER_HOUR
    assert road(network, "g1", "g0")[0] == minutes
    east = math.radians(0.1) * 6371.0088 * math.cos(math.radians(33.2))
    assert road(network, "pass", "g2")[0] == pytest.approx(
        math.hypot(east, math.radians(0.1) * 6371.0088) / 20 * 60, rel=1e-3
    )
    assert (network.lat[2], network.lon[2]) == (33.1, 36.1)


def test_geojson_problems_name_the_feature_and_property(tmp_path: Path) -> None:
    path = geojson(
        tmp_path,
        line([[36.0, 33.0], [36.0, 33.1]], minutes=-2),
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [1, 2]}},
        line([[36.0, 33.0], [400.0, 33.1]], oneway="maybe"),
    )
    with pytest.raises(InputError) as raised:
        read_geojson_roads(path)
    found = {(p.file, p.row, p.field) for p in raised.value.problems}
    assert found == {
        ("roads.geojson", 1, "properties.minutes"),
        ("roads.geojson", 2, "geometry"),
        ("roads.geojson", 3, "geometry.coordinates"),
        ("roads.geojson", 3, "properties.oneway"),
    }


def test_broken_json_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "roads.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [,]}')
    with pytest.raises(InputError) as raised:
        read_geojson_roads(path)
    assert [(p.file, p.row) for p in raised.value.problems] == [("roads.geojson", 2)]
