"""Whose records a grant reaches, as owner ids, with no SQLAlchemy: the plain-SQL paths
(`crm remind`, `crm agenda`, the calendar) filter on these. `services.access.Actor` gives
them for a session's user; `services.reminders` loads them with plain SQL for cron.

A reach is `None` (everyone's records) or a set of owner ids; a non-empty set also covers
what nobody owns (the pool), an empty one covers nothing (a grant of `none`).
"""

from __future__ import annotations

from collections.abc import Mapping

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
