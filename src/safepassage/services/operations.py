"""Operations: checkpoints along the way, manifests for the crossings, counts for the public.

Three audiences, three rules about personal data:

- a field lead scanning a household sees ids and numbers only: a checkpoint compares a
  headcount with the registry and moves statuses, and needs nothing sealed;
- a transit liaison receives the manifest of its crossing, which carries the four fields a
  border check needs and nothing else (no Arabic name, no phone, no risk, no needs);
- the public and the humanitarian partners get counts by place and status in HXL, with small
  counts suppressed so that no family can be picked out of them.

**Who is expected.** A household's *travelling members* are its members that were not merged
into another record and are neither ``on_hold`` nor ``missing``: a held person was stopped on
purpose and a missing one is not there, so neither can be counted at a checkpoint nor expected
at a border. Checkpoints check headcounts against this list and manifests list exactly these
persons, so the border's count and the checkpoint's agree.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.model.plan import Plan
from safepassage.model.registry import (
    SUSPENDED,
    IdentityDocument,
    Person,
    Status,
    StatusChangeRefused,
)
from safepassage.model.scenario import NodeKind, Scenario
from safepassage.policy import Scope
from safepassage.services import households, registry
from safepassage.services.registry import Operator
from safepassage.store import audit
from safepassage.store.tables import CheckpointRow, PersonRow
from safepassage.verifier import verify

# --- checkpoints -----------------------------------------------------------------------------


class CheckpointKind(StrEnum):
    ASSEMBLY = "assembly"
    DEPARTURE = "departure"
    CROSSING = "crossing"

    @property
    def proves(self) -> Status:
        """The status a matching headcount at this checkpoint is evidence of."""
        return _PROVES[self]


PLACE_LENGTH = 64
"""The width of ``checkpoints.place`` and ``status_events.place``: PostgreSQL refuses a longer
value with an error that means nothing to a field lead, SQLite would silently keep it."""

_PROVES = {
    CheckpointKind.ASSEMBLY: Status.ASSEMBLED,
    CheckpointKind.DEPARTURE: Status.DEPARTED,
    CheckpointKind.CROSSING: Status.CROSSED,
}


PLACES_NAMED = 12
"""How many fitting places a refusal names; a road network has thousands."""


class PlaceRefused(ValueError):
    """A scan at a place the operation's scenario does not have, or of the wrong kind. The
    message names places that fit, never what was typed (a name in the wrong box)."""


def check_place(scenario: Scenario, kind: CheckpointKind, place: str) -> None:
    """A crossing scan is at one of the scenario's crossings, an assembly or departure scan
    at one of its other nodes: a scan at a place the plan does not know could not be set
    against it, and a typo would move households on at a place no one is."""
    crossing = kind is CheckpointKind.CROSSING
    fitting = sorted(
        node.id for node in scenario.nodes if (node.kind is NodeKind.CROSSING) == crossing
    )
    if place in fitting:
        return
    named = ", ".join(fitting[:PLACES_NAMED])
    more = f" and {len(fitting) - PLACES_NAMED} more" if len(fitting) > PLACES_NAMED else ""
    what = "crossing" if crossing else "town, junction or assembly point"
    raise PlaceRefused(
        f"the place is not a {what} of the operation's scenario ({scenario.name}); "
        f"{kind.value} scans are recorded at one of: {named}{more}"
    )


@dataclass(frozen=True)
class CheckpointOutcome:
    """What a scan did. ``refused`` is the pipeline rule that stopped the status change when
    the headcount matched; it names person ids and statuses only."""

    checkpoint_id: int
    household_id: str
    kind: CheckpointKind
    place: str
    headcount: int
    expected: int
    moved: tuple[str, ...]
    refused: str | None

    @property
    def headcount_matches(self) -> bool:
        return self.headcount == self.expected

    @property
    def discrepancy(self) -> bool:
        return not self.headcount_matches or self.refused is not None


def travelling_members(session: Session, household_id: str) -> list[tuple[str, Status]]:
    """The household's members a checkpoint counts and a manifest lists (module docstring),
    with their statuses, in the household's order."""
    members = registry.household_of(session, household_id).members
    statuses = dict(
        session.execute(
            select(PersonRow.id, PersonRow.status).where(PersonRow.id.in_(members))
        ).all()
    )
    return [
        (member, Status(statuses[member]))
        for member in members
        if Status(statuses[member]) not in SUSPENDED
    ]


