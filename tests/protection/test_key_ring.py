"""The key ring's pending key and how a process follows the registry's active key."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepassage.protection import KeyRing, KeyRingUnavailable, load_key_ring, write_key_ring
from safepassage.protection.keys import KeyRingOutOfStep


def test_a_pending_key_seals_nothing_until_promoted_and_survives_the_file(
    tmp_path: Path,
) -> None:
    ring = KeyRing.generate()
    pending = ring.with_pending()
    assert (pending.active, pending.pending) == ("k1", "k2")
    assert pending.with_pending() is pending  # an interrupted rotation's key is reused
    write_key_ring(pending, tmp_path / "keyring.json")
    assert load_key_ring(tmp_path / "keyring.json", {}) == pending
    promoted = pending.promoted()
    assert (promoted.active, promoted.pending) == ("k2", None)
    assert promoted.keys == pending.keys
    with pytest.raises(KeyRingUnavailable):
        promoted.promoted()
    with pytest.raises(KeyRingUnavailable):
        KeyRing(ring.keys, "k1", "k9")


def test_a_ring_follows_the_registry_forward_never_back() -> None:
    ring = KeyRing.generate().with_pending()
    assert ring.following(None) is ring
    assert ring.following("k1") is ring
    assert ring.following("k2") == ring.promoted()
    after = ring.promoted()
    with pytest.raises(KeyRingOutOfStep, match="older than the key ring"):
        after.following("k1")
    with pytest.raises(KeyRingOutOfStep, match="key file is older than the database"):
        KeyRing.generate().following("k2")
