"""The registry's database as the shells see it: opened, checked against the schema, and a
unit of work (``Session``) to hand to the services.

The CLI, the API and the pages import these names from here, never from
:mod:`safepassage.store` or SQLAlchemy, so that every query lives in a service, where the
scope of an account and the audit entry of a read are decided once.
"""

from __future__ import annotations

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import SQLAlchemyError as DatabaseError
from sqlalchemy.orm import Session

from safepassage.store.database import Database, DatabaseUnavailable, data_folder
from safepassage.store.engines import open_database
from safepassage.store.schema import current_revision, head_revision, upgrade

__all__ = [
    "Database",
    "DatabaseError",
    "DatabaseUnavailable",
    "OperationalError",
    "Session",
    "current_revision",
    "data_folder",
    "head_revision",
    "open_database",
    "upgrade",
]
