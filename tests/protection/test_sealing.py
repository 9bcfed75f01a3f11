import json
from pathlib import Path

import pytest

from safepassage.protection import KeyRing, KeyRingUnavailable, SealBroken, Sealer
from safepassage.protection.keys import load_key_ring, write_key_ring


def test_a_sealed_value_opens_only_in_its_place() -> None:
    sealer = Sealer(KeyRing.generate())
    sealed = sealer.seal("محمد MOHAMMAD".encode(), "persons:P1")
    assert b"MOHAMMAD" not in sealed
    assert sealer.open(sealed, "persons:P1") == "محمد MOHAMMAD".encode()
    with pytest.raises(SealBroken):
        sealer.open(sealed, "persons:P2")


def test_an_altered_value_does_not_open() -> None:
    sealer = Sealer(KeyRing.generate())
    sealed = bytearray(sealer.seal(b"secret", "persons:P1"))
    sealed[-1] ^= 1
    with pytest.raises(SealBroken):
        sealer.open(bytes(sealed), "persons:P1")


def test_values_sealed_before_a_rotation_still_open() -> None:
    ring = KeyRing.generate()
    old = Sealer(ring).seal(b"secret", "p")
    rotated = ring.rotated()
    assert rotated.active != ring.active
    assert Sealer(rotated).open(old, "p") == b"secret"
    assert Sealer.key_id_of(Sealer(rotated).seal(b"x", "p")) == rotated.active


def test_another_ring_opens_nothing() -> None:
    sealed = Sealer(KeyRing.generate()).seal(b"secret", "p")
    with pytest.raises(SealBroken):
        Sealer(KeyRing.generate()).open(sealed, "p")


def test_blind_indexes_match_after_normalisation_and_depend_on_the_key() -> None:
    ring = KeyRing.generate()
    sealer = Sealer(ring)
    assert sealer.blind_index("document", " n123 ") == sealer.blind_index("document", "N123")
    assert sealer.blind_index("document", "N123") != sealer.blind_index("name", "N123")
    assert sealer.blind_index("document", "N123") != Sealer(ring.rotated()).blind_index(
        "document", "N123"
    )


def test_the_key_file_round_trips_and_is_private(tmp_path: Path) -> None:
    ring = KeyRing.generate().rotated()
    path = tmp_path / "keys" / "keyring.json"
    write_key_ring(ring, path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_key_ring(path, environ={}) == ring
    assert load_key_ring(None, environ={"SAFEPASSAGE_KEYS": ring.to_json()}) == ring


def test_a_missing_or_malformed_key_ring_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(KeyRingUnavailable, match="keys init"):
        load_key_ring(tmp_path / "nowhere.json", environ={})
    with pytest.raises(KeyRingUnavailable, match="no key ring"):
        load_key_ring(None, environ={})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"active": "k1", "keys": {"k1": "c2hvcnQ="}}))
    with pytest.raises(KeyRingUnavailable, match="not 32 bytes"):
        load_key_ring(bad, environ={})
