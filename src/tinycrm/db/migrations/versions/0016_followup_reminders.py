"""A due follow-up call is a reminder in `crm remind`: the follow-up remembers the due day it
was last delivered for (to nobody; deliveries to a person are ledger rows), and the index of
open follow-ups by due day carries that mark, so a quiet morning run reads the index alone.
Existing follow-ups have none: those due already are reminded once after the upgrade.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_followups_done_due"


def upgrade() -> None:
    op.add_column("followups", sa.Column("reminded_on", sa.Date(), nullable=True))
    op.drop_index(INDEX, table_name="followups")
    op.create_index(INDEX, "followups", ["done_at", "due_on", "reminded_on"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="followups")
    op.create_index(INDEX, "followups", ["done_at", "due_on"])
    with op.batch_alter_table("followups") as batch:  # SQLite copies the table, rows and all
        batch.drop_column("reminded_on")
