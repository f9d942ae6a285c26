"""The database layer: the SQLite file, its pragmas, migrations, upgrades and backups.

The SQLite-only tests build their own file in tmp_path; the others run on the `db` fixture,
so CI checks them on PostgreSQL too.
"""

from __future__ import annotations

import shutil
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, func, text
from sqlalchemy.exc import StatementError
from sqlmodel import SQLModel, select

import tinycrm.db.migrations
import tinycrm.models  # noqa: F401  (registers every table on the metadata)
from tests.conftest import NOW, pg_only
from tinycrm.config import load_settings
from tinycrm.db import store
from tinycrm.db.store import Database, open_database, session_scope
from tinycrm.errors import DatabaseError
from tinycrm.models import Activity, ActivityKind, User


def open_file(path: Path) -> Database:
    return open_database(load_settings(db_path=str(path)))


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_sqlite_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "crm.db"
    db = open_file(path)
    db.engine.dispose()
    assert mode_of(path) == 0o600


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [("journal_mode", "wal"), ("foreign_keys", 1), ("busy_timeout", 30_000), ("synchronous", 1)],
)
def test_sqlite_connections_have_pragmas(tmp_path: Path, pragma: str, expected: object) -> None:
    db = open_file(tmp_path / "crm.db")
    try:
        for _ in range(2):  # a fresh pooled connection and a reused one
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql(f"PRAGMA {pragma}").scalar() == expected
    finally:
        db.engine.dispose()


def test_head_revision_is_alembic_head() -> None:
    scripts = ScriptDirectory.from_config(store._alembic_config())
    assert store.HEAD_REVISION == scripts.get_current_head()


def _not_full_text_index(name: str | None, type_: str, _parent: object) -> bool:
    """SQLite's FTS5 index of solution articles (and its shadow tables) and its covering
    indexes for searches (migration 0010) are not in the models."""
    if type_ == "index" and (name or "").startswith("ix_search_"):
        return False
    return not (type_ == "table" and (name or "").startswith("kb_fts"))


def test_migrated_schema_matches_models(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": _not_full_text_index}
        )
        assert compare_metadata(context, SQLModel.metadata) == []
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == store.HEAD_REVISION


def test_missing_file_without_create_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nope.db"
    with pytest.raises(
        DatabaseError, match=r"^no database at .*nope\.db; `crm init --db .*nope\.db` creates one$"
    ):
        open_database(load_settings(db_path=str(path)), create=False)
    assert not path.exists()


def test_newer_schema_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    db = open_file(path)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    db.engine.dispose()
    with pytest.raises(DatabaseError) as caught:
        open_file(path)
    assert caught.value.message == (
        "database schema '9999' is newer than this tinycrm knows; upgrade tinycrm"
    )
    assert "\n" not in caught.value.message
    assert list(tmp_path.glob("*.bak")) == []


def test_writer_is_refused_while_another_holds_the_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 100)
    path = tmp_path / "crm.db"
    db = open_file(path)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseError) as caught:
            with session_scope(db, write=True) as session:
                session.exec(select(User)).all()  # a writing session locks up front
        assert caught.value.message == f"database is locked by another process: {path}"
        with session_scope(db, write=False) as session:  # WAL: readers are not blocked
            assert session.exec(select(func.count()).select_from(User)).one() == 0
    finally:
        other.close()
        db.engine.dispose()


def test_backup_copies_rows_still_in_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    db = open_file(path)
    try:
        with session_scope(db, write=True) as session:
            session.add(User(name="Ann Lee", name_key="ann lee", created_at=NOW))
        assert (tmp_path / "crm.db-wal").stat().st_size > 0  # not checkpointed yet
        copy = store.backup_sqlite(path, suffix="manual")
    finally:
        db.engine.dispose()
    assert copy == tmp_path / "crm.db.manual.bak"
    assert mode_of(copy) == 0o600
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT name FROM users").fetchall() == [("Ann Lee",)]


def test_backup_is_written_whole_or_not_at_all_and_kept_once(tmp_path: Path) -> None:
    """An interrupted copy left a '.partial' (or an empty .bak) and every attempt another
    full copy; a link planted under either name pointed the copy into another file."""
    path = tmp_path / "crm.db"
    open_file(path).engine.dispose()
    victim = tmp_path / "victim.db"
    victim.write_bytes(b"someone else's data")
    (tmp_path / "crm.db.manual.bak.partial").symlink_to(victim)
    (tmp_path / "crm.db.manual.bak").symlink_to(victim)
    for _ in range(3):
        copy = store.backup_sqlite(path, suffix="manual")
    assert victim.read_bytes() == b"someone else's data"
    assert not copy.is_symlink() and mode_of(copy) == 0o600
    assert sorted(p.name for p in tmp_path.glob("crm.db.*")) == ["crm.db.manual.bak"]
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT count(*) FROM stages").fetchone() == (6,)


