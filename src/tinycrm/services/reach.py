"""Whose records a grant reaches, as owner ids, with no SQLAlchemy: the plain-SQL paths
(`crm remind`, `crm agenda`, the calendar) filter on these. `services.access.Actor` gives
them for a session's user; `reach_of` loads them with plain SQL for cron.

A reach is `None` (everyone's records) or a set of owner ids; a non-empty set also covers
what nobody owns (the pool), an empty one covers nothing (a grant of `none`).
"""

from __future__ import annotations

from collections.abc import Mapping

from tinycrm.db.plain_sql import Sql
from tinycrm.errors import CrmError

LEVELS = ("none", "own", "team", "all")
"""The grant levels, narrowest first."""
Reach = Mapping[str, frozenset[int] | None]
"""Owner ids per object (`deals`, `activities`…); None for an object: everyone's."""


def narrower(a: str, b: str) -> str:
    """The narrower of two levels."""
    return min(a, b, key=LEVELS.index)


def owners_reached(
    level: str, *, user_id: int, team_id: int | None, members: frozenset[int]
) -> frozenset[int] | None:
    """The owner ids a level reaches for a user: `team` for someone in no team is `all`."""
    if level == "all" or (level == "team" and team_id is None):
        return None
    if level == "none":
        return frozenset()
    return frozenset({user_id, *members}) if level == "team" else frozenset({user_id})


def owner_sql(column: str, reached: frozenset[int] | None) -> str:
    """A SQL condition (no parameters: the ids are integers) keeping rows whose `column`
    is within `reached`; "" when everything is."""
    if reached is None:
        return ""
    if not reached:
        return "AND 1 = 0"
    ids = ", ".join(str(int(i)) for i in sorted(reached))
    return f"AND ({column} IS NULL OR {column} IN ({ids}))"


def in_reach(reach: Reach | None, obj: str, column: str) -> str:
    """A query's condition keeping `column` (an owner id of `obj`) within `reach`."""
    return owner_sql(column, None if reach is None else reach.get(obj))


def joined(reach: Reach | None) -> dict[str, str]:
    """The conditions for the LEFT JOINs of contacts (`c`) and companies (`co`): a name
    the user may not read is left out, as the ORM's scoped joins leave it out."""
    return {
        "in_contacts": in_reach(reach, "contacts", "c.owner_id"),
        "in_companies": in_reach(reach, "companies", "co.owner_id"),
    }


READ = ("contacts", "companies", "deals", "activities", "orders", "tickets")
"""The objects whose records have an owner (`services.access.OWNED`)."""


def reach_of(sql: Sql, user_id: int) -> Reach | None:
    """What user `user_id` may read, from their role's read grants and their team, as
    `services.access.Actor.reach` gives it; None (everything) for 0, nobody acting."""
    if not user_id:
        return None
    found = sql.rows("SELECT name, role, team_id, active FROM users WHERE id = :id", id=user_id)
    name, role, team_id, active = found[0]
    if not active:
        raise CrmError(f"{name} is deactivated and can no longer act", field="acting user")
    levels = dict(
        sql.rows(
            "SELECT object, level FROM grants WHERE role = :role AND action = 'read'", role=role
        )
    )
    members: frozenset[int] = frozenset()
    if team_id is not None:
        ids = sql.rows("SELECT id FROM users WHERE team_id = :team", team=team_id)
        members = frozenset(int(r[0]) for r in ids)
    return {
        obj: owners_reached(
            levels.get(obj, "none"), user_id=user_id, team_id=team_id, members=members
        )
        for obj in READ
    }


def reaches_every_record(sql: Sql, user_id: int, obj: str, action: str) -> bool:
    """Whether user `user_id`'s grant for `obj` `action` (`reports read`) covers every
    record, as `services.access.Actor.level` reads it: `all`, or `team` with no team."""
    found = sql.rows(
        "SELECT u.team_id, g.level FROM users u LEFT JOIN grants g ON g.role = u.role "
        "AND g.object = :obj AND g.action = :action WHERE u.id = :id",
        obj=obj,
        action=action,
        id=user_id,
    )
    team_id, level = found[0]
    reached = owners_reached(level or "none", user_id=user_id, team_id=team_id, members=frozenset())
    return reached is None
