"""Who may do what, to which records, and how much of a person they may see.

One module holds every permission so that the HTTP API, the pages and the CLI cannot drift
apart: a rule changed here changes everywhere, and the table below is what an auditor reads.
It is pure: it looks at roles, scopes and records handed to it and never at the database
(:func:`scope_filter` builds a SQL condition but runs nothing).

Three layers, checked in this order:

1. **role x action** (:data:`PERMISSIONS`): may this kind of account do this at all?
2. **record scope** (:class:`Scope`, :func:`scope_filter`): which households may it touch? A
   field lead its assembly point (an origin node) or its convoy (a list of households), a
   transit liaison the households cleared for its crossing, a host liaison the households
   proposed to its country; the others have no scope limit (or no record access at all).
3. **fields** (:func:`mask`): what of a person it may see. Names are cut to initials and
   dates of birth to the year unless the role needs them; the rest is left out.

The administrator asks for accounts and sees no personal data; a second person (another
administrator or a coordinator) approves each request, and the new credentials go to the
account's holder alone: nobody can give themselves access by themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import assert_never

from sqlalchemy import ColumnElement, and_, exists, or_, select, true

from safepassage.model.registry import Person, Status
from safepassage.store.tables import ClearanceRow, HouseholdRow, ProposalRow


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    FIELD_LEAD = "field_lead"
    TRANSIT_LIAISON = "transit_liaison"
    HOST_LIAISON = "host_liaison"
    AUDITOR = "auditor"


class Action(StrEnum):
    ACCOUNTS_MANAGE = "accounts:manage"
    ACCOUNTS_APPROVE = "accounts:approve"
    AUDIT_READ = "audit:read"
    HOUSEHOLDS_READ = "households:read"
    PERSONS_READ = "persons:read"
    PERSONS_FIND = "persons:find"
    STATUS_SET = "status:set"
    STATUS_HISTORY = "status:history"
    CHECKPOINT_RECORD = "checkpoints:record"
    CHECKPOINT_REVIEW = "checkpoints:review"
    MANIFEST_EXPORT = "manifests:export"
    COUNTS_EXPORT = "counts:export"
    IMPORT = "imports:run"
    QUARANTINE = "imports:quarantine"
    DEDUP = "dedup:review"
    MAP_READ = "map:read"
    PLAN_READ = "plan:read"
    PLAN_VERIFY = "plan:verify"
    OPERATIONS_READ = "operations:read"
    MATCHING_READ = "matching:read"
    MATCHING_RUN = "matching:run"
    MATCHING_OVERRIDE = "matching:override"


_C, _F, _T, _H = Role.COORDINATOR, Role.FIELD_LEAD, Role.TRANSIT_LIAISON, Role.HOST_LIAISON

PERMISSIONS: Mapping[Action, frozenset[Role]] = {
    Action.ACCOUNTS_MANAGE: frozenset({Role.ADMIN}),
    Action.ACCOUNTS_APPROVE: frozenset({Role.ADMIN, _C}),
    Action.AUDIT_READ: frozenset({Role.AUDITOR, Role.ADMIN, _C}),
    Action.HOUSEHOLDS_READ: frozenset({_C, _F, _H}),
    Action.PERSONS_READ: frozenset({_C, _F, _H}),
    Action.PERSONS_FIND: frozenset({_C}),
    Action.STATUS_SET: frozenset({_C, _F, _H}),
    Action.STATUS_HISTORY: frozenset({_C, _F, _H}),
    Action.CHECKPOINT_RECORD: frozenset({_C, _F, _T}),
    Action.CHECKPOINT_REVIEW: frozenset({_C}),
    Action.MANIFEST_EXPORT: frozenset({_C, _T}),
    Action.COUNTS_EXPORT: frozenset({_C}),
    Action.IMPORT: frozenset({_C}),
    Action.QUARANTINE: frozenset({_C}),
    Action.DEDUP: frozenset({_C}),
    Action.MAP_READ: frozenset({_C, _F, _H}),
    Action.PLAN_READ: frozenset({_C, _F}),
    Action.PLAN_VERIFY: frozenset({_C}),
    Action.OPERATIONS_READ: frozenset({_C, _F}),
    Action.MATCHING_READ: frozenset({_C, _H}),
    Action.MATCHING_RUN: frozenset({_C}),
    Action.MATCHING_OVERRIDE: frozenset({_C}),
}
"""Role x action. Finding a person by name or document is the coordinator's alone: a search
answers "is this person registered?", which is exactly what an adversary at a checkpoint
wants to know.

An administrator *asks* for accounts, role and scope changes and credential resets; another
administrator or a coordinator approves them (:mod:`safepassage.services.account_requests`),
so nobody can give themselves access by themselves. The administrator reads the audit log,
whose entries hold ids and counts only, to follow what was asked and decided.

