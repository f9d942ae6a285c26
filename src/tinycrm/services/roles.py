"""Roles and their grants: what each role may do to each kind of record (`object x action ->
none, own, team, all`), shown and changed by whoever may edit users (an admin, by default).

The presets come with the schema; `set_grant` changes one cell, and the change holds from
the next command on."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from tinycrm.errors import Conflict, InvalidInput
from tinycrm.models import Grant, Level, Role, User
from tinycrm.services import access

LEVELS = tuple(level.value for level in Level)
ROLES = tuple(role.value for role in Role)
SHORT = {"none": "-", "own": "o", "team": "t", "all": "a"}
"""A level in one character, for the compact matrix of `role list`."""


@dataclass(frozen=True)
class RoleRow:
    role: str
    users: int
    """Active users with the role."""
    grants: dict[str, dict[str, str]]
    """object -> action -> level, every object and action in order."""

    def compact(self, obj: str) -> str:
        """The object's levels in action order, one character each (`toootoo`)."""
        return "".join(SHORT[self.grants[obj][a]] for a in access.ACTIONS)


@dataclass(frozen=True)
class GrantChange:
    role: str
    object: str
    action: str
    level: str
    before: str


def _choice(field: str, value: str, allowed: tuple[str, ...]) -> str:
    wanted = value.strip().lower()
    if wanted not in allowed:
        raise InvalidInput(field, value, f"must be one of {', '.join(allowed)}")
    return wanted


def _grants(session: Session, role: str) -> dict[str, dict[str, str]]:
    rows = session.exec(select(Grant).where(Grant.role == role)).all()
    found = {(g.object, g.action): str(g.level) for g in rows}
    return {
        obj: {a: found.get((obj, a), Level.none.value) for a in access.ACTIONS}
        for obj in access.OBJECTS
    }


def list_roles(session: Session) -> list[RoleRow]:
    """Every role with its number of active users and its grants."""
    query = select(col(User.role), func.count()).where(col(User.active)).group_by(col(User.role))
    counts = {str(role): n for role, n in session.exec(query).all()}
    return [RoleRow(r, counts.get(r, 0), _grants(session, r)) for r in ROLES]


def get_role(session: Session, *, role: str) -> RoleRow:
    name = _choice("role", role, ROLES)
    return next(r for r in list_roles(session) if r.role == name)


def set_grant(session: Session, *, role: str, obj: str, action: str, level: str) -> GrantChange:
    """Give `role` the `level` for `obj` `action`."""
    access.require(session, "users", "edit")
    name = _choice("role", role, ROLES)
    what = _choice("object", obj, access.OBJECTS)
    act = _choice("action", action, access.ACTIONS)
    new = _choice("level", level, LEVELS)
    if (name, what, act, new) == (Role.admin, "users", "edit", Level.none):
        raise Conflict("admins keep users edit: without it nobody could change roles again")
    grant = session.get(Grant, (name, what, act))
    before = str(grant.level) if grant else Level.none.value
    if grant is None:
        grant = Grant(role=name, object=what, action=act, level=Level(new))
    grant.level = Level(new)
    session.add(grant)
    session.flush()
    return GrantChange(name, what, act, new, before)
