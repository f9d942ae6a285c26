"""`crm backup`: every table of the schema, written from one consistent snapshot while
others keep working."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import IO, Any

from sqlalchemy import Connection, Engine, Table, text
from sqlalchemy.exc import DBAPIError

from tinycrm import __version__
from tinycrm.db.revision import HEAD_REVISION
from tinycrm.errors import DatabaseError
from tinycrm.services.backup.archive import ArchiveWriter, Manifest, Member
from tinycrm.services.backup.tables import (
    ALEMBIC_TABLE,
    archived_tables,
    columns_of,
    ordered_select,
)

BATCH = 10_000
"""Rows fetched (PostgreSQL: through a server-side cursor) and written at a time."""


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction for the whole backup: it sees the database as it was at its
    first read, whatever others commit meanwhile. SQLite (in WAL mode, as tinycrm opens it)
    keeps a reader's snapshot until its transaction ends, without blocking writers;
    PostgreSQL gets a REPEATABLE READ, read-only transaction."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


def backup_database(
    engine: Engine,
    out: IO[bytes],
    *,
    now: datetime,
    on_table: Callable[[Member], None] | None = None,
) -> Manifest:
    """Write every table of the schema to `out` as a backup archive; `on_table` is told of
    each table once it is written."""
    try:
        with snapshot(engine) as conn:
            # The first read: on SQLite the snapshot starts here.
            revision = conn.execute(text(f"SELECT version_num FROM {ALEMBIC_TABLE}")).scalar()
            if revision != HEAD_REVISION:
                raise DatabaseError(
                    f"the database is at schema {revision!r}, this tinycrm at {HEAD_REVISION!r}"
                )
            tables, left_out = archived_tables(conn)
            with ArchiveWriter(out, stamp=now) as writer:
                for table in tables:
                    member = writer.add(table.name, columns_of(table), _batches(conn, table))
                    if on_table is not None:
                        on_table(member)
                return writer.finish(
                    revision=revision,
                    version=__version__,
                    taken_at=now,
                    source=conn.dialect.name,
                    left_out=left_out,
                )
    except DBAPIError as exc:
        reason = str(exc.orig) if exc.orig is not None else str(exc)
        raise DatabaseError(f"cannot read the database: {reason.splitlines()[0]}") from exc


def _batches(conn: Connection, table: Table) -> Iterator[list[Any]]:
    result = conn.execute(ordered_select(table).execution_options(yield_per=BATCH))
    for rows in result.partitions():
        yield list(rows)
