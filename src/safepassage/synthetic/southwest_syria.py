"""The bundled scenario "southwest-syria-2018": real places and dates, SYNTHETIC people.

The July 2018 evacuation of Syrian Civil Defence volunteers through the Golan is the case the
product was designed against, so the demo scenario rebuilds it from press reports
(shared/docs/scenario-facts.md): the towns, the crossings, the night the Quneitra crossing opened
and the days the towns fell. The registry is invented by :mod:`safepassage.synthetic.registry`.
Everything, README included, is generated here so that the committed folder is reproducible byte
for byte and cannot drift from the facts it cites.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from dataclasses import astuple, dataclass, fields
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path

from safepassage.formats.matching_writing import write_pledges
from safepassage.formats.scenario_folder import write_scenario
from safepassage.formats.uncertainty_law import write_uncertainty
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
from safepassage.model.uncertainty import Chance, CrossingLaw, FutureLaw, ZoneFallLaw
from safepassage.synthetic.registry import SyntheticPerson, SyntheticRegistry, generate_registry
from safepassage.synthetic.resettlement import PLEDGES_2018

NAME = "southwest-syria-2018"
SYRIA_SUMMER = timezone(timedelta(hours=3))
START = datetime(2018, 6, 19, tzinfo=SYRIA_SUMMER)
"""The government offensive on the southwest began on 19 June 2018."""
END = datetime(2018, 7, 31, tzinfo=SYRIA_SUMMER)
STEP_MINUTES = 15

ROAD_FACTOR = 1.4
"""Road length over great-circle distance, a usual detour factor for rural road networks."""
SPEED_KMH = 30
"""War-time travel: damaged roads, checkpoints, vehicles loaded with families."""
MAIN_ROAD, MINOR_ROAD, APPROACH = 240, 120, 200
"""Persons per hour entering a road: highways, village roads, the last approach to the line."""
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class _Place:
    id: str
    name: str
    lat: float
    lon: float
    kind: NodeKind
    source: str
    shelter_capacity: int | None = None


PLACES: tuple[_Place, ...] = (
    _Place("quneitra-crossing", "Quneitra crossing (Golan ceasefire line)", 33.1128, 35.8158,
           NodeKind.CROSSING, "[W]", shelter_capacity=300),
    _Place("golan-assembly", "Golan line assembly point", 33.095, 35.850, NodeKind.ASSEMBLY,
           "synthetic", shelter_capacity=500),
    _Place("quneitra-city", "Quneitra city", 33.1256, 35.8239, NodeKind.TOWN, "[W]"),
    _Place("daraa", "Daraa", 32.617, 36.100, NodeKind.TOWN, "[W]"),
    _Place("busra-al-sham", "Busra al-Sham", 32.517, 36.483, NodeKind.TOWN, "[W]"),
    _Place("busra-al-harir", "Busra al-Harir", 32.84, 36.34, NodeKind.TOWN, "[U]"),
    _Place("nawa", "Nawa", 32.8889, 36.0431, NodeKind.TOWN, "[W]"),
    _Place("jasim", "Jasim", 32.967, 36.067, NodeKind.TOWN, "[W]"),
    _Place("inkhil", "Inkhil", 33.000, 36.117, NodeKind.TOWN, "[W]"),
    _Place("al-harra", "al-Harra", 33.050, 36.000, NodeKind.TOWN, "[W]"),
    _Place("tafas", "Tafas", 32.7378, 36.0688, NodeKind.TOWN, "[W]"),
    _Place("dael", "Da'el", 32.7539, 36.1300, NodeKind.TOWN, "[W]"),
    _Place("al-shajara", "al-Shajara", 32.7717, 35.8831, NodeKind.TOWN, "[W]"),
    _Place("nasib-crossing", "Nasib\u2013Jaber crossing", 32.54, 36.20, NodeKind.CROSSING, "[U]"),
    _Place("ramtha-crossing", "Ramtha\u2013Daraa crossing", 32.59, 36.06, NodeKind.CROSSING, "[U]"),
    _Place("izra", "Izra'", 32.86, 36.25, NodeKind.TOWN, "[U]"),
    _Place("al-sanamayn", "al-Sanamayn", 33.07, 36.18, NodeKind.TOWN, "[U]"),
    _Place("al-hirak", "al-Hirak", 32.75, 36.30, NodeKind.TOWN, "[U]"),
    _Place("sheikh-miskin", "Sheikh Miskin", 32.83, 36.16, NodeKind.TOWN, "[U]"),
    _Place("muzayrib", "Muzayrib", 32.71, 36.03, NodeKind.TOWN, "[U]"),
    _Place("kafr-shams", "Kafr Shams", 33.12, 36.11, NodeKind.TOWN, "[U]"),
    _Place("khan-arnabah", "Khan Arnabah", 33.18, 35.89, NodeKind.TOWN, "[U]"),
    _Place("saham-al-jawlan", "Saham al-Jawlan", 32.78, 35.93, NodeKind.TOWN, "[U]"),
)  # fmt: skip

HOME_TOWNS: dict[str, float] = {
    "daraa": 97_969,
    "nawa": 59_170,
    "tafas": 32_236,
    "jasim": 31_683,
    "inkhil": 31_258,
    "dael": 29_408,
    "busra-al-sham": 19_683,
    "al-harra": 17_172,
    "busra-al-harir": 13_315,
    "quneitra-city": 4_318,
}
"""Where the synthetic households live: the opposition-held towns of the facts table with a
census figure, weighted by it (2004 census; Nawa 2007; Quneitra by its subdistrict)."""

ROADS: tuple[tuple[str, str, int], ...] = (
    ("quneitra-crossing", "quneitra-city", APPROACH),
    ("quneitra-crossing", "golan-assembly", APPROACH),
    ("golan-assembly", "quneitra-city", MINOR_ROAD),
    ("golan-assembly", "al-harra", MINOR_ROAD),
    ("quneitra-city", "khan-arnabah", MAIN_ROAD),
    ("al-harra", "kafr-shams", MINOR_ROAD),
    ("al-harra", "inkhil", MINOR_ROAD),
    ("al-harra", "jasim", MINOR_ROAD),
    ("kafr-shams", "inkhil", MINOR_ROAD),
    ("kafr-shams", "al-sanamayn", MINOR_ROAD),
    ("inkhil", "jasim", MAIN_ROAD),
    ("inkhil", "al-sanamayn", MAIN_ROAD),
    ("jasim", "nawa", MAIN_ROAD),
    ("nawa", "sheikh-miskin", MAIN_ROAD),
    ("nawa", "tafas", MAIN_ROAD),
    ("nawa", "saham-al-jawlan", MINOR_ROAD),
    ("saham-al-jawlan", "al-shajara", MINOR_ROAD),
    ("al-shajara", "muzayrib", MINOR_ROAD),
    ("tafas", "muzayrib", MINOR_ROAD),
    ("tafas", "dael", MINOR_ROAD),
    ("dael", "sheikh-miskin", MAIN_ROAD),
    ("dael", "daraa", MAIN_ROAD),
    ("muzayrib", "daraa", MAIN_ROAD),
    ("sheikh-miskin", "izra", MAIN_ROAD),
    ("sheikh-miskin", "al-sanamayn", MAIN_ROAD),
    ("izra", "busra-al-harir", MAIN_ROAD),
    ("izra", "al-hirak", MINOR_ROAD),
    ("busra-al-harir", "al-hirak", MINOR_ROAD),
    ("al-hirak", "busra-al-sham", MINOR_ROAD),
    ("daraa", "ramtha-crossing", MAIN_ROAD),
    ("daraa", "nasib-crossing", MAIN_ROAD),
    ("nasib-crossing", "busra-al-sham", MINOR_ROAD),
)
"""Roads join neighbouring places only, both ways; a route through a town is lost when it falls."""

QUNEITRA_WINDOW = Window(
    open=datetime(2018, 7, 21, 21, 30, tzinfo=SYRIA_SUMMER),
    close=datetime(2018, 7, 22, 6, 0, tzinfo=SYRIA_SUMMER),
    capacity=800,
)
"""The one night the Golan crossing opened; 800 is the transit Jordan authorised."""

CROSSINGS: tuple[Crossing, ...] = (
    Crossing("quneitra-crossing", "Israel", requires_clearance=True, windows=(QUNEITRA_WINDOW,)),
    Crossing("nasib-crossing", "Jordan", requires_clearance=True),
    Crossing("ramtha-crossing", "Jordan", requires_clearance=True),
)
"""Jordan kept its border closed to refugees: its crossings are listed but never open."""


@dataclass(frozen=True)
class _Fall:
    name: str
    nodes: tuple[str, ...]
    day: datetime
    basis: str


def _day(month: int, day: int) -> datetime:
    """Midnight local time: the first day of a reported range, the stricter reading."""
    return datetime(2018, month, day, tzinfo=SYRIA_SUMMER)


FALLS: tuple[_Fall, ...] = (
    _Fall("Government-held before the offensive",
          ("izra", "al-sanamayn", "sheikh-miskin", "khan-arnabah"), START,
          "government-held before the offensive (assumption)"),
    _Fall("Yarmouk basin", ("al-shajara", "saham-al-jawlan"), START,
          "taken 28-31 Jul [W]; held until then by another armed group, so closed to these "
          "evacuees from the start (assumption)"),
    _Fall("Busra al-Harir and al-Hirak", ("busra-al-harir", "al-hirak"), _day(6, 25),
          "Busra al-Harir fell 25-26 Jun [W]; al-Hirak taken with it (assumption)"),
    _Fall("Busra al-Sham", ("busra-al-sham",), _day(7, 1), "deal 1 Jul [W]"),
    _Fall("Nasib crossing", ("nasib-crossing",), _day(7, 6), "retaken 6 Jul [W]"),
    _Fall("Da'el", ("dael",), _day(7, 8), "no date found; 8 Jul assumed (assumption)"),
    _Fall("Tafas", ("tafas",), _day(7, 11), "11 Jul [U]"),
    _Fall("Daraa and the Ramtha crossing", ("daraa", "ramtha-crossing"), _day(7, 12),
          "Daraa al-Balad 12 Jul [W]; the Ramtha crossing with it (assumption)"),
    _Fall("Inkhil, Kafr Shams and Muzayrib", ("inkhil", "kafr-shams", "muzayrib"), _day(7, 12),
          "12 Jul [U]"),
    _Fall("al-Harra", ("al-harra",), _day(7, 15), "Tal al-Harra and al-Harra 15-16 Jul [W/U]"),
    _Fall("Nawa and Jasim", ("nawa", "jasim"), _day(7, 18),
          "Nawa deal 18 Jul [W]; Jasim: no 2018 date found, taken with Nawa (assumption)"),
    _Fall("Quneitra", ("quneitra-city", "quneitra-crossing", "golan-assembly"), _day(7, 26),
          "flag over the Quneitra crossing and city 26 Jul [W]"),
)  # fmt: skip


PERSON_COLUMNS = tuple(column.name for column in fields(SyntheticPerson))

FALL_SPREAD_DAYS = {"[W]": 1, "[U]": 3, "assumption": 4}
"""How far a town's fall may come before or after its date: a day for a date several sources
agree on, three for a single source or an estimate, four for a date assumed here."""


def _spread(basis: str) -> int:
    if "assumption" in basis:
        return FALL_SPREAD_DAYS["assumption"]
    if "[U]" in basis or "[W/U]" in basis:
        return FALL_SPREAD_DAYS["[U]"]
    return FALL_SPREAD_DAYS["[W]"]


JORDAN_MAY_OPEN = 0.05
"""Chance, per Jordanian crossing, that it opens one night after all (assumption)."""

UNCERTAINTY = FutureLaw(
    zones=tuple(
        ZoneFallLaw(
            fall.name,
            max(START, fall.day - timedelta(days=_spread(fall.basis))),
            fall.day,
            fall.day + timedelta(days=_spread(fall.basis)),
        )
        for fall in FALLS
        if fall.day > START
    ),
    crossings=(
        CrossingLaw(
            "quneitra-crossing",
            opens_late=Chance(0.3, 180),
            closes_early=Chance(0.3, 180),
            fewer_places=Chance(0.3, 0.5),
            not_open=0.05,
        ),
        CrossingLaw(
            "nasib-crossing",
            may_open=(
                JORDAN_MAY_OPEN,
                (Window(datetime(2018, 7, 3, 21, tzinfo=SYRIA_SUMMER),
                        datetime(2018, 7, 4, 6, tzinfo=SYRIA_SUMMER), 400),),
            ),
        ),
        CrossingLaw(
            "ramtha-crossing",
            may_open=(
                JORDAN_MAY_OPEN,
                (Window(datetime(2018, 7, 9, 21, tzinfo=SYRIA_SUMMER),
                        datetime(2018, 7, 10, 6, tzinfo=SYRIA_SUMMER), 400),),
            ),
        ),
    ),
)  # fmt: skip
"""What the crisis cell could not know: each fall within its spread (triangular around the
reported date), the Golan night opening up to three hours late or closing up to three hours
early or with half the places (each 30%) or not at all (5%), and a 5% chance that each
Jordanian crossing opens one night before its town falls. All figures are assumptions."""


def build_southwest_syria(seed: int = 2018) -> tuple[Scenario, SyntheticRegistry]:
    """The scenario and the synthetic registry its households come from."""
    registry = generate_registry(
        seed=seed,
        persons=1000,
        towns=HOME_TOWNS,
        cleared_share=0.8,
        clearance=("quneitra-crossing",),
        # Only the closed Jordanian crossings: an empty list would mean "all" in the files.
        not_cleared_for=("nasib-crossing", "ramtha-crossing"),
    )
    places = {place.id: place for place in PLACES}
    roads = []
    for a, b, capacity in ROADS:
        minutes = Fraction(_travel_minutes(places[a], places[b]))
        roads.append(Road(a, b, minutes, Fraction(capacity)))
        roads.append(Road(b, a, minutes, Fraction(capacity)))
    scenario = Scenario(
        name=NAME,
        grid=TimeGrid(START, STEP_MINUTES, (END - START) // timedelta(minutes=STEP_MINUTES)),
        nodes=tuple(Node(p.id, p.name, p.lat, p.lon, p.kind, p.shelter_capacity) for p in PLACES),
        roads=tuple(roads),
        crossings=CROSSINGS,
        zones=tuple(Zone(fall.name, fall.nodes, fall.day) for fall in FALLS),
        households=tuple(
            Household(
                id=household.id,
                size=household.size,
                origin=household.origin,
                priority=float(household.priority),
                ready_from=None,
                cleared_for=(
                    None if household.cleared_for is None else frozenset(household.cleared_for)
                ),
            )
            for household in registry.households
        ),
    )
    return scenario, registry


def write_southwest_syria(folder: Path, seed: int = 2018) -> None:
    """Write the scenario folder, ``persons.csv``, the 2018 pledges for matching the households
    that get out (``resettlement/pledges.csv``) and the README that documents them."""
    scenario, registry = build_southwest_syria(seed)
    write_scenario(scenario, folder)
    write_uncertainty(UNCERTAINTY, folder)
    with (folder / "persons.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(PERSON_COLUMNS)
        writer.writerows(astuple(person) for person in registry.persons)
    write_pledges(PLEDGES_2018, folder / RESETTLEMENT_FOLDER)
    (folder / "README.md").write_text(_readme(scenario, registry, seed), encoding="utf-8")


def _distance_km(a: _Place, b: _Place) -> float:
    """Great-circle (haversine) distance."""
    phi_a, phi_b = math.radians(a.lat), math.radians(b.lat)
    d_phi, d_lambda = phi_b - phi_a, math.radians(b.lon - a.lon)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi_a) * math.cos(phi_b) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def _travel_minutes(a: _Place, b: _Place) -> int:
    return math.ceil(_distance_km(a, b) * ROAD_FACTOR / SPEED_KMH * 60)


RESETTLEMENT_FOLDER = "resettlement"

README = """\
# Scenario "southwest-syria-2018"

