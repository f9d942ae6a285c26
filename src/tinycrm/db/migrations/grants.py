"""The preset roles' grants on a catalogue, as the revisions that add one seed them (0011
products, 0012 tiers). Revisions run it as it was when they were written: what it seeds for
an object never changes; a different rule is a new function."""

import sqlalchemy as sa
from alembic import op

ACTIONS = ("read", "create", "edit", "delete", "export", "import", "assign")
ROLES = ("admin", "manager", "rep", "viewer")


def catalogue_grants(obj: str) -> list[dict[str, str]]:
    """Admins and managers do everything with the catalogue `obj`; reps and viewers read and
    export it."""
    return [
        {"role": role, "object": obj, "action": action,
         "level": "all" if role in ("admin", "manager") or action in ("read", "export") else "none"}
        for action in ACTIONS
        for role in ROLES
    ]  # fmt: skip


def seed_catalogue(obj: str) -> None:
    grants = sa.table(
        "grants", sa.column("role"), sa.column("object"), sa.column("action"), sa.column("level")
    )
    op.bulk_insert(grants, catalogue_grants(obj))


def drop_catalogue(obj: str) -> None:
    op.execute(sa.text("DELETE FROM grants WHERE object = :obj").bindparams(obj=obj))
