"""Which tables a backup holds, the order they load in, and the data that is derived.

A backup holds every table of the schema as the SQLModel metadata describes it (so a table
a later version adds is in its backups without a word here). Not in it: Alembic's
`alembic_version` (the manifest carries the revision) and SQLite's full-text indexes, a
virtual table and its shadow tables (`kb_fts`, `kb_fts_data` …; see migration 0007), which
are derived from the articles and rebuilt after a restore.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Integer, MetaData, Table, bindparam, inspect, select, text
from sqlalchemy.schema import sort_tables_and_constraints
from sqlmodel import SQLModel

from tinycrm.db.revision import HEAD_REVISION
from tinycrm.errors import DatabaseError
from tinycrm.services.backup.archive import ENCODERS, kind_of, row_codec

ALEMBIC_TABLE = "alembic_version"
FTS_SHADOWS = ("data", "idx", "content", "docsize", "config", "segments", "segdir", "stat")
"""The shadow tables SQLite's FTS3/4/5 keep beside a virtual table `x` (as `x_data` …)."""


def schema_tables() -> list[Table]:
    """Every table of tinycrm's schema at HEAD_REVISION, each after those it refers to."""
    import tinycrm.models  # noqa: F401  (registers every table on the metadata)

    return list(SQLModel.metadata.sorted_tables)


def fulltext_tables(conn: Connection) -> list[str]:
    """SQLite's full-text virtual tables (none elsewhere)."""
    if conn.dialect.name != "sqlite":
        return []
    found = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts%' ORDER BY name"
    )
    return list(found.scalars())


def data_tables(conn: Connection) -> set[str]:
    """The database's tables less Alembic's and the derived full-text ones."""
    virtual = fulltext_tables(conn)
    derived = {*virtual, *(f"{v}_{suffix}" for v in virtual for suffix in FTS_SHADOWS)}
    return set(inspect(conn).get_table_names()) - derived - {ALEMBIC_TABLE}


def archived_tables(conn: Connection) -> tuple[list[Table], list[str]]:
    """The schema's tables, checked against the database (same columns), and the names of
    the database's other tables, which are not tinycrm's and stay out of a backup."""
    present = data_tables(conn)
    tables = schema_tables()
    columns = inspect(conn)
    for table in tables:
        if table.name not in present:
            raise DatabaseError(f"table {table.name} is missing from the database")
        found = {c["name"] for c in columns.get_columns(table.name)}
        if odd := sorted(found ^ {c.name for c in table.columns}):
            raise DatabaseError(
                f"table {table.name} does not have the columns tinycrm expects ({odd[0]})"
            )
    return tables, sorted(present - {t.name for t in tables})


def target_tables(conn: Connection, revision: str) -> list[Table]:
    """The tables of a database at `revision`: the metadata's at head, else read from it."""
    if revision == HEAD_REVISION:
        return schema_tables()
    metadata = MetaData()
    metadata.reflect(conn, only=sorted(data_tables(conn)))
    return list(metadata.sorted_tables)


@dataclass(frozen=True)
class Step:
    """One table to load. `later` are foreign key columns filled in once every table is in:
    those referring to their own table, or to one that refers back (a cycle), which no
    order of tables can satisfy."""

    table: Table
    later: tuple[str, ...] = ()


def load_order(tables: Sequence[Table]) -> list[Step]:
    """Tables in foreign-key order (SQLAlchemy's sort; cycles broken as `later` columns)."""
    ordered = sort_tables_and_constraints(tables)
    cyclic = {fk for table, fks in ordered if table is None for fk in fks}
    steps = []
    for table, _ in ordered:
        if table is None:
            continue
        later = [
            column.name
            for fk in table.foreign_key_constraints
            if fk in cyclic or fk.referred_table is table
            for column in fk.columns
        ]
        steps.append(Step(table, tuple(dict.fromkeys(later))))
    return steps


def columns_of(table: Table) -> list[tuple[str, str]]:
    return [(column.name, kind_of(column.type)) for column in table.columns]


