"""Who may see and change what: roles hold grants (object x action -> none, own, team, all),
and every session of a named user is held to them.

One place enforces it, so no side path leaks a record: a session opened for an acting user
(`session.info["actor"]`) adds the user's read scope to every ORM query it runs (lists,
show, search, reports, exports, the board, related lists, history), and checks every row it
flushes against the create, edit, delete and assign grants. A record outside the read scope
does not exist for the user ("deal not found: 12"); a change outside the grants is one
`Forbidden` line naming the permission (exit 4).

Levels: `own` is what the user owns, and what nobody owns (the pool: read, claimed and
worked on, never deleted);
`team` adds what the members of the user's team own (for someone in no team: everything,
the company being the team); `all` is everything. A session with no
actor (no acting user was named, or tinycrm's own work such as migrations) is the file's
owner and unrestricted: on one SQLite file, whoever holds the file can read it anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, false, inspect, or_, select, true
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from tinycrm.errors import CrmError
from tinycrm.models import (
    Activity,
    Company,
    Contact,
    Deal,
    Grant,
    Level,
    Order,
    Payment,
    Role,
    StageChange,
    Ticket,
    TicketComment,
    User,
)

OWNED: dict[str, type[Any]] = {
    "contacts": Contact,
    "companies": Company,
    "deals": Deal,
    "activities": Activity,
    "orders": Order,
    "tickets": Ticket,
}
"""The objects whose records have an owner, and their tables."""
OBJECTS = (*OWNED, "campaigns", "reports", "users")
ACTIONS = ("read", "create", "edit", "delete", "export", "import", "assign")


class Forbidden(CrmError):
    """A change the acting user's role does not allow: names the permission (exit 4)."""

    exit_code = 4

    def __init__(self, actor: Actor, obj: str, action: str, whose: str) -> None:
        level = actor.level(obj, action)
        what = f"{action} {obj} {whose}".rstrip()
        super().__init__(f"not allowed: {what} (role {actor.role} has {obj} {action}: {level})")
        self.object, self.action = obj, action


@dataclass(frozen=True)
class Actor:
    """The user a session acts for, with their role's grants and their team's members."""

    user_id: int
    name: str
    role: str
    team_id: int | None = None
    team_members: frozenset[int] = frozenset()
    grants: Mapping[tuple[str, str], Level] = field(default_factory=dict)
    source: str = "cli"

    def level(self, obj: str, action: str) -> Level:
        """The grant's level; `team` for someone in no team is `all` (with no teams set up,
        the whole company is the team)."""
        level = self.grants.get((obj, action), Level.none)
        return Level.all if level is Level.team and self.team_id is None else level

    def reaches(self, obj: str, action: str, owner_id: int | None, *, reading: bool) -> bool:
        """Whether the grant covers a record owned by `owner_id` (None: nobody)."""
        level = self.level(obj, action)
        if level is Level.all:
            return True
        if level is Level.none:
            return False
        if owner_id is None:  # the pool: read, taken (assign), worked on; never deleted
            return reading or action != "delete"
        if owner_id == self.user_id:
            return True
        return level is Level.team and owner_id in self.team_members

    def may(self, obj: str, action: str) -> bool:
        """Whether the role has any grant at all for the action (a report, an import)."""
        return self.level(obj, action) is not Level.none


def load_actor(session: Session, user: User, *, source: str = "cli") -> Actor:
    """The actor for `user`: their role's grants as stored, and their team's members."""
    assert user.id is not None
    rows = session.execute(
        select(col(Grant.object), col(Grant.action), col(Grant.level)).where(
            col(Grant.role) == str(user.role)
        )
    ).all()
    members: frozenset[int] = frozenset()
    if user.team_id is not None:
        ids = session.scalars(select(col(User.id)).where(col(User.team_id) == user.team_id))
        members = frozenset(i for i in ids.all() if i is not None)
    return Actor(
        user_id=user.id,
        name=user.name,
        role=str(user.role),
        team_id=user.team_id,
        team_members=members,
        grants={(o, a): Level(level) for o, a, level in rows},
        source=source,
    )


