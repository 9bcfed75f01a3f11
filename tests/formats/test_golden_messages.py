"""The exact messages of bad scenario folders, registry files and matching rounds.

Written down before the three readers were moved onto one table core, so that the move is
seen to change no word a coordinator reads: each case builds a bad file, reads it, and
compares every problem, in order, with what the readers said before.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]

from safepassage.formats.matching_csv import read_matching_folder
from safepassage.formats.problems import InputError
from safepassage.formats.registry_rows import (
    ColumnMapping,
    RegistryRow,
    check_row,
    read_table,
)
from safepassage.formats.scenario_folder import read_scenario

TODAY = date(2018, 7, 19)

SCENARIO_YAML = """\
name: Golden valley
start: 2018-07-21T06:00:00+03:00
step_minutes: 15
horizon_steps: 16
crossings:
  - node: X
    country: Jordan
    windows:
      - open: 2018-07-21T07:00:00+03:00
        close: 2018-07-21T08:00:00+03:00
        capacity: 100
zones:
  - name: North
    nodes: [A]
    unsafe_from: 2018-07-21T07:07:00+03:00
"""
NODES_CSV = (
    "id,name,lat,lon,kind,shelter_capacity\nA,Alpha,32.6,36.1,town,\nX,Border,32.4,35.9,crossing,\n"
)
EDGES_CSV = "from,to,minutes,capacity_per_hour,bidirectional,unsafe_from\nA,X,20,120,,\n"
HOUSEHOLDS_CSV = "id,size,origin,ready_from,priority,cleared_for\nH1,4,A,,,\n"
SCENARIO_FILES = {
    "scenario.yaml": SCENARIO_YAML,
    "nodes.csv": NODES_CSV,
    "edges.csv": EDGES_CSV,
    "households.csv": HOUSEHOLDS_CSV,
}


def scenario_messages(tmp_path: Path, **replaced: str | bytes | None) -> list[str]:
    folder = tmp_path / "scenario"
    folder.mkdir()
    for file, text in SCENARIO_FILES.items():
        content = replaced.get(file.replace(".", "_"), text)
        if isinstance(content, bytes):
            (folder / file).write_bytes(content)
        elif content is not None:
            (folder / file).write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_scenario(folder)
    return [str(problem).replace(str(tmp_path), "<tmp>") for problem in raised.value.problems]


SCENARIO_CASES: dict[str, dict[str, str | bytes | None]] = {
    "bad node values": {
        "nodes_csv": "id,name,lat,lon,kind,shelter_capacity\n"
        "A,Alpha,95,36.1,town,\n"
        "A,Again,north,200,castle,-3\n"
        "X,Border,32.4,35.9,crossing,1e9999\n"
        "Y,Short,1\n"
    },
    "bad edge values": {
        "edges_csv": "from,to,minutes,capacity_per_hour,bidirectional,unsafe_from\n"
        "A,A,-1,ten,maybe,yesterday\n"
        "A,Q,,1/0,,2018-07-21T09:00\n"
        "A,X,20,120,true,\n"
        "X,A,25,120,false,\n"
    },
    "bad household values": {
        "households_csv": "id,size,origin,ready_from,priority,cleared_for\n"
        "H1,0,A,soon,-1,Z\n"
        "H1,2.5,Q,,abc,*;X\n"
        "H3,,A,,,;\n"
    },
    "missing and duplicate columns": {
        "nodes_csv": "id,name,lat,lat,kind\nA,Alpha,1,2,town\n",
        "edges_csv": "from,to\nA,X\n",
    },
    "empty, missing and undecodable files": {
        "nodes_csv": "",
        "edges_csv": None,
        "households_csv": b"\xef\xbb\xbfid,size,origin,ready_from,priority\nH\xff1,2,A,,\n",
    },
    "broken quotes": {"households_csv": 'id,size,origin,ready_from,priority\n"H1,2,A,,\n'},
    "bad yaml": {"scenario_yaml": "name: [unclosed\nstart: 2018\n"},
    "wrong yaml values": {
        "scenario_yaml": "name: X\nstart: 2018-07-21T06:00:00\nstep_minutes: 0\n"
        "crossings:\n  - node: Q\n    country: J\n  - node: Q\n    country: J\n    windows: []\n"
        "zones:\n  - name: Z\n    unsafe_from: never\n"
    },
}

SCENARIO_EXPECTED: dict[str, list[str]] = {
    "bad edge values": [
        "edges.csv, row 2, field 'to': road from 'A' to itself: a road must join "
        "two different nodes; correct from or to",
        "edges.csv, row 2, field 'minutes': '-1' is negative: use 0 or more",
        "edges.csv, row 2, field 'capacity_per_hour': 'ten' is not a number: "
        "write it like 12 or 7.5",
        "edges.csv, row 2, field 'bidirectional': 'maybe' is not true or false: "
        "write true, false, yes, no, 1 or 0",
        "edges.csv, row 2, field 'unsafe_from': 'yesterday' is not an ISO 8601 "
        "instant: write it like 2018-07-21T21:30:00+03:00",
        "edges.csv, row 3, field 'to': unknown node 'Q': add it to nodes.csv or correct the id",
        "edges.csv, row 3, field 'minutes': no value: fill in minutes",
        "edges.csv, row 3, field 'capacity_per_hour': '1/0' is not a number: "
        "write it like 12 or 7.5",
        "edges.csv, row 5: conflicting duplicate road X->A (rows 4 and 5): keep "
        "one row, or set bidirectional=false",
    ],
    "bad household values": [
        "households.csv, row 2, field 'size': '0' is too small: use 1 or more",
        "households.csv, row 2, field 'ready_from': 'soon' is not an ISO "
        "8601 instant: write it like 2018-07-21T21:30:00+03:00",
        "households.csv, row 2, field 'priority': '-1' is not a positive "
        "number: write it like 1 or 2.5, or leave it empty for 1",
        "households.csv, row 2, field 'cleared_for': 'Z' is not a crossing "
        "in scenario.yaml: list crossing node ids separated by ';', or * "
        "for all",
        "households.csv, row 3, field 'id': duplicate household id 'H1' "
        "(rows 2 and 3): give each household its own id",
        "households.csv, row 3, field 'size': '2.5' is not a whole number: write it like 4",
        "households.csv, row 3, field 'origin': unknown node 'Q': add it to "
        "nodes.csv or correct the id",
        "households.csv, row 3, field 'priority': 'abc' is not a positive "
        "number: write it like 1 or 2.5, or leave it empty for 1",
        "households.csv, row 3, field 'cleared_for': * (all crossings) "
        "cannot be combined with crossing ids: write one or the other",
        "households.csv, row 4, field 'size': no value: fill in size",
        "households.csv, row 4, field 'cleared_for': names no crossing: "
        "leave it empty or write * for all crossings, or list crossing ids "
        "separated by ';'",
    ],
    "bad node values": [
        "nodes.csv, row 2, field 'lat': '95' is not in decimal degrees between "
        "-90 and 90: write it like 32.6189",
        "nodes.csv, row 3, field 'id': duplicate node id 'A' (rows 2 and 3): "
        "give each node its own id",
        "nodes.csv, row 3, field 'lat': 'north' is not in decimal degrees "
        "between -90 and 90: write it like 32.6189",
        "nodes.csv, row 3, field 'lon': '200' is not in decimal degrees between "
        "-180 and 180: write it like 32.6189",
        "nodes.csv, row 3, field 'kind': unknown kind 'castle': use one of town, "
        "junction, assembly, crossing",
        "nodes.csv, row 3, field 'shelter_capacity': '-3' is negative: use 0 or more",
        "nodes.csv, row 4, field 'shelter_capacity': '1e9999' is out of range: "
        "write an ordinary number",
        "nodes.csv, row 5: row has 3 cells but the header has 6 columns: make "
        "every row match the header (quote cells that contain commas)",
    ],
    "bad yaml": [
        "scenario.yaml, row 2: not valid YAML (expected ',' or ']', but got ':'): check "
        "the indentation, colons and quotes on this line and the one before"
    ],
    "broken quotes": [
        "households.csv, row 2: row has 1 cells but the header has 5 columns: make "
        "every row match the header (quote cells that contain commas)"
    ],
    "empty, missing and undecodable files": [
        "nodes.csv: file is empty: expected the header `id,name,lat,lon,kind[,shelter_capacity]`",
        "edges.csv: file is missing: add it to the folder, "
        "with the header "
        "`from,to,minutes,capacity_per_hour[,bidirectional][,unsafe_from]`",
        "households.csv, row 2: byte 39 of the file is not "
        'UTF-8: save the file as UTF-8 ("CSV UTF-8" in '
        "spreadsheet programs)",
    ],
    "missing and duplicate columns": [
        "scenario.yaml, row 6, field 'crossings[0].node': unknown "
        "node 'X': add it to nodes.csv or correct the id",
        "nodes.csv, row 1, field 'lat': column 'lat' appears twice: keep one",
        "nodes.csv, row 1: missing column(s) lon: the header must "
        "be `id,name,lat,lon,kind[,shelter_capacity]`",
        "edges.csv, row 1: missing column(s) minutes, "
        "capacity_per_hour: the header must be "
        "`from,to,minutes,capacity_per_hour[,bidirectional][,unsafe_from]`",
        "edges.csv, row 2, field 'to': unknown node 'X': add it to nodes.csv or correct the id",
    ],
    "wrong yaml values": [
        "scenario.yaml, field 'horizon_steps': missing: add `horizon_steps: ...`",
        "scenario.yaml, row 2, field 'start': '2018-07-21T06:00:00' has no UTC "
        "offset: add one, like 2018-07-21T21:30:00+03:00",
        "scenario.yaml, row 3, field 'step_minutes': '0' is too small: use 1 or more",
        "scenario.yaml, row 5, field 'crossings[0].windows': no windows: list "
        "the crossing's windows, or write `windows: []` if it is closed",
        "scenario.yaml, row 5, field 'crossings[0].node': unknown node 'Q': "
        "add it to nodes.csv or correct the id",
        "scenario.yaml, row 7, field 'crossings[1].node': crossing 'Q' is "
        "listed twice (lines 5 and 7): merge the two entries into one with all "
        "their windows",
        "scenario.yaml, row 7, field 'crossings[1].node': unknown node 'Q': "
        "add it to nodes.csv or correct the id",
        "scenario.yaml, row 11, field 'zones[0].nodes': no nodes: list the "
        "zone's nodes, or write `nodes: []`",
        "scenario.yaml, row 12, field 'zones[0].unsafe_from': 'never' is not "
        "an ISO 8601 instant: write it like 2018-07-21T21:30:00+03:00",
    ],
}


def registry_file_messages(tmp_path: Path, name: str, content: bytes) -> list[str]:
    path = tmp_path / name
    path.write_bytes(content)
    try:
        table = read_table(path)
        ColumnMapping.default().check_headers(name, table.headers)
    except InputError as error:
        return [str(problem).replace(str(tmp_path), "<tmp>") for problem in error.problems]
    columns = ColumnMapping.default().columns(table.headers)
    messages = []
    for raw in table.rows:
        outcome = check_row(raw, columns, file=name, today=TODAY)
        if not isinstance(outcome, RegistryRow):
            messages.extend(str(problem) for problem in outcome.problems)
    return messages


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


REGISTRY_HEADER = "person_id,household_id,origin,name_icao,sex,date_of_birth,consent,phone,status\n"
REGISTRY_CASES: dict[str, tuple[str, bytes]] = {
    "not utf-8": ("people.csv", "name\nJos\xe9\n".encode("latin-1")),
    "duplicate and empty headers": ("people.csv", b"a,,A\n1,2,3\n"),
    "empty": ("people.csv", b""),
    "no headers": ("people.csv", b",,\n1,2,3\n"),
    "not a table": ("people.ods", b"x"),
    "not a workbook": ("people.xlsx", b"not a zip"),
    "required columns missing": ("people.csv", b"person_id;origin\nk1;nawa\n"),
    "bad rows": (
        "people.csv",
        (
            REGISTRY_HEADER
            + "k1,HH-1,nawa,Yousef Othman,male,03/04/1971,yes,,\n"
            + "k2,HH-1,na wa,Y\u00dcSEF,q,31/02/1971,maybe,12,gone\n"
            + "k3,,nawa,,m,2030,no,,,extra\n"
        ).encode(),
    ),
    "bad xlsx rows": (
        "people.xlsx",
        xlsx(
            [
                ["person_id", "household_id", "origin", "name_icao", "sex", "consent"],
                ["k1", "HH-1", "nawa", "Ali", "f", 3],
                [None, None, None, None, None, None],
                ["k2", 7, "nawa", "Ali<<", "m", "yes"],
            ]
        ),
    ),
}

REGISTRY_EXPECTED: dict[str, list[str]] = {
    "bad rows": [
        "people.csv, row 3, field 'origin': is not a place id of the scenario: letters, "
        "digits, '-', '_', '.' or ':', at most 64 characters",
        "people.csv, row 3, field 'name_icao': must be written as in the passport's "
        "machine-readable zone: letters A-Z and spaces only (hyphens become spaces, "
        "apostrophes are dropped); transliterate other letters as the passport does and "
        "write spaces, not '<'",
        "people.csv, row 3, field 'date_of_birth': is not a date of birth: write YYYY, "
        "YYYY-MM, YYYY-MM-DD or DD/MM/YYYY",
        "people.csv, row 3, field 'sex': must be M, F or X (unspecified); male and "
        "female are read too",
        "people.csv, row 3, field 'consent': must be yes or no (true/false and 1/0 are read too)",
        "people.csv, row 3, field 'phone': must be a phone number: 6 to 15 digits, '+' "
        "and the country code",
        "people.csv, row 3, field 'status': must be a status of the pipeline a "
        "registration may start at: registered, verified, cleared, assembled, departed, "
        "crossed, in_transit, matched, resettled",
        "people.csv, row 4: has values to the right of the last column: give them a "
        "header or delete them",
        "people.csv, row 4, field 'household_id': is required and empty in this row: fill it in",
        "people.csv, row 4, field 'name_icao': is required and empty in this row: fill it in",
        "people.csv, row 4, field 'date_of_birth': is in the future: check the year",
        "people.csv, row 4, field 'consent': no consent and no legal basis: record the "
        "person's consent (yes) or, without it, the legal basis of the registration in "
        "'legal_basis' (vital interests, for instance)",
    ],
    "bad xlsx rows": [
        "people.xlsx, row 2, field 'consent': must be yes or no (true/false and 1/0 are read too)",
        "people.xlsx, row 4, field 'name_icao': must be written as in the "
        "passport's machine-readable zone: letters A-Z and spaces only (hyphens "
        "become spaces, apostrophes are dropped); transliterate other letters as "
        "the passport does and write spaces, not '<'",
    ],
    "duplicate and empty headers": [
        "<tmp>/people.csv, row 1: column 2 has no header: name it or delete it",
        "<tmp>/people.csv, row 1, field 'A': appears in columns 1 and 3: keep one of them",
    ],
    "empty": ["<tmp>/people.csv: is empty: row 1 must hold the headers"],
    "no headers": ["<tmp>/people.csv, row 1: has no headers: row 1 must name the columns"],
    "not a table": ["<tmp>/people.ods: is neither .csv nor .xlsx: export the table as one"],
    "not a workbook": ["<tmp>/people.xlsx: is not an XLSX workbook: save it as .xlsx"],
    "not utf-8": ["<tmp>/people.csv: is not UTF-8 text: save it as 'CSV UTF-8'"],
    "required columns missing": [
        "people.csv, row 1, field 'household_id': is required and no "
        "column holds it (headers read: household_id, hh_id)",
        "people.csv, row 1, field 'name_icao': is required and no "
        "column holds it (headers read: name_icao, name_latin, name_en)",
        "people.csv, row 1, field 'sex': is required and no column "
        "holds it (headers read: sex, gender)",
    ],
}


def matching_messages(tmp_path: Path, files: dict[str, list[list[str]] | bytes]) -> list[str]:
    folder = tmp_path / "round"
    folder.mkdir()
    for name, rows in files.items():
        if isinstance(rows, bytes):
            (folder / name).write_bytes(rows)
            continue
        text = io.StringIO(newline="")
        csv.writer(text).writerows(rows)
        (folder / name).write_text(text.getvalue(), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_matching_folder(folder)
    return [str(problem).replace(str(tmp_path), "<tmp>") for problem in raised.value.problems]


GOOD_PLEDGES = [
    ["id", "kind", "country", "places_persons"],
    ["DE-berlin", "city", "DE", "5"],
    ["GB", "country", "GB", "4"],
]
GOOD_HOUSEHOLDS = [["id", "size"], ["h1", "4"], ["h2", "2"]]
MATCHING_CASES: dict[str, dict[str, list[list[str]] | bytes]] = {
    "bad pledges": {
        "households.csv": GOOD_HOUSEHOLDS,
        "pledges.csv": [
            [
                "id",
                "kind",
                "country",
                "places_persons",
                "max_household_size",
                "deadline",
                "requires_vetting",
                "languages",
            ],
            ["p1", "castle", "", "-2", "0", "tomorrow", "perhaps", "de;;en"],
            ["p1", "city", "DE", "3", "", "", "", ""],
            ["", "city", "DE", "3", "", "", "", ""],
            ["DE", "city", "DE", "x", "", "", "", ""],
            ["p9", "city"],
        ],
    },
    "bad households": {
        "pledges.csv": GOOD_PLEDGES,
        "households.csv": [
            ["id", "size", "medical", "languages", "preferences", "batch", "ready"],
            ["h1", "0", "1", "ar:9", "DE-berlin;DE-berlin", "-1", "2018-13-01"],
            ["h2", "2", "3", ":2", "nowhere", "x", ""],
            ["h3", "2", "0", "ar;ar", "a;b;c;d;e;f;g;h;i;j;k", "0", ""],
        ],
    },
    "bad side files": {
        "pledges.csv": GOOD_PLEDGES,
        "households.csv": GOOD_HOUSEHOLDS,
        "vetting.csv": [
            ["household", "host", "status"],
            ["h1", "DE", "cleared"],
            ["h1", "DE", "refused"],
            ["h9", "FR", "maybe"],
        ],
        "outcomes.csv": [
            ["household", "host", "score"],
            ["h1", "DE-berlin", "2"],
            ["h1", "GB", "zero"],
            ["h2", "DE", ""],
        ],
        "overrides.csv": [
            ["household", "host", "action", "reason"],
            ["h1", "DE-berlin", "pin", "family"],
            ["h1", "GB", "pin", "family"],
            ["h2", "GB", "ban", ""],
        ],
        "rules.yaml": b"floors:\n  nobody: 0.5\npacing: [0.9, 0.5]\n",
    },
    "unreadable files": {
        "pledges.csv": b"\xef\xbb\xbfid,kind,country\nDE-berlin,city,DE\n",
        "households.csv": b"id,size\n\xff,2\n",
        "vetting.csv": b"",
        "outcomes.csv": b'household,host,score\n"h1,DE,0.5\n',
    },
    "missing pledges": {"households.csv": GOOD_HOUSEHOLDS},
}

MATCHING_EXPECTED: dict[str, list[str]] = {
    "bad households": [
        "pledges.csv, row 3, field 'id': this pledge id is also a country in the "
        "file: vetting and preferences naming it would be ambiguous; add to the "
        "id, e.g. -national",
        "households.csv, row 2, field 'size': must be at least 1",
        "households.csv, row 2, field 'preferences': ranks the same place twice",
        "households.csv, row 2, field 'batch': must be at least 0",
        "households.csv, row 2, field 'ready': is not a date: write it as "
        "YYYY-MM-DD, e.g. 2018-10-17",
        "households.csv, row 3, field 'medical': more members with medical needs than members",
        "households.csv, row 3, field 'languages': has a language without a code: "
        "write e.g. ar;en:2",
        "households.csv, row 3, field 'preferences': ranks a place that is "
        "neither a pledge id nor a country in pledges.csv",
        "households.csv, row 3, field 'batch': is not a whole number: write a "
        "whole number of at least 0",
        "households.csv, row 4, field 'languages': lists a language twice",
        "households.csv, row 4, field 'preferences': ranks more than 5: keep the best 5",
    ],
    "bad pledges": [
        "pledges.csv, row 2, field 'kind': write one of country, city",
        "pledges.csv, row 2, field 'country': no value: fill in the host's country",
        "pledges.csv, row 2, field 'places_persons': must be at least 0",
        "pledges.csv, row 2, field 'max_household_size': must be at least 1",
        "pledges.csv, row 2, field 'languages': has an empty item: separate items "
        "with ';' and nothing else",
        "pledges.csv, row 2, field 'deadline': is not a date: write it as "
        "YYYY-MM-DD, e.g. 2018-10-17",
        "pledges.csv, row 2, field 'requires_vetting': write true or false",
        "pledges.csv, row 3, field 'id': this pledge id is also on row 2: give each "
        "pledge its own id",
        "pledges.csv, row 4, field 'id': no value: give the pledge an id",
        "pledges.csv, row 5, field 'places_persons': is not a whole number: write a "
        "whole number of at least 0",
        "pledges.csv, row 6: row has 2 cells but the header has 8: quote cells that contain commas",
    ],
    "bad side files": [
        "pledges.csv, row 3, field 'id': this pledge id is also a country in the "
        "file: vetting and preferences naming it would be ambiguous; add to the "
        "id, e.g. -national",
        "vetting.csv, row 3: the same household and host are also on row 2: keep "
        "one vetting outcome per pair",
        "vetting.csv, row 4, field 'household': names no household of households.csv",
        "vetting.csv, row 4, field 'host': names no pledge or country of pledges.csv",
        "vetting.csv, row 4, field 'status': write one of cleared, refused, pending",
        "overrides.csv, row 3, field 'action': this household is already pinned "
        "on row 2: a household goes to one place",
        "overrides.csv, row 4, field 'action': write one of pin, forbid",
        "overrides.csv, row 4, field 'reason': no value: say why, the reason is "
        "kept with the decision",
        "outcomes.csv, row 2, field 'score': must lie between 0 and 1",
        "outcomes.csv, row 3, field 'score': is not a number: write a number between 0 and 1",
        "outcomes.csv, row 4, field 'host': names no pledge of pledges.csv",
        "outcomes.csv, row 4, field 'score': no value: fill in score",
        "rules.yaml, field 'floors.nobody': no household is in this group",
        "rules.yaml, field 'pacing': write a list of shares that rise from batch "
        "to batch, each above 0 and at most 1, e.g. [0.5, 0.8]",
    ],
    "missing pledges": [
        "pledges.csv: file is missing: add it with the header "
        "`id,kind,country,places_persons[,places_households][,max_household_size][,medical_places][,languages][,deadline][,requires_vetting]`"
    ],
    "unreadable files": [
        "pledges.csv, row 1: missing column(s) places_persons: the header is "
        "`id,kind,country,places_persons[,places_households][,max_household_size][,medical_places][,languages][,deadline][,requires_vetting]`",
        'households.csv: is not UTF-8: save it as "CSV UTF-8"',
        "vetting.csv: file is empty: expected the header `household,host,status`",
        "outcomes.csv, row 2: row has 1 cells but the header has 3: quote cells "
        "that contain commas",
    ],
}


@pytest.mark.parametrize("case", sorted(SCENARIO_CASES))
def test_scenario_folder_messages_are_unchanged(tmp_path: Path, case: str) -> None:
    assert scenario_messages(tmp_path, **SCENARIO_CASES[case]) == SCENARIO_EXPECTED[case]


@pytest.mark.parametrize("case", sorted(REGISTRY_CASES))
def test_registry_file_messages_are_unchanged(tmp_path: Path, case: str) -> None:
    name, content = REGISTRY_CASES[case]
    assert registry_file_messages(tmp_path, name, content) == REGISTRY_EXPECTED[case]


@pytest.mark.parametrize("case", sorted(MATCHING_CASES))
def test_matching_round_messages_are_unchanged(tmp_path: Path, case: str) -> None:
    assert matching_messages(tmp_path, MATCHING_CASES[case]) == MATCHING_EXPECTED[case]
