"""Orders get the day they were delivered, and a follow-up call belongs to a resolved ticket
or a delivered order (exactly one of the two). Existing follow-ups keep their ticket; no
grant changes: a follow-up is read and written under its ticket's or its order's grants.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_RECORD = "(ticket_id IS NULL) <> (order_id IS NULL)"


def upgrade() -> None:
    op.add_column("orders", sa.Column("delivered_on", sa.Date(), nullable=True))
    with op.batch_alter_table("followups") as batch:  # SQLite copies the table, rows and all
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("order_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_followups_order_id_orders"), "orders", ["order_id"], ["id"],
            ondelete="CASCADE",
        )  # fmt: skip
        batch.create_check_constraint(op.f("ck_followups_one_record"), ONE_RECORD)
    op.create_index(op.f("ix_followups_order_id"), "followups", ["order_id"])


def downgrade() -> None:
    op.execute("DELETE FROM followups WHERE ticket_id IS NULL")
    op.drop_index(op.f("ix_followups_order_id"), table_name="followups")
    with op.batch_alter_table("followups") as batch:
        batch.drop_constraint(op.f("ck_followups_one_record"), type_="check")
        batch.drop_constraint(op.f("fk_followups_order_id_orders"), type_="foreignkey")
        batch.drop_column("order_id")
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("delivered_on")
