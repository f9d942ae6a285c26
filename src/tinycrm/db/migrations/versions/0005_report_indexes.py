"""Indexes for reports: deals by (status, closed_at), so performance picks the deals won or
lost in a period without reading every deal; stage changes by (to stage, deal), so the funnel
counts each deal once per stage from the index alone.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_deals_status_closed", "deals", ["status", "closed_at"], unique=False)
    op.create_index(
        "ix_stage_changes_to_deal",
        "stage_changes",
        ["to_stage_id", "deal_id", "changed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_stage_changes_to_deal", table_name="stage_changes")
    op.drop_index("ix_deals_status_closed", table_name="deals")