def actor_of(session: Session) -> Actor | None:
    """The actor a session acts for; None: unrestricted."""
    found = session.info.get("actor")
    return found if isinstance(found, Actor) else None


# --- reading ---------------------------------------------------------------------------------


def owner_condition(
    actor: Actor, obj: str, owner: Any, action: str = "read"
) -> ColumnElement[bool]:
    """The WHERE that keeps records of `obj` (owner column `owner`) within the grant."""
    level = actor.level(obj, action)
    if level is Level.all:
        return true()
    if level is Level.none:
        return false()
    mine = [actor.user_id]
    if level is Level.team:
        mine = sorted({actor.user_id, *actor.team_members})
    reading = action in ("read", "export")
    within = owner.in_(mine)
    return or_(within, owner.is_(None)) if reading else within


def _read_criteria(actor: Actor) -> list[Any]:
    criteria: list[Any] = []
    for obj, model in OWNED.items():
        condition = owner_condition(actor, obj, col(model.owner_id))
        criteria.append(with_loader_criteria(model, condition, include_aliases=True))
    # Rows that belong to a record follow it.
    deals = select(col(Deal.id)).where(owner_condition(actor, "deals", col(Deal.owner_id)))
    orders = select(col(Order.id)).where(owner_condition(actor, "orders", col(Order.owner_id)))
    tickets = select(col(Ticket.id)).where(owner_condition(actor, "tickets", col(Ticket.owner_id)))
    criteria += [
        with_loader_criteria(StageChange, col(StageChange.deal_id).in_(deals)),
        with_loader_criteria(Payment, col(Payment.order_id).in_(orders)),
        with_loader_criteria(TicketComment, col(TicketComment.ticket_id).in_(tickets)),
    ]
    return criteria


@event.listens_for(Session, "do_orm_execute")
def _within_read_scope(state: ORMExecuteState) -> None:
    actor = actor_of(state.session)
    if actor is None or not state.is_select or state.execution_options.get("crm_unscoped"):
        return
    state.statement = state.statement.options(*_read_criteria(actor))


# --- writing ---------------------------------------------------------------------------------


def _object_of(row: Any) -> str | None:
    for obj, model in OWNED.items():
        if isinstance(row, model):
            return obj
    return None


def _whose(actor: Actor, action: str, owner_id: int | None) -> str:
    if owner_id == actor.user_id:
        return "" if action == "create" else "of your own"
    if owner_id is None:
        return "" if action == "create" else "owned by nobody"
    return "for someone else" if action == "create" else "owned by someone else"


@event.listens_for(Session, "before_flush")
def _within_grants(session: Session, _context: Any, _instances: Any) -> None:
    actor = actor_of(session)
    if actor is None:
        return
    for row in session.new:
        if (obj := _object_of(row)) is not None:
            check(actor, obj, "create", row.owner_id)
    for row in session.dirty:
        if (obj := _object_of(row)) is None or not session.is_modified(row):
            continue
        history = inspect(row).attrs.owner_id.history
        before = history.deleted[0] if history.deleted else row.owner_id
        check(actor, obj, "edit", before)
        if history.has_changes():
            check(actor, obj, "assign", before)
    for row in session.deleted:
        if (obj := _object_of(row)) is not None:
            check(actor, obj, "delete", row.owner_id)


def check(actor: Actor | None, obj: str, action: str, owner_id: int | None) -> None:
    """Refuse, with Forbidden, what the actor's grant for `obj` `action` does not cover."""
    if actor is None:
        return
    if not actor.reaches(obj, action, owner_id, reading=action in ("read", "export")):
        raise Forbidden(actor, obj, action, _whose(actor, action, owner_id))


def require(session: Session, obj: str, action: str) -> None:
    """Refuse an action the role has no grant for at all (`crm import`, a report)."""
    actor = actor_of(session)
    if actor is not None and not actor.may(obj, action):
        raise Forbidden(actor, obj, action, "")


def is_admin(actor: Actor | None) -> bool:
    return actor is None or actor.role == Role.admin
