"""Resettlement matching on the registry: the households that reached safety, to pledges.

A round takes the households with members across the border (``crossed`` or ``in_transit``)
and counts, for each, those members and how many of them need a medical place. Medical needs
are sealed, so counting them opens the records: one audited read per round, naming the purpose.
Host countries' clearances become vetting; overrides are recorded here, with the reason sealed
and the decision in the audit log, so a re-solve respects them and an auditor can see who
overruled the solver and when. The round's proposals are kept (one per household, the latest)
so that a host liaison sees the households proposed to its country and nothing else.

Readings taken (the stricter where a choice was open):

- A member needs a medical place when one of the needs recorded for them is in
  :data:`MEDICAL_NEEDS`; a household counts its members, not its needs.
- A round of the households across the border counts only their members across: those still
  on their way are not placed ahead of arriving (a coordinator re-runs when they arrive). A
  round of the households a plan brings out counts every member neither on hold nor missing.
- A proposal is not a status change: persons move to ``matched`` when a coordinator accepts
  the round (:func:`accept_proposals`), through the status pipeline and its audit entries.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from safepassage.formats.matching_csv import RecordedRound
from safepassage.matching import (
    Explanations,
    MatchingProblem,
    MatchingResult,
    Override,
    OverrideKind,
    Pledge,
    Weights,
)
from safepassage.matching import Household as MatchingHousehold
from safepassage.model.registry import SUSPENDED, Status
from safepassage.services.registry import (
    HOST,
    IN_LIST_LIMIT,
    Operator,
    UnknownRecord,
    now,
    read_persons,
    set_status,
)
from safepassage.store import audit
from safepassage.store.tables import ClearanceRow, HouseholdRow, OverrideRow, PersonRow, ProposalRow

ACROSS = (Status.CROSSED, Status.IN_TRANSIT)
"""Members in these statuses have reached safety and wait for a host."""

MEDICAL_NEEDS = frozenset({"medical", "dialysis", "oxygen", "surgery", "chronic"})
"""Needs (as recorded at registration, case-folded) that call for a medical place."""

READ_PURPOSE = "resettlement matching: count medical needs"
REASON_LIMIT = 500


class OverrideRefused(ValueError):
    """An override that cannot be recorded; the message says why (ids only)."""


@dataclass(frozen=True)
class RecordedOverride:
    household: str
    pledge: str
    kind: OverrideKind
    reason: str
    decided_at: str
    decided_by: str


@dataclass(frozen=True)
class Proposal:
    household: str
    pledge: str | None
    country: str | None
    points: float | None
    explanation: Mapping[str, Any]
    proposed_at: str
    proposed_by: str


def _reason_place(household: str, pledge: str) -> str:
    return f"match_overrides:{household}:{pledge}:reason"


def _explanation_place(household: str) -> str:
    return f"match_proposals:{household}:explanation"


def recorded_round(
    session: Session, operator: Operator, households: Sequence[str] | None = None
) -> RecordedRound:
    """The round as the registry knows it: the households with members across the border, or
    the households named (those a plan brings out, matched before they cross as hosts
    pledged and vetted before the 2018 crossing), counting their members neither on hold nor
    missing; with their host clearances and the overrides recorded."""
    members: dict[str, list[str]] = defaultdict(list)
    query = select(PersonRow.id, PersonRow.household_id).where(PersonRow.merged_into.is_(None))
    if households is None:
        query = query.where(PersonRow.status.in_([status.value for status in ACROSS]))
        for person_id, household_id in session.execute(query.order_by(PersonRow.id)):
            members[household_id].append(person_id)
    else:
        wanted = sorted(set(households))
        active = query.where(PersonRow.status.not_in([status.value for status in SUSPENDED]))
        found: set[str] = set()
        for start in range(0, len(wanted), IN_LIST_LIMIT):
            chunk = wanted[start : start + IN_LIST_LIMIT]
            found.update(
                session.execute(select(HouseholdRow.id).where(HouseholdRow.id.in_(chunk))).scalars()
            )
            for person_id, household_id in session.execute(
                active.where(PersonRow.household_id.in_(chunk)).order_by(PersonRow.id)
            ):
                members[household_id].append(person_id)
        unknown = [household for household in wanted if household not in found]
        if unknown:
            raise UnknownRecord(f"no household {unknown[0]} in the registry")
    person_ids = [person_id for ids in members.values() for person_id in ids]
    medical: Counter[str] = Counter()
    if person_ids:
        for person in read_persons(session, operator, person_ids, purpose=READ_PURPOSE):
            if MEDICAL_NEEDS.intersection(person.personal.needs):
                medical[person.household_id] += 1
    order = sorted(members)
    cleared = tuple(
        (household_id, target)
        for household_id, target in session.execute(
            select(ClearanceRow.household_id, ClearanceRow.target)
            .where(ClearanceRow.kind == HOST)
            .order_by(ClearanceRow.household_id, ClearanceRow.target)
        )
        if household_id in members
    )
    overrides = tuple(
        Override(item.household, item.pledge, item.kind, item.reason)
        for item in recorded_overrides(session, operator)
        if item.household in members
    )
    return RecordedRound(
        households=tuple(
            MatchingHousehold(id=h, size=len(members[h]), medical=medical[h]) for h in order
        ),
        cleared=cleared,
        overrides=overrides,
    )


def record_override(
    session: Session,
    operator: Operator,
    household: str,
    pledge: str,
    kind: OverrideKind,
    reason: str,
) -> None:
    """Pin or forbid a pair; a later decision on the same pair replaces the earlier one. A
    second pin of the same household is refused: it goes to one place. The audit entry holds
    a keyed digest of the reason, which ties it to the sealed text without revealing it (an
    unkeyed hash of a short reason could be guessed)."""
    reason = reason.strip()
    if not reason:
        raise OverrideRefused("give a reason: it is kept with the decision")
    if len(reason) > REASON_LIMIT:
        raise OverrideRefused(f"keep the reason under {REASON_LIMIT} characters")
    if not pledge or len(pledge) > 64:
        raise OverrideRefused("name the pledge by its id (at most 64 characters)")
    if session.get(HouseholdRow, household) is None:
        raise UnknownRecord(f"no household {household} in the registry")
    if kind is OverrideKind.PIN:
        other = session.execute(
            select(OverrideRow.pledge).where(
                OverrideRow.household_id == household,
                OverrideRow.kind == OverrideKind.PIN.value,
                OverrideRow.pledge != pledge,
            )
        ).scalar_one_or_none()
        if other is not None:
            raise OverrideRefused(
                f"household {household} is already pinned to {other}: lift that pin first"
            )
    sealed = operator.sealer.seal(reason.encode("utf-8"), _reason_place(household, pledge))
    row = session.get(OverrideRow, (household, pledge))
    if row is None:
        row = OverrideRow(household_id=household, pledge=pledge)
        session.add(row)
    row.kind, row.reason = kind.value, sealed
    row.decided_at, row.decided_by = now(), operator.name
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action=f"match-{kind.value}",
        subject=household,
        detail={"pledge": pledge, "reason_digest": operator.sealer.blind_index("reason", reason)},
    )


def lift_override(session: Session, operator: Operator, household: str, pledge: str) -> None:
    row = session.get(OverrideRow, (household, pledge))
    if row is None:
        raise UnknownRecord(f"no override of household {household} and pledge {pledge}")
    session.delete(row)
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action="match-lift",
        subject=household,
        detail={"pledge": pledge, "was": row.kind},
    )


def recorded_overrides(
    session: Session, operator: Operator, households: Iterable[str] | None = None
) -> list[RecordedOverride]:
    query = select(OverrideRow).order_by(OverrideRow.household_id, OverrideRow.pledge)
    if households is not None:
        query = query.where(OverrideRow.household_id.in_(list(households)))
    return [
        RecordedOverride(
            household=row.household_id,
            pledge=row.pledge,
            kind=OverrideKind(row.kind),
            reason=operator.sealer.open(
                row.reason, _reason_place(row.household_id, row.pledge)
            ).decode("utf-8"),
            decided_at=row.decided_at.isoformat(timespec="seconds"),
            decided_by=row.decided_by,
        )
        for row in session.execute(query).scalars()
    ]


def save_proposals(
    session: Session, operator: Operator, result: MatchingResult, explanations: Explanations
) -> int:
    """Keep the round's proposals, replacing the households' earlier ones; returns how many."""
    countries = {pledge.id: pledge.country for pledge in result.problem.pledges}
    explained = {entry["household"]: entry for entry in explanations.as_json()["households"]}
    household_ids = [household.id for household in result.problem.households]
    for start in range(0, len(household_ids), IN_LIST_LIMIT):
        chunk = household_ids[start : start + IN_LIST_LIMIT]
        session.execute(delete(ProposalRow).where(ProposalRow.household_id.in_(chunk)))
    at = now()
    for household_id, pledge in zip(household_ids, result.assigned, strict=True):
        entry = explained[household_id]
        text = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode("utf-8")
        session.add(
            ProposalRow(
                household_id=household_id,
                pledge=pledge,
                country=None if pledge is None else countries[pledge],
                points=entry["value"],
                explanation=operator.sealer.seal(text, _explanation_place(household_id)),
                proposed_at=at,
                proposed_by=operator.name,
            )
        )
    audit.record(
        session,
        operator.ring,
        actor=operator.name,
        action="match-run",
        subject="registry",
        detail={
            "households": len(household_ids),
            "placed": result.households_placed,
            "persons_placed": result.persons_placed,
            "solver": result.solver,
            "objective": round(result.objective, 6),
        },
    )
    session.flush()
    return len(household_ids)


def proposals(
    session: Session,
    operator: Operator,
    *,
    countries: Iterable[str] | None = None,
    households: Iterable[str] | None = None,
) -> list[Proposal]:
    """The latest proposals, of the countries named only (a host liaison's) when given."""
    query = select(ProposalRow).order_by(ProposalRow.household_id)
    if countries is not None:
        query = query.where(ProposalRow.country.in_(list(countries)))
    if households is not None:
        query = query.where(ProposalRow.household_id.in_(list(households)))
    return [
        Proposal(
            household=row.household_id,
            pledge=row.pledge,
            country=row.country,
            points=row.points,
            explanation=json.loads(
                operator.sealer.open(row.explanation, _explanation_place(row.household_id))
            ),
            proposed_at=row.proposed_at.isoformat(timespec="seconds"),
            proposed_by=row.proposed_by,
        )
        for row in session.execute(query).scalars()
    ]


def accept_proposals(session: Session, operator: Operator) -> int:
    """Move every member across the border of a household with a proposal to ``matched``
    (``crossed`` members pass through ``in_transit``, as the pipeline requires); returns the
    persons moved."""
    placed = select(ProposalRow.household_id).where(ProposalRow.pledge.is_not(None))
    rows = session.execute(
        select(PersonRow.id, PersonRow.status)
        .where(
            PersonRow.household_id.in_(placed),
            PersonRow.merged_into.is_(None),
            PersonRow.status.in_([status.value for status in ACROSS]),
        )
        .order_by(PersonRow.id)
    ).all()
    crossed = [person_id for person_id, current in rows if current == Status.CROSSED.value]
    set_status(session, operator, crossed, Status.IN_TRANSIT, reason="matched")
    set_status(
        session, operator, [person_id for person_id, _ in rows], Status.MATCHED, reason="matched"
    )
    return len(rows)


def rekey_matching(session: Session, operator: Operator, new: Operator) -> int:
    """Re-seal override reasons and proposal explanations for a key rotation."""
    count = 0
    for override in session.execute(select(OverrideRow)).scalars():
        place = _reason_place(override.household_id, override.pledge)
        override.reason = new.sealer.seal(operator.sealer.open(override.reason, place), place)
        count += 1
    for proposal in session.execute(select(ProposalRow)).scalars():
        place = _explanation_place(proposal.household_id)
        proposal.explanation = new.sealer.seal(
            operator.sealer.open(proposal.explanation, place), place
        )
        count += 1
    return count


class RoundRefused(ValueError):
    """A registry round that cannot be solved as given; the message says what to change."""


def registry_problem(
    recorded: RecordedRound, pledges: Sequence[Pledge], weights: Weights | None = None
) -> MatchingProblem:
    """A round of the registry's households with pledges given in full (the API's run),
    vetted by the registry's clearances alone."""
    if not recorded.households:
        raise RoundRefused(
            "no household to match: none has members across the border (crossed or "
            "in_transit); name the households a plan brings out to match them before"
        )
    kept, unknown = recorded.overrides_within(pledge.id for pledge in pledges)
    if unknown:
        names = ", ".join(sorted({override.host for override in unknown}))
        raise RoundRefused(
            f"recorded overrides name pledges this round lacks ({names}): add them or lift "
            "the overrides"
        )
    try:
        return MatchingProblem(
            households=recorded.households,
            pledges=tuple(pledges),
            vetting=tuple(recorded.clearances(pledge.country for pledge in pledges)),
            overrides=tuple(kept),
            weights=weights or Weights(),
        )
    except ValueError as error:
        raise RoundRefused(str(error)) from None


HOST_VIEW = ("household", "size", "pledge", "score", "value", "components", "pinned")
"""What a host liaison sees of a proposal to its country: the fit, not the alternatives in
other countries or the rules that blocked them (a coordinator's override reasons among
them), which are the operation's business."""


def host_view(explanation: Mapping[str, Any]) -> dict[str, Any]:
    """``pinned`` becomes whether a coordinator pinned it: the pin's reason is theirs."""
    view = {key: explanation.get(key) for key in HOST_VIEW}
    view["pinned"] = explanation.get("pinned") is not None
    return view


def proposed_pledges(session: Session) -> set[str]:
    """The pledges the latest proposals use: suggestions for an override's form."""
    return {
        str(pledge)
        for pledge in session.execute(
            select(ProposalRow.pledge).where(ProposalRow.pledge.is_not(None)).distinct()
        ).scalars()
    }
