"""SQLite, the embedded default: one file, write-ahead logging, foreign keys enforced."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

from safepassage.store.database import Database, DatabaseUnavailable


class SQLiteDatabase(Database):
    several_processes = False
    """SQLite lets one writer in at a time, and every audited request writes: a second
    process would not add throughput, only wait on the file's lock, outside the server's
    queue for connections, for as long as the busy timeout and then fail."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite+pysqlite:///{path}"

    @property
    def name(self) -> str:
        return str(self.path)

    def _create_engine(self) -> Engine:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                # Created owner-only before SQLite opens it: sealed or not, it is nobody else's.
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as error:
            raise DatabaseUnavailable(f"cannot create {self.path}: {error.strerror}") from None
        engine = create_engine(
            self.url,
            connect_args={"timeout": 30},
            pool_size=self.pool_size,
            max_overflow=self.pool_overflow,
            hide_parameters=True,
        )
        event.listen(engine, "connect", _configure)
        return engine


def _configure(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()
