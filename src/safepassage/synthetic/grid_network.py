"""Square grid road networks: the regular counterpart of the TNTP cities in benchmarks.

A grid has many equally short routes, so it tests how planners share capacity among
alternatives rather than along one corridor. Every fourth row and column is an arterial with
twice the capacity; spacing is 1 km near 33N 36E, so the scenario is a valid folder.
"""

from __future__ import annotations

import numpy as np

from safepassage.formats.road_network import RoadNetwork

KM_IN_DEGREES = 1 / 111.0


def grid_network(rows: int, columns: int, *, seed: int = 0, minutes: float = 3.0) -> RoadNetwork:
    """``rows`` x ``columns`` nodes, roads both ways between neighbours, times jittered by seed."""
    if rows < 2 or columns < 2:
        raise ValueError("a grid needs at least 2 rows and 2 columns")
    rng = np.random.default_rng(seed)
    index = np.arange(rows * columns).reshape(rows, columns)
    right = np.stack([index[:, :-1].ravel(), index[:, 1:].ravel()], axis=1)
    down = np.stack([index[:-1, :].ravel(), index[1:, :].ravel()], axis=1)
    pairs = np.concatenate([right, down])
    source = np.concatenate([pairs[:, 0], pairs[:, 1]])
    target = np.concatenate([pairs[:, 1], pairs[:, 0]])
    row_of, column_of = np.divmod(np.arange(rows * columns), columns)
    arterial = ((row_of[source] % 4 == 0) & (row_of[target] % 4 == 0)) | (
        (column_of[source] % 4 == 0) & (column_of[target] % 4 == 0)
    )
    travel = minutes * rng.uniform(0.8, 1.6, size=len(pairs))
    return RoadNetwork(
        name=f"grid-{rows}x{columns}",
        node_ids=tuple(str(i + 1) for i in range(rows * columns)),
        lat=33.0 + row_of * KM_IN_DEGREES,
        lon=36.0 + column_of * KM_IN_DEGREES,
        source=source.astype(np.int64),
        target=target.astype(np.int64),
        minutes=np.concatenate([travel, travel]),
        capacity_per_hour=np.where(arterial, 1200.0, 600.0),
        zones=0,
    )
