"""Personal data to and from the bytes that get sealed: compact JSON, versioned.

The format is SafePassage's own (not pickle) so that a restored backup or a record sealed by
an older version always reads back field by field, and nothing but data can come out of it.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from safepassage.model.registry import (
    IdentityDocument,
    PartialDate,
    PersonalData,
    RiskLevel,
    Sex,
)

VERSION = 1


def encode_personal(data: PersonalData) -> bytes:
    fields: dict[str, Any] = {
        "v": VERSION,
        "name_arabic": data.name_arabic,
        "name_icao": data.name_icao,
        "sex": data.sex.value,
        "birth": data.birth.iso() if data.birth else None,
        "role": data.role,
        "relationship": data.relationship,
        "aliases": list(data.aliases),
        "nationality": data.nationality,
        "documents": [
            [d.kind, d.number, d.issuing_country, d.expires.isoformat() if d.expires else None]
            for d in data.documents
        ],
        "needs": list(data.needs),
        "risk": data.risk.value,
        "location": data.location,
        "consent": data.consent,
        "legal_basis": data.legal_basis,
        "phone": data.phone,
        "external_id": data.external_id,
    }
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def decode_personal(raw: bytes) -> PersonalData:
    fields = json.loads(raw)
    if fields.get("v") != VERSION:
        raise ValueError(f"personal data format {fields.get('v')!r} is not known")
    return PersonalData(
        name_arabic=fields["name_arabic"],
        name_icao=fields["name_icao"],
        sex=Sex(fields["sex"]),
        birth=PartialDate.parse(fields["birth"]) if fields["birth"] else None,
        role=fields["role"],
        relationship=fields["relationship"],
        aliases=tuple(fields["aliases"]),
        nationality=fields["nationality"],
        documents=tuple(
            IdentityDocument(kind, number, country, date.fromisoformat(exp) if exp else None)
            for kind, number, country, exp in fields["documents"]
        ),
        needs=tuple(fields["needs"]),
        risk=RiskLevel(fields["risk"]),
        location=fields["location"],
        consent=fields["consent"],
        legal_basis=fields["legal_basis"],
        phone=fields["phone"],
        external_id=fields["external_id"],
    )
