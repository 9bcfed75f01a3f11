"""Audit anchors on disk: writing one where the chain stands, and checking the log against them.

An anchor (:mod:`safepassage.protection.audit_anchor`) is only worth what the place it is kept
is worth: the folder should be on another machine, a write-once share or removable media, out
of reach of whoever can write to the database. ``audit anchor`` writes one on demand and the
server writes one at an interval; ``audit verify --anchor`` reads a file or a whole folder.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from safepassage.protection.audit_anchor import (
    Anchor,
    AnchorUnreadable,
    anchor_problems,
    sign_anchor,
)
from safepassage.protection.audit_chain import ChainReport
from safepassage.protection.keys import KeyRing
from safepassage.store import audit

PREFIX = "audit-anchor-"
SUFFIX = ".json"


def write_anchor(session: Session, ring: KeyRing, folder: Path) -> Anchor:
    """Sign where the chain stands now and write it into ``folder`` as a new file (written
    whole or not at all); earlier anchors are kept, each is checked on its own."""
    seq, head = audit.last_entry(session)
    stamp = datetime.now(UTC)
    anchor = sign_anchor(ring, seq, head, stamp.isoformat(timespec="microseconds"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{PREFIX}{seq:010d}-{stamp.strftime('%Y%m%dT%H%M%S%fZ')}{SUFFIX}"
    temporary = path.with_name(path.name + ".new")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(anchor.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
    return anchor


ChainPosition = tuple[int, str]
"""Sequence number and MAC of the chain's last entry."""


def anchor_if_moved(
    session: Session, ring: KeyRing, folder: Path, written: ChainPosition | None
) -> ChainPosition:
    """Write an anchor unless the chain still stands where ``written`` (the last anchor
    written) saw it, so that a quiet server does not fill the folder; where it stands now."""
    if written is not None and audit.last_entry(session) == written:
        return written
    anchor = write_anchor(session, ring, folder)
    return anchor.seq, anchor.head


def read_anchors(location: Path) -> tuple[dict[str, Anchor], list[str]]:
    """The anchors in a file or a folder (by file name), and what could not be read."""
    paths = sorted(location.glob(f"{PREFIX}*{SUFFIX}")) if location.is_dir() else [location]
    anchors: dict[str, Anchor] = {}
    problems: list[str] = []
    for path in paths:
        try:
            anchors[path.name] = Anchor.from_json(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, AnchorUnreadable):
            problems.append(f"anchor {path.name}: cannot be read as an audit anchor")
    if not paths:
        problems.append(f"no audit anchors at {location}: nothing to check the log against")
    return anchors, problems


def verify_with_anchors(session: Session, ring: KeyRing, location: Path | None) -> ChainReport:
    """The chain's own check (:func:`safepassage.store.audit.verify`), and with ``location``
    every anchor there: the log must reach each one and hold the entry each one saw."""
    report = audit.verify(session, ring)
    if location is None:
        return report
    anchors, problems = read_anchors(location)
    macs = audit.macs_at(session, (anchor.seq for anchor in anchors.values()))
    problems += anchor_problems(anchors, ring, report.entries, macs.get)
    return ChainReport(report.entries, (*report.problems, *problems))
