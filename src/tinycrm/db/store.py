"""The database: engine factory, sessions, SQLite pragmas, migrations and backups.

Nothing here runs at import time; `open_database()` builds an engine from settings.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from tinycrm.config import Settings
from tinycrm.db.plain_sql import BUSY_TIMEOUT_MS, lock_wait_ms
from tinycrm.db.revision import HEAD_REVISION as HEAD_REVISION  # callers read it here
from tinycrm.errors import Changed, DatabaseError, NoDatabase

if TYPE_CHECKING:
    from alembic.config import Config

    from tinycrm.db.plain_sql import Sql


@dataclass(frozen=True)
class Database:
    engine: Engine
    settings: Settings

    @property
    def sqlite_path(self) -> Path | None:
        return sqlite_file(self.engine.url.render_as_string(hide_password=False))


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for a server or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database or "")


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout, foreign keys and real transactions."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise DatabaseError(f"database URL is not valid: {url!r}") from exc
    if parsed.get_backend_name() != "sqlite":
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except Exception as exc:  # missing driver, unknown dialect
            raise DatabaseError(f"cannot use database URL {parsed!r}: {exc}") from exc
        if engine.dialect.name == "postgresql":
            event.listen(engine, "begin", _pg_on_begin)
        return engine
    path = sqlite_file(url)
    if path is not None:
        _create_private_file(path)
    wait = lock_wait_ms(BUSY_TIMEOUT_MS)
    engine = create_engine(url, connect_args={"timeout": wait / 1000})
    event.listen(engine, "connect", partial(_sqlite_on_connect, wait))
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _create_private_file(path: Path) -> None:
    """Create a new database file readable by its owner only (SQLite gives -wal/-shm the same)."""
    if path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise DatabaseError(f"cannot create database file {path}: {exc.strerror}") from None


def _sqlite_on_connect(wait: int, dbapi_conn: sqlite3.Connection, _record: object) -> None:
    # Take transaction control away from the sqlite3 module so that BEGIN is ours (see below).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {wait}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()
    # SQLite's lower() folds ASCII only; case-insensitive filters must match 'Évry' too.
    dbapi_conn.create_function("lower", 1, _lower, deterministic=True)


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


def _sqlite_on_begin(conn: Any) -> None:
    # A writing session takes the write lock up front: a deferred transaction that reads and
    # then writes can fail at once with "database is locked" when another writer got there
    # first, whatever the busy timeout. Reading sessions stay deferred and never block writers.
    write = conn.get_execution_options().get("crm_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


MARK = "tinycrm.source"
"""The PostgreSQL setting that marks a transaction as tinycrm's: the team server's audit
triggers (`services.server`) log only changes made without it, tinycrm logging its own."""


def _pg_on_begin(conn: Any) -> None:
    # Every transaction tinycrm opens on PostgreSQL (sessions, imports' bulk writes, restores,
    # migrations) says so, for as long as it lasts (set_config's is_local).
    conn.exec_driver_sql(f"SELECT set_config('{MARK}', 'tinycrm', true)")


@contextmanager
def session_scope(
    db: Database, *, write: bool, info: dict[str, Any] | None = None
) -> Iterator[Session]:
    """A session that commits when the block ends and rolls everything back on any error;
    `info` is kept on it (`info["actor"]`: whom it acts for, see `services.access`)."""
    bind = db.engine.execution_options(crm_write=True) if write else db.engine
    session = Session(bind=bind, expire_on_commit=False, info=info)
    event.listen(session, "before_flush", _refuse_bad_text)
    event.listen(session, "before_flush", _note_versioned)
    try:
        yield session
        if write:
            session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise stale_edit(session, exc) from None
    except SQLAlchemyDatabaseError as exc:
        session.rollback()
        raise _operational_error(db, exc) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _refuse_bad_text(session: Session, _context: object, _instances: object) -> None:
    """No text holding a NUL or another control character reaches the database, whichever
    face or service writes it (`normalize.check_text`): the flush, and so the command,
    fails with one line naming the field. Imports write in bulk and check each row."""
    from tinycrm.normalize import check_text

    for record in (*session.new, *session.dirty):
        state = inspect(record)
        for attr in state.mapper.column_attrs:
            key = attr.key
            if key in state.dict and (state.pending or state.attrs[key].history.added):
                check_text(state.dict[key], field=key)


def _note_versioned(session: Session, _context: object, _instances: object) -> None:
    """Which versioned records this flush changes, so a stale one can be named."""
    noted = [
        (state.mapper.local_table.name, state.identity[0])
        for state in map(inspect, (*session.dirty, *session.deleted))
        if state.mapper.version_id_col is not None and state.identity
    ]
    session.info["versioned"] = noted


RECORD_NOUNS = {
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
    "activities": "activity",
    "orders": "order",
    "tickets": "ticket",
    "campaigns": "campaign",
}


def stale_edit(session: Session, exc: StaleDataError) -> Changed:
    """SQLAlchemy's StaleDataError (an UPDATE or DELETE matched no row at the version read)
    as a Conflict naming the record: `deal #4 was changed by someone else …`."""
    message = str(exc)
    for table, ident in session.info.get("versioned", ()):
        if f"'{table}'" in message:
            return Changed(f"{RECORD_NOUNS.get(table, table)} #{ident}")
    return Changed("a record")


@contextmanager
def dbapi(db: Database) -> Iterator[Sql]:
    """The plain DB-API connection under the engine, for the SQLAlchemy-free queries of
    `services.reminders` (which `crm remind` also runs straight over sqlite3)."""
    from tinycrm.db.plain_sql import Sql

    raw = db.engine.raw_connection()
    try:
        yield Sql(raw.driver_connection, db.engine.dialect.name)
    finally:
        raw.close()


def session_sql(session: Session) -> Sql:
    """The same plain-SQL handle on a session's own connection (and transaction)."""
    from tinycrm.db.plain_sql import Sql

    conn = session.connection()
    return Sql(conn.connection.driver_connection, conn.dialect.name)


