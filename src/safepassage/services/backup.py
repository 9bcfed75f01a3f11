"""Encrypted backups of the whole registry, and restoring them into an empty database.

A backup is every row of every table (sealed values stay sealed inside it), compressed, then
sealed as a whole with a backup key derived from the key ring, so a copied backup file is as
useless without the keys as a copied database. Restore writes the rows back unchanged (ids,
sealed values, audit chain and all), so the restored registry is exactly what the backup saw,
and its audit log still verifies. The schema revision travels with the backup: a backup from
another schema is refused rather than half restored.
"""

from __future__ import annotations

import base64
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, Date, DateTime, LargeBinary, Table, func, insert, select
from sqlalchemy.orm import Session

from safepassage.protection.keys import KeyRing, KeyRingUnavailable, Purpose
from safepassage.services.registry import Operator
from safepassage.store import audit
from safepassage.store.active_key import active_key
from safepassage.store.schema import head_revision
from safepassage.store.tables import Base

MAGIC = b"SPBACKUP1"
NONCE_BYTES = 12


class BackupRefused(Exception):
    """A backup that cannot be written or restored; the message says why (never data)."""


@dataclass(frozen=True)
class BackupSummary:
    revision: str
    rows: dict[str, int]


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode()}
    if isinstance(value, datetime):
        # Every stamp is written in UTC; SQLite hands it back without its zone.
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return {"t": aware.isoformat()}
    if isinstance(value, date):
        return {"t": value.isoformat()}
    return value


def _decode(value: Any, column_type: Any) -> Any:
    if isinstance(value, dict) and "b64" in value:
        return base64.b64decode(value["b64"])
    if isinstance(value, dict) and "t" in value:
        if isinstance(column_type, DateTime):
            return datetime.fromisoformat(value["t"])
        if isinstance(column_type, Date):
            return date.fromisoformat(value["t"])
    if isinstance(column_type, LargeBinary) and value is not None:
        raise BackupRefused("the backup is malformed: a binary column holds text")
    return value


def table_rows(connection: Connection, table: Table) -> Iterator[list[Any]]:
    """Rows in primary-key order, so that two dumps of the same data compare equal."""
    query = select(table).order_by(*table.primary_key.columns)
    for row in connection.execute(query):
        yield [_encode(value) for value in row]


def snapshot(session: Session) -> dict[str, list[list[Any]]]:
    """Every table's rows as plain values: what a backup holds, and what tests compare."""
    connection = session.connection()
    return {
        table.name: list(table_rows(connection, table)) for table in Base.metadata.sorted_tables
    }


def write_backup(session: Session, operator: Operator, path: Path) -> BackupSummary:
    """Record the backup in the audit log, then seal a snapshot that includes that entry."""
    audit.record(session, operator.ring, actor=operator.name, action="backup", subject="registry")
    tables = snapshot(session)
    revision = head_revision()
    payload = json.dumps(
        {"revision": revision, "tables": tables}, separators=(",", ":"), ensure_ascii=False
    ).encode()
    key_id = operator.ring.active
    nonce = os.urandom(NONCE_BYTES)
    header = MAGIC + bytes([len(key_id)]) + key_id.encode()
    body = AESGCM(operator.ring.derive(Purpose.BACKUP)).encrypt(
        nonce, zlib.compress(payload, 6), header
    )
    temporary = path.with_name(path.name + ".partial")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(header + nonce + body)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
    return BackupSummary(revision, {name: len(rows) for name, rows in tables.items()})


def read_backup(path: Path, ring: KeyRing) -> dict[str, Any]:
    blob = path.read_bytes()
    if not blob.startswith(MAGIC):
        raise BackupRefused(f"{path} is not a SafePassage backup")
    length = blob[len(MAGIC)]
    header = blob[: len(MAGIC) + 1 + length]
    key_id = header[len(MAGIC) + 1 :].decode()
    nonce = blob[len(header) : len(header) + NONCE_BYTES]
    try:
        key = ring.derive(Purpose.BACKUP, key_id)
        payload = AESGCM(key).decrypt(nonce, blob[len(header) + NONCE_BYTES :], header)
    except KeyRingUnavailable:
        raise BackupRefused(
            f"{path} was sealed with key {key_id!r}, which this key ring does not hold"
        ) from None
    except InvalidTag:
        raise BackupRefused(f"{path} does not open with this key ring, or was altered") from None
    contents: dict[str, Any] = json.loads(zlib.decompress(payload))
    return contents


def _ring_of_backup(session: Session, ring: KeyRing) -> KeyRing:
    """The ring as the restored registry seals: a backup made before a rotation is sealed
    with a key since retired, and its restore is written with that key; every command after
    it then asks for ``keys rotate`` (:meth:`KeyRing.following`) before sealing anything."""
    recorded = active_key(session)
    if recorded is None or recorded == ring.active:
        return ring
    try:
        return KeyRing(ring.keys, recorded)
    except KeyRingUnavailable:
        raise BackupRefused(
            f"the backup's registry seals with key {recorded!r}, which this key ring does not "
            "hold: restore with the key file of the registry it was made from"
        ) from None


def restore_backup(session: Session, operator: Operator, path: Path) -> BackupSummary:
    """Restore into an empty registry at the same schema; refuse anything else, since merging
    a backup into live data would silently fork the audit chain."""
    contents = read_backup(path, operator.ring)
    revision = contents["revision"]
    if revision != head_revision():
        raise BackupRefused(
            f"the backup is at schema {revision}, this registry at {head_revision()}: "
            "restore with the SafePassage version that made it, then upgrade"
        )
    connection = session.connection()
    for table in Base.metadata.sorted_tables:
        if connection.execute(select(func.count()).select_from(table)).scalar_one():
            raise BackupRefused(
                f"the registry is not empty ({table.name} has rows): restore into a new "
                "database (`safepassage db init --db NEW`)"
            )
    counts: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        rows = contents["tables"].get(table.name, [])
        columns = list(table.columns)
        records = [
            {
                column.name: _decode(value, column.type)
                for column, value in zip(columns, row, strict=True)
            }
            for row in rows
        ]
        for start in range(0, len(records), 5000):
            connection.execute(insert(table), records[start : start + 5000])
        counts[table.name] = len(records)
    audit.record(
        session,
        _ring_of_backup(session, operator.ring),
        actor=operator.name,
        action="restore",
        subject="registry",
        detail={"persons": counts.get("persons", 0)},
    )
    return BackupSummary(revision, counts)
