"""The key ring: master keys that live outside the database, and the keys derived from them.

A stolen database file or dump must be useless, so no key is ever stored in it. The ring comes
from a key file (``--key-file`` or ``SAFEPASSAGE_KEY_FILE``) or from the ``SAFEPASSAGE_KEYS``
environment variable. It holds every master key ever used, one of them active: new data is
sealed with the active key, while retired keys stay so that old backups and old audit entries
can still be opened and checked.

Rotation must survive a crash at any point, so the ring and the database change in turn and the
database has the last word (see :mod:`safepassage.services.keys`): the new key first enters
the ring as *pending* (sealing nothing yet), the database is re-sealed with it and records it
as active in the same transaction, and only then does the ring make it active. A process
seals with the key the database records (:meth:`KeyRing.following`), so a ring written before
or after that commit works the same.

Each master key is never used directly: HKDF derives one sub-key per purpose (sealing, blind
indexes, the audit chain, backups), so that a key used for look-ups cannot decrypt anything.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_FILE_ENV = "SAFEPASSAGE_KEY_FILE"
KEYS_ENV = "SAFEPASSAGE_KEYS"
MASTER_KEY_BYTES = 32


class KeyRingUnavailable(Exception):
    """Raised when no usable key ring can be found; the message says where it looked."""


class KeyRingOutOfStep(KeyRingUnavailable):
    """The database records an active key this ring cannot follow: the ring is older than
    the database, or the database older than the ring. Sealing with either key would leave
    records and look-ups that no longer match, so nothing is sealed until it is resolved."""


class Purpose(StrEnum):
    SEAL = "seal"
    BLIND_INDEX = "blind-index"
    AUDIT = "audit"
    BACKUP = "backup"
    ANCHOR = "audit-anchor"


@dataclass(frozen=True)
class KeyRing:
    keys: Mapping[str, bytes]
    active: str
    pending: str | None = None
    """A key added by a rotation that has not committed yet: it seals nothing until the
    database records it as active."""

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise KeyRingUnavailable(f"the active key {self.active!r} is not in the key ring")
        if self.pending is not None and (
            self.pending not in self.keys or self.pending == self.active
        ):
            raise KeyRingUnavailable(f"the pending key {self.pending!r} is not a new ring key")
        for key_id, key in self.keys.items():
            if len(key) != MASTER_KEY_BYTES:
                raise KeyRingUnavailable(f"key {key_id!r} is not {MASTER_KEY_BYTES} bytes")

    @classmethod
    def generate(cls) -> KeyRing:
        return cls({"k1": secrets.token_bytes(MASTER_KEY_BYTES)}, "k1")

    def with_pending(self) -> KeyRing:
        """The ring with a fresh pending key (this one if it has one: an interrupted rotation
        left it, and it never sealed anything that committed)."""
        if self.pending is not None:
            return self
        number = 1 + max(int(key_id[1:]) for key_id in self.keys if key_id[1:].isdigit())
        new_id = f"k{number}"
        keys = {**self.keys, new_id: secrets.token_bytes(MASTER_KEY_BYTES)}
        return KeyRing(keys, self.active, new_id)

    def promoted(self) -> KeyRing:
        """The pending key made active; the old keys stay for what they sealed."""
        if self.pending is None:
            raise KeyRingUnavailable("the key ring has no pending key to make active")
        return KeyRing(self.keys, self.pending)

    def rotated(self) -> KeyRing:
        """A ring with a fresh active key; the old keys stay for what they sealed."""
        return self.with_pending().promoted()

    def following(self, recorded: str | None) -> KeyRing:
        """The ring to seal with when the database records ``recorded`` as its active key
        (None: a registry that has recorded none yet, so this ring's active key).

        The ring may follow the database forward to its pending key (a rotation committed,
        and the ring was not switched yet), never back to a retired key: a database whose
        active key is retired was restored from an older copy (or had its record edited), and
        sealing with a retired key is what rotation exists to stop."""
        if recorded is None or recorded == self.active:
            return self
        if recorded == self.pending:
            return self.promoted()
        if recorded in self.keys:
            raise KeyRingOutOfStep(
                f"the registry seals with key {recorded!r}, which this key ring retired for "
                f"{self.active!r}: the database is older than the key ring (restored from a "
                "copy?); run `safepassage keys rotate` to re-seal it with a new key"
            )
        raise KeyRingOutOfStep(
            f"the registry seals with key {recorded!r}, which this key ring does not hold: "
            "the key file is older than the database; use the one the last `keys rotate` wrote"
        )

    def derive(self, purpose: Purpose, key_id: str | None = None) -> bytes:
        key_id = key_id or self.active
        try:
            master = self.keys[key_id]
        except KeyError:
            raise KeyRingUnavailable(f"key {key_id!r} is not in the key ring") from None
        return HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"safepassage",
            info=f"{purpose.value}:{key_id}".encode(),
        ).derive(master)

    def to_json(self) -> str:
        encoded = {key_id: base64.b64encode(key).decode() for key_id, key in self.keys.items()}
        document: dict[str, object] = {"active": self.active, "keys": encoded}
        if self.pending is not None:
            document["pending"] = self.pending
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> KeyRing:
        try:
            data = json.loads(text)
            keys = {
                key_id: base64.b64decode(value, validate=True)
                for key_id, value in data["keys"].items()
            }
            return cls(keys, data["active"], data.get("pending"))
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise KeyRingUnavailable(
                'a key ring is JSON: {"active": "k1", "keys": {"k1": "<32 bytes, base64>"}}'
            ) from None


def write_key_ring(ring: KeyRing, path: Path) -> None:
    """Write atomically and readable by the owner only, so a crash mid-rotation never leaves
    a half-written ring (that would lock the operation out of its own data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(ring.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


def load_key_ring(key_file: Path | None, environ: Mapping[str, str] | None = None) -> KeyRing:
    """The ring from ``key_file``, else ``SAFEPASSAGE_KEY_FILE``, else ``SAFEPASSAGE_KEYS``."""
    environ = os.environ if environ is None else environ
    path = key_file or (Path(environ[KEY_FILE_ENV]) if environ.get(KEY_FILE_ENV) else None)
    if path is not None:
        if not path.is_file():
            raise KeyRingUnavailable(
                f"no key file at {path}: create one with `safepassage keys init --key-file {path}`"
            )
        return KeyRing.from_json(path.read_text(encoding="utf-8"))
    if environ.get(KEYS_ENV):
        return KeyRing.from_json(environ[KEYS_ENV])
    raise KeyRingUnavailable(
        f"no key ring: pass --key-file, or set {KEY_FILE_ENV} or {KEYS_ENV}; "
        "create one with `safepassage keys init`"
    )
