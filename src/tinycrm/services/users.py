"""Users: the reps and managers of the team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from tinycrm.errors import Conflict, InvalidInput
from tinycrm.models import Activity, Deal, DealStatus, QuotaPeriod, User, UserCreate, UserUpdate
from tinycrm.models.base import utcnow, validated
from tinycrm.money import Money, parse_money
from tinycrm.normalize import clean, name_key, normalize_email
from tinycrm.services.refs import resolve_user


@dataclass(frozen=True)
class UserRow:
    id: int
    name: str
    email: str | None
    role: str
    quota: Money | None
    quota_period: str | None
    open_deals: int
    created_at: datetime


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


def _user_row(user: User, open_deals: int, currency: str) -> UserRow:
    assert user.id is not None
    quota = Money(user.quota_minor, currency) if user.quota_minor is not None else None
    return UserRow(
        user.id,
        user.name,
        user.email,
        user.role,
        quota,
        user.quota_period,
        open_deals,
        user.created_at,
    )


def create_user(
    session: Session, *, data: UserCreate, currency: str, now: datetime | None = None
) -> UserRow:
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
    session.add(user)
    session.flush()
    return _user_row(user, 0, currency)


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


def update_user(session: Session, *, ref: str, data: UserUpdate, currency: str) -> UserRow:
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
    user.sqlmodel_update(changes)
    session.add(user)
    session.flush()
    return get_user(session, ref=str(user.id), currency=currency)


def delete_user(session: Session, *, ref: str) -> User:
    """Remove a user; what they owned stays, with no owner (back in the pool)."""
    user = resolve_user(session, ref)
    session.delete(user)
    session.flush()
    return user


def _rows(session: Session, users: list[User], currency: str) -> list[UserRow]:
    counts = dict(
        session.exec(
            select(Deal.owner_id, func.count())
            .where(Deal.status == DealStatus.open, col(Deal.owner_id).in_([u.id for u in users]))
            .group_by(col(Deal.owner_id))
        ).all()
    )
    return [_user_row(u, counts.get(u.id, 0), currency) for u in users]


def list_users(session: Session, *, currency: str) -> list[UserRow]:
    users = list(session.exec(select(User).order_by(col(User.name_key))))
    return _rows(session, users, currency)


def get_user(session: Session, *, ref: str, currency: str) -> UserRow:
    return _rows(session, [resolve_user(session, ref)], currency)[0]


def count_owned(session: Session, *, user_id: int) -> dict[str, int]:
    deals = session.exec(select(func.count()).where(Deal.owner_id == user_id)).one()
    activities = session.exec(select(func.count()).where(Activity.owner_id == user_id)).one()
    return {"deals": deals, "activities": activities}