def record_checkpoint(
    session: Session,
    operator: Operator,
    household_id: str,
    kind: CheckpointKind,
    place: str,
    headcount: int,
) -> CheckpointOutcome:
    """Record a scan and, when the headcount matches, move the household on.

    The scan is always kept: it is a fact that the household was seen there, with so many
    people, and dropping it because the registry disagrees would lose the one piece of
    evidence the coordinator needs to sort it out. Statuses move only when the headcount
    matches and the pipeline allows the move for every member at once; otherwise nothing
    moves and the checkpoint is flagged as a discrepancy for the coordinator, who knows
    whether a child is asleep in the car or someone stayed behind.

    Members already at the status the checkpoint proves stay as they are, so a household
    scanned twice (a re-sent offline scan) is not a discrepancy.
    """
    if headcount < 0:
        raise ValueError("a headcount cannot be negative")
    if not 0 < len(place) <= PLACE_LENGTH:
        raise ValueError(f"a checkpoint's place is an id of 1 to {PLACE_LENGTH} characters")
    counted = travelling_members(session, household_id)
    target = kind.proves
    behind = [member for member, status in counted if status is not target]
    moved: tuple[str, ...] = ()
    refused: str | None = None
    if headcount == len(counted) and behind:
        try:
            registry.set_status(
                session, operator, behind, target, place=place, reason=f"{kind.value} checkpoint"
            )
            moved = tuple(behind)
        except StatusChangeRefused as error:
            refused = str(error)
    row = CheckpointRow(
        household_id=household_id,
        kind=kind.value,
        place=place,
        headcount=headcount,
        expected=len(counted),
        discrepancy=headcount != len(counted) or refused is not None,
        at=registry.now(),
        actor=operator.name,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action="checkpoint",
        subject=household_id,
        detail={
            "checkpoint": row.id,
            "kind": kind.value,
            "place": place,
            "headcount": headcount,
            "expected": len(counted),
            "moved": len(moved),
            "discrepancy": row.discrepancy,
        },
    )
    return CheckpointOutcome(
        row.id, household_id, kind, place, headcount, len(counted), moved, refused
    )


@dataclass(frozen=True)
class FlaggedCheckpoint:
    checkpoint_id: int
    household_id: str
    kind: CheckpointKind
    place: str
    headcount: int
    expected: int
    at: datetime
    actor: str

    @property
    def reason(self) -> str:
        """A flag with matching counts can only come from a refused status change."""
        if self.headcount != self.expected:
            return f"counted {self.headcount}, expected {self.expected}"
        return f"the registry refused the move to {self.kind.proves.value}"


@dataclass(frozen=True)
class RecordedCheckpoint:
    """A checkpoint as its household's page lists it."""

    at: datetime
    kind: str
    place: str
    headcount: int
    expected: int
    discrepancy: bool
    resolved_at: datetime | None
    actor: str


def recent_checkpoints(
    session: Session, scope: Scope, household_id: str, limit: int
) -> list[RecordedCheckpoint]:
    """The household's latest checkpoints, newest first; none for a household out of scope
    (as for one that does not exist)."""
    if not households.in_scope(session, scope, household_id):
        return []
    rows = session.execute(
        select(CheckpointRow)
        .where(CheckpointRow.household_id == household_id)
        .order_by(CheckpointRow.at.desc(), CheckpointRow.id.desc())
        .limit(limit)
    ).scalars()
    return [
        RecordedCheckpoint(
            row.at,
            row.kind,
            row.place,
            row.headcount,
            row.expected,
            row.discrepancy,
            row.resolved_at,
            row.actor,
        )
        for row in rows
    ]


def discrepancies(session: Session) -> list[FlaggedCheckpoint]:
    """Every flagged checkpoint not yet resolved, oldest first: the coordinator's list."""
    rows = session.execute(
        select(CheckpointRow)
        .where(CheckpointRow.discrepancy.is_(True), CheckpointRow.resolved_at.is_(None))
        .order_by(CheckpointRow.at, CheckpointRow.id)
    ).scalars()
    return [
        FlaggedCheckpoint(
            row.id,
            row.household_id,
            CheckpointKind(row.kind),
            row.place,
            row.headcount,
            row.expected,
            # SQLite hands stamps back without their zone; they were written in UTC.
            row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC),
            row.actor,
        )
        for row in rows
    ]


class ResolutionRefused(ValueError):
    """A checkpoint that is not a discrepancy awaiting resolution."""


