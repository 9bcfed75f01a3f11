"""Schema migrations with Alembic, run on the database's own connection.

The scripts ship inside the package (``store/migrations``), so ``safepassage db upgrade`` works
from an installed wheel with no ``alembic.ini`` lying around.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from safepassage.store.database import Database


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", "safepassage.store:migrations")
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    with database.engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the package ships at least one migration"
    return head


def is_current(database: Database) -> bool:
    return current_revision(database) == head_revision()
