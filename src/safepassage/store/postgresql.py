"""PostgreSQL for multi-user deployments, through psycopg 3."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, make_url

from safepassage.store.database import Database


class PostgresDatabase(Database):
    """``schema`` keeps one deployment's tables apart from another's in the same database
    (the tests use a schema of their own); it becomes the connection's search path."""

    def __init__(self, url: str, schema: str | None = None) -> None:
        parsed = make_url(url)
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.url = parsed.render_as_string(hide_password=False)
        self._display = parsed.render_as_string(hide_password=True)
        self.schema = schema

    @property
    def name(self) -> str:
        return self._display

    def _create_engine(self) -> Engine:
        connect_args = {"options": f"-csearch_path={self.schema}"} if self.schema else {}
        return create_engine(
            self.url,
            connect_args=connect_args,
            pool_size=self.pool_size,
            max_overflow=self.pool_overflow,
            pool_pre_ping=True,
            hide_parameters=True,
        )