> **The registry of this scenario (`households.csv`, `persons.csv`) is SYNTHETIC: generated
> people, no real person. Any resemblance of a generated name to a real person is chance.**

A demonstration scenario rebuilt from press reports of the July 2018 evacuation of Syrian Civil
Defence (White Helmets) volunteers and their families from southwest Syria. As government
forces retook Daraa and Quneitra provinces, the US, UK, France, Canada, Germany and the
Netherlands arranged for about 800 people to cross the Golan ceasefire line into Israel during
the night of 21-22 July 2018 and to transit to Jordan; 422 got out, the rest were cut off.

The scenario asks how many of {persons} people in {households} households, living in the
opposition-held towns, could have been brought to that one-night crossing before the front
line closed their roads.

Generated by `safepassage.synthetic.southwest_syria.write_southwest_syria` with seed {seed};
regenerating reproduces every file of this folder byte for byte (a test checks it). Do not
edit the files by hand: change the generator and regenerate.

## Sources
- `shared/docs/scenario-facts.md`: public facts gathered from press reports of June-October
  2018 (among them the seed reports in `shared/seeds/`) and the 2004 Syrian census. [W] marks
  facts with several agreeing sources, [U] a single source or an estimate.
- Coordinates and populations come from the same table; nothing else was looked up.

