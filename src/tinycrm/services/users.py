"""Users: the reps and managers of the team, their role and team, and the person who leaves
(deactivated, with their open work handed to someone else and their history kept).

Changing users is for a role that may edit users (an admin, by default); the last active
admin stays one, so somebody can always change roles again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from tinycrm.errors import Conflict, InvalidInput
from tinycrm.models import (
    Activity,
    Contact,
    ContactStatus,
    Deal,
    DealStatus,
    OwnerChange,
    QuotaPeriod,
    Role,
    Team,
    Ticket,
    TicketStatus,
    User,
    UserCreate,
    UserUpdate,
)
from tinycrm.models.base import utcnow, validated
from tinycrm.money import Money, parse_money
from tinycrm.normalize import check_text, clean, name_key, normalize_email
from tinycrm.services import access
from tinycrm.services.refs import resolve_user
from tinycrm.services.teams import resolve_team
from tinycrm.words import counted


@dataclass(frozen=True)
class UserRow:
    id: int
    name: str
    email: str | None
    role: str
    team: str | None
    active: bool
    quota: Money | None
    quota_period: str | None
    open_deals: int
    os_login: str | None
    created_at: datetime
    login: str | None = None
    """Their own PostgreSQL login on the team server."""


def parse_quota(text: str, *, currency: str, yen: str = "") -> tuple[int, QuotaPeriod]:
    """`50000/quarter`, `12k/month`, `1m/year` as (minor units, period); a quota is in the
    configured `currency`, so one written in another is refused."""
    amount, sep, period = text.partition("/")
    if not sep:
        raise InvalidInput("quota", text, "write it as AMOUNT/PERIOD, e.g. 50000/quarter")
    try:
        quota_period = QuotaPeriod(period.strip().lower())
    except ValueError:
        raise InvalidInput("quota", text, "period must be month, quarter or year") from None
    money = parse_money(
        amount, currency=currency, yen=yen, field="quota", fixed_by="the configured currency"
    )
    return money.minor, quota_period


def _user_row(user: User, open_deals: int, currency: str, team: str | None) -> UserRow:
    assert user.id is not None
    quota = Money(user.quota_minor, currency) if user.quota_minor is not None else None
    return UserRow(
        user.id,
        user.name,
        user.email,
        user.role,
        team,
        user.active,
        quota,
        user.quota_period,
        open_deals,
        user.os_login,
        user.created_at,
        user.db_login,
    )


@dataclass(frozen=True)
class Placement:
    """Where a user sits beyond `UserCreate`/`UserUpdate`: their team (by name or id; ""
    for none) and the OS login that acts as them (""  for none). None leaves it as it is."""

    team: str | None = None
    os_login: str | None = None


def _place(session: Session, user: User, placement: Placement) -> None:
    if placement.team is not None:
        user.team_id = resolve_team(session, placement.team).id if placement.team.strip() else None
    if placement.os_login is not None:
        login = clean(placement.os_login)
        if login:
            check_text(login, field="os login")
            if len(login) > 200:
                raise InvalidInput("os login", placement.os_login, "at most 200 characters")
            other = session.exec(select(User).where(User.os_login == login)).first()
            if other is not None and other.id != user.id:
                raise Conflict(f"os login: {login!r} already acts as #{other.id} {other.name!r}")
        user.os_login = login or None


def create_user(
    session: Session,
    *,
    data: UserCreate,
    currency: str,
    now: datetime | None = None,
    placement: Placement | None = None,
) -> UserRow:
    access.require(session, "users", "create")
    name = clean(data.name)
    if not name:
        raise InvalidInput("name", data.name, "a user needs a name")
    email = normalize_email(data.email)
    _check_unique(session, name=name, email=email)
    user = validated(
        User,
        data,
        update={
            "name": name,
            "name_key": name_key(name),
            "email": email,
            "created_at": now or utcnow(),
        },
    )
    _place(session, user, placement or Placement())
    session.add(user)
    session.flush()
    return get_user(session, ref=str(user.id), currency=currency)


def _check_unique(
    session: Session, *, name: str | None, email: str | None, skip: int | None = None
) -> None:
    if name and (
        other := session.exec(select(User).where(User.name_key == name_key(name))).first()
    ):
        if other.id != skip:
            raise Conflict(f"name: a user named {other.name!r} already exists (#{other.id})")
    if email and (other := session.exec(select(User).where(User.email == email)).first()):
        if other.id != skip:
            raise Conflict(f"email: user #{other.id} {other.name!r} already has {email!r}")


def update_user(
    session: Session,
    *,
    ref: str,
    data: UserUpdate,
    currency: str,
    placement: Placement | None = None,
) -> UserRow:
    access.require(session, "users", "edit")
    user = resolve_user(session, ref)
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes:
        changes["name"] = clean(changes["name"])
        if not changes["name"]:
            raise InvalidInput("name", data.name, "a user needs a name")
        changes["name_key"] = name_key(changes["name"])
    if "email" in changes:
        changes["email"] = normalize_email(changes["email"])
    _check_unique(session, name=changes.get("name"), email=changes.get("email"), skip=user.id)
    if changes.get("role", Role.admin) != Role.admin:
        _keep_an_admin(session, user, "demoted")
    user.sqlmodel_update(changes)
    _place(session, user, placement or Placement())
    session.add(user)
    session.flush()
    return get_user(session, ref=str(user.id), currency=currency)


def delete_user(session: Session, *, ref: str) -> User:
    """Remove a user; what they owned stays, with no owner (back in the pool)."""
    access.require(session, "users", "delete")
    user = resolve_user(session, ref)
    _keep_an_admin(session, user, "deleted")
    session.delete(user)
    session.flush()
    return user


def _keep_an_admin(session: Session, user: User, change: str) -> None:
    """Refuse to take away the last active admin while other users remain."""
    if user.role != Role.admin or not user.active:
        return
    admins = session.exec(
        select(func.count()).where(User.role == Role.admin, col(User.active), User.id != user.id)
    ).one()
    others = session.exec(select(func.count()).where(User.id != user.id)).one()
    if not admins and others:
        raise Conflict(
            f"{user.name} is the last active admin and cannot be {change}; "
            "make someone else an admin first"
        )


def _rows(session: Session, users: list[User], currency: str) -> list[UserRow]:
    teams = dict(session.exec(select(Team.id, Team.name)).all())
    counts = dict(
        session.exec(
            select(Deal.owner_id, func.count())
            .where(Deal.status == DealStatus.open, col(Deal.owner_id).in_([u.id for u in users]))
            .group_by(col(Deal.owner_id))
        ).all()
    )
    return [
        _user_row(u, counts.get(u.id, 0), currency, teams.get(u.team_id) if u.team_id else None)
        for u in users
    ]


def list_users(session: Session, *, currency: str) -> list[UserRow]:
    users = list(session.exec(select(User).order_by(col(User.name_key))))
    return _rows(session, users, currency)


def get_user(session: Session, *, ref: str, currency: str) -> UserRow:
    return _rows(session, [resolve_user(session, ref)], currency)[0]


def count_owned(session: Session, *, user_id: int) -> dict[str, int]:
    deals = session.exec(select(func.count()).where(Deal.owner_id == user_id)).one()
    activities = session.exec(select(func.count()).where(Activity.owner_id == user_id)).one()
    return {"deals": deals, "activities": activities}


# --- someone who leaves ----------------------------------------------------------------------


@dataclass(frozen=True)
class Deactivated:
    """A user who can no longer act, and what of theirs went to `to` (None: nothing open)."""

    id: int
    name: str
    to: str | None
    moved: dict[str, int]
    """open deals, leads, open tasks, open tickets -> how many went to `to`."""


def _open_work() -> dict[str, tuple[type[Any], Any]]:
    """What a person who leaves hands over: the open part of their work, by kind."""
    return {
        "open deals": (Deal, col(Deal.status) == DealStatus.open),
        "leads": (Contact, col(Contact.status) == ContactStatus.lead),
        "open tasks": (Activity, col(Activity.done_at).is_(None)),
        "open tickets": (Ticket, col(Ticket.status) == TicketStatus.open),
    }


def _owned(session: Session, model: type[Any], where: Any, user_id: int) -> list[Any]:
    """Every such record of the user, whatever the acting user may read: each is then
    checked against their grants when it changes hands."""
    query = select(model).where(where, col(model.owner_id) == user_id).order_by(col(model.id))
    return list(session.exec(query.execution_options(crm_unscoped=True)))


def _reassign(
    session: Session, rows: list[Any], *, to: User, by: User | None, now: datetime
) -> None:
    """Give `rows` to `to`; a deal or a lead's change of hands is recorded, as a claim is."""
    for row in rows:
        kind = "deal" if isinstance(row, Deal) else "contact" if isinstance(row, Contact) else ""
        if kind:
            session.add(
                OwnerChange(
                    record_type=kind,
                    record_id=row.id,
                    from_user_id=row.owner_id,
                    to_user_id=to.id,
                    reason="deactivate",
                    changed_at=now,
                    changed_by_id=by.id if by else None,
                )
            )
        row.owner_id = to.id
        if hasattr(row, "updated_at"):
            row.updated_at = now
        session.add(row)


