"""The registry's domain: persons in households, what is known of them, and where they stand.

A registration is the most dangerous data the operation holds, so the model draws one line that
every other layer respects: :class:`PersonalData` is everything that identifies or endangers a
person and is only ever stored sealed; the rest of :class:`Person` (opaque id, household,
status, retention date) is what the store may keep in clear so that it can count, filter and
purge without opening anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Status(StrEnum):
    REGISTERED = "registered"
    VERIFIED = "verified"
    CLEARED = "cleared"
    ASSEMBLED = "assembled"
    DEPARTED = "departed"
    CROSSED = "crossed"
    IN_TRANSIT = "in_transit"
    MATCHED = "matched"
    RESETTLED = "resettled"
    ON_HOLD = "on_hold"
    MISSING = "missing"


PIPELINE: tuple[Status, ...] = (
    Status.REGISTERED,
    Status.VERIFIED,
    Status.CLEARED,
    Status.ASSEMBLED,
    Status.DEPARTED,
    Status.CROSSED,
    Status.IN_TRANSIT,
    Status.MATCHED,
    Status.RESETTLED,
)
"""The order every person moves through; a step may not be skipped, because each one is a
check somebody made (identity verified, clearance received, headcount at departure...)."""

SUSPENDED = frozenset({Status.ON_HOLD, Status.MISSING})

CLEARANCE_REVOKABLE = frozenset({Status.CLEARED, Status.ASSEMBLED})
"""A clearance withdrawn before departure sends a person back to ``verified``; after
departure the person is on the road and only ``on_hold``/``missing`` describe trouble."""


class StatusChangeRefused(ValueError):
    """A status change that the pipeline's rules forbid; the message says which rule."""


def allowed_next(current: Status, resume_to: Status | None) -> tuple[Status, ...]:
    """Every status a person in ``current`` may move to.

    ``resume_to`` is the pipeline status held before a hold or a disappearance: a person found
    again resumes where they were, not further on (a missing person has not crossed because
    they turned up on the other side of a checkpoint nobody recorded).
    """
    if current is Status.RESETTLED:
        return (Status.ON_HOLD, Status.MISSING)
    if current in SUSPENDED:
        others = tuple(sorted(SUSPENDED - {current}))
        return ((resume_to,) if resume_to is not None else ()) + others
    index = PIPELINE.index(current)
    forward = PIPELINE[index + 1 : index + 2]
    back = (Status.VERIFIED,) if current in CLEARANCE_REVOKABLE else ()
    return forward + back + (Status.ON_HOLD, Status.MISSING)


def check_status_change(current: Status, new: Status, resume_to: Status | None) -> None:
    """Raise :class:`StatusChangeRefused` naming the rule unless ``current -> new`` is allowed."""
    allowed = allowed_next(current, resume_to)
    if new in allowed:
        return
    if new == current:
        reason = f"the person is already {current.value}"
    elif current is Status.RESETTLED:
        reason = "resettled is the end of the pipeline"
    elif current in SUSPENDED:
        held = resume_to.value if resume_to else "an unknown status"
        reason = f"a person {current.value} resumes only at {held}, where they were before"
    elif new in PIPELINE and PIPELINE.index(new) > PIPELINE.index(current):
        before = PIPELINE[PIPELINE.index(new) - 1]
        reason = f"{new.value} comes after {before.value}, and no step may be skipped"
    else:
        reason = f"the pipeline does not go back from {current.value} to {new.value}"
    options = ", ".join(status.value for status in allowed) or "none"
    raise StatusChangeRefused(
        f"cannot go from {current.value} to {new.value}: {reason} (allowed next: {options})"
    )


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    UNKNOWN = "X"


class RiskLevel(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class PartialDate:
    """A date of birth as registered: often only the year is known, sometimes year and month."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError("a day without a month is not a date")
        if self.day is not None and self.month is not None:
            date(self.year, self.month, self.day)  # raises on 31 February
        elif self.month is not None and not 1 <= self.month <= 12:
            raise ValueError("month must be 1 to 12")
        if not 1880 <= self.year <= 2200:
            raise ValueError("year out of range")

    def iso(self) -> str:
        """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``: ISO 8601's reduced precision forms."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        parts = text.strip().split("-")
        if not 1 <= len(parts) <= 3 or not all(part.isdigit() for part in parts):
            raise ValueError("expected YYYY, YYYY-MM or YYYY-MM-DD")
        numbers = [int(part) for part in parts]
        return cls(numbers[0], *numbers[1:])


@dataclass(frozen=True)
class IdentityDocument:
    kind: str
    number: str
    issuing_country: str
    expires: date | None = None


@dataclass(frozen=True)
class PersonalData:
    """Everything about a person that is sealed at rest, read only with a recorded reason.

    ``name_icao`` is the ICAO 9303 machine-readable form (upper-case Latin, as printed on
    the passport); ``name_arabic`` the name as the person writes it.
    """

    name_arabic: str
    name_icao: str
    sex: Sex
    birth: PartialDate | None
    role: str = "family"
    relationship: str = "head"
    aliases: tuple[str, ...] = ()
    nationality: str = ""
    documents: tuple[IdentityDocument, ...] = ()
    needs: tuple[str, ...] = ()
    risk: RiskLevel = RiskLevel.MEDIUM
    location: str = ""
    consent: bool = False
    legal_basis: str = ""
    phone: str = ""
    external_id: str = ""


@dataclass(frozen=True)
class Person:
    """A registration: the opaque id and pipeline state in clear, the rest sealed."""

    id: str
    household_id: str
    status: Status
    retention_until: date
    personal: PersonalData


@dataclass(frozen=True)
class Household:
    """``origin`` is the scenario node the household leaves from (a town); ``cleared_for`` the
    crossings it is cleared to use and ``hosts`` the host countries that vetted it."""

    id: str
    origin: str
    priority: int = 1
    cleared_for: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    members: tuple[str, ...] = field(default=())
