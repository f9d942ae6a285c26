"""`crm restore`: a backup loaded into an empty SQLite or PostgreSQL database, in one
transaction: the schema (when the database is new), every row, the checks, the sequences.

The database must be empty: it has no tables at all, or it holds only what a new database
holds at the backup's schema (the default stages `crm init` seeds). A backup of an older
schema is restored at its own schema and then migrated to this tinycrm's, as opening an old
database would; a backup of a newer one is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, bindparam, inspect, text, update
from sqlalchemy.exc import DBAPIError

from tinycrm.db.bulk import RawRows
from tinycrm.db.revision import HEAD_REVISION
from tinycrm.db.store import make_engine, upgrade
from tinycrm.errors import Conflict, DatabaseError
from tinycrm.services.backup.archive import ArchiveReader, Manifest, Member
from tinycrm.services.backup.tables import (
    ALEMBIC_TABLE,
    Step,
    columns_of,
    count_rows,
    data_tables,
    encoded_rows,
    foreign_keys_set_aside,
    indexes_set_aside,
    load_order,
    rebuild_fulltext,
    reset_sequences,
    target_tables,
)
from tinycrm.words import counted

if TYPE_CHECKING:
    from alembic.config import Config

    from tinycrm.db.store import Database

BATCH = 10_000
"""Rows inserted per executemany."""


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    upgraded: bool
    """The backup was of an older schema, restored at it and then migrated to head."""


def restore_backup(db: Database, source: IO[bytes], *, name: str) -> Restored:
    """Load the backup in `source` (seekable; `name` is how errors call it) into the empty
    database `db`, whose engine must not have brought it to head on opening."""
    archive = ArchiveReader(source, name=name)
    try:
        revision = archive.manifest.revision
        _check_known(revision, name)
        try:
            with db.engine.execution_options(crm_write=True).connect() as conn, conn.begin():
                tables = _prepare(conn, revision)
                members = _check_fits(archive, tables, revision)
                _load(conn, archive, tables, members)
                reset_sequences(conn, tables)
                rebuild_fulltext(conn)
        except DBAPIError as exc:
            raise DatabaseError(f"cannot restore: {_reason(exc)}") from exc
    finally:
        archive.close()
    if revision != HEAD_REVISION:
        upgrade(db)
        with db.engine.execution_options(crm_write=True).begin() as conn:
            rebuild_fulltext(conn)
    _log_restore(db, archive.manifest, name=name)
    return Restored(archive.manifest, upgraded=revision != HEAD_REVISION)


def _log_restore(db: Database, manifest: Manifest, *, name: str) -> None:
    """The audit log says the database was restored, from which backup, with how much."""
    from tinycrm.services import audit

    taken = f"{manifest.taken_at:%Y-%m-%d %H:%M} UTC"
    note = f"backup {name} of {taken}, schema {manifest.revision}"
    with db.engine.execution_options(crm_write=True).begin() as conn:
        audit.record_restore(conn, rows=manifest.rows, tables=len(manifest.members), note=note)


def _migrations() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "tinycrm.db:migrations")
    return config


def _check_known(revision: str, name: str) -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(_migrations())
    if revision not in {script.revision for script in scripts.walk_revisions()}:
        raise DatabaseError(
            f"{name} holds schema {revision!r}, newer than this tinycrm knows "
            f"({HEAD_REVISION!r}): upgrade tinycrm to restore it"
        )


def _migrate(conn: Connection, revision: str) -> None:
    """Create (or bring) the schema to `revision` inside the caller's transaction."""
    from alembic import command

    config = _migrations()
    config.attributes["connection"] = conn
    command.upgrade(config, revision)


def _prepare(conn: Connection, revision: str) -> list[Table]:
    """Make an empty database ready for the rows: create the schema if it has none, refuse it
    if it holds anything a new one would not, and clear what a new one holds (the seeded
    stages, which the backup has in their own state)."""
    current = _revision_of(conn)
    if current is None:
        if others := sorted(data_tables(conn)):
            raise Conflict(
                f"the database has tables but no tinycrm schema ({others[0]} …): "
                "restore into an empty database"
            )
        _migrate(conn, revision)
    elif current != revision:
        raise Conflict(
            f"the database is already at schema {current!r} and the backup at {revision!r}: "
            "restore it into a new database, without tables (its schema is made to match)"
        )
    tables = target_tables(conn, revision)
    counts = {table.name: count_rows(conn, table) for table in tables}
    if current is not None and (held := _holding_data(conn, tables, counts, revision)):
        raise Conflict(f"the database already holds data ({held}): restore into an empty one")
    for table in reversed(tables):
        if counts[table.name]:
            conn.execute(table.delete())
    return tables


def _revision_of(conn: Connection) -> str | None:
    if not inspect(conn).has_table(ALEMBIC_TABLE):
        return None
    return conn.execute(text(f"SELECT version_num FROM {ALEMBIC_TABLE}")).scalar()


