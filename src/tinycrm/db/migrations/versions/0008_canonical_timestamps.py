"""One stored form for every timestamp on SQLite: `YYYY-MM-DD HH:MM:SS.ffffff` in UTC.

SQLite compares timestamps as text, so `2017-04-01 00:00:00` (as earlier bulk imports
stored whole seconds) sorts before the edge `2017-04-01 00:00:00.000000` of a period that
starts at that instant, and a deal closed exactly then fell into the previous quarter.
Every timestamp not already in the canonical form is rewritten in it: other ISO 8601
spellings (`T`, an offset, fewer fraction digits) are read and converted to UTC. A value
that is not a time at all is left as it was, so nothing is lost. PostgreSQL stores real
`timestamptz` values and needs nothing.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CANONICAL = "%Y-%m-%d %H:%M:%S.%f"
_D = "[0-9]"
_GLOB = f"{_D * 4}-{_D * 2}-{_D * 2} {_D * 2}:{_D * 2}:{_D * 2}.{_D * 6}"
"""What a canonical value looks like, for SQLite's GLOB (which uses the column's index)."""


def canonical(value: str) -> str | None:
    """The canonical UTC text of a stored timestamp, or None when it is not one."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime(CANONICAL)


def timestamp_columns(conn: sa.Connection) -> list[tuple[str, str]]:
    """(table, column) for every DATETIME column of the database."""
    inspector = sa.inspect(conn)
    found = []
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if isinstance(column["type"], sa.DateTime):
                found.append((table, column["name"]))
    return found


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for table, column in timestamp_columns(conn):
        odd = conn.exec_driver_sql(
            f'SELECT rowid, "{column}" FROM "{table}" '
            f'WHERE "{column}" IS NOT NULL AND "{column}" NOT GLOB ?',
            (_GLOB,),
        ).fetchall()
        fixed = [(new, rowid) for rowid, value in odd if (new := canonical(str(value)))]
        if fixed:
            update = f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?'
            conn.exec_driver_sql(update, fixed)


def downgrade() -> None:
    """The canonical form is what every version reads; there is nothing to undo."""