## Time
- Start {start} (the offensive began on 19 Jun 2018), steps of {step} minutes,
  {horizon} steps up to {end}.
- All instants are Syrian summer time (UTC+03:00).

## Places
| id | name | lat | lon | kind | shelter | coordinates |
|---|---|---|---|---|---|---|
{places}

## Roads
Both directions, between neighbouring places only (a hand-written list). Travel minutes are the
great-circle distance times a road factor of {factor} at {speed} km/h (war-time roads),
rounded up to whole minutes. Capacities in persons per hour entering the road: {main} on main
roads, {minor} on minor roads, {approach} on the last approach to the Quneitra crossing.

| from | to | km (great circle) | minutes | persons/hour |
|---|---|---|---|---|
{roads}

## Crossings
| crossing | country | clearance | windows |
|---|---|---|---|
{crossings}

## Front line
A place is lost from 00:00 on the first reported day (the stricter reading of a date range).

| zone | places | unsafe from | basis |
|---|---|---|---|
{zones}

## Uncertainty
`scenario.yaml` carries an `uncertainty` law for `safepassage robustness` and
`safepassage plan --robust` (the nominal files above are what `plan` uses). Every figure in it
is an assumption:

- Each town falls at a triangular instant around its date: one day either side for a date
  several sources agree on [W], three days for one source or an estimate [U], four for a date
  assumed here; never before the offensive began.

