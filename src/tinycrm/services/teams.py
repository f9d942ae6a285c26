"""Teams: groups of users; a manager sees and changes what their team's members own.

Only a role that may edit users (an admin, by default) adds or removes a team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from tinycrm.errors import Conflict, InvalidInput, NeedsForce, NotFound
from tinycrm.models import Team, User
from tinycrm.normalize import check_text, clean, name_key
from tinycrm.services import access
from tinycrm.services.userref import as_id, is_id
from tinycrm.words import plural


@dataclass(frozen=True)
class TeamRow:
    id: int
    name: str
    members: int
    created_at: datetime


def resolve_team(session: Session, ref: str) -> Team:
    """A team by id or by name (any case and spacing)."""
    ref = ref.strip()
    if is_id(ref) and (team := session.get(Team, as_id(ref, "team"))):
        return team
    found = session.exec(select(Team).where(Team.name_key == name_key(ref))).first()
    if found is None:
        raise NotFound("team", ref)
    return found


def create_team(session: Session, *, name: str, now: datetime) -> TeamRow:
    access.require(session, "users", "edit")
    cleaned = clean(name)
    if not cleaned:
        raise InvalidInput("team name", name, "a team needs a name")
    check_text(cleaned, field="team name")
    if len(cleaned) > 200:
        raise InvalidInput("team name", name, "at most 200 characters")
    key = name_key(cleaned)
    if other := session.exec(select(Team).where(Team.name_key == key)).first():
        raise Conflict(f"team name: a team named {other.name!r} already exists (#{other.id})")
    team = Team(name=cleaned, name_key=key, created_at=now)
    session.add(team)
    session.flush()
    assert team.id is not None
    return TeamRow(team.id, team.name, 0, team.created_at)


def list_teams(session: Session) -> list[TeamRow]:
    """Every team with how many users are in it, by name."""
    members = (
        select(col(User.team_id), func.count().label("n")).group_by(col(User.team_id)).subquery()
    )
    query = (
        select(Team, func.coalesce(members.c.n, 0))
        .outerjoin(members, members.c.team_id == col(Team.id))
        .order_by(col(Team.name_key))
    )
    return [TeamRow(t.id or 0, t.name, n, t.created_at) for t, n in session.exec(query)]


def delete_team(session: Session, *, ref: str, force: bool = False) -> tuple[Team, int]:
    """Remove a team; one with members is refused unless forced, which leaves them in no
    team. Returns the team and how many members it had."""
    access.require(session, "users", "edit")
    team = resolve_team(session, ref)
    members = session.exec(select(func.count()).where(User.team_id == team.id)).one()
    if members and not force:
        raise NeedsForce(
            f"team {team.name!r} has {plural(members, 'member')}",
            "leaves them in no team",
        )
    for user in session.exec(select(User).where(User.team_id == team.id)):
        user.team_id = None
        session.add(user)
    session.delete(team)
    session.flush()
    return team, members
