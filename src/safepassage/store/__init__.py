"""The registry's storage: SQLAlchemy tables, Alembic migrations, SQLite and PostgreSQL."""

from safepassage.store.database import Database, DatabaseUnavailable, data_folder
from safepassage.store.engines import open_database

__all__ = ["Database", "DatabaseUnavailable", "data_folder", "open_database"]