| zone | earliest | most likely | latest |
|---|---|---|---|
{uncertain_zones}

- The Golan night: with 30% each, the crossing opens up to 3 hours late, closes up to 3 hours
  early, or takes between half and all of its 800 places; with 5% it does not open.
- Jordan kept its border closed, but each Jordanian crossing has a 5% chance of opening one
  night (Nasib 3-4 Jul, Ramtha 9-10 Jul, 21:00 to 06:00, 400 persons) before its town falls.

## Registry (SYNTHETIC)
- Households: {households}. Persons: {persons}.
- Volunteers: {volunteers}. Family members: {family}.
- Household sizes from {smallest} to {largest}, mean {mean_size}.
- Priority (weight per person): 3 for a volunteer at highest risk, 2 for another volunteer's
  household, 1 for a household without a volunteer.
  {priorities}.
- Cleared for the Quneitra crossing: {cleared_households} households, {cleared_persons} persons,
  {cleared_share}. The others are cleared only for the closed Jordanian crossings, since an
  empty `cleared_for` would mean "all crossings".
- All households are ready at the start (`ready_from` empty).
- Homes are spread in proportion to the census population of each opposition-held town
  (2004 census; Nawa 2007; Quneitra city by its subdistrict):

| town | census population | households | persons |
|---|---|---|---|
{homes}