def deactivate_user(
    session: Session,
    *,
    ref: str,
    reassign_to: str | None,
    actor: User | None,
    now: datetime,
) -> Deactivated:
    """The user can no longer act; their open deals, leads, open tasks and open tickets go
    to `reassign_to`. What is done stays theirs: closed deals, done activities, stage
    changes, resolved tickets. Refused when they hold open work and nobody takes it."""
    access.require(session, "users", "edit")
    user = resolve_user(session, ref)
    assert user.id is not None
    if not user.active:
        raise Conflict(f"{user.name} is already deactivated")
    _keep_an_admin(session, user, "deactivated")
    work = {k: _owned(session, m, w, user.id) for k, (m, w) in _open_work().items()}
    to = _successor(session, user, reassign_to, work)
    if to is not None:
        for rows in work.values():
            _reassign(session, rows, to=to, by=actor, now=now)
    user.active = False
    session.add(user)
    session.flush()
    moved = {k: len(rows) for k, rows in work.items()} if to else dict.fromkeys(work, 0)
    return Deactivated(user.id, user.name, to.name if to else None, moved)


def _successor(
    session: Session, user: User, ref: str | None, work: dict[str, list[Any]]
) -> User | None:
    if ref is None:
        if held := counted({k: len(v) for k, v in work.items()}):
            raise Conflict(
                f"{user.name} still has {held}; say who takes them over", use="reassign to"
            )
        return None
    to = resolve_user(session, ref)
    if to.id == user.id:
        raise InvalidInput("reassign to", ref, "the person who leaves cannot take their own work")
    if not to.active:
        raise Conflict(f"reassign to: {to.name} is deactivated")
    return to


def activate_user(session: Session, *, ref: str) -> User:
    """A deactivated user may act again (their work, handed over, stays where it went)."""
    access.require(session, "users", "edit")
    user = resolve_user(session, ref)
    if user.active:
        raise Conflict(f"{user.name} is already active")
    user.active = True
    session.add(user)
    session.flush()
    return user
