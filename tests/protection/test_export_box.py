"""Exports sealed with a passphrase: they open with it, and with nothing else."""

from __future__ import annotations

import pytest

from safepassage.protection.export_box import (
    HEADER_BYTES,
    MAGIC,
    ExportBroken,
    WeakPassphrase,
    open_export,
    seal_export,
)

MANIFEST = (
    b"household_id,window,name_icao,date_of_birth,nationality,document_number\r\n"
    b"H1,2018-07-21T00:00:00+03:00/2018-07-21T00:30:00+03:00,TESTPERSON ONE,1987-04,SYR,N0123\r\n"
)
PASSPHRASE = "correct horse battery staple"


@pytest.fixture(scope="module")
def sealed() -> bytes:
    """Sealed once: scrypt at the real cost takes most of a second."""
    return seal_export(MANIFEST, PASSPHRASE)


def test_an_export_opens_with_its_passphrase(sealed: bytes) -> None:
    assert open_export(sealed, PASSPHRASE) == MANIFEST


def test_the_same_passphrase_typed_composed_or_decomposed_opens_it() -> None:
    blob = seal_export(b"x", "mot de passe d\u00e9j\u00e0 vu")
    assert open_export(blob, "mot de passe de\u0301ja\u0300 vu") == b"x"


def test_a_wrong_passphrase_or_an_altered_file_does_not_open(sealed: bytes) -> None:
    with pytest.raises(ExportBroken, match="passphrase"):
        open_export(sealed, PASSPHRASE + "!")
    altered = bytearray(sealed)
    altered[HEADER_BYTES - 1] ^= 1  # the salt: authenticated as part of the header
    with pytest.raises(ExportBroken):
        open_export(bytes(altered), PASSPHRASE)


def test_the_sealed_file_shows_nothing_of_what_it_holds(sealed: bytes) -> None:
    assert sealed.startswith(MAGIC)
    for visible in (b"TESTPERSON", b"N0123", b"1987", b"SYR", b"household_id"):
        assert visible not in sealed
    assert seal_export(MANIFEST, PASSPHRASE) != sealed  # fresh salt and nonce every time


def test_settings_that_would_exhaust_the_recipient_are_refused(sealed: bytes) -> None:
    crafted = bytearray(sealed)
    crafted[len(MAGIC)] = 30  # scrypt N = 2**30: gigabytes of memory
    with pytest.raises(ExportBroken, match="settings"):
        open_export(bytes(crafted), PASSPHRASE)
    with pytest.raises(ExportBroken, match="not a SafePassage export"):
        open_export(b"household_id,window\r\n", PASSPHRASE)


def test_a_short_passphrase_is_refused_before_sealing() -> None:
    with pytest.raises(WeakPassphrase, match="12 characters"):
        seal_export(MANIFEST, "secret")
