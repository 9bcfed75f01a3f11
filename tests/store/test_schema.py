"""Migrations take an empty database to head, and head is exactly the tables the code uses."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from safepassage.store import Database, open_database
from safepassage.store.schema import current_revision, head_revision, is_current, upgrade
from safepassage.store.tables import Base


def _differences(database: Database) -> list[object]:
    with database.engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def test_migrations_bring_an_empty_database_to_head(database: Database) -> None:
    """The ``database`` fixture starts from an empty SQLite file or PostgreSQL schema."""
    assert current_revision(database) == head_revision()
    assert _differences(database) == []


def test_a_new_sqlite_file_is_private_and_written_ahead(tmp_path: Path) -> None:
    database = open_database(tmp_path / "data" / "registry.db", environ={})
    assert not is_current(database)
    upgrade(database)
    assert is_current(database)
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    database.dispose()
    assert (tmp_path / "data" / "registry.db").stat().st_mode & 0o777 == 0o600


def test_the_database_is_chosen_by_option_then_environment_then_data_folder(
    tmp_path: Path,
) -> None:
    home = {"SAFEPASSAGE_HOME": str(tmp_path)}
    assert open_database(None, environ=home).name == str(tmp_path / "registry.db")
    chosen = {**home, "SAFEPASSAGE_DB": "postgresql://someone:secret@db.example/ops"}
    postgres = open_database(None, environ=chosen)
    assert "secret" not in postgres.name and postgres.name.startswith("postgresql+psycopg://")
    assert open_database(tmp_path / "x.db", environ=chosen).name == str(tmp_path / "x.db")
