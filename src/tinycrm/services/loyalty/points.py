"""The points ledger: points earned on payments at the customer's tier's rate, redeemed,
expired and taken back. Lines are only added, never changed; the balance is their sum and
never goes below zero.

Earning: `points_per` whole points per currency unit paid, rounded down (99.99 paid at 1
point per unit earns 99). Points earned in a tier with `points_expire_months` expire that
many months after the day paid; redeeming uses the oldest points first, so what expires
is what is left of an earning on its expiry day (an `expire` line naming the earning,
written the first time the ledger is worked on from that day on).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select
from sqlmodel import Session

from tinycrm.errors import InvalidInput
from tinycrm.models import Payment, PointsEntry, Tier
from tinycrm.models.base import table_of
from tinycrm.money import decimals
from tinycrm.normalize import clean
from tinycrm.services.loyalty.customers import Customer
from tinycrm.services.loyalty.names import customer_name, joined, visible

POINTS = table_of(PointsEntry)
UNSCOPED = {"crm_unscoped": True}
KINDS = ("earn", "redeem", "expire", "reverse")


@dataclass(frozen=True)
class LedgerRow:
    id: int
    on_day: date
    kind: str
    points: int
    balance: int
    """The balance after this line."""
    expires_on: date | None
    payment_id: int | None
    note: str | None
    at: datetime


@dataclass(frozen=True)
class Ledger:
    customer: str
    tier: str | None
    balance: int
    entries: list[LedgerRow]
    """Oldest first."""


def earned(minor: int, currency: str, points_per: int) -> int:
    """Whole points for `minor` units paid at `points_per` points per currency unit."""
    return int(minor * points_per // 10 ** decimals(currency))


def earn(
    session: Session,
    *,
    customer: Customer,
    tier: Tier | None,
    payment: Payment,
    now: datetime,
    user_id: int | None = None,
) -> int:
    """The points a payment earns at the tier's rate, written to the ledger."""
    if tier is None or tier.points_per <= 0:
        return 0
    points = earned(payment.amount_minor, payment.currency, tier.points_per)
    if points <= 0:
        return 0
    expires = None
    if tier.points_expire_months:
        expires = payment.received_on + relativedelta(months=tier.points_expire_months)
    note = f"{tier.name}, payment #{payment.id}"
    _add(session, customer, "earn", points, payment.received_on, now, user_id,
         expires_on=expires, payment_id=payment.id, note=note)  # fmt: skip
    return points


def _add(session: Session, customer: Customer, kind: str, points: int, day: date,
         now: datetime, user_id: int | None, **more: object) -> None:  # fmt: skip
    session.connection().execute(
        POINTS.insert().values(
            **customer.keys(), kind=kind, points=points, on_day=day, at=now, user_id=user_id, **more
        )  # fmt: skip
    )


def _entries(session: Session, customer: Customer) -> list[PointsEntry]:
    query = (
        select(POINTS)
        .where(customer.rows_of(POINTS))
        .order_by(POINTS.c.on_day, POINTS.c.id)
        .execution_options(**UNSCOPED)
    )
    return [PointsEntry(**r._mapping) for r in session.connection().execute(query)]


def _left(entries: list[PointsEntry]) -> dict[int, int]:
    """What is left of each earning (by id), oldest used first."""
    lots: dict[int, int] = {}
    for e in entries:
        if e.kind == "earn" and e.id is not None:
            lots[e.id] = e.points
        elif e.source_id is not None and e.source_id in lots:
            lots[e.source_id] += e.points
        elif e.kind == "redeem":
            need = -e.points
            for lot, left in lots.items():
                take = min(left, need)
                lots[lot], need = left - take, need - take
                if not need:
                    break
    return lots


def settle(
    session: Session, *, customer: Customer, today: date, now: datetime, user_id: int | None
) -> int:
    """Write the expiry of what is left of every earning that has expired by `today`;
    the points that expired."""
    entries = _entries(session, customer)
    left = _left(entries)
    gone = 0
    for e in entries:
        if e.kind != "earn" or e.expires_on is None or e.expires_on > today or e.id is None:
            continue
        if (rest := left.get(e.id, 0)) > 0:
            _add(session, customer, "expire", -rest, e.expires_on, now, user_id,
                 source_id=e.id, note=f"earned {e.on_day}")  # fmt: skip
            gone += rest
    return gone


def balance(session: Session, customer: Customer) -> int:
    query = (
        select(func.coalesce(func.sum(POINTS.c.points), 0))
        .where(customer.rows_of(POINTS))
        .execution_options(**UNSCOPED)
    )
    return int(session.connection().execute(query).scalar() or 0)


def redeem(
    session: Session,
    *,
    customer: Customer,
    points: int,
    note: str | None,
    today: date,
    now: datetime,
    user_id: int | None = None,
) -> int:
    """Take `points` from the balance (after expiries); refused beyond it. The new balance."""
    if points <= 0:
        raise InvalidInput("points", points, "must be more than zero")
    settle(session, customer=customer, today=today, now=now, user_id=user_id)
    have = balance(session, customer)
    if points > have:
        raise InvalidInput("points", points, f"more than the {have} {customer.label} has")
    _add(session, customer, "redeem", -points, today, now, user_id, note=clean(note))
    return have - points


def take_back(
    session: Session, *, customer: Customer, payment_id: int, today: date, now: datetime,
    user_id: int | None = None,
) -> int:  # fmt: skip
    """A deleted payment's points, as far as they are not spent or expired yet."""
    entries = _entries(session, customer)
    left = _left(entries)
    back = 0
    for e in entries:
        if e.kind == "earn" and e.payment_id == payment_id and e.id is not None:
            if (rest := left.get(e.id, 0)) > 0:
                _add(session, customer, "reverse", -rest, today, now, user_id,
                     source_id=e.id, note=f"payment #{payment_id} deleted")  # fmt: skip
                back += rest
    return back


def ledger(session: Session, *, customer: Customer, tier: str | None) -> Ledger:
    """The customer's ledger lines the session may read, oldest first, each with the
    balance after it."""
    query = (
        select(POINTS, customer_name())
        .select_from(joined(POINTS))
        .where(visible(POINTS), customer.rows_of(POINTS))
        .order_by(POINTS.c.on_day, POINTS.c.id)
    )
    rows, running = [], 0
    for r in session.connection().execute(query):
        running += r.points
        rows.append(LedgerRow(r.id, r.on_day, r.kind, r.points, running, r.expires_on,
                              r.payment_id, r.note, r.at))  # fmt: skip
    return Ledger(customer.name, tier, running, rows)