`persons.csv` has the columns:
{columns}.

A name is the given name, the father's given name and the family name, in Arabic script and in
the upper-case Latin passport form, drawn at random from lists of common names
(`safepassage.synthetic.names`); children carry their father's given and family names.

## Assumptions
- Coordinates marked [U] above are estimates from a single source.
- The "Golan line assembly point" is SYNTHETIC: no such place is reported; it stands for the
  gathering places near the ceasefire line where volunteers were told on 19 Jul to assemble.
  Its shelter capacity ({assembly_shelter} persons) and the queue area at the Quneitra crossing
  ({crossing_shelter} persons) are assumptions.
- The road network, its travel times and its capacities are assumptions (see Roads); the
  assembly point is reached from al-Harra and from Quneitra city.
- Izra', al-Sanamayn, Sheikh Miskin and Khan Arnabah are taken as government-held before the
  offensive, so unsafe from the start.
- Fall dates marked "assumption" in the front-line table are not reported; Da'el (8 Jul),
  al-Hirak (with Busra al-Harir), Jasim (with Nawa) and the Ramtha crossing (with Daraa) are
  guesses, and the Yarmouk basin is treated as closed to these evacuees from the start.
- The Quneitra window capacity (800) is the transit Jordan authorised; the window runs from
  21:30 on 21 Jul to 06:00 on 22 Jul.