def resolve_discrepancy(
    session: Session, operator: Operator, checkpoint_id: int, note: str
) -> None:
    """Close a flagged checkpoint with what the coordinator found (ids and facts, no names:
    "child asleep in the car, recounted 5"). Statuses are moved separately, with their own
    rules, so the note records the judgement and the status history the moves."""
    row = session.get(CheckpointRow, checkpoint_id)
    if row is None or not row.discrepancy:
        raise ResolutionRefused(f"checkpoint {checkpoint_id} is not a flagged discrepancy")
    if row.resolved_at is not None:
        raise ResolutionRefused(f"checkpoint {checkpoint_id} was resolved already")
    if not 0 < len(note) <= 200:
        raise ResolutionRefused("a resolution note takes 1 to 200 characters")
    row.resolved_at, row.resolved_by, row.resolution = registry.now(), operator.name, note
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action="checkpoint-resolve",
        subject=row.household_id,
        detail={"checkpoint": checkpoint_id},
    )


# --- manifests -------------------------------------------------------------------------------


MANIFEST_HEADER = (
    "household_id",
    "window",
    "name_icao",
    "date_of_birth",
    "nationality",
    "document_number",
)

PASSPORT_KINDS = frozenset({"passport", "p"})
IDENTITY_CARD_KINDS = frozenset({"id", "i", "id_card", "identity_card", "national_id"})
"""Document kinds a border accepts, as registrations spell them (ICAO 9303 codes P and I,
or words); anything else (a birth certificate, a UNHCR letter) does not go on a manifest."""


class ManifestRefused(ValueError):
    """A manifest that cannot be made from this scenario and plan; the message says why
    (crossing, window and household ids only)."""


class PlanDoesNotVerify(ManifestRefused):
    """Names would go to a border for a movement that cannot happen as planned."""


@dataclass(frozen=True)
class ManifestRow:
    household_id: str
    window: str
    name_icao: str
    date_of_birth: str
    nationality: str
    document_number: str


@dataclass(frozen=True)
class Manifest:
    """The persons a crossing should expect. ``size_mismatches`` are households whose
    travelling members in the registry are not as many as the scenario planned for (the
    window's capacity was counted with the scenario's number); ``without_document`` counts
    persons with no valid passport or identity card on the day they cross."""

    crossing: str
    window_index: int | None
    rows: tuple[ManifestRow, ...]
    households: int
    size_mismatches: tuple[str, ...]
    without_document: int

    @property
    def persons(self) -> int:
        return len(self.rows)


def manifest(
    session: Session,
    operator: Operator,
    scenario: Scenario,
    plan: Plan,
    crossing: str,
    window_index: int | None,
) -> Manifest:
    """The manifest of ``crossing`` for one window (index into the crossing's windows as the
    scenario lists them) or for all of them.

    The plan must verify: a manifest is a list of names sent to a foreign border, and one
    drawn from a plan that breaks a rule would announce people who cannot arrive as planned.
    With overlapping windows a household belongs to every window its crossing step falls in
    (as the verifier counts it); in a manifest of all windows it is listed once, under the
    first of them.
    """
    found = scenario.crossing_by_node.get(crossing)
    if found is None:
        raise ManifestRefused(f"{crossing} is not a crossing of scenario {scenario.name}")
    if window_index is not None and not 0 <= window_index < len(found.windows):
        raise ManifestRefused(
            f"crossing {crossing} has {len(found.windows)} window(s); there is no window "
            f"{window_index + 1}"
        )
    report = verify(scenario, plan)
    if not report.is_valid():
        first = report.violations[0]
        raise PlanDoesNotVerify(
            f"the plan breaks the planning contract in {len(report.violations)} place(s), "
            f"first: {first.message}; check it with `safepassage verify`"
        )
    spans = [scenario.window_steps(window) for window in found.windows]
    crossing_households: list[tuple[int, int, str]] = []
    for entry in plan.evacuated:
        step = entry.crossing_step
        if entry.crossing != crossing or step is None:
            continue
        inside = [index for index, (open_, close) in enumerate(spans) if open_ <= step < close]
        if window_index is None:
            crossing_households.append((inside[0], step, entry.household))
        elif window_index in inside:
            crossing_households.append((window_index, step, entry.household))
    crossing_households.sort()

    members = {
        hid: [member for member, _status in travelling_members(session, hid)]
        for _w, _s, hid in crossing_households
    }
    person_ids = [person_id for ids in members.values() for person_id in ids]
    persons = (
        {
            person.id: person
            for person in registry.read_persons(session, operator, person_ids, purpose="manifest")
        }
        if person_ids
        else {}
    )
    rows: list[ManifestRow] = []
    without_document = 0
    for index, step, hid in crossing_households:
        window = found.windows[index]
        label = f"{window.open.isoformat()}/{window.close.isoformat()}"
        crossing_day = scenario.grid.instant_of(step).date()
        for person_id in members[hid]:
            row = _manifest_row(hid, label, persons[person_id], crossing_day)
            without_document += not row.document_number
            rows.append(row)
    mismatches = tuple(
        hid
        for _w, _s, hid in crossing_households
        if len(members[hid]) != scenario.household_by_id[hid].size
    )
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action="export",
        subject=f"manifest:{crossing}",
        detail={
            "crossing": crossing,
            "window": window_index,
            "households": len(crossing_households),
            "persons": len(rows),
        },
    )
    return Manifest(
        crossing, window_index, tuple(rows), len(crossing_households), mismatches, without_document
    )