def test_opening_a_current_database_makes_no_backup(tmp_path: Path) -> None:
    for _ in range(2):
        open_file(tmp_path / "crm.db").engine.dispose()
    assert list(tmp_path.glob("*.bak")) == []


def test_timestamps_come_back_timezone_aware_utc(db: Database) -> None:
    paris_nine = datetime(2026, 3, 30, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    with session_scope(db, write=True) as session:
        activity = Activity(kind=ActivityKind.call, subject="Call", due_at=paris_nine, done_at=NOW)
        session.add(activity)
        session.flush()
        activity_id = activity.id
    with session_scope(db, write=False) as session:
        stored = session.get(Activity, activity_id)
        assert stored is not None
        assert stored.due_at == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
        assert stored.due_at is not None and stored.due_at.tzinfo is UTC
        assert stored.done_at == NOW and stored.done_at is not None
        assert stored.done_at.tzinfo is UTC


def test_naive_datetime_is_refused(db: Database) -> None:
    with pytest.raises(StatementError, match="timestamps must be timezone-aware") as caught:
        with session_scope(db, write=True) as session:
            session.add(Activity(kind=ActivityKind.call, subject="x", done_at=datetime(2026, 1, 1)))
    assert isinstance(caught.value.orig, ValueError)
    with session_scope(db, write=False) as session:
        assert session.exec(select(func.count()).select_from(Activity)).one() == 0


def test_session_scope_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        with session_scope(db, write=True) as session:
            session.add(User(name="Ann Lee", name_key="ann lee"))
            session.flush()
            raise RuntimeError("boom")
    with session_scope(db, write=False) as session:
        assert session.exec(select(func.count()).select_from(User)).one() == 0


# --- upgrades ----------------------------------------------------------------------------------

OLD_AT = datetime(2026, 1, 2, 3, 4, 5)  # naive: written through reflected (plain) columns
OLD_ROWS: dict[str, list[dict[str, Any]]] = {
    "users": [
        {
            "id": 1,
            "name": "Ann Lee",
            "name_key": "ann lee",
            "email": "ann@example.com",
            "role": "rep",
            "created_at": OLD_AT,
        },
    ],
    "companies": [
        {
            "id": 1,
            "name": "Acme",
            "name_key": "acme",
            "domain": "acme.com",
            "owner_id": 1,
            "custom": {"tier": "gold"},
            "created_at": OLD_AT,
            "updated_at": OLD_AT,
        },
    ],
    "contacts": [
        {
            "id": 1,
            "full_name": "Li Wei",
            "name_key": "li wei",
            "first_name": "Li",
            "last_name": "Wei",
            "email": "li@acme.com",
            "status": "customer",
            "company_id": 1,
            "custom": {},
            "created_at": OLD_AT,
            "updated_at": OLD_AT,
        },
    ],
    "contact_tags": [{"contact_id": 1, "tag": "vip"}],
    "deals": [
        {
            "id": 1,
            "title": "Big order",
            "amount_minor": 1_250_050,
            "currency": "EUR",
            "company_id": 1,
            "contact_id": 1,
            "owner_id": 1,
            "stage_id": 1,
            "status": "open",
            "created_at": OLD_AT,
            "updated_at": OLD_AT,
        },
    ],
    "stage_changes": [
        {
            "id": 1,
            "deal_id": 1,
            "from_stage_id": None,
            "to_stage_id": 1,
            "changed_at": OLD_AT,
            "changed_by_id": 1,
        },
    ],
    "activities": [
        {
            "id": 1,
            "kind": "call",
            "subject": "Intro call",
            "deal_id": 1,
            "contact_id": 1,
            "company_id": 1,
            "owner_id": 1,
            "done_at": OLD_AT,
            "created_at": OLD_AT,
        },
    ],
}


def _database_at(path: Path, revision: str) -> Database:
    settings = load_settings(db_path=str(path))
    db = Database(engine=store.make_engine(settings.url), settings=settings)
    store.upgrade(db, revision=revision)
    return db


def _insert_old_rows(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Insert the rows whose tables exist at the database's revision; returns what went in."""
    inserted: dict[str, list[dict[str, Any]]] = {}
    with db.engine.begin() as conn:
        meta = MetaData()
        meta.reflect(conn)
        for name, rows in OLD_ROWS.items():
            if name in meta.tables:
                table = meta.tables[name]
                inserted[name] = [{k: v for k, v in r.items() if k in table.c} for r in rows]
                conn.execute(table.insert(), inserted[name])
    return inserted


def _assert_rows_kept(url: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            meta = MetaData()
            meta.reflect(conn)
            for name, expected in rows.items():
                table = meta.tables[name]
                query = table.select().order_by(*table.primary_key)
                found = conn.execute(query).mappings().all()
                assert len(found) == len(expected), name
                for row, old in zip(found, expected, strict=True):
                    old = {k: v for k, v in old.items() if k in table.c}
                    assert {k: row[k] for k in old} == old, name
    finally:
        engine.dispose()


def _check_upgrade_keeps_rows(path: Path, revision: str) -> None:
    old = _database_at(path, revision)
    rows = _insert_old_rows(old)
    old.engine.dispose()

    db = open_file(path)
    try:
        assert store.current_revision(db) == store.HEAD_REVISION
    finally:
        db.engine.dispose()
    _assert_rows_kept(f"sqlite:///{path}", rows)
    backups = list(path.parent.glob(f"{path.name}.before-{store.HEAD_REVISION}.bak"))
    assert len(backups) == 1
    assert mode_of(backups[0]) == 0o600
    _assert_rows_kept(f"sqlite:///{backups[0]}", rows)
    with sqlite3.connect(backups[0]) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(revision,)]


def _older_revisions() -> list[Any]:
    scripts = ScriptDirectory.from_config(store._alembic_config())
    head = scripts.get_current_head()
    older = [s.revision for s in scripts.walk_revisions() if s.revision != head]
    reason = f"only one migration ({head}) exists: there is no older revision to upgrade from"
    return older or [pytest.param(None, marks=pytest.mark.skip(reason=reason))]


@pytest.mark.parametrize("revision", _older_revisions())
def test_sqlite_upgrade_from_older_revision_keeps_every_row(tmp_path: Path, revision: str) -> None:
    _check_upgrade_keeps_rows(tmp_path / "crm.db", revision)


NEXT_MIGRATION = """
import sqlalchemy as sa
from alembic import op

revision = "9000"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
{body}
"""
ADD_COLUMN = """\
    with op.batch_alter_table("companies") as batch_op:
        batch_op.add_column(sa.Column("tier", sa.String(length=20), nullable=True))"""
REBUILD_CONTACTS = """\
    with op.batch_alter_table("contacts") as batch_op:  # SQLite copies and drops the table
        batch_op.alter_column("title", type_=sa.String(length=300))"""


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(ADD_COLUMN, id="add-column"),
        pytest.param(REBUILD_CONTACTS, id="rebuild-table"),
    ],
)
def test_sqlite_upgrade_through_a_new_migration_backs_up_and_keeps_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    """The upgrade machinery itself, with one more migration after head added to a copy of
    the scripts: today's head plays the older revision."""
    scripts = tmp_path / "migrations"
    shutil.copytree(
        Path(tinycrm.db.migrations.__file__).parent,
        scripts,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    old_head = store.HEAD_REVISION
    (scripts / "versions" / "9000_test.py").write_text(
        NEXT_MIGRATION.format(down=old_head, body=body), encoding="utf-8"
    )

    def config() -> Config:
        config = Config()
        config.set_main_option("script_location", str(scripts))
        return config

    monkeypatch.setattr(store, "_alembic_config", config)
    monkeypatch.setattr(store, "HEAD_REVISION", "9000")
    _check_upgrade_keeps_rows(tmp_path / "crm.db", old_head)


@pg_only
def test_a_stream_on_postgresql_reads_through_a_server_cursor(db: Database) -> None:
    """`crm remind` streams its backlog: on the server the rows wait in a named cursor, read a
    batch at a time, rather than all coming to the client on the first fetch."""
    from tinycrm.db.plain_sql import STREAM_BATCH, Sql

    raw = db.engine.raw_connection()
    try:
        sql = Sql(raw.driver_connection, "postgresql")
        rows = sql.stream("SELECT n FROM generate_series(1, :last) AS n ORDER BY n", last=5000)
        assert next(rows) == (1,)
        assert sql.rows("SELECT name FROM pg_cursors") == [("crm_stream",)]
        assert [n for (n,) in rows] == list(range(2, 5001))
        assert STREAM_BATCH < 5000
        assert sql.rows("SELECT name FROM pg_cursors") == []
    finally:
        raw.rollback()
        raw.close()
