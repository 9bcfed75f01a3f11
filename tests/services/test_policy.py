"""The policy on its own: roles x actions, scopes, and what each role sees of a person."""

from __future__ import annotations

from datetime import date

import pytest

from safepassage.model.registry import (
    IdentityDocument,
    PartialDate,
    Person,
    PersonalData,
    RiskLevel,
    Sex,
    Status,
)
from safepassage.policy import (
    ALL,
    PERMISSIONS,
    Action,
    Detail,
    Role,
    Scope,
    ScopeKind,
    ScopeRefused,
    allowed,
    check_scope,
    checkpoint_places,
    initials,
    mask,
    may_record_checkpoint,
    may_set_status,
)

PERSON = Person(
    "p1",
    "h1",
    Status.CLEARED,
    date(2031, 1, 1),
    PersonalData(
        name_arabic="شخص تجريبي",
        name_icao="TESTPERSON AL EXAMPLE",
        sex=Sex.MALE,
        birth=PartialDate(1990, 5, 17),
        role="volunteer",
        relationship="head",
        aliases=("ALIAS",),
        nationality="SYR",
        documents=(IdentityDocument("passport", "N123", "SYR", date(2030, 1, 1)),),
        needs=("wheelchair",),
        risk=RiskLevel.HIGH,
        location="somewhere",
        phone="+963000000000",
        consent=True,
        legal_basis="consent",
        external_id="kobo-1",
    ),
)
PERSONAL_ROLES = {Role.COORDINATOR, Role.FIELD_LEAD, Role.HOST_LIAISON}


def test_every_action_has_its_roles() -> None:
    assert set(PERMISSIONS) == set(Action)


def test_the_administrator_and_the_auditor_never_read_a_person() -> None:
    for role in (Role.ADMIN, Role.AUDITOR, Role.TRANSIT_LIAISON):
        assert not allowed(role, Action.PERSONS_READ)
        with pytest.raises(PermissionError):
            mask(PERSON, role)
    assert [role for role in Role if allowed(role, Action.ACCOUNTS_MANAGE)] == [Role.ADMIN]
    assert {role for role in Role if allowed(role, Action.PERSONS_READ)} == PERSONAL_ROLES
    auditor = {action for action in Action if allowed(Role.AUDITOR, action)}
    assert auditor == {Action.AUDIT_READ}


def test_the_coordinator_sees_everything() -> None:
    seen = mask(PERSON, Role.COORDINATOR)
    assert seen.detail is Detail.FULL
    assert (seen.phone, seen.location, seen.role, seen.risk) == (
        "+963000000000",
        "somewhere",
        "volunteer",
        "high",
    )
    assert seen.birth == "1990-05-17" and seen.external_id == "kobo-1"


def test_a_host_liaison_sees_what_vetting_needs_and_nothing_of_the_operation() -> None:
    seen = mask(PERSON, Role.HOST_LIAISON)
    assert seen.name_icao == "TESTPERSON AL EXAMPLE" and seen.birth == "1990-05-17"
    assert seen.documents is not None and seen.documents[0].number == "N123"
    assert seen.relationship == "head" and seen.needs == ("wheelchair",)
    hidden = (seen.name_arabic, seen.aliases, seen.role, seen.risk, seen.location, seen.phone)
    assert hidden == (None,) * 6
    assert (seen.consent, seen.legal_basis, seen.external_id) == (None, None, None)


def test_a_field_lead_sees_initials_and_a_year() -> None:
    seen = mask(PERSON, Role.FIELD_LEAD)
    assert (seen.name_icao, seen.birth, seen.sex) == ("T. A. E.", "1990", "M")
    assert seen.documents is None and seen.nationality is None and seen.phone is None
    assert initials("  ") == ""