def _manifest_row(
    household_id: str, window: str, person: Person, crossing_day: date
) -> ManifestRow:
    data = person.personal
    document = travel_document(data.documents, crossing_day)
    return ManifestRow(
        household_id=household_id,
        window=window,
        name_icao=data.name_icao,
        date_of_birth=data.birth.iso() if data.birth else "",
        nationality=data.nationality,
        document_number=document.number if document else "",
    )


def travel_document(documents: Sequence[IdentityDocument], on: date) -> IdentityDocument | None:
    """The document a border will be shown: a passport before an identity card (a passport
    is accepted everywhere an identity card is), each in the order registered, valid on the
    day of crossing, since an expired one will be turned back."""
    valid = [doc for doc in documents if doc.expires is None or doc.expires >= on]
    for kinds in (PASSPORT_KINDS, IDENTITY_CARD_KINDS):
        for doc in valid:
            if _kind(doc.kind) in kinds:
                return doc
    return None


def _kind(text: str) -> str:
    return "_".join(text.casefold().replace("-", " ").split())


def write_manifest_csv(manifest: Manifest, stream: TextIO) -> None:
    writer = csv.writer(stream)
    writer.writerow(MANIFEST_HEADER)
    for row in manifest.rows:
        writer.writerow(
            (
                row.household_id,
                row.window,
                row.name_icao,
                row.date_of_birth,
                row.nationality,
                row.document_number,
            )
        )


# --- aggregate counts in HXL -----------------------------------------------------------------


MIN_COUNT = 5
"""Counts below this are suppressed. Five is the threshold the humanitarian statistical
disclosure control guidance uses: in a village, "3 persons departed" can be one family."""

HXL_HEADER = ("Place", "Status", "Persons", "Suppressed")
HXL_TAGS = ("#loc+code", "#status+code", "#affected+ind", "#meta+suppressed")
"""HXL 1.1 hashtags. The place is the scenario node a household leaves from, not an
administrative P-code, hence ``#loc`` (any other location) with ``+code``; ``#status`` with
``+code`` for the pipeline's status codes; ``#affected+ind`` for a number of individuals.
HXL's default schema requires ``#affected`` to be a number, so a suppressed count is left
empty and ``#meta+suppressed`` says ``<5``: the file stays valid HXL and readable."""


@dataclass(frozen=True)
class CountRow:
    """``persons`` is ``None`` when the count fell below ``suppressed_below``."""

    place: str
    status: Status
    persons: int | None
    suppressed_below: int | None


def hxl_counts(
    session: Session, operator: Operator, *, min_count: int = MIN_COUNT
) -> list[CountRow]:
    """Persons by origin and status, small counts suppressed; the export is audited.

    Only cells are published, never totals by place or status: with a total next to them a
    suppressed cell could be worked out by subtraction.
    """
    if min_count < 1:
        raise ValueError("--min-count must be at least 1")
    order = {status: index for index, status in enumerate(Status)}
    counts = sorted(
        (
            (place, Status(status), persons)
            for place, status, persons in registry.counts_by_status_and_place(session)
        ),
        key=lambda item: (item[0], order[item[1]]),
    )
    rows = [
        CountRow(place, status, None, min_count)
        if persons < min_count
        else CountRow(place, status, persons, None)
        for place, status, persons in counts
    ]
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action="export",
        subject="hxl:counts",
        detail={
            "rows": len(rows),
            "suppressed": sum(row.persons is None for row in rows),
            "min_count": min_count,
        },
    )
    return rows


def write_hxl_csv(rows: Iterable[CountRow], stream: TextIO) -> None:
    writer = csv.writer(stream)
    writer.writerow(HXL_HEADER)
    writer.writerow(HXL_TAGS)
    for row in rows:
        writer.writerow(
            (
                row.place,
                row.status.value,
                "" if row.persons is None else row.persons,
                "" if row.suppressed_below is None else f"<{row.suppressed_below}",
            )
        )
