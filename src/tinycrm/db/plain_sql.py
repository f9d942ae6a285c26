"""Plain SQL over a DB-API connection, with no SQLAlchemy: `Sql` gives `:name` parameters
and UTC-aware timestamps on both backends (the standard library's sqlite3 for a SQLite file,
or the connection SQLAlchemy already holds). Cron's `crm remind` reads through it, because
importing SQLModel alone costs several times a whole run."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tinycrm.db.revision import HEAD_REVISION
from tinycrm.errors import CrmError, DatabaseError, NoDatabase

BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite connection waits for another's write lock before it gives up with
"database is locked": every connection, cron's included. An import holds the lock only
for its write (a few seconds for 200k rows; its rows are read and checked before), so
cron's `crm remind`, a command or the app (whose database work runs in worker threads)
waits that out rather than fails."""


def lock_wait_ms(default: int) -> int:
    """How long to wait for another's write lock: `CRM_LOCK_WAIT` seconds (a cron job that
    would rather wait out a long import says so), else `default`."""
    text = os.environ.get("CRM_LOCK_WAIT", "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86_400:
        raise CrmError(f"CRM_LOCK_WAIT: {text!r} is not a number of seconds (0 to 86400)")
    return round(seconds * 1000)


STREAM_BATCH = 1000
"""Rows `Sql.stream` fetches at a time."""

_SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"
"""How SQLAlchemy stores a UTC timestamp in SQLite (naive text that sorts as time)."""


def sqlite_moment(value: datetime) -> str:
    """A timestamp as SQLAlchemy stores it in SQLite (`_SQLITE_TS`), its year in four digits
    before 1000 too (`%Y` writes `999` there, which sorts after `2026` as text)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class Sql:
    """A DB-API connection with `:name` parameters and UTC-aware timestamps on both backends."""

    def __init__(self, conn: Any, dialect: str) -> None:
        self.conn = conn
        self.sqlite = dialect == "sqlite"

    def rows(self, query: str, **params: Any) -> list[tuple[Any, ...]]:
        with self._cursor(query, params) as cur:
            return list(cur.fetchall())

    def stream(self, query: str, **params: Any) -> Iterator[tuple[Any, ...]]:
        """The rows `rows` gives, fetched a batch at a time, so a huge result never sits
        in memory whole (close the iterator, or read it to the end, to free the cursor). On
        PostgreSQL the cursor is the server's, so the server keeps the rows not yet read."""
        with self._cursor(query, params, server_side=True) as cur:
            while batch := cur.fetchmany(STREAM_BATCH):
                yield from batch

    def run(self, query: str, **params: Any) -> int:
        with self._cursor(query, params) as cur:
            return int(cur.rowcount)

    @contextmanager
    def _cursor(
        self, query: str, params: dict[str, Any], *, server_side: bool = False
    ) -> Iterator[Any]:
        named = server_side and not self.sqlite
        cur = self.conn.cursor(name="crm_stream") if named else self.conn.cursor()
        try:
            cur.execute(self._query(query), self._params(params))
            yield cur
        except Exception as exc:
            raise _database_error(exc) from None
        finally:
            cur.close()

    def _query(self, query: str) -> str:
        return query if self.sqlite else re.sub(r"(?<!:):([a-z_]\w*)", r"%(\1)s", query)

    def _params(self, params: dict[str, Any]) -> dict[str, Any]:
        if not self.sqlite:
            return params
        out = {}
        for key, value in params.items():
            if isinstance(value, datetime):
                value = sqlite_moment(value)
            elif isinstance(value, date):
                value = value.isoformat()
            out[key] = value
        return out

    @staticmethod
    def moment(value: Any) -> datetime | None:
        """A timestamp column as an aware UTC datetime."""
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    @staticmethod
    def day(value: Any) -> date | None:
        if value is None or isinstance(value, date):
            return value
        return date.fromisoformat(str(value)[:10])

    def begin_read(self) -> None:
        """Begin a read transaction: every read until the connection closes sees one state
        of the database (on SQLite; a server's connection is SQLAlchemy's to run)."""
        if self.sqlite:
            try:
                self.conn.execute("BEGIN")
            except sqlite3.Error as exc:
                raise _database_error(exc) from None

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One write transaction; SQLite takes the write lock at the start (BEGIN IMMEDIATE)
        so a second cron run waits here instead of failing later."""
        if self.sqlite:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _database_error(exc) from None
        try:
            yield
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()


def _database_error(exc: Exception) -> Exception:
    """A driver's error as one line for the user; anything else unchanged."""
    if isinstance(exc, sqlite3.Error) or type(exc).__module__.startswith("psycopg"):
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "locked" in reason or "busy" in reason:
            reason += " (another crm is writing; try again)"
        return DatabaseError(f"database error: {reason}")
    return exc


def database_exists(path: Path) -> bool:
    """Whether there is a file at `path`; a name the system cannot take (too long, a NUL
    character) is a DatabaseError naming it."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        raise DatabaseError(f"cannot use {path} as the database: {exc.strerror}") from None
    except ValueError:  # a NUL character
        raise DatabaseError(f"cannot use {str(path)!r} as the database: a NUL character") from None
    return True


def open_sqlite(path: Path) -> Sql | None:
    """The SQLite file with the standard library, or None when its schema is not the one
    this code expects (the caller then opens it the slow way, which upgrades it)."""
    if not database_exists(path):
        raise NoDatabase(path)
    try:
        wait = lock_wait_ms(BUSY_TIMEOUT_MS)
        conn = sqlite3.connect(path, timeout=wait / 1000, isolation_level=None)
    except sqlite3.Error as exc:  # a folder, a file it may not read
        raise DatabaseError(f"cannot open the database {path}: {exc}") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {wait}")
        conn.execute("PRAGMA foreign_keys = ON")
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            conn.close()
            raise DatabaseError(f"cannot read the database {path}: {exc}") from None
        version = None  # not tinycrm's, or damaged: the slow way says which, changing nothing
    if version is None or version[0] != HEAD_REVISION:
        conn.close()
        return None
    return Sql(conn, "sqlite")
