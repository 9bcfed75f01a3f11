"""Signed checkpoints of the audit chain, kept outside the database.

The chain and its head live in the database, so whoever can write to it can wipe both, put
back an older head after deleting the entries behind it, or roll the whole database back to
an older copy: each leaves a chain that verifies. An anchor records where the chain stood
(sequence number and MAC of its last entry) at a time, signed, in a file the operator keeps
elsewhere; a database behind an anchor, or whose entry at the anchored sequence differs, has
lost or rewritten entries since.

The signature is an HMAC with a key derived from the key ring for this purpose alone, rather
than an Ed25519 signature: it guards against the same adversary as the chain (write access to
the database and to the anchors' folder, but not the keys), whoever checks anchors holds the
ring anyway to check the chain, and it adds no key to generate, keep and rotate. A key of the
anchors' own keeps them from being forged with the chain's key, or the reverse.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from safepassage.protection.keys import KeyRing, KeyRingUnavailable, Purpose

FORMAT = "safepassage-audit-anchor/1"


class AnchorUnreadable(Exception):
    """A file that is not an audit anchor; says nothing of its contents."""


@dataclass(frozen=True)
class Anchor:
    seq: int
    """The last entry of the chain when the anchor was made (0: an empty chain)."""
    head: str
    """That entry's MAC."""
    at: str
    key_id: str
    signature: str

    def to_json(self) -> str:
        document = {
            "format": FORMAT,
            "seq": self.seq,
            "head": self.head,
            "at": self.at,
            "key_id": self.key_id,
            "signature": self.signature,
        }
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Anchor:
        try:
            data = json.loads(text)
            if data["format"] != FORMAT:
                raise AnchorUnreadable("not an audit anchor of this format")
            anchor = cls(
                int(data["seq"]),
                str(data["head"]),
                str(data["at"]),
                str(data["key_id"]),
                str(data["signature"]),
            )
        except (ValueError, KeyError, TypeError):
            raise AnchorUnreadable("not an audit anchor") from None
        return anchor


def _signature(key: bytes, seq: int, head: str, at: str, key_id: str) -> str:
    body = json.dumps([FORMAT, seq, head, at, key_id], separators=(",", ":"))
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def sign_anchor(ring: KeyRing, seq: int, head: str, at: str) -> Anchor:
    key = ring.derive(Purpose.ANCHOR)
    return Anchor(seq, head, at, ring.active, _signature(key, seq, head, at, ring.active))


def is_genuine(anchor: Anchor, ring: KeyRing) -> bool:
    try:
        key = ring.derive(Purpose.ANCHOR, anchor.key_id)
    except KeyRingUnavailable:
        return False
    expected = _signature(key, anchor.seq, anchor.head, anchor.at, anchor.key_id)
    return hmac.compare_digest(expected, anchor.signature)


def anchor_problems(
    anchors: Mapping[str, Anchor],
    ring: KeyRing,
    entries: int,
    mac_at: Callable[[int], str | None],
) -> list[str]:
    """What each anchor (by the name it was read from) finds wrong with a chain of
    ``entries`` entries whose MAC at a sequence number ``mac_at`` gives."""
    problems: list[str] = []
    for name, anchor in sorted(anchors.items(), key=lambda item: item[1].seq):
        if not is_genuine(anchor, ring):
            problems.append(
                f"anchor {name}: its signature does not match (altered, forged, or signed "
                "with a key this ring does not hold)"
            )
        elif anchor.seq > entries:
            problems.append(
                f"anchor {name} of {anchor.at} saw the log at entry {anchor.seq}, but it ends "
                f"at entry {entries}: entries were deleted or the database was rolled back"
            )
        elif anchor.seq and mac_at(anchor.seq) != anchor.head:
            problems.append(
                f"anchor {name} of {anchor.at}: entry {anchor.seq} is not the one anchored: "
                "the log was rewritten or rolled back since (or the anchor is another "
                "registry's)"
            )
    return problems
