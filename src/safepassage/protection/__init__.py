"""Protection of personal data: the key ring, sealing and blind indexes, the audit chain."""

from safepassage.protection.audit_chain import AuditEntry, ChainReport, verify_chain
from safepassage.protection.keys import (
    KeyRing,
    KeyRingUnavailable,
    Purpose,
    load_key_ring,
    write_key_ring,
)
from safepassage.protection.sealing import SealBroken, Sealer

__all__ = [
    "AuditEntry",
    "ChainReport",
    "KeyRing",
    "KeyRingUnavailable",
    "Purpose",
    "SealBroken",
    "Sealer",
    "load_key_ring",
    "verify_chain",
    "write_key_ring",
]
