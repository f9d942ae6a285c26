"""Membership tiers, points and follow-up visits.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tinycrm.db.migrations.grants import drop_catalogue, seed_catalogue

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CUSTOMER = "(company_id IS NULL) <> (contact_id IS NULL)"


def _customer() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
    ]


def _customer_keys(table: str) -> list[sa.Constraint]:
    return [
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f(f"fk_{table}_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f(f"fk_{table}_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f(f"fk_{table}_payment_id_payments"),
            ondelete="SET NULL",
        ),
        sa.CheckConstraint(CUSTOMER, name=op.f(f"ck_{table}_one_customer")),
    ]  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "tiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("min_spend_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("min_orders", sa.Integer(), nullable=True),
        sa.Column("within_months", sa.Integer(), nullable=False),
        sa.Column("can_drop", sa.Boolean(), nullable=False),
        sa.Column("points_per", sa.Integer(), nullable=False),
        sa.Column("points_expire_months", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tiers")),
        sa.UniqueConstraint("name_key", name=op.f("uq_tiers_name_key")),
    )
    op.create_table(
        "tier_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        *_customer(),
        sa.Column("from_tier_id", sa.Integer(), nullable=True),
        sa.Column("to_tier_id", sa.Integer(), nullable=True),
        sa.Column("from_name", sa.String(length=100), nullable=True),
        sa.Column("to_name", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_moves")),
        sa.ForeignKeyConstraint(
            ["from_tier_id"], ["tiers.id"], name=op.f("fk_tier_moves_from_tier_id_tiers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["to_tier_id"], ["tiers.id"], name=op.f("fk_tier_moves_to_tier_id_tiers"),
            ondelete="SET NULL",
        ),
        *_customer_keys("tier_moves"),
    )  # fmt: skip
    op.create_index("ix_tier_moves_company_id", "tier_moves", ["company_id", "id"])
    op.create_index("ix_tier_moves_contact_id", "tier_moves", ["contact_id", "id"])
    op.create_table(
        "points_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        *_customer(),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("on_day", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_entries")),
        sa.ForeignKeyConstraint(
            ["source_id"], ["points_entries.id"],
            name=op.f("fk_points_entries_source_id_points_entries"), ondelete="SET NULL",
        ),
        *_customer_keys("points_entries"),
    )  # fmt: skip
    op.create_index("ix_points_entries_company_id", "points_entries", ["company_id", "on_day"])
    op.create_index("ix_points_entries_contact_id", "points_entries", ["contact_id", "on_day"])
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=1000), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_followups_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_followups_user_id_users"),
            ondelete="SET NULL",
        ),
    )  # fmt: skip
    op.create_index(op.f("ix_followups_ticket_id"), "followups", ["ticket_id"])
    op.create_index("ix_followups_done_due", "followups", ["done_at", "due_on"])
    seed_catalogue("tiers")


def downgrade() -> None:
    drop_catalogue("tiers")
    op.drop_table("followups")
    op.drop_table("points_entries")
    op.drop_table("tier_moves")
    op.drop_table("tiers")