The map, the plan and the operations board show households by id and size only, each role
within its scope; a host liaison sees the map (where its families come from) but not the plan's
itineraries or the board, which are the running of the operation. Matching proposals are read
by the coordinator and, for its own country, the host liaison; only a coordinator runs a
matching or overrules it."""


def allowed(role: Role, action: Action) -> bool:
    return role in PERMISSIONS[action]


STATUS_TARGETS: Mapping[Role, frozenset[Status]] = {
    _C: frozenset(Status),
    _F: frozenset({Status.ON_HOLD, Status.MISSING}),
    _H: frozenset({Status.RESETTLED}),
}
"""The statuses a role may set by hand. A field lead moves households on by checkpoint scans
(:data:`CHECKPOINT_KINDS`) and reports by hand only who is held or missing; a host liaison
reports arrivals; everything else is the coordinator's judgement."""

CHECKPOINT_KINDS: Mapping[Role, frozenset[str]] = {
    _C: frozenset({"assembly", "departure", "crossing"}),
    _F: frozenset({"assembly", "departure"}),
    _T: frozenset({"crossing"}),
}


def may_set_status(role: Role, status: Status) -> bool:
    return status in STATUS_TARGETS.get(role, frozenset())


def checkpoint_places(scope: Scope, origin: str | None) -> frozenset[str] | None:
    """The places an account of ``scope`` records scans at, for a household from ``origin``
    (``None``: any place of the operation's scenario).

    A transit liaison scans at its own crossings. A field lead scans at the places its scope
    names, its origins (an assembly point it runs is added to them: ``origin:nawa,golan-
    assembly``), or, scoped to households (a convoy), at the household's own origin: a lead of
    one town recording a scan in another would move households on with evidence from a place
    it does not run.
    """
    match scope.kind:
        case ScopeKind.CROSSING | ScopeKind.ORIGIN:
            return scope.values
        case ScopeKind.HOUSEHOLDS:
            return frozenset({origin}) if origin else frozenset()
        case _:
            return None


def may_record_checkpoint(
    role: Role, scope: Scope, kind: str, place: str, origin: str | None
) -> bool:
    """The role records scans of this kind, at a place of its scope (:func:`checkpoint_places`)."""
    if kind not in CHECKPOINT_KINDS.get(role, frozenset()):
        return False
    places = checkpoint_places(scope, origin)
    return places is None or place in places


# --- record scope ----------------------------------------------------------------------------


class ScopeKind(StrEnum):
    ALL = "all"
    ORIGIN = "origin"
    HOUSEHOLDS = "households"
    CROSSING = "crossing"
    HOST = "host"


SCOPE_KINDS: Mapping[Role, frozenset[ScopeKind]] = {
    Role.ADMIN: frozenset({ScopeKind.ALL}),
    _C: frozenset({ScopeKind.ALL}),
    Role.AUDITOR: frozenset({ScopeKind.ALL}),
    _F: frozenset({ScopeKind.ORIGIN, ScopeKind.HOUSEHOLDS}),
    _T: frozenset({ScopeKind.CROSSING}),
    _H: frozenset({ScopeKind.HOST}),
}
"""A scoped role without its scope would see nothing, so it cannot be created without one."""

SCOPE_TEXT_LIMIT = 2000


class ScopeRefused(ValueError):
    """A scope that does not fit the role or cannot be read; the message says which."""


@dataclass(frozen=True)
class Scope:
    """The records an account may touch: ``all``, or households by origin node, by id, by
    crossing cleared for, or by host country that vetted them or was proposed them by the
    latest matching (``values``: node ids, household ids, crossing node ids or ISO 3166
    alpha-3 codes)."""

    kind: ScopeKind
    values: frozenset[str] = frozenset()

    def text(self) -> str:
        """``all`` or ``kind:value,value``: how accounts store it and the CLI takes it."""
        if self.kind is ScopeKind.ALL:
            return ScopeKind.ALL.value
        return f"{self.kind.value}:{','.join(sorted(self.values))}"

    @classmethod
    def parse(cls, text: str) -> Scope:
        kind_text, _, rest = text.strip().partition(":")
        try:
            kind = ScopeKind(kind_text.strip())
        except ValueError:
            choices = ", ".join(kind.value for kind in ScopeKind)
            raise ScopeRefused(f"a scope is one of {choices}, as kind:id,id") from None
        values = frozenset(value.strip() for value in rest.split(",") if value.strip())
        if kind is ScopeKind.ALL and values:
            raise ScopeRefused("scope 'all' takes no ids")
        if kind is not ScopeKind.ALL and not values:
            raise ScopeRefused(f"scope '{kind.value}' needs at least one id, as {kind.value}:id")
        if len(text) > SCOPE_TEXT_LIMIT or any(len(value) > 64 for value in values):
            raise ScopeRefused("scope ids are at most 64 characters, the whole scope 2000")
        if kind is ScopeKind.HOST:
            values = frozenset(value.upper() for value in values)
        return cls(kind, values)


