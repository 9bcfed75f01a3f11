"""One registry API over several database engines (the Splink pattern).

:class:`Database` is the small abstract class the rest of SafePassage talks to; what differs
between SQLite (the embedded default, nothing to install) and PostgreSQL (several users at
once) lives in :mod:`safepassage.store.sqlite` and :mod:`safepassage.store.postgresql`.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

DB_ENV = "SAFEPASSAGE_DB"
HOME_ENV = "SAFEPASSAGE_HOME"


class DatabaseUnavailable(Exception):
    """The database named cannot be used; the message says which and what to do."""


class Database(ABC):
    """An engine behind the registry; ``session()`` is where every unit of work runs."""

    url: str
    pool_size = 5
    pool_overflow = 10
    """Connections the engine keeps open, and opens beyond them when busy (SQLAlchemy's
    defaults, written out because the server admits as many requests at a time)."""

    several_processes = True
    """Whether several server processes may share this database. PostgreSQL takes them:
    sessions, lock-outs and the audit chain's head are rows every process sees and locks."""

    @property
    def connections(self) -> int:
        """The most connections the engine opens at once."""
        return self.pool_size + self.pool_overflow

    @cached_property
    def engine(self) -> Engine:
        return self._create_engine()

    @abstractmethod
    def _create_engine(self) -> Engine: ...

    @property
    @abstractmethod
    def name(self) -> str:
        """What to call this database in messages: never the password of a URL."""

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed at the end of the block, rolled back if the block raises."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def data_folder(environ: Mapping[str, str] | None = None) -> Path:
    """The user's data folder: ``SAFEPASSAGE_HOME``, else ``$XDG_DATA_HOME/safepassage``,
    else ``~/.local/share/safepassage``."""
    environ = os.environ if environ is None else environ
    if environ.get(HOME_ENV):
        return Path(environ[HOME_ENV])
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "safepassage"