def ordered_select(table: Table) -> Any:
    """All of a table's rows, by primary key, so two backups of the same data are the same."""
    key = list(table.primary_key.columns) or list(table.columns)
    return select(table).order_by(*key)


def encoded_rows(conn: Connection, table: Table) -> list[list[Any]]:
    """A (small) table's rows as a backup writes them."""
    encode = row_codec([kind for _, kind in columns_of(table)], ENCODERS)
    return [encode(list(row)) for row in conn.execute(ordered_select(table))]


def count_rows(conn: Connection, table: Table) -> int:
    quoted = conn.dialect.identifier_preparer.format_table(table)
    return int(conn.execute(text(f"SELECT count(*) FROM {quoted}")).scalar_one())


def reset_sequences(conn: Connection, tables: Sequence[Table]) -> None:
    """PostgreSQL: move every serial or identity sequence to its table's largest id, so new
    rows get fresh ids after rows were inserted with theirs."""
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer
    for table in tables:
        key = list(table.primary_key.columns)
        if len(key) != 1 or not isinstance(key[0].type, Integer):
            continue
        name, column = quote.format_table(table), quote.quote(key[0].name)
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": name, "column": key[0].name},
        ).scalar()
        if sequence:
            conn.execute(
                text(
                    f"SELECT setval(:sequence, COALESCE(MAX({column}), 1), "
                    f"MAX({column}) IS NOT NULL) FROM {name}"
                ),
                {"sequence": sequence},
            )


def rebuild_fulltext(conn: Connection) -> None:
    """SQLite: rebuild every full-text index from the table it indexes."""
    for name in fulltext_tables(conn):
        conn.exec_driver_sql(f'INSERT INTO "{name}"("{name}") VALUES (\'rebuild\')')


@contextmanager
def indexes_set_aside(conn: Connection, tables: Sequence[Table]) -> Iterator[None]:
    """Drop the secondary indexes of these (empty) tables, and build each once, from its own
    definition, when the block ends: a bulk load spends most of its time keeping indexes up
    to date row by row. Inside the caller's transaction, so a failed load leaves them as
    they were. Indexes behind a constraint (primary key, unique) stay."""
    names = [table.name for table in tables]
    if conn.dialect.name == "sqlite":
        found = conn.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN :tables"
            ).bindparams(bindparam("tables", expanding=True)),
            {"tables": names},
        )
    elif conn.dialect.name == "postgresql":
        found = conn.execute(
            text(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
                "WHERE t.relnamespace = current_schema()::regnamespace "
                "AND t.relname = ANY(:tables) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
            ),
            {"tables": names},
        )
    else:
        yield
        return
    indexes = [(name, definition) for name, definition in found]
    quote = conn.dialect.identifier_preparer
    for name, _ in indexes:
        conn.exec_driver_sql(f"DROP INDEX {quote.quote(name)}")
    yield
    for _, definition in indexes:
        conn.exec_driver_sql(definition)


@contextmanager
def foreign_keys_set_aside(conn: Connection, tables: Sequence[Table]) -> Iterator[None]:
    """PostgreSQL: drop the foreign keys between these (empty) tables and add them back when
    the block ends, as pg_restore does: PostgreSQL checks a foreign key row by row in a
    trigger, and adding it to full tables checks every row in one join instead. Inside the
    caller's transaction, so a failed load leaves them as they were, and the adding fails,
    naming the constraint, if any row points nowhere. SQLite checks a reference with one
    index lookup and cannot drop a foreign key: it keeps them."""
    if conn.dialect.name != "postgresql":
        yield
        return
    found = conn.execute(
        text(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
            "WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace "
            "AND t.relname = ANY(:tables) ORDER BY 1, 2"
        ),
        {"tables": [table.name for table in tables]},
    )
    keys = [
        (table, conn.dialect.identifier_preparer.quote(name), sql) for table, name, sql in found
    ]
    for table, name, _ in keys:
        conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    yield
    for table, name, definition in keys:
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
