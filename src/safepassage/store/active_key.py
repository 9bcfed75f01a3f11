"""Which key the registry is sealed with, recorded in the database itself.

A rotation re-seals everything and records the new key in one transaction, so the record
always names the key the committed data is sealed with, whatever point a crash interrupted
the rotation at. Every audited write checks it under the audit chain's lock (every change and
every read of personal data appends to the chain, and a rotation holds the chain from start to
commit), so a process still holding the previous key cannot add a record or a look-up sealed
with it after a rotation: its transaction is refused and rolled back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.protection.keys import KeyRing
from safepassage.protection.sealing import Sealer
from safepassage.store.tables import ActiveKeyRow, PersonRow

ACTIVE_ID = 1


class KeyNotActive(Exception):
    """A unit of work sealed with a key the registry does not (or no longer) seal with; it is
    rolled back and may be tried again with the ring the database names."""


def active_key(session: Session) -> str | None:
    """The key the registry seals with: as recorded, else (a registry from before the
    record, not written to since) the key its persons' records name, else None (an empty
    registry seals with whatever ring it is first given)."""
    return _recorded(session) or _sealing(session)


def _recorded(session: Session) -> str | None:
    return session.execute(
        select(ActiveKeyRow.key_id).where(ActiveKeyRow.id == ACTIVE_ID)
    ).scalar_one_or_none()


def _sealing(session: Session) -> str | None:
    sealed = session.execute(select(PersonRow.sealed).limit(1)).scalar_one_or_none()
    return Sealer.key_id_of(sealed) if sealed is not None else None


def activate(session: Session, key_id: str) -> None:
    """Record ``key_id`` as the registry's key, in the caller's (rotation's) transaction."""
    row = session.get(ActiveKeyRow, ACTIVE_ID)
    if row is None:
        session.add(ActiveKeyRow(id=ACTIVE_ID, key_id=key_id, since=datetime.now(UTC)))
    else:
        row.key_id, row.since = key_id, datetime.now(UTC)
    session.flush()


def check_active(session: Session, ring: KeyRing) -> None:
    """Refuse a write sealed with ``ring`` unless its active key is the registry's; the
    first write of a registry that records none yet records its key (:func:`active_key`).
    Called with the audit chain held, so no rotation can commit between this check and the
    caller's commit."""
    recorded = _recorded(session)
    if recorded is None:
        recorded = _sealing(session) or ring.active
        activate(session, recorded)
    if recorded != ring.active:
        raise KeyNotActive(
            f"the registry seals with key {recorded!r}, not {ring.active!r} (the keys were "
            "rotated meanwhile); nothing was changed: try again"
        )
