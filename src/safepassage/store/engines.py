"""Which engine a location names, and the database opened on it.

Kept apart from :mod:`safepassage.store.database` so that the engines import the abstract
class and this module imports the engines, with no import going back.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import make_url

from safepassage.store.database import DB_ENV, Database, DatabaseUnavailable, data_folder
from safepassage.store.postgresql import PostgresDatabase
from safepassage.store.sqlite import SQLiteDatabase


def open_database(
    location: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Database:
    """The database at ``location`` (a path or a URL), else ``SAFEPASSAGE_DB``, else the
    SQLite file ``registry.db`` in the user's data folder."""
    environ = os.environ if environ is None else environ
    chosen = str(location) if location is not None else environ.get(DB_ENV)
    if not chosen:
        return SQLiteDatabase(data_folder(environ) / "registry.db")
    if "://" not in chosen:
        return SQLiteDatabase(Path(chosen))
    url = make_url(chosen)
    if url.get_backend_name() == "sqlite":
        if not url.database:
            raise DatabaseUnavailable("an in-memory SQLite database would lose everything")
        return SQLiteDatabase(Path(url.database))
    if url.get_backend_name() == "postgresql":
        return PostgresDatabase(chosen)
    raise DatabaseUnavailable(
        f"unsupported database {url.get_backend_name()!r}: use a SQLite path or "
        "postgresql+psycopg://user@host/dbname"
    )
