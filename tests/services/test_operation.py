"""The server's operation: its scenario is read again when a file of it changes, not before."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.orm import Session

from conftest import build, crossing
from safepassage.formats.scenario_folder import write_scenario
from safepassage.model import Household, NodeKind, Scenario
from safepassage.services.operation import current_scenario


def _scenario(crossing_id: str) -> Scenario:
    return build(
        nodes=[("a", NodeKind.TOWN), (crossing_id, NodeKind.CROSSING)],
        roads=[("a", crossing_id, 15, 20)],
        crossings=[crossing(crossing_id, (0, 3, 100))],
        households=[Household("h0", 1, "a")],
    )


def test_the_scenario_is_read_once_until_a_file_of_it_changes(
    session: Session, tmp_path: Path
) -> None:
    folder = tmp_path / "scenario"
    write_scenario(_scenario("x"), folder)
    first = current_scenario(session, scenario=folder, from_registry=False)
    assert current_scenario(session, scenario=folder, from_registry=False) is first
    write_scenario(_scenario("y"), folder)
    for entry in folder.iterdir():  # a later stamp even where the clock's grain is coarse
        stat = entry.stat()
        os.utime(entry, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    changed = current_scenario(session, scenario=folder, from_registry=False)
    assert [node.id for node in changed.nodes] == ["a", "y"]
