"""The registry's tables. Only opaque ids, pipeline state, dates and keyed digests are in clear;
every personal field is inside ``sealed`` (see :mod:`safepassage.protection.sealing`).

Alembic migrations in ``store/migrations`` create exactly these tables; a test compares them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(32)
DIGEST = String(32)
STAMP = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class HouseholdRow(Base):
    __tablename__ = "households"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    origin: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(STAMP)
    updated_at: Mapped[datetime] = mapped_column(STAMP)


class ClearanceRow(Base):
    """A household cleared for a crossing (``kind`` crossing) or vetted by a host country."""

    __tablename__ = "clearances"

    household_id: Mapped[str] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    target: Mapped[str] = mapped_column(String(64), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(STAMP)
    granted_by: Mapped[str] = mapped_column(String(64))


class OverrideRow(Base):
    """A coordinator's pin or ban of one household and pledge for resettlement matching. The
    reason is free text a coordinator typed, so it is sealed: it may name people."""

    __tablename__ = "match_overrides"

    household_id: Mapped[str] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    pledge: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    reason: Mapped[bytes] = mapped_column(LargeBinary)
    decided_at: Mapped[datetime] = mapped_column(STAMP)
    decided_by: Mapped[str] = mapped_column(String(64))


class ProposalRow(Base):
    """The latest matching's proposal for a household: a pledge in a host country, or none.
    ``country`` in clear is what lets a host liaison see the households proposed to it; the
    explanation is sealed, since it counts medical needs."""

    __tablename__ = "match_proposals"

    household_id: Mapped[str] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    pledge: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(8), index=True)
    points: Mapped[float | None] = mapped_column(Float)
    explanation: Mapped[bytes] = mapped_column(LargeBinary)
    proposed_at: Mapped[datetime] = mapped_column(STAMP)
    proposed_by: Mapped[str] = mapped_column(String(64))


class PersonRow(Base):
    __tablename__ = "persons"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    resume_to: Mapped[str | None] = mapped_column(String(16))
    retention_until: Mapped[date] = mapped_column(Date, index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    fingerprint: Mapped[str] = mapped_column(DIGEST)
    merged_into: Mapped[str | None] = mapped_column(ForeignKey("persons.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(STAMP)
    updated_at: Mapped[datetime] = mapped_column(STAMP)


class LookupRow(Base):
    """Blind indexes: keyed digests of a person's source id, names and document numbers."""

    __tablename__ = "lookups"
    __table_args__ = (Index("ix_lookups_kind_digest", "kind", "digest"),)

    person_id: Mapped[str] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    digest: Mapped[str] = mapped_column(DIGEST, primary_key=True)


class StatusEventRow(Base):
    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(STAMP)
    actor: Mapped[str] = mapped_column(String(64))
    place: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200))


class QuarantineRow(Base):
    """A row that failed validation, kept sealed with the reason (which names fields, never
    their values) until a corrected import or a retry takes it in."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_digest: Mapped[str] = mapped_column(DIGEST, index=True)
    source_key: Mapped[str | None] = mapped_column(DIGEST, index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    row_digest: Mapped[str] = mapped_column(DIGEST, unique=True)
    sealed_row: Mapped[bytes] = mapped_column(LargeBinary)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(STAMP)
    resolved_at: Mapped[datetime | None] = mapped_column(STAMP)


class CandidatePairRow(Base):
    __tablename__ = "dedup_pairs"
    __table_args__ = (UniqueConstraint("left_id", "right_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    left_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    right_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    probability: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), index=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(STAMP)


class MergeRow(Base):
    """A merge of ``merged_id`` into ``kept_id``; ``sealed_before`` keeps the kept record as
    it was, so that undoing the merge restores both exactly."""

    __tablename__ = "merges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kept_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    merged_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    sealed_before: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(STAMP)
    actor: Mapped[str] = mapped_column(String(64))
    undone_at: Mapped[datetime | None] = mapped_column(STAMP)
    undone_by: Mapped[str | None] = mapped_column(String(64))


class CheckpointRow(Base):
    __tablename__ = "checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    place: Mapped[str] = mapped_column(String(64))
    headcount: Mapped[int] = mapped_column(Integer)
    expected: Mapped[int] = mapped_column(Integer)
    discrepancy: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(STAMP)
    actor: Mapped[str] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(STAMP)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(String(200))


class AuditRow(Base):
    """``at`` is kept as ISO text so the MAC over it reads the same back on every engine."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32), index=True)
    subject: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(16))
    prev_mac: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    mac: Mapped[str] = mapped_column(String(64))
    head_mac: Mapped[str] = mapped_column(String(64))


class ActiveKeyRow(Base):
    """The one key the registry's records and look-ups are sealed with now. Every process
    seals with it, and a write made with another key is refused (:mod:`safepassage.store.
    active_key`): the key ring file and the database cannot commit together, so the database
    says which one holds."""

    __tablename__ = "active_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key_id: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime] = mapped_column(STAMP)


class AccountRow(Base):
    """A user of the web application and the API (staff, never an evacuee).

    ``totp_secret`` is sealed like personal data: whoever reads it can forge second factors.
    ``sessions_valid_after`` signs out everywhere at once: sessions begun before it are
    refused without touching each of them.
    """

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[bytes] = mapped_column(LargeBinary)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    failed_attempts: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(STAMP)
    disabled: Mapped[bool] = mapped_column(Boolean)
    sessions_valid_after: Mapped[datetime] = mapped_column(STAMP)
    created_at: Mapped[datetime] = mapped_column(STAMP)


class SessionRow(Base):
    """A signed-in session: a browser's cookie or an API client's bearer token. Only the
    SHA-256 of the token is kept, so a copy of the database signs nobody in."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(STAMP)
    expires_at: Mapped[datetime] = mapped_column(STAMP)
    revoked_at: Mapped[datetime | None] = mapped_column(STAMP)


class AccountRequestRow(Base):
    """A request to create an account, change its role or scope, or reset its credentials,
    waiting for a second person (see :mod:`safepassage.services.account_requests`).

    The enrolment code handed to the account's holder is kept only as its SHA-256: it is
    random and long, so a digest cannot be guessed back, and a copied database enrols nobody.
    """

    __tablename__ = "account_requests"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    account_name: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str | None] = mapped_column(String(16))
    scope: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(STAMP)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(STAMP)
    code_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_expires_at: Mapped[datetime | None] = mapped_column(STAMP)
    enrolled_at: Mapped[datetime | None] = mapped_column(STAMP)
