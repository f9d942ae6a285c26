"""Many rows into one table at once, by the fastest path each database has.

Imports and `crm restore` both write rows they built themselves (with their ids) in chunks of
thousands. Going through the ORM, or one statement per row, costs most of such a load; this
writes a chunk through the DB-API in one call: a prepared `executemany` on SQLite, `COPY …
FROM STDIN` on PostgreSQL through psycopg, or, where COPY is not wanted (a table under
row-level security refuses COPY FROM), multi-row `INSERT … VALUES (…), (…)` a few hundred rows
a statement. Only another driver falls back to SQLAlchemy Core's executemany.

Values go through SQLAlchemy's own bind processors first, so times and JSON are stored exactly
as the ORM stores them: a timestamp's text form on SQLite comes from the dialect's own type
(the generic one hands a datetime to sqlite3, which drops ".000000" from whole seconds, and
such text sorts before a period's edge).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table

MULTI_ROW_VALUES = 60_000
"""At most this many values in one multi-row INSERT (PostgreSQL takes 65,535 parameters)."""


class RawRows:
    """Writes rows (lists of values in `columns` order) into `table` on `conn`."""

    def __init__(
        self, conn: Connection, table: Table, columns: Sequence[str], *, copy: bool = True
    ) -> None:
        self.conn = conn
        self.table = table
        self.columns = list(columns)
        dialect = conn.dialect
        processors = [
            table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in self.columns
        ]
        self.processors = [(i, p) for i, p in enumerate(processors) if p is not None]
        quote = dialect.identifier_preparer
        self.names = ", ".join(quote.quote(name) for name in self.columns)
        self.target = quote.format_table(table)
        psycopg = dialect.name == "postgresql" and dialect.driver == "psycopg"
        self.how = (
            "executemany"
            if dialect.name == "sqlite"
            else ("copy" if copy else "multi-row")
            if psycopg
            else "core"
        )

    def write(self, rows: list[list[Any]]) -> None:
        """Insert the rows (their values are replaced in place by what the driver gets)."""
        if not rows:
            return
        if self.how == "core":
            self.conn.execute(
                self.table.insert(), [dict(zip(self.columns, r, strict=True)) for r in rows]
            )
            return
        self._bind(rows)
        raw: Any = self.conn.connection.driver_connection
        if self.how == "executemany":
            marks = ", ".join("?" for _ in self.columns)
            raw.executemany(f"INSERT INTO {self.target} ({self.names}) VALUES ({marks})", rows)
        elif self.how == "copy":
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {self.target} ({self.names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            self._multi_row(raw, rows)

    def _bind(self, rows: list[list[Any]]) -> None:
        for index, process in self.processors:
            memo: dict[Any, Any] = {}  # the rows of one chunk often share their timestamps
            for row in rows:
                cell = row[index]
                if cell is None:
                    continue
                if isinstance(cell, dict | list):
                    row[index] = process(cell)
                elif (done := memo.get(cell)) is not None:
                    row[index] = done
                else:
                    row[index] = memo[cell] = process(cell)

    def _multi_row(self, raw: Any, rows: list[list[Any]]) -> None:
        """INSERT … VALUES (…), (…), …: a few hundred rows a statement (the same statement,
        prepared once, for every full one)."""
        per = max(1, min(500, MULTI_ROW_VALUES // len(self.columns)))
        mark = "(" + ", ".join("%s" for _ in self.columns) + ")"
        sql = f"INSERT INTO {self.target} ({self.names}) VALUES "
        with raw.cursor() as cursor:
            for start in range(0, len(rows), per):
                part = rows[start : start + per]
                cursor.execute(sql + ", ".join([mark] * len(part)), list(itertools.chain(*part)))
