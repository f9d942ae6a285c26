"""A folded search key on contacts, companies, deals and tickets, so one search rule (every
word anywhere in a name, email, phone…, in any case and with or without accents) runs in SQL
on SQLite and PostgreSQL alike. Existing rows get theirs here.

On SQLite, covering indexes hold each searched table's order and search key, so a search
reads a narrow index rather than every wide row (on 100k contacts, a query that matches
nothing took ~1 s through the name index and the table, ~50 ms through this one). They are
not in the models: PostgreSQL scans well without them, and its btree entries have a size
limit a long name and email could pass.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tinycrm.normalize import search_key

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHED = {
    "contacts": ("full_name", "email", "phone", "phone_norm"),
    "companies": ("name", "domain"),
    "deals": ("title",),
    "tickets": ("subject",),
}
"""Each table's fields its search key holds (as `models` keeps them on every write)."""
SQLITE_INDEXES = {
    "contacts": ("name_key", "id", "search_key", "company_id", "owner_id"),
    "companies": ("name_key", "id", "search_key", "owner_id"),
    "deals": ("search_key", "id", "company_id", "owner_id"),
}
"""SQLite only: `ix_search_<table>`, what a search of the table reads, in the order it lists
(with the id, the tie-breaker, so the planner need not prefer the plain name index)."""
BATCH = 10_000


def upgrade() -> None:
    for table in SEARCHED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("search_key", sa.Text(), nullable=True))
    conn = op.get_bind()
    for table, fields in SEARCHED.items():
        fill(conn, table, fields)
    if conn.dialect.name == "sqlite":
        for table, columns in SQLITE_INDEXES.items():
            op.create_index(f"ix_search_{table}", table, list(columns))


def fill(conn: sa.Connection, table: str, fields: Sequence[str]) -> None:
    """Every row's search key, written in batches of ids."""
    t = sa.table(table, sa.column("id"), sa.column("search_key"), *map(sa.column, fields))
    update = (
        sa.update(t).where(t.c.id == sa.bindparam("row_id")).values(search_key=sa.bindparam("key"))
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(t.c.id, *(t.c[f] for f in fields))
            .where(t.c.id > last)
            .order_by(t.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        conn.execute(update, [{"row_id": r[0], "key": search_key(*r[1:])} for r in rows])
        last = rows[-1][0]


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in SQLITE_INDEXES:
            op.drop_index(f"ix_search_{table}", table_name=table)
    for table in SEARCHED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("search_key")
