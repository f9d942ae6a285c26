"""Reminders: lead time, recurrence, snooze, alert and delivery times on activities; each
deal's last activity and what it was last alerted on; the ledger of delivered care
reminders; dates to remember contacts by.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("remind_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rrule", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("alert_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_activities_done_alert", ["done_at", "alert_at", "reminded_at"])
        batch_op.create_index("ix_activities_done_due", ["done_at", "due_at"])
    # Open activities already scheduled are reminded at their due time.
    op.execute("UPDATE activities SET alert_at = due_at WHERE done_at IS NULL")
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("alerted_close", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("alerted_overdue", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("alerted_quiet", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_deals_status_amount",
            [
                "status",
                "amount_minor",
                "expected_close",
                "alerted_close",
                "alerted_overdue",
                "last_activity_at",
                "created_at",
                "alerted_quiet",
            ],
        )
    op.execute(
        "UPDATE deals SET last_activity_at = "
        "(SELECT max(a.done_at) FROM activities a WHERE a.deal_id = deals.id)"
    )
    op.create_table(
        "reminder_deliveries",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_reminder_deliveries")),
    )
    op.create_table(
        "contact_dates",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_dates_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", "kind", name=op.f("pk_contact_dates")),
    )
    op.create_index("ix_contact_dates_month_day", "contact_dates", ["month", "day"])


def downgrade() -> None:
    op.drop_index("ix_contact_dates_month_day", table_name="contact_dates")
    op.drop_table("contact_dates")
    op.drop_table("reminder_deliveries")
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index("ix_deals_status_amount")
        batch_op.drop_column("alerted_quiet")
        batch_op.drop_column("alerted_overdue")
        batch_op.drop_column("alerted_close")
        batch_op.drop_column("last_activity_at")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activities_done_due")
        batch_op.drop_index("ix_activities_done_alert")
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("alert_at")
        batch_op.drop_column("series_id")
        batch_op.drop_column("snoozed_until")
        batch_op.drop_column("rrule")
        batch_op.drop_column("remind_minutes")
