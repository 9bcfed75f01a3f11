"""Laws to sample futures from, where a crisis cell knows ranges rather than alternatives.

"Nawa falls between the 12th and the 18th, most likely the 15th"; "the crossing may open up to
four hours late"; "the Jordanian crossings might open after all". Each law draws a
:class:`~safepassage.model.futures.Future` of the contract's shape, so a sampled future is
valued exactly like a listed one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from safepassage.model.scenario import Window


@dataclass(frozen=True)
class Chance:
    """An event with its probability and how far it goes: minutes, or a share of places."""

    probability: float
    extent: float

    def __post_init__(self) -> None:
        if not 0 <= self.probability <= 1:
            raise ValueError("a probability lies between 0 and 1")
        if self.extent < 0:
            raise ValueError("an extent is not negative")


@dataclass(frozen=True)
class ZoneFallLaw:
    """A zone falls at a triangular instant: earliest, most likely, latest."""

    zone: str
    earliest: datetime
    most_likely: datetime
    latest: datetime

    def __post_init__(self) -> None:
        if not self.earliest <= self.most_likely <= self.latest:
            raise ValueError(f"zone {self.zone}: earliest <= most likely <= latest")


@dataclass(frozen=True)
class CrossingLaw:
    """What may happen to each window of a crossing, independently per window.

    ``opens_late`` and ``closes_early`` shift by up to ``extent`` minutes (uniform);
    ``fewer_places`` keeps a uniform share between ``extent`` and 1 of the places;
    ``not_open`` is the chance a window does not open at all. ``may_open`` gives windows that
    open with a probability when the nominal crossing has none (a border thought shut).
    """

    node: str
    opens_late: Chance | None = None
    closes_early: Chance | None = None
    fewer_places: Chance | None = None
    not_open: float = 0.0
    may_open: tuple[float, tuple[Window, ...]] | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.not_open <= 1:
            raise ValueError(f"crossing {self.node}: not_open is a probability")
        if self.fewer_places is not None and self.fewer_places.extent > 1:
            raise ValueError(f"crossing {self.node}: a share of places is at most 1")
        if self.may_open is not None and not 0 <= self.may_open[0] <= 1:
            raise ValueError(f"crossing {self.node}: may_open's probability lies in [0, 1]")


@dataclass(frozen=True)
class RoadCutLaw:
    """With ``probability`` the road is cut at a uniform instant in [earliest, latest], in
    both directions when ``both_ways`` (a bidirectional ``edges.csv`` row)."""

    source: str
    target: str
    probability: float
    earliest: datetime
    latest: datetime
    both_ways: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.probability <= 1 or self.latest < self.earliest:
            raise ValueError(
                f"road {self.source}->{self.target}: a probability, earliest <= latest"
            )


@dataclass(frozen=True)
class FutureLaw:
    """Everything uncertain about a scenario; what it does not name stays nominal."""

    zones: tuple[ZoneFallLaw, ...] = ()
    crossings: tuple[CrossingLaw, ...] = ()
    roads: tuple[RoadCutLaw, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.zones or self.crossings or self.roads)
