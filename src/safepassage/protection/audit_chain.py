"""The tamper-evident audit chain: each entry carries the MAC of the one before it.

The MAC is keyed (HMAC with an audit key derived from the key ring), not a bare hash: whoever
can write to the database but does not hold the keys cannot edit an entry and recompute the
chain after it. Editing, deleting or reordering any entry breaks the chain at that entry; a
separately stored head (sequence number and MAC of the last entry) catches the deletion of the
last entries. Entries never carry personal data, only opaque ids and counts, so the auditor
can read the whole log without reading anyone's record.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from safepassage.protection.keys import KeyRingUnavailable

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    detail: str
    key_id: str
    prev_mac: str
    mac: str


def entry_mac(
    key: bytes,
    *,
    seq: int,
    at: str,
    actor: str,
    action: str,
    subject: str,
    detail: str,
    key_id: str,
    prev_mac: str,
) -> str:
    body = json.dumps(
        [seq, at, actor, action, subject, detail, key_id, prev_mac],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def head_mac(key: bytes, seq: int, mac: str) -> str:
    return hmac.new(key, f"head:{seq}:{mac}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    entries: int
    problems: tuple[str, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_chain(
    entries: Iterable[AuditEntry],
    audit_key: Callable[[str], bytes],
    head: tuple[int, str, str] | None,
) -> ChainReport:
    """Check every link and the head; ``head`` is (seq, mac, head MAC) or None if absent.

    ``audit_key(key_id)`` gives the audit key an entry was written with, so entries from
    before a key rotation still verify.
    """
    problems: list[str] = []
    previous_mac = GENESIS
    expected_seq = 1
    count = 0
    last_key_id = ""
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            problems.append(
                f"entry {entry.seq}: expected entry {expected_seq} here "
                "(an entry was deleted or the log reordered)"
            )
        if entry.prev_mac != previous_mac:
            problems.append(f"entry {entry.seq}: does not follow the entry before it")
        try:
            key = audit_key(entry.key_id)
        except KeyRingUnavailable:
            problems.append(f"entry {entry.seq}: its key {entry.key_id!r} is not in the key ring")
        else:
            recomputed = entry_mac(
                key,
                seq=entry.seq,
                at=entry.at,
                actor=entry.actor,
                action=entry.action,
                subject=entry.subject,
                detail=entry.detail,
                key_id=entry.key_id,
                prev_mac=entry.prev_mac,
            )
            if not hmac.compare_digest(recomputed, entry.mac):
                problems.append(f"entry {entry.seq}: altered (its MAC does not match)")
        previous_mac = entry.mac
        expected_seq = entry.seq + 1
        last_key_id = entry.key_id
    if head is None:
        if count:
            problems.append("the log's head record is missing")
    else:
        seq, mac, sealed_head = head
        if seq != count or mac != previous_mac:
            problems.append(
                f"the log should end at entry {seq}, but ends at entry {count}: "
                "entries were deleted from its end"
            )
        try:
            valid = hmac.compare_digest(head_mac(audit_key(last_key_id), seq, mac), sealed_head)
        except KeyRingUnavailable:
            valid = False
        if count and not valid:
            problems.append("the log's head record was altered")
    return ChainReport(count, tuple(problems))
