"""Sealing personal data (AES-256-GCM) and blind indexes (HMAC) for exact look-ups.

A sealed value names the key that sealed it, so that a store half-way through a key rotation
(or restored from an old backup) still opens. The associated data binds a sealed value to its
place (table, row, field): a value copied onto another row will not open there, so an attacker
with write access to the database cannot swap two people's records unnoticed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from safepassage.protection.keys import KeyRing, KeyRingUnavailable, Purpose

FORMAT = 1
NONCE_BYTES = 12
INDEX_BYTES = 16


class SealBroken(Exception):
    """A sealed value did not open: wrong key, wrong place, or altered. Says nothing more,
    because anything more could help whoever altered it."""


class Sealer:
    """Seals and opens values and computes blind indexes with one key ring."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self._ciphers: dict[str, AESGCM] = {}
        self._index_key = ring.derive(Purpose.BLIND_INDEX)

    def _cipher(self, key_id: str) -> AESGCM:
        if key_id not in self._ciphers:
            self._ciphers[key_id] = AESGCM(self.ring.derive(Purpose.SEAL, key_id))
        return self._ciphers[key_id]

    def seal(self, plaintext: bytes, place: str) -> bytes:
        key_id = self.ring.active.encode()
        nonce = os.urandom(NONCE_BYTES)
        body = self._cipher(self.ring.active).encrypt(nonce, plaintext, place.encode())
        return bytes([FORMAT, len(key_id)]) + key_id + nonce + body

    def open(self, sealed: bytes, place: str) -> bytes:
        try:
            if sealed[0] != FORMAT:
                raise SealBroken(f"sealed value at {place} has an unknown format")
            length = sealed[1]
            key_id = sealed[2 : 2 + length].decode()
            nonce = sealed[2 + length : 2 + length + NONCE_BYTES]
            body = sealed[2 + length + NONCE_BYTES :]
            return self._cipher(key_id).decrypt(nonce, body, place.encode())
        except (InvalidTag, IndexError, UnicodeDecodeError, ValueError):
            raise SealBroken(f"sealed value at {place} does not open with this key ring") from None
        except KeyRingUnavailable as error:
            raise SealBroken(f"sealed value at {place}: {error}") from None

    @staticmethod
    def key_id_of(sealed: bytes) -> str:
        return sealed[2 : 2 + sealed[1]].decode()

    def blind_index(self, kind: str, value: str) -> str:
        """A keyed digest of ``value`` for exact look-up: equal after normalisation (case,
        accents, spacing), unguessable without the key, so it reveals nothing in a dump."""
        normal = " ".join(unicodedata.normalize("NFKC", value).casefold().split())
        digest = hmac.new(self._index_key, f"{kind}\x00{normal}".encode(), hashlib.sha256)
        return digest.hexdigest()[: 2 * INDEX_BYTES]
