"""Exports that leave the system (manifests for a border or a host country), sealed with a
passphrase the two sides agree on out of band.

The recipient has no key ring and no database, only the file and the passphrase, so the key is
derived from the passphrase alone: scrypt, which costs memory as well as time, so a stolen file
cannot be brute-forced cheaply on graphics cards. AES-256-GCM then seals the content; the
header (format, scrypt settings, salt) is authenticated too, so a file whose settings were
tampered with fails to open instead of opening weakened. The settings travel in the header so
that later versions may raise the cost and still open older files; :func:`open_export` refuses
settings outside sane bounds, so a crafted file cannot make the recipient's machine spend
gigabytes on a key.
"""

from __future__ import annotations

import os
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"SPEXPORT1"
SALT_BYTES = 16
NONCE_BYTES = 12
KEY_BYTES = 32

LOG2_N = 17
"""scrypt N = 2**17, r = 8, p = 1: 128 MiB and under a second on a laptop, the cost OWASP
recommends for scrypt; a recipient opens a manifest once, an attacker guesses billions."""
BLOCK_SIZE = 8
PARALLELISM = 1
LOG2_N_RANGE = range(14, 21)
BLOCK_SIZE_RANGE = range(1, 17)
PARALLELISM_RANGE = range(1, 5)

MIN_PASSPHRASE = 12
"""Characters. A manifest names people at risk; a passphrase shorter than this falls to a
guessing attack even through scrypt, and the sender is told so before anything is sealed."""

HEADER_BYTES = len(MAGIC) + 3 + SALT_BYTES


class WeakPassphrase(ValueError):
    """A passphrase too short to protect a manifest."""


class ExportBroken(Exception):
    """The file does not open: wrong passphrase, altered, or not an export. Which one is not
    said, because telling them apart would help whoever is guessing."""


def check_passphrase(passphrase: str) -> None:
    """Raise :class:`WeakPassphrase` before any work is done for an export it cannot protect."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise WeakPassphrase(f"the passphrase needs at least {MIN_PASSPHRASE} characters")


def seal_export(data: bytes, passphrase: str) -> bytes:
    """The file to hand over: header, nonce, then the sealed data."""
    check_passphrase(passphrase)
    salt = os.urandom(SALT_BYTES)
    header = MAGIC + bytes([LOG2_N, BLOCK_SIZE, PARALLELISM]) + salt
    key = _key(passphrase, salt, LOG2_N, BLOCK_SIZE, PARALLELISM)
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + AESGCM(key).encrypt(nonce, data, header)


def open_export(blob: bytes, passphrase: str) -> bytes:
    header = blob[:HEADER_BYTES]
    if len(blob) < HEADER_BYTES + NONCE_BYTES or not header.startswith(MAGIC):
        raise ExportBroken("this is not a SafePassage export")
    log2_n, block_size, parallelism = header[len(MAGIC) : len(MAGIC) + 3]
    if (
        log2_n not in LOG2_N_RANGE
        or block_size not in BLOCK_SIZE_RANGE
        or parallelism not in PARALLELISM_RANGE
    ):
        raise ExportBroken("this export was sealed with settings this version does not accept")
    salt = header[len(MAGIC) + 3 :]
    nonce = blob[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
    key = _key(passphrase, salt, log2_n, block_size, parallelism)
    try:
        return AESGCM(key).decrypt(nonce, blob[HEADER_BYTES + NONCE_BYTES :], header)
    except InvalidTag:
        raise ExportBroken(
            "the export does not open with this passphrase, or it was altered"
        ) from None


def _key(passphrase: str, salt: bytes, log2_n: int, block_size: int, parallelism: int) -> bytes:
    # The same passphrase typed on another keyboard may arrive composed differently (an
    # accented letter as one code point or two); NFC makes both derive the same key.
    secret = unicodedata.normalize("NFC", passphrase).encode()
    return Scrypt(salt=salt, length=KEY_BYTES, n=2**log2_n, r=block_size, p=parallelism).derive(
        secret
    )
