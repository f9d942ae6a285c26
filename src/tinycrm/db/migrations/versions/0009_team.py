"""The team: teams, each role's grants (with the default presets), users' team, state and
logins, the audit log, a version on every editable record, and reminders kept per person.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNED = ("contacts", "companies", "deals", "activities", "orders", "tickets")
OBJECTS = (*OWNED, "campaigns", "reports", "users")
ACTIONS = ("read", "create", "edit", "delete", "export", "import", "assign")
VERSIONED = ("contacts", "companies", "deals", "activities", "orders", "tickets", "campaigns")


def default_grants() -> list[dict[str, str]]:
    """The presets as of this revision: an admin has everything; a manager their team's
    records; a rep reads the team's contacts and companies (so nobody adds a duplicate) and
    works on their own deals, activities, orders and tickets; a viewer reads."""
    rows = []
    for obj in OBJECTS:
        for action in ACTIONS:
            levels = {
                "admin": "all",
                "manager": _manager(obj, action),
                "rep": _rep(obj, action),
                "viewer": "all" if action == "read" else "none",
            }
            rows += [
                {"role": role, "object": obj, "action": action, "level": level}
                for role, level in levels.items()
            ]
    return rows


def _manager(obj: str, action: str) -> str:
    if obj in OWNED:
        return "team"
    if obj == "campaigns":
        return "all"
    if obj == "reports":
        return "team" if action in ("read", "export") else "none"
    return "all" if action == "read" else "none"  # users


def _rep(obj: str, action: str) -> str:
    if obj in ("contacts", "companies"):
        return "team" if action in ("read", "export") else "own"
    if obj in OWNED:
        return "own"
    if obj == "reports":
        return "own" if action in ("read", "export") else "none"
    return "all" if action == "read" else "none"  # campaigns, users


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name_key", name=op.f("uq_teams_name_key")),
    )
    grants = op.create_table(
        "grants",
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("object", sa.String(length=30), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("role", "object", "action", name=op.f("pk_grants")),
    )
    op.bulk_insert(grants, default_grants())
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_name", sa.String(length=200), nullable=True),
        sa.Column("login", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("object", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_object_record", "audit_log", ["object", "record_id"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index(op.f("ix_audit_log_user_id"), "audit_log", ["user_id"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("os_login", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("db_login", sa.String(length=200), nullable=True))
        batch.create_foreign_key(
            op.f("fk_users_team_id_teams"), "teams", ["team_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index(op.f("ix_users_team_id"), ["team_id"])
        batch.create_unique_constraint(op.f("uq_users_os_login"), ["os_login"])
        batch.create_unique_constraint(op.f("uq_users_db_login"), ["db_login"])
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("reminder_deliveries", recreate="always") as batch:
        batch.add_column(
            sa.Column("recipient_id", sa.Integer(), nullable=False, server_default="0")
        )
        batch.drop_constraint("pk_reminder_deliveries", type_="primary")
        batch.create_primary_key("pk_reminder_deliveries", ["key", "recipient_id"])


def downgrade() -> None:
    with op.batch_alter_table("reminder_deliveries", recreate="always") as batch:
        batch.drop_constraint("pk_reminder_deliveries", type_="primary")
        batch.drop_column("recipient_id")
        batch.create_primary_key("pk_reminder_deliveries", ["key"])
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("uq_users_db_login"), type_="unique")
        batch.drop_constraint(op.f("uq_users_os_login"), type_="unique")
        batch.drop_index(op.f("ix_users_team_id"))
        batch.drop_constraint(op.f("fk_users_team_id_teams"), type_="foreignkey")
        for column in ("db_login", "os_login", "active", "team_id"):
            batch.drop_column(column)
    op.drop_table("audit_log")
    op.drop_table("grants")
    op.drop_table("teams")
