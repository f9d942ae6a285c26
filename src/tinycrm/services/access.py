"""Who may see and change what: roles hold grants (object x action -> none, own, team, all),
and every session of a named user is held to them.

One place enforces it, so no side path leaks a record: a session opened for an acting user
(`session.info["actor"]`) adds the user's read scope to every ORM query it runs (lists,
show, search, reports, exports, the board, related lists, history), and checks every row it
flushes against the create, edit, delete and assign grants. A record outside the read scope
does not exist for the user ("deal not found: 12"); a change outside the grants is one
`Forbidden` line naming the permission (exit 4).

Levels: `own` is what the user owns, and what nobody owns (the pool: read, claimed and
worked on, but deleted only at `team` and above);
`team` adds what the members of the user's team own (for someone in no team: everything,
the company being the team); `all` is everything. A session with no
actor (no acting user was named, or tinycrm's own work such as migrations) is the file's
owner and unrestricted: on one SQLite file, whoever holds the file can read it anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import wraps
from typing import Any, ParamSpec, TypeVar, cast

from sqlalchemy import (
    Column,
    CompoundSelect,
    Engine,
    Select,
    Table,
    event,
    false,
    inspect,
    or_,
    select,
    true,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql import Alias
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import replacement_traverse
from sqlmodel import col

from tinycrm.errors import CrmError
from tinycrm.models import (
    Activity,
    Company,
    Contact,
    Contract,
    Deal,
    Grant,
    Level,
    LineItem,
    Order,
    Payment,
    Product,
    Quote,
    Role,
    StageChange,
    Ticket,
    TicketComment,
    User,
)
from tinycrm.services.reach import narrower, owners_reached

P = ParamSpec("P")
R = TypeVar("R")

OWNED: dict[str, type[Any]] = {
    "contacts": Contact,
    "companies": Company,
    "deals": Deal,
    "activities": Activity,
    "orders": Order,
    "tickets": Ticket,
}
"""The objects whose records have an owner, and their tables."""
OBJECTS = (*OWNED, "campaigns", "reports", "users", "tiers")
OBJECTS = (*OBJECTS, "products")
"""What grants are given on: the owned objects, then those with no owner."""
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
        if owner_id is None:  # the pool: read, taken, worked on; deleted by a team's manager
            return reading or action != "delete" or level is Level.team
        if owner_id == self.user_id:
            return True
        return level is Level.team and owner_id in self.team_members

    def may(self, obj: str, action: str) -> bool:
        """Whether the role has any grant at all for the action (a report, an import)."""
        return self.level(obj, action) is not Level.none

    def owner_ids(self, obj: str, action: str = "read") -> frozenset[int] | None:
        """The owner ids the grant reaches (None: everyone's), for plain SQL (`reach`)."""
        return owners_reached(
            self.level(obj, action),
            user_id=self.user_id,
            team_id=self.team_id,
            members=self.team_members,
        )

    def reach(self) -> dict[str, frozenset[int] | None]:
        """What the user reads of each owned object, as owner ids (see `services.reach`)."""
        return {obj: self.owner_ids(obj) for obj in OWNED}

    def narrowed(self, obj: str, action: str) -> Actor:
        """The actor reading for `obj` `action` (`reports read`, `deals export`): each owned
        object's read grant no wider than that grant (a report's own level; each object's
        export level), so a rep's report sums their own records, a manager's their team's."""
        grants = dict(self.grants)
        for owned in OWNED:
            by = self.grants.get((obj if obj == "reports" else owned, action), Level.none)
            read = self.grants.get((owned, "read"), Level.none)
            grants[(owned, "read")] = Level(narrower(read, by))
        return replace(self, grants=grants)


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
        with_loader_criteria(Quote, col(Quote.deal_id).in_(deals)),
        with_loader_criteria(LineItem, col(LineItem.deal_id).in_(deals)),
        with_loader_criteria(Contract, col(Contract.order_id).in_(orders)),
    ]
    return criteria


@event.listens_for(Session, "do_orm_execute")
def _within_read_scope(state: ORMExecuteState) -> None:
    actor = actor_of(state.session)
    if actor is None or not state.is_select or state.execution_options.get("crm_unscoped"):
        return
    state.statement = state.statement.options(*_read_criteria(actor))
    state.update_execution_options(crm_scoped=True)


# --- reading outside the ORM: Core statements on the session's connection -------------------

FOLLOWERS: dict[type[Any], tuple[str, str]] = {
    StageChange: ("deals", "deal_id"),
    Payment: ("orders", "order_id"),
    TicketComment: ("tickets", "ticket_id"),
    Quote: ("deals", "deal_id"),
    LineItem: ("deals", "deal_id"),
    Contract: ("orders", "order_id"),
}
"""Rows that belong to a record and follow its read scope: the object and the column."""
CHILDREN: dict[type[Any], tuple[str, str]] = {
    Quote: ("deals", "deal_id"),
    LineItem: ("deals", "deal_id"),
    Contract: ("orders", "order_id"),
}
"""Rows written by whoever may edit the record they belong to (a deal's quotes and lines, an
order's contract): creating, changing or deleting one is an edit of that record."""
CATALOGUE: dict[type[Any], str] = {Product: "products"}
"""Tables with no owner whose rows are the grant's object as a whole (read by everyone)."""