- Every household is at home and ready to leave at the start; nobody moves before the plan
  moves them.
- `resettlement/pledges.csv` holds the 2018 pledges (UK about 100 people in 29 households,
  Canada about 110 in 26, Germany 47 in 8, the Netherlands 27 in 8). France was named without
  a figure: 40 places in 10 households are assumed. Medical places and languages are
  assumptions. The demo draws each household's host clearances and wishes (languages,
  relatives abroad, ranked countries) at random (`safepassage.synthetic.resettlement`).
- Towns without a census figure in the facts table (Muzayrib, Kafr Shams, al-Hirak) and places
  not held by the opposition have no households.
"""


def _readme(scenario: Scenario, registry: SyntheticRegistry, seed: int) -> str:
    places = {place.id: place for place in PLACES}
    persons = registry.persons
    sizes = [household.size for household in registry.households]
    cleared = [h for h in registry.households if h.cleared_for == ("quneitra-crossing",)]
    cleared_persons = sum(h.size for h in cleared)
    priorities = Counter(h.priority for h in registry.households)
    homes = Counter(h.origin for h in registry.households)
    home_persons: Counter[str] = Counter()
    for household in registry.households:
        home_persons[household.origin] += household.size
    volunteers = sum(1 for person in persons if person.role == "volunteer")
    return README.format(
        persons=len(persons),
        households=len(sizes),
        seed=seed,
        start=START.isoformat(),
        end=END.isoformat(),
        step=STEP_MINUTES,
        horizon=scenario.grid.horizon_steps,
        places="\n".join(
            f"| {p.id} | {p.name} | {p.lat} | {p.lon} | {p.kind} | "
            f"{p.shelter_capacity or ''} | {p.source} |"
            for p in PLACES
        ),
        factor=ROAD_FACTOR,
        speed=SPEED_KMH,
        main=MAIN_ROAD,
        minor=MINOR_ROAD,
        approach=APPROACH,
        roads="\n".join(
            f"| {a} | {b} | {_distance_km(places[a], places[b]):.1f} | "
            f"{_travel_minutes(places[a], places[b])} | {capacity} |"
            for a, b, capacity in ROADS
        ),
        crossings="\n".join(
            f"| {c.node} | {c.country} | {'required' if c.requires_clearance else 'none'} | "
            + (
                "; ".join(
                    f"{w.open.isoformat()} to {w.close.isoformat()}, {w.capacity} persons"
                    for w in c.windows
                )
                or "none (closed)"
            )
            + " |"
            for c in scenario.crossings
        ),
        zones="\n".join(
            f"| {fall.name} | {', '.join(fall.nodes)} | {fall.day.isoformat()} | {fall.basis} |"
            for fall in FALLS
        ),
        uncertain_zones="\n".join(
            f"| {z.zone} | {z.earliest.isoformat()} | {z.most_likely.isoformat()} | "
            f"{z.latest.isoformat()} |"
            for z in UNCERTAINTY.zones
        ),
        volunteers=volunteers,
        family=len(persons) - volunteers,
        smallest=min(sizes),
        largest=max(sizes),
        mean_size=f"{sum(sizes) / len(sizes):.2f}",
        priorities=", ".join(
            f"{priorities[rank]} households at {rank}" for rank in sorted(priorities, reverse=True)
        ).capitalize(),
        cleared_households=len(cleared),
        cleared_persons=cleared_persons,
        cleared_share=f"{cleared_persons / len(persons):.1%}",
        homes="\n".join(
            f"| {places[town].name} | {population:,.0f} | {homes[town]} | {home_persons[town]} |"
            for town, population in HOME_TOWNS.items()
        ),
        columns=", ".join(f"`{column}`" for column in PERSON_COLUMNS),
        assembly_shelter=places["golan-assembly"].shelter_capacity,
        crossing_shelter=places["quneitra-crossing"].shelter_capacity,
    )