def _holding_data(
    conn: Connection, tables: list[Table], counts: dict[str, int], revision: str
) -> str | None:
    """What the database holds that a new one at `revision` would not, as `30 contacts,
    3 campaigns`; None when it holds nothing more."""
    full = [table for table in tables if counts[table.name]]
    seeds = _seeded(revision) if full else {}
    held = {
        table.name: counts[table.name]
        for table in full
        if len(seeds.get(table.name, [])) != counts[table.name]
        or encoded_rows(conn, table) != seeds[table.name]
    }
    shown = dict(sorted(held.items(), key=lambda item: -item[1])[:4])
    return (counted(shown) + (" …" if len(held) > len(shown) else "")) or None


def _seeded(revision: str) -> dict[str, list[list[Any]]]:
    """What a new database holds at `revision` (the rows its migrations insert), made in
    memory and read as a backup writes it."""
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as conn, conn.begin():
            _migrate(conn, revision)
            tables = target_tables(conn, revision)
            return {t.name: rows for t in tables if (rows := encoded_rows(conn, t))}
    finally:
        engine.dispose()


def _check_fits(archive: ArchiveReader, tables: list[Table], revision: str) -> dict[str, Member]:
    """Each table's member: the backup has every table of the schema, with the same columns
    (and kinds), and no other table."""
    names = {table.name for table in tables}
    for listed in archive.manifest.members:
        if listed.table not in names:
            raise archive.bad(f"it holds table {listed.table}, which schema {revision} lacks")
    members = {}
    for table in tables:
        member = archive.member(table.name)
        if member is None:
            raise archive.bad(f"damaged: table {table.name} is missing")
        expected, found = dict(columns_of(table)), dict(member.columns)
        if odd := sorted(k for k in expected.keys() | found.keys() if expected[k] != found.get(k)):
            raise archive.bad(f"table {table.name} does not match schema {revision} ({odd[0]})")
        members[table.name] = member
    return members


def _load(
    conn: Connection, archive: ArchiveReader, tables: list[Table], members: dict[str, Member]
) -> None:
    """Insert every table's rows, tables in foreign-key order, then the columns that had to
    wait; then count every table against the manifest."""
    steps = load_order(tables)
    with foreign_keys_set_aside(conn, tables), indexes_set_aside(conn, tables):
        writers = [_insert(conn, archive, step, members[step.table.name]) for step in steps]
        for writer in writers:
            writer.fill_later()
    for table in tables:
        rows = members[table.name].rows
        if (loaded := count_rows(conn, table)) != rows:
            raise archive.bad(f"damaged: {loaded} rows of {table.name} loaded, not {rows}")


def _insert(conn: Connection, archive: ArchiveReader, step: Step, member: Member) -> RowWriter:
    writer = RowWriter(conn, step.table, member.names, step.later)
    try:
        for batch in archive.batches(member, BATCH):
            writer.insert(batch)
    except (DBAPIError, conn.dialect.loaded_dbapi.Error) as exc:
        reason = _reason(exc)
        raise archive.bad(
            f"table {step.table.name}: the database refused a row: {reason}"
        ) from None
    return writer


def _reason(exc: Exception) -> str:
    """The database's own words, on one line; PostgreSQL's COPY adds where (`COPY contacts,
    line 6, column first_name: "…"`), of which the column is kept."""
    orig = getattr(exc, "orig", None) or exc
    words = str(orig).strip().splitlines()
    reason = words[0] if words else type(orig).__name__
    context = getattr(getattr(orig, "diag", None), "context", None) or ""
    if column := re.search(r", column (\w+)", context):
        reason += f" (column {column[1]})"
    return reason


@dataclass
class RowWriter:
    """Inserts one table's rows with their own ids, by `db.bulk.RawRows` (the path imports
    take too). The `later` columns go in empty and are set by `fill_later`."""

    conn: Connection
    table: Table
    columns: list[str]
    later: tuple[str, ...] = ()
    held: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.keys = [self.columns.index(c.name) for c in self.table.primary_key.columns]
        self.held = {name: [] for name in self.later}
        self.rows = RawRows(self.conn, self.table, self.columns)

    def insert(self, rows: list[list[Any]]) -> None:
        for name in self.later:
            self._hold(rows, name)
        self.rows.write(rows)

    def _hold(self, rows: list[list[Any]], name: str) -> None:
        index = self.columns.index(name)
        for row in rows:
            if row[index] is not None:
                key = {f"backup_key_{n}": row[i] for n, i in enumerate(self.keys)}
                self.held[name].append({**key, "backup_value": row[index]})
                row[index] = None

    def fill_later(self) -> None:
        key = list(self.table.primary_key.columns)
        for name, values in self.held.items():
            if values:
                where = [c == bindparam(f"backup_key_{n}") for n, c in enumerate(key)]
                statement = (
                    update(self.table).where(*where).values({name: bindparam("backup_value")})
                )
                self.conn.execute(statement, values)