@event.listens_for(Session, "after_begin")
def _carry_actor(session: Session, _transaction: Any, connection: Connection) -> None:
    """Core statements run on the session's connection (`session.connection().execute`)
    see whom the session acts for, as it is when they run (`reading_for` narrows it)."""
    connection.execution_options(crm_session_info=session.info)


@event.listens_for(Engine, "before_execute", retval=True)
def _core_within_read_scope(
    conn: Connection, statement: Any, multiparams: Any, params: Any, options: Any
) -> tuple[Any, Any, Any]:
    info = conn.get_execution_options().get("crm_session_info")
    found = info.get("actor") if info is not None else None
    actor = found if isinstance(found, Actor) else None
    if (
        actor is not None
        and isinstance(statement, Select | CompoundSelect)
        and not {"crm_unscoped", "crm_scoped"} & {*options, *statement.get_execution_options()}
    ):
        statement = scoped(actor, statement)
    return statement, multiparams, params


def scoped(actor: Actor, statement: Any) -> Any:
    """`statement` (a Core SELECT) with every owned table in it, and every alias of one,
    replaced by the rows of it the actor may read; the ORM's queries get this from
    `with_loader_criteria`, Core ones (reports, orders, campaigns…) from here."""
    tables = {t: obj for obj, model in OWNED.items() if (t := model.__table__) is not None}
    followers = {model.__table__: how for model, how in FOLLOWERS.items()}
    subs: dict[Any, Any] = {}

    def within(source: Any) -> Any:
        table = source.element if isinstance(source, Alias) else source
        if table in tables:
            obj = tables[table]
            if actor.level(obj, "read") is Level.all:
                return None
            return select(source).where(owner_condition(actor, obj, source.c.owner_id))
        if table in followers:
            obj, column = followers[table]
            if actor.level(obj, "read") is Level.all:
                return None
            parent = OWNED[obj].__table__
            ids = select(parent.c.id).where(owner_condition(actor, obj, parent.c.owner_id))
            return select(source).where(source.c[column].in_(ids))
        return None

    def replace(element: Any, **_kw: Any) -> Any:
        source = element.table if isinstance(element, Column) else element
        if not isinstance(source, Table | Alias):
            return None
        if source not in subs:
            query = within(source)
            subs[source] = None if query is None else query.subquery()
        sub = subs[source]
        if sub is None:
            return None
        return sub if element is source else sub.corresponding_column(element)

    return replacement_traverse(statement, {}, replace)


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
    _children_within_grants(session, actor)


def _children_within_grants(session: Session, actor: Actor) -> None:
    """A row of `CHILDREN` needs the edit grant over its record; a `CATALOGUE` row the
    grant of its object for the change."""
    for rows, action in ((session.new, "create"), (session.dirty, "edit"),
                         (session.deleted, "delete")):  # fmt: skip
        for row in rows:
            if (catalogue := CATALOGUE.get(type(row))) is not None:
                if not actor.may(catalogue, action):
                    raise Forbidden(actor, catalogue, action, "")
            elif (parent := CHILDREN.get(type(row))) is not None:
                obj, column = parent
                record = session.get(
                    OWNED[obj], getattr(row, column), execution_options={"crm_unscoped": True}
                )
                check(actor, obj, "edit", getattr(record, "owner_id", None))


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


def require_everything(session: Session) -> None:
    """Refuse a whole-database copy (`crm backup`) to anyone whose grants do not reach every
    record: exporting every owned object at `all`, and reading users."""
    actor = actor_of(session)
    if actor is None:
        return
    for obj, action in [*((o, "export") for o in OWNED), ("users", "read")]:
        if actor.level(obj, action) is not Level.all:
            raise Forbidden(actor, obj, action, "of the whole database (a backup holds all)")


@contextmanager
def reading_for(session: Session, obj: str, action: str) -> Iterator[None]:
    """Within the block, the session reads as `obj` `action` allows (`reports read`: each
    report's figures; `deals export`: an export): refused at once (Forbidden) for a role
    with no grant at all, then every query of the block, ORM or Core, is held to the
    narrower of the record's read grant and that grant (`Actor.narrowed`)."""
    require(session, obj, action)
    actor = actor_of(session)
    if actor is None:
        yield
        return
    session.info["actor"] = actor.narrowed(obj, action)
    try:
        yield
    finally:
        session.info["actor"] = actor


def reads_for(obj: str, action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A service (its first argument the session) that reads as `reading_for` says."""

    def wrap(service: Callable[P, R]) -> Callable[P, R]:
        @wraps(service)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            session = args[0] if args else kwargs["session"]
            assert isinstance(session, Session)
            with reading_for(session, obj, action):
                result = service(*args, **kwargs)
            if isinstance(result, Iterator):  # an export's rows, read as they are taken
                return cast(R, _iterate_for(session, obj, action, result))
            return result

        return run

    return wrap


def _iterate_for(session: Session, obj: str, action: str, rows: Iterator[Any]) -> Iterator[Any]:
    with reading_for(session, obj, action):
        yield from rows


def is_admin(actor: Actor | None) -> bool:
    return actor is None or actor.role == Role.admin