ALL = Scope(ScopeKind.ALL)


def check_scope(role: Role, scope: Scope) -> None:
    if scope.kind not in SCOPE_KINDS[role]:
        kinds = " or ".join(sorted(kind.value for kind in SCOPE_KINDS[role]))
        raise ScopeRefused(f"a {role.value} account takes a scope of kind {kinds}")


def scope_filter(scope: Scope) -> ColumnElement[bool]:
    """The condition on :class:`HouseholdRow` that keeps the households in ``scope``."""
    values = sorted(scope.values)
    match scope.kind:
        case ScopeKind.ALL:
            return true()
        case ScopeKind.ORIGIN:
            return HouseholdRow.origin.in_(values)
        case ScopeKind.HOUSEHOLDS:
            return HouseholdRow.id.in_(values)
        case ScopeKind.CROSSING:
            return _cleared(scope.kind, values)
        case ScopeKind.HOST:
            proposed = exists(
                select(ProposalRow.household_id).where(
                    and_(
                        ProposalRow.household_id == HouseholdRow.id,
                        ProposalRow.country.in_(values),
                    )
                )
            )
            return or_(_cleared(scope.kind, values), proposed)
    assert_never(scope.kind)


def _cleared(kind: ScopeKind, values: list[str]) -> ColumnElement[bool]:
    return exists(
        select(ClearanceRow.household_id).where(
            and_(
                ClearanceRow.household_id == HouseholdRow.id,
                ClearanceRow.kind == kind.value,
                ClearanceRow.target.in_(values),
            )
        )
    )


def visible_hosts(scope: Scope, hosts: tuple[str, ...]) -> tuple[str, ...]:
    """A host liaison learns whether its own country was proposed, not which others were."""
    if scope.kind is ScopeKind.HOST:
        return tuple(host for host in hosts if host in scope.values)
    return hosts


# --- fields ----------------------------------------------------------------------------------


class Detail(StrEnum):
    """How much of a person a role sees."""

    FULL = "full"
    VETTING = "vetting"
    HEADCOUNT = "headcount"


DETAIL: Mapping[Role, Detail] = {_C: Detail.FULL, _H: Detail.VETTING, _F: Detail.HEADCOUNT}
"""A host country vets identity, documents, family links and medical needs, not the
person's role in the operation, risk, whereabouts or phone; a field lead counts heads and
looks after needs on the road, so initials, year of birth and sex are enough to tell members
of a household apart."""


@dataclass(frozen=True)
class DocumentView:
    kind: str
    number: str
    issuing_country: str
    expires: str | None


@dataclass(frozen=True)
class PersonView:
    """A person as one role may see them; ``None`` is a field the role does not see."""

    id: str
    household_id: str
    status: Status
    detail: Detail
    name_icao: str
    sex: str
    birth: str | None
    needs: tuple[str, ...]
    nationality: str | None = None
    documents: tuple[DocumentView, ...] | None = None
    relationship: str | None = None
    name_arabic: str | None = None
    aliases: tuple[str, ...] | None = None
    role: str | None = None
    risk: str | None = None
    location: str | None = None
    phone: str | None = None
    consent: bool | None = None
    legal_basis: str | None = None
    external_id: str | None = None


def initials(name: str) -> str:
    """``MOHAMMAD AL HARIRI`` -> ``M. A. H.``: enough to tell two members apart, too little
    to find anyone by."""
    return " ".join(f"{word[0]}." for word in name.split() if word)


def mask(person: Person, role: Role) -> PersonView:
    """``person`` as ``role`` may see them; a role with no :data:`DETAIL` sees nobody."""
    detail = DETAIL.get(role)
    if detail is None:
        raise PermissionError(f"a {role.value} account sees no personal data")
    data = person.personal
    birth = data.birth.iso() if data.birth else None
    if detail is Detail.HEADCOUNT:
        return PersonView(
            person.id,
            person.household_id,
            person.status,
            detail,
            name_icao=initials(data.name_icao),
            sex=data.sex.value,
            birth=str(data.birth.year) if data.birth else None,
            needs=data.needs,
        )
    documents = tuple(
        DocumentView(
            doc.kind,
            doc.number,
            doc.issuing_country,
            doc.expires.isoformat() if doc.expires else None,
        )
        for doc in data.documents
    )
    vetting = PersonView(
        person.id,
        person.household_id,
        person.status,
        detail,
        name_icao=data.name_icao,
        sex=data.sex.value,
        birth=birth,
        needs=data.needs,
        nationality=data.nationality,
        documents=documents,
        relationship=data.relationship,
    )
    if detail is Detail.VETTING:
        return vetting
    return replace(
        vetting,
        name_arabic=data.name_arabic,
        aliases=data.aliases,
        role=data.role,
        risk=data.risk.value,
        location=data.location,
        phone=data.phone,
        consent=data.consent,
        legal_basis=data.legal_basis,
        external_id=data.external_id,
    )
