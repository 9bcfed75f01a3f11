"""`generate network`: a real network in, a scenario folder out that plans and verifies."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from safepassage.cli.main import app

runner = CliRunner()
SIOUX_FALLS = Path(__file__).resolve().parents[1] / "fixtures" / "siouxfalls"
NET = str(SIOUX_FALLS / "SiouxFalls_net.tntp")
NODES = str(SIOUX_FALLS / "SiouxFalls_node.tntp")


def test_generate_on_sioux_falls_then_plan_and_verify(tmp_path: Path) -> None:
    folder = tmp_path / "sf"
    generated = runner.invoke(
        app,
        [
            "generate",
            "network",
            NET,
            str(folder),
            "--nodes",
            NODES,
            "--households",
            "120",
            "--seed",
            "2",
            "--horizon-steps",
            "96",
            "--step-minutes",
            "15",
            "--crossings",
            "2",
        ],
    )
    assert generated.exit_code == 0, generated.output
    assert "24 nodes, 76 roads, 120 households" in " ".join(generated.output.split())
    plan_file = tmp_path / "p.json"
    planned = runner.invoke(app, ["plan", str(folder), "--out", str(plan_file)])
    assert planned.exit_code == 0, planned.output
    assert "verified: yes" in planned.output
    assert json.loads(plan_file.read_text(encoding="utf-8"))["objective"] > 0
    checked = runner.invoke(app, ["verify", str(folder), str(plan_file)])
    assert checked.exit_code == 0, checked.output


def test_geojson_roads_generate_too(tmp_path: Path) -> None:
    roads = tmp_path / "roads.geojson"
    features = [
        {
            "type": "Feature",
            "properties": {},
            "geometry": {
                "type": "LineString",
                "coordinates": [[36.0 + i / 10, 33.0], [36.1 + i / 10, 33.0]],
            },
        }
        for i in range(5)
    ]
    roads.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    result = runner.invoke(
        app, ["generate", "network", str(roads), str(tmp_path / "g"), "--crossings", "1"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "g" / "households.csv").is_file()


def test_a_broken_network_file_lists_its_problems_and_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "Broken_net.tntp"
    broken.write_text(
        Path(NET).read_text(encoding="utf-8").replace("\t1\t3\t23403.47319", "\t1\t3\tmany", 1)
    )
    result = runner.invoke(app, ["generate", "network", str(broken), str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "Broken_net.tntp, row 11, field 'capacity'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_nodes_with_geojson_roads_and_too_many_crossings_exit_2(tmp_path: Path) -> None:
    roads = tmp_path / "roads.geojson"
    roads.write_text('{"type": "FeatureCollection", "features": []}')
    result = runner.invoke(
        app, ["generate", "network", str(roads), str(tmp_path / "o"), "--nodes", NODES]
    )
    assert result.exit_code == 2
    assert "--nodes" in result.output
    result = runner.invoke(
        app, ["generate", "network", NET, str(tmp_path / "o"), "--crossings", "24"]
    )
    assert result.exit_code == 2
    assert "--crossings" in result.output
