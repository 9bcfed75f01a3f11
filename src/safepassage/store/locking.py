"""Holding one row until the transaction ends, on either engine.

A check made on a row read earlier (a count of failures, the last one-time code used) holds
only if no one else changed the row between the read and the write: requests at once each
read the same old value and each write their own, and all but one are lost. Holding the row
and reading it again makes them take turns.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import inspect, select, update
from sqlalchemy.orm import DeclarativeBase, Session

Row = TypeVar("Row", bound=DeclarativeBase)


def hold_row(session: Session, entity: type[Row], key: str) -> Row | None:
    """The row of ``entity`` with primary key ``key``, read again and held until the
    transaction ends (``None`` if it is gone); an object already loaded is refreshed in place.

    ``FOR UPDATE`` on PostgreSQL. SQLite has no row locks and pysqlite begins a transaction
    only at its first write, so an update that changes nothing takes the database's write
    lock first (waiting its turn under the busy timeout), as :func:`~safepassage.store.audit.
    hold_chain` does; the read after it then sees every commit before it.
    """
    column = inspect(entity).primary_key[0]
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(entity)
            .where(column == key)
            .values({column.key: column})
            .execution_options(synchronize_session=False)
        )
    return session.execute(
        select(entity)
        .where(column == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
