"""Orders a won deal turned into, and payments received against them.

An order is in its deal's currency, and so is every payment on it. `Order.paid_minor` is
the sum of the order's payments: it is computed again from them, under a row lock on the
order, in the same transaction as every payment added or removed.

What is owed as of a day, per customer or rep, is in `tinycrm.services.reports.receivables`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session

from tinycrm.errors import Conflict, InvalidInput, NotFound, check_version
from tinycrm.models import (
    Company,
    Contact,
    Deal,
    DealStatus,
    FollowUp,
    Order,
    OrderUpdate,
    Payment,
    User,
)
from tinycrm.models.base import table_of, utcnow
from tinycrm.money import Money, parse_money
from tinycrm.normalize import clean
from tinycrm.services import followups
from tinycrm.services.loyalty import payments as loyalty
from tinycrm.services.refs import (
    by_id,
    optional,
    resolve_company,
    resolve_contact,
    resolve_deal,
    resolve_user,
)

ORDERS = table_of(Order)
PAYMENTS = table_of(Payment)
DEALS = table_of(Deal)
COMPANIES = table_of(Company)
CONTACTS = table_of(Contact)
USERS = table_of(User)
ORDER_STATES = ("open", "overdue", "paid", "all")


@dataclass(frozen=True)
class OrderRow:
    id: int
    deal_id: int | None
    deal: str | None
    customer: str | None
    """The company, else the contact."""
    owner: str | None
    amount: Money
    paid: Money
    outstanding: Money
    """amount − paid, never below zero."""
    ordered_on: date
    due_on: date | None
    overdue: bool
    """Money outstanding and the due date before today."""
    notes: str | None
    delivered_on: date | None = None
    """The day it was delivered; None: not yet."""


@dataclass(frozen=True)
class PaymentRow:
    id: int
    order_id: int
    customer: str | None
    amount: Money
    received_on: date
    method: str | None
    reference: str | None


@dataclass(frozen=True)
class OrderDetail:
    row: OrderRow
    payments: list[PaymentRow]


def _amount(text: str, currency: str, field: str, yen: str) -> int:
    """`text` as minor units of `currency`; an amount naming another currency is refused
    (`$` is `currency` when it is a dollar, `¥` when it is CNY or JPY and `yen` is unset)."""
    money = parse_money(text, currency=currency, yen=yen, field=field)
    if money.currency != currency:
        raise InvalidInput(field, text, f"must be in {currency}, the currency of the order")
    if money.minor <= 0:
        raise InvalidInput(field, text, "must be more than zero")
    return money.minor


def _customer() -> Any:
    return func.coalesce(COMPANIES.c.name, CONTACTS.c.full_name)


# --- orders --------------------------------------------------------------------------------


def create_order(
    session: Session,
    *,
    deal: object,
    amount: str | None,
    ordered_on: date,
    due_on: date | None = None,
    notes: str | None = None,
    now: datetime,
    yen: str = "",
) -> OrderRow:
    """An order on a won deal, in the deal's currency; without an amount, what the deal's
    orders do not cover yet. `yen` is what `¥` means (see `tinycrm.money.parse_money`)."""
    found = resolve_deal(session, deal)
    if found.status != DealStatus.won:
        raise Conflict(f"deal #{found.id} is {found.status}; only a won deal has orders")
    if due_on is not None and due_on < ordered_on:
        raise InvalidInput("due date", due_on.isoformat(), f"before the order date {ordered_on}")
    if amount is None:
        minor = found.amount_minor - _ordered(session, found.id)
        if minor <= 0:
            raise Conflict(f"deal #{found.id} is already fully ordered; give an amount for more")
    else:
        minor = _amount(amount, found.currency, "order amount", yen)
    order = Order(
        deal_id=found.id,
        company_id=found.company_id,
        contact_id=found.contact_id,
        owner_id=found.owner_id,
        amount_minor=minor,
        currency=found.currency,
        ordered_on=ordered_on,
        due_on=due_on,
        notes=clean(notes),
        created_at=now,
    )
    session.add(order)
    session.flush()
    assert order.id is not None
    return get_order(session, ref=order.id, today=ordered_on).row


def _ordered(session: Session, deal_id: int | None) -> int:
    query = select(func.coalesce(func.sum(ORDERS.c.amount_minor), 0)).where(
        ORDERS.c.deal_id == deal_id
    )
    return int(session.connection().execute(query).scalar() or 0)


def list_orders(
    session: Session,
    *,
    today: date,
    state: str = "all",
    deal: object | None = None,
    owner: str | None = None,
    contact: str | None = None,
    company: str | None = None,
    ids: list[int] | None = None,
) -> list[OrderRow]:
    """Orders, newest first; `state` open (money outstanding), overdue, paid or all."""
    if state not in ORDER_STATES:
        raise InvalidInput("state", state, f"must be one of {', '.join(ORDER_STATES)}")
    left = ORDERS.c.amount_minor - ORDERS.c.paid_minor
    query = (
        select(ORDERS, DEALS.c.title, _customer(), USERS.c.name)
        .outerjoin(DEALS, DEALS.c.id == ORDERS.c.deal_id)
        .outerjoin(COMPANIES, COMPANIES.c.id == ORDERS.c.company_id)
        .outerjoin(CONTACTS, CONTACTS.c.id == ORDERS.c.contact_id)
        .outerjoin(USERS, USERS.c.id == ORDERS.c.owner_id)
    )
    where = {
        "open": [left > 0],
        "overdue": [left > 0, ORDERS.c.due_on < today],
        "paid": [left <= 0],
        "all": [],
    }[state]
    if deal is not None:
        where.append(ORDERS.c.deal_id == resolve_deal(session, deal).id)
    if owner is not None:
        where.append(ORDERS.c.owner_id == resolve_user(session, owner).id)
    if ids is not None:
        where.append(ORDERS.c.id.in_(ids))
    if who := optional(session, resolve_contact, contact):
        where.append(ORDERS.c.contact_id == who.id)
    if firm := optional(session, resolve_company, company):
        where.append(ORDERS.c.company_id == firm.id)
    query = query.where(*where).order_by(ORDERS.c.ordered_on.desc(), ORDERS.c.id.desc())
    return [_order_row(r, today) for r in session.connection().execute(query)]


def _order_row(r: Any, today: date) -> OrderRow:
    left = max(r.amount_minor - r.paid_minor, 0)
    return OrderRow(
        r.id,
        r.deal_id,
        r.title,
        r[-2],
        r[-1],
        Money(r.amount_minor, r.currency),
        Money(r.paid_minor, r.currency),
        Money(left, r.currency),
        r.ordered_on,
        r.due_on,
        bool(left and r.due_on is not None and r.due_on < today),
        r.notes,
        r.delivered_on,
    )


def get_order(session: Session, *, ref: object, today: date) -> OrderDetail:
    order = by_id(session, Order, ref, "order")
    assert order.id is not None
    return OrderDetail(
        list_orders(session, today=today, ids=[order.id])[0],
        list_payments(session, order=order.id),
    )


def update_order(
    session: Session,
    *,
    ref: object,
    data: OrderUpdate,
    today: date,
    yen: str = "",
    version: int | None = None,
) -> OrderRow:
    """Change what `data` sets: the amount (in the order's currency, never less than is paid),
    the order date (never after a payment), the due date (never before the order date) and
    the notes. Refused (`Changed`) when `version` is given and the order is at another."""
    order = _locked(session, ref)
    check_version(f"order #{order.id}", order.version, version)
    changes = data.model_dump(exclude_unset=True)
    if "amount" in changes:
        order.amount_minor = _new_amount(order, changes["amount"] or "", yen)
    if changes.get("ordered_on") is not None:
        order.ordered_on = _new_date(session, order, changes["ordered_on"])
    due = changes.get("due_on", order.due_on)
    if due is not None and due < order.ordered_on:
        raise InvalidInput("due date", due.isoformat(), f"before the order date {order.ordered_on}")
    order.due_on = due
    if "notes" in changes:
        order.notes = clean(changes["notes"])
    session.add(order)
    session.flush()
    assert order.id is not None
    return get_order(session, ref=order.id, today=today).row


def _new_amount(order: Order, text: str, yen: str) -> int:
    minor = _amount(text, order.currency, "order amount", yen)
    if minor < order.paid_minor:
        paid = Money(order.paid_minor, order.currency)
        raise InvalidInput("order amount", text, f"less than the {paid} paid on order #{order.id}")
    return minor


def _new_date(session: Session, order: Order, day: date) -> date:
    first = (
        session.connection()
        .execute(select(func.min(PAYMENTS.c.received_on)).where(PAYMENTS.c.order_id == order.id))
        .scalar()
    )
    if first is not None and day > first:
        raise InvalidInput("order date", day.isoformat(), f"after its first payment, on {first}")
    return day


def deliver_order(
    session: Session,
    *,
    ref: object,
    on: date,
    followup_in: int | None,
    now: datetime,
    today: date,
    version: int | None = None,
) -> tuple[OrderRow, FollowUp | None]:
    """Record the order delivered on `on` (never before it was ordered, never twice) and
    schedule its follow-up call `followup_in` days after that (None: none)."""
    order = _locked(session, ref)
    check_version(f"order #{order.id}", order.version, version)
    if order.delivered_on is not None:
        raise Conflict(f"order #{order.id} was already delivered on {order.delivered_on}")
    if on < order.ordered_on:
        raise InvalidInput(
            "delivery date", on.isoformat(), f"before the order date {order.ordered_on}"
        )
    order.delivered_on = on
    session.add(order)
    session.flush()
    call = followups.schedule(session, order=order, days=followup_in, today=on, now=now)
    assert order.id is not None
    return get_order(session, ref=order.id, today=today).row, call


def delete_order(session: Session, *, ref: object) -> Order:
    """Delete an order with its payments."""
    order = by_id(session, Order, ref, "order")
    session.connection().execute(PAYMENTS.delete().where(PAYMENTS.c.order_id == order.id))
    session.delete(order)
    session.flush()
    return order


# --- payments ------------------------------------------------------------------------------


def _locked(session: Session, ref: object) -> Order:
    """The order, locked against concurrent payments until the transaction ends."""
    order_id = by_id(session, Order, ref, "order").id
    order = session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:  # pragma: no cover - deleted between the two reads
        raise NotFound("order", ref)
    return order


def _repay(session: Session, order: Order) -> None:
    """`paid_minor` from the order's payments."""
    total = (
        select(func.coalesce(func.sum(PAYMENTS.c.amount_minor), 0))
        .where(PAYMENTS.c.order_id == order.id)
        .scalar_subquery()
    )
    session.connection().execute(
        update(ORDERS).where(ORDERS.c.id == order.id).values(paid_minor=total)
    )
    session.refresh(order)


def add_payment(
    session: Session,
    *,
    order: object,
    amount: str,
    received_on: date,
    method: str | None = None,
    reference: str | None = None,
    allow_overpay: bool = False,
    now: datetime,
    yen: str = "",
    today: date | None = None,
) -> PaymentRow:
    """Record money received; more than is outstanding only with `allow_overpay`. The
    customer's tier is worked out as of `today` (the user's day; default: the day received)
    and the payment earns points (`services.loyalty`)."""
    found = _locked(session, order)
    minor = _amount(amount, found.currency, "payment amount", yen)
    outstanding = found.amount_minor - found.paid_minor
    if outstanding <= 0 and not allow_overpay:  # nothing owed: a state, not a wrong amount
        raise Conflict(f"order #{found.id} is already paid in full", use="allow overpay")
    if minor > outstanding and not allow_overpay:
        owed = Money(max(outstanding, 0), found.currency)
        raise InvalidInput(
            "payment amount",
            amount,
            f"more than the {owed} outstanding on order #{found.id}",
            use="allow overpay",
        )
    if received_on < found.ordered_on:
        raise InvalidInput(
            "payment date", received_on.isoformat(), f"before the order date {found.ordered_on}"
        )
    payment = Payment(
        order_id=found.id or 0,
        amount_minor=minor,
        currency=found.currency,
        received_on=received_on,
        method=(clean(method) or "").lower() or None,
        reference=clean(reference),
        created_at=now,
    )
    session.add(payment)
    session.flush()
    _repay(session, found)
    loyalty.paid(session, payment=payment, order=found, today=today or received_on, now=now)
    assert payment.id is not None
    return _payment(session, payment.id)


def delete_payment(
    session: Session, *, ref: object, today: date | None = None, now: datetime | None = None
) -> PaymentRow:
    """Delete a payment: its points not yet used are taken back and its customer's tier is
    worked out again as of `today` (default: the day it was received)."""
    payment = by_id(session, Payment, ref, "payment")
    assert payment.id is not None
    row = _payment(session, payment.id)
    order = _locked(session, payment.order_id)
    day, moment = today or payment.received_on, now or utcnow()
    loyalty.unpaid(session, payment=payment, order=order, today=day, now=moment)
    session.delete(payment)
    session.flush()
    _repay(session, order)
    loyalty.recount(session, order=order, cause=f"payment #{row.id} deleted", today=day, now=moment)
    return row


def get_payment(session: Session, *, ref: object) -> PaymentRow:
    payment = by_id(session, Payment, ref, "payment")
    assert payment.id is not None
    return _payment(session, payment.id)


def _payment(session: Session, payment_id: int) -> PaymentRow:
    return list_payments(session, ids=[payment_id])[0]


def list_payments(
    session: Session,
    *,
    order: object | None = None,
    since: date | None = None,
    until: date | None = None,
    method: str | None = None,
    ids: list[int] | None = None,
) -> list[PaymentRow]:
    """Payments, newest first, received between `since` and `until` (both included)."""
    query = (
        select(PAYMENTS, _customer())
        .join(ORDERS, ORDERS.c.id == PAYMENTS.c.order_id)
        .outerjoin(COMPANIES, COMPANIES.c.id == ORDERS.c.company_id)
        .outerjoin(CONTACTS, CONTACTS.c.id == ORDERS.c.contact_id)
    )
    where = []
    if order is not None:
        where.append(PAYMENTS.c.order_id == by_id(session, Order, order, "order").id)
    if since is not None:
        where.append(PAYMENTS.c.received_on >= since)
    if until is not None:
        where.append(PAYMENTS.c.received_on <= until)
    if method:
        where.append(PAYMENTS.c.method == method.strip().lower())
    if ids is not None:
        where.append(PAYMENTS.c.id.in_(ids))
    query = query.where(*where).order_by(PAYMENTS.c.received_on.desc(), PAYMENTS.c.id.desc())
    return [
        PaymentRow(
            r.id,
            r.order_id,
            r[-1],
            Money(r.amount_minor, r.currency),
            r.received_on,
            r.method,
            r.reference,
        )
        for r in session.connection().execute(query)
    ]