@pytest.mark.parametrize(
    ("text", "kind", "values"),
    [
        ("all", ScopeKind.ALL, set()),
        ("origin:nawa, inkhil", ScopeKind.ORIGIN, {"nawa", "inkhil"}),
        ("households:h1", ScopeKind.HOUSEHOLDS, {"h1"}),
        ("crossing:golan", ScopeKind.CROSSING, {"golan"}),
        ("host:gbr,deu", ScopeKind.HOST, {"GBR", "DEU"}),
    ],
)
def test_a_scope_reads_back_as_written(text: str, kind: ScopeKind, values: set[str]) -> None:
    scope = Scope.parse(text)
    assert (scope.kind, set(scope.values)) == (kind, values)
    assert Scope.parse(scope.text()) == scope


@pytest.mark.parametrize("text", ["", "everyone", "origin:", "all:nawa", "host:" + "x" * 65])
def test_a_scope_that_cannot_be_read_is_refused(text: str) -> None:
    with pytest.raises(ScopeRefused):
        Scope.parse(text)


def test_a_scoped_role_needs_its_kind_of_scope() -> None:
    check_scope(Role.FIELD_LEAD, Scope.parse("households:h1,h2"))
    check_scope(Role.COORDINATOR, Scope.parse("all"))
    for role, text in (
        (Role.FIELD_LEAD, "all"),
        (Role.TRANSIT_LIAISON, "host:GBR"),
        (Role.HOST_LIAISON, "crossing:golan"),
        (Role.AUDITOR, "origin:nawa"),
    ):
        with pytest.raises(ScopeRefused):
            check_scope(role, Scope.parse(text))


def test_statuses_and_scans_each_role_may_record() -> None:
    assert may_set_status(Role.COORDINATOR, Status.CROSSED)
    assert may_set_status(Role.FIELD_LEAD, Status.MISSING)
    assert not may_set_status(Role.FIELD_LEAD, Status.DEPARTED)
    assert may_set_status(Role.HOST_LIAISON, Status.RESETTLED)
    assert not may_set_status(Role.AUDITOR, Status.ON_HOLD)
    golan = Scope.parse("crossing:golan")
    assert may_record_checkpoint(Role.TRANSIT_LIAISON, golan, "crossing", "golan", "nawa")
    assert not may_record_checkpoint(Role.TRANSIT_LIAISON, golan, "crossing", "jaber", "nawa")
    assert not may_record_checkpoint(Role.TRANSIT_LIAISON, golan, "departure", "golan", "nawa")
    nawa = Scope.parse("origin:nawa")
    assert not may_record_checkpoint(Role.FIELD_LEAD, nawa, "crossing", "golan", "nawa")
    assert may_record_checkpoint(Role.COORDINATOR, ALL, "crossing", "golan", "nawa")


def test_a_field_lead_scans_at_the_places_of_its_scope_only() -> None:
    """A lead of one town recorded scans in any other (issue: hardening, item 7)."""
    nawa = Scope.parse("origin:nawa,golan-assembly")
    assert may_record_checkpoint(Role.FIELD_LEAD, nawa, "departure", "nawa", "nawa")
    assert may_record_checkpoint(Role.FIELD_LEAD, nawa, "assembly", "golan-assembly", "nawa")
    assert not may_record_checkpoint(Role.FIELD_LEAD, nawa, "departure", "anywhere", "nawa")
    assert not may_record_checkpoint(Role.FIELD_LEAD, nawa, "assembly", "tafas", "nawa")
    convoy = Scope.parse("households:H1,H2")
    assert may_record_checkpoint(Role.FIELD_LEAD, convoy, "departure", "tafas", "tafas")
    assert not may_record_checkpoint(Role.FIELD_LEAD, convoy, "departure", "nawa", "tafas")
    assert not may_record_checkpoint(Role.FIELD_LEAD, convoy, "departure", "nawa", None)
    assert checkpoint_places(convoy, "tafas") == frozenset({"tafas"})
    assert checkpoint_places(ALL, "tafas") is None