def _operational_error(db: Database, exc: SQLAlchemyDatabaseError) -> DatabaseError:
    message = str(exc.orig) if exc.orig is not None else str(exc)
    where = db.sqlite_path or db.engine.url.render_as_string(hide_password=True)
    state = getattr(exc.orig, "sqlstate", None)
    if state == "40P01":  # PostgreSQL's own words mention locks ("blocked by process …")
        return DatabaseError(
            f"deadlock with another transaction on {where}: nothing was changed; run it again"
        )
    if state == "55P03":
        return DatabaseError(f"database is locked by another transaction: {where}")
    if "locked" in message or "busy" in message:
        return DatabaseError(f"database is locked by another process: {where}")
    return DatabaseError(f"database error on {where}: {message.splitlines()[0]}")


def open_database(settings: Settings, *, create: bool = True) -> Database:
    """Open (upgrading as needed) the database the settings name; a SQLite file that is
    not there is created only with `create`."""
    from tinycrm.db.plain_sql import database_exists

    url = settings.url
    path = sqlite_file(url)
    exists = path is not None and database_exists(path)
    if path is not None and not create and not exists:
        raise NoDatabase(path)
    if path is not None and exists:
        check_sqlite_file(path)
    db = Database(engine=make_engine(url), settings=settings)
    try:
        ensure_schema(db)
    except SQLAlchemyDatabaseError as exc:
        raise _operational_error(db, exc) from exc
    return db


def check_sqlite_file(path: Path) -> None:
    """Refuse a file that is not a SQLite database, is damaged, or belongs to another
    program, before anything is written to it: only an empty file or tinycrm's own is used."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open {path}: {exc}") from None
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is not a tinycrm database ({exc})") from None
    finally:
        conn.close()
    if tables and "alembic_version" not in tables:
        raise DatabaseError(
            f"{path} is a SQLite database of another program, not tinycrm's; nothing was changed"
        )


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(db: Database) -> None:
    """Bring the schema to HEAD_REVISION, backing up an existing SQLite file first."""
    current = current_revision(db)
    if current == HEAD_REVISION:
        return
    from alembic.script import ScriptDirectory

    config = _alembic_config()
    scripts = ScriptDirectory.from_config(config)
    if current is not None and current not in {s.revision for s in scripts.walk_revisions()}:
        raise DatabaseError(
            f"database schema {current!r} is newer than this tinycrm knows; upgrade tinycrm"
        )
    if current is not None and db.sqlite_path is not None:
        backup_sqlite(db.sqlite_path, suffix=f"before-{HEAD_REVISION}")
    upgrade(db, config=config)


def upgrade(db: Database, *, revision: str = "head", config: Config | None = None) -> None:
    """Run the migrations up to `revision` in one transaction (see `_migrate`)."""
    _migrate(db, "upgrade", revision, config)


def downgrade(db: Database, *, revision: str) -> None:
    """Undo the migrations after `revision`, in one transaction: what a database written by
    that older tinycrm looked like (tests of upgrades start from one)."""
    _migrate(db, "downgrade", revision, None)


def _migrate(db: Database, step: str, revision: str, config: Config | None) -> None:
    """Run the migrations one way (`upgrade` or `downgrade`) to `revision`, in one transaction.

    On SQLite, foreign keys are not enforced while migrating: a migration that rebuilds a
    table (copy, drop, rename) would otherwise fire ON DELETE rules and empty or unlink the
    rows that point at it. Every reference is checked before the commit instead.
    """
    from alembic import command

    config = config or _alembic_config()
    with db.engine.execution_options(crm_write=True).connect() as conn:
        raw = conn.connection.dbapi_connection if conn.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys = OFF")  # outside any transaction, or it is ignored
        try:
            with conn.begin():
                config.attributes["connection"] = conn
                getattr(command, step)(config, revision)
                if raw is not None and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise DatabaseError(f"the {step} would break references; nothing was changed")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys = ON")


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "tinycrm.db:migrations")
    return config


def backup_sqlite(path: Path, *, suffix: str) -> Path:
    """Copy a live SQLite database (WAL included) to `<name>.<suffix>.bak` next to it.

    The copy is written to a new private file (created, never opened through a link) and
    renamed into place when complete, so an interrupted copy never stands as the backup, a
    link planted under either name is replaced rather than followed, and repeated attempts
    keep one copy, not one each."""
    target = path.with_name(f"{path.name}.{suffix}.bak")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)  # a copy an earlier attempt left half-written (or a link)
    from tinycrm.formats.write.outfile import create_private

    try:
        os.close(create_private(partial))
    except OSError as exc:
        raise DatabaseError(f"cannot write the backup {partial}: {exc.strerror}") from None
    src = sqlite3.connect(path)
    dst = sqlite3.connect(partial)
    try:
        with dst:
            src.backup(dst)
    except BaseException:
        dst.close()
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
        dst.close()
    os.replace(partial, target)
    return target
