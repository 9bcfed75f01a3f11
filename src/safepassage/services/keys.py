"""Key rotation: re-seal every sealed value and recompute every blind index with a new key.

Rotation is what an operation does when a key may have leaked (a laptop lost at a border), so
it must leave nothing behind that the old key alone can open or match: every person's record,
every merge snapshot, every quarantined row, every matching override's reason and proposal's
explanation and every account's second-factor secret is
opened with the old key and sealed with the new one, and the look-ups, fingerprints and
quarantine digests are recomputed with the new index key, all in one transaction.

The key ring lives in a file and the records in a database, and no commit covers both, so
:func:`rotate_key_file` orders the steps so that a crash (kill -9, power) between any two of
them leaves a registry every process can still use:

1. the new key enters the ring file as *pending* (written atomically); nothing seals with it;
2. one database transaction re-seals everything with it and records it as the registry's
   active key (:mod:`safepassage.store.active_key`);
3. the ring file makes it active.

Before step 2 commits, the database still names the old key and every process seals with
it. After, the database names the new key, which the ring already holds as pending, and every
process follows the database (:meth:`KeyRing.following`, :class:`KeysInForce`) whether or not
step 3 happened. Running ``keys rotate`` again after a crash finishes what was interrupted.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from safepassage.model.registry import PersonalData
from safepassage.protection.keys import (
    KeyRing,
    KeyRingOutOfStep,
    load_key_ring,
    write_key_ring,
)
from safepassage.protection.sealing import Sealer
from safepassage.services.accounts import rekey_accounts
from safepassage.services.importing import rekey_quarantine
from safepassage.services.registry import (
    Operator,
    fingerprint,
    lookups_of,
    open_personal,
    seal_personal,
)
from safepassage.services.registry_matching import rekey_matching
from safepassage.store import audit
from safepassage.store.active_key import KeyNotActive, activate, active_key
from safepassage.store.codec import decode_personal
from safepassage.store.database import Database
from safepassage.store.tables import LookupRow, MergeRow, PersonRow

BATCH = 2000

__all__ = ["KeyNotActive", "KeysInForce", "RotationSummary", "ring_in_force", "rotate_key_file"]


@dataclass(frozen=True)
class RotationSummary:
    active: str
    persons: int
    quarantined: int
    merges: int
    resumed: bool = False
    """True when this run only switched the ring of a rotation whose re-sealing had
    committed before a crash."""


def merge_place(kept_id: str, merged_id: str) -> str:
    return f"merges:{kept_id}:{merged_id}"


def _sources_before_merges(session: Session, operator: Operator) -> dict[str, PersonalData]:
    """For each record that absorbed duplicates, what it was before its first merge still in
    force: its fingerprint stands for that (the source row), not for what merges added."""
    first: dict[str, PersonalData] = {}
    query = select(MergeRow).where(MergeRow.undone_at.is_(None)).order_by(MergeRow.id)
    for merge in session.execute(query).scalars():
        if merge.kept_id not in first:
            place = merge_place(merge.kept_id, merge.merged_id)
            first[merge.kept_id] = decode_personal(operator.sealer.open(merge.sealed_before, place))
    return first


def rotate_keys(session: Session, operator: Operator, new_ring: KeyRing) -> RotationSummary:
    """Re-seal the registry from ``operator``'s ring to ``new_ring`` (which must still hold
    the old keys: the audit log's older entries are checked with them), and record
    ``new_ring``'s active key as the registry's.

    The audit chain is held from the start: every other writer waits, and once this commits
    finds the key changed and is refused (:class:`~safepassage.store.active_key.KeyNotActive`),
    so no record or look-up sealed with the old key is added behind the re-sealing."""
    audit.hold_chain(session)
    recorded = active_key(session)
    _check_holds(operator.ring, recorded)
    new = Operator.with_ring(operator.name, new_ring)
    sources = _sources_before_merges(session, operator)
    ids = list(session.execute(select(PersonRow.id).order_by(PersonRow.id)).scalars())
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        session.execute(delete(LookupRow).where(LookupRow.person_id.in_(chunk)))
        for row in session.execute(select(PersonRow).where(PersonRow.id.in_(chunk))).scalars():
            data = open_personal(operator, row.id, row.sealed)
            row.sealed = seal_personal(new, row.id, data)
            row.fingerprint = fingerprint(new, row.household_id, sources.get(row.id, data))
            session.add_all(
                LookupRow(person_id=row.id, kind=kind, digest=digest)
                for kind, digest in lookups_of(new, data)
            )
        session.flush()
    merges = 0
    for merge in session.execute(select(MergeRow)).scalars():
        place = merge_place(merge.kept_id, merge.merged_id)
        merge.sealed_before = new.sealer.seal(
            operator.sealer.open(merge.sealed_before, place), place
        )
        merges += 1
    quarantined = rekey_quarantine(session, operator, new)
    rekey_accounts(session, operator, new)
    rekey_matching(session, operator, new)
    activate(session, new_ring.active)
    audit.record(
        session,
        new_ring,
        actor=operator.name,
        action="keys-rotate",
        subject="registry",
        detail={
            "from": recorded or operator.ring.active,
            "to": new_ring.active,
            "persons": len(ids),
        },
    )
    return RotationSummary(new_ring.active, len(ids), quarantined, merges)


def _check_holds(ring: KeyRing, recorded: str | None) -> None:
    if recorded is not None and recorded not in ring.keys:
        raise KeyRingOutOfStep(
            f"the registry was rotated to key {recorded!r}, which this key ring does not "
            "hold: rotate with the key file that rotation wrote"
        )


@contextmanager
def _rotation_lock(key_file: Path) -> Iterator[None]:
    """One rotation of a key file at a time: two at once would each write a pending key, and
    the ring file could end without the key the database was re-sealed with."""
    lock = key_file.with_name(key_file.name + ".lock")
    descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def rotate_key_file(database: Database, key_file: Path, actor: str) -> RotationSummary:
    """Rotate the ring in ``key_file`` and re-seal ``database`` with it, in the three steps
    the module describes; after a crash, finish what was interrupted."""
    with _rotation_lock(key_file):
        ring = load_key_ring(key_file)
        with database.session() as session:
            recorded = active_key(session)
        _check_holds(ring, recorded)
        if ring.pending is not None and recorded == ring.pending:
            write_key_ring(ring.promoted(), key_file)
            return RotationSummary(ring.pending, 0, 0, 0, resumed=True)
        if ring.pending is None:
            write_key_ring(ring, key_file.with_name(key_file.name + ".previous"))
            ring = ring.with_pending()
            write_key_ring(ring, key_file)
        with database.session() as session:
            summary = rotate_keys(session, Operator.with_ring(actor, ring), ring.promoted())
        write_key_ring(ring.promoted(), key_file)
        return summary


def ring_in_force(session: Session, ring: KeyRing) -> KeyRing:
    """``ring`` as the registry seals with it now (see :meth:`KeyRing.following`)."""
    return ring.following(active_key(session))


class KeysInForce:
    """The sealer of a long-running process (the server), kept in step with the registry.

    A rotation done by another process changes the database's active key; the next unit of
    work that calls :meth:`follow` sees the change, reads the key file again (which holds the
    new key, pending or active) and seals with the new key from then on. A unit of work that
    began before the change and writes after it is refused by the audit chain's check, never
    committed with the old key."""

    def __init__(self, ring: KeyRing, load: Callable[[], KeyRing]) -> None:
        self._sealer = Sealer(ring)
        self._load = load
        self._lock = threading.Lock()

    @property
    def sealer(self) -> Sealer:
        return self._sealer

    def follow(self, session: Session) -> Sealer:
        """The sealer for the database's active key, reloading the ring if it changed;
        :class:`KeyRingOutOfStep` if the key file does not hold it."""
        recorded = active_key(session)
        if recorded is None or recorded == self._sealer.ring.active:
            return self._sealer
        with self._lock:
            if self._sealer.ring.active != recorded:
                self._sealer = Sealer(self._load().following(recorded))
            return self._sealer
