"""Receivables: the money customers owe on orders as of a day, per customer or per rep.

As of a day D, an order placed on or before D is owed `amount − paid`, where `paid` counts
the payments received on or before D; it is overdue when its due date is before D. Overpaid
orders owe nothing (their credit is not netted against other orders). Orders in another
currency than the report's are counted, never summed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.sql import Subquery
from sqlmodel import Session

from tinycrm.errors import InvalidInput
from tinycrm.models import Company, Contact, Order, Payment, User
from tinycrm.models.base import table_of
from tinycrm.services import access
from tinycrm.services.reports.aggregates import sum_if

ORDERS = table_of(Order)
PAYMENTS = table_of(Payment)
COMPANIES = table_of(Company)
CONTACTS = table_of(Contact)
USERS = table_of(User)


@dataclass(frozen=True)
class ReceivableRow:
    name: str
    """The customer or rep; `(none)` for orders with neither, `total` for the total row."""
    orders: int
    """Orders with money outstanding."""
    outstanding_minor: int
    overdue_orders: int
    overdue_minor: int
    oldest_due: date | None
    """The earliest due date among the overdue orders."""
    other_currency: int
    """Orders with money outstanding in another currency (counted, not summed)."""


@dataclass(frozen=True)
class Receivables:
    as_of: date
    rows: list[ReceivableRow]
    total: ReceivableRow


@access.reads_for("reports", "read")
def receivables(session: Session, *, as_of: date, currency: str, by: str) -> Receivables:
    """Outstanding and overdue money per customer (`by="customer"`) or per rep (`"rep"`),
    as of the end of `as_of`, largest outstanding first."""
    if by not in ("customer", "rep"):
        raise InvalidInput("by", by, "must be customer or rep")
    grouped = _owed(as_of=as_of, currency=currency, by=by)
    g = grouped.c
    if by == "rep":
        name: Any = USERS.c.name
        source = grouped.outerjoin(USERS, USERS.c.id == g.owner)
    else:
        name = func.coalesce(COMPANIES.c.name, CONTACTS.c.full_name)
        source = grouped.outerjoin(COMPANIES, COMPANIES.c.id == g.company).outerjoin(
            CONTACTS, CONTACTS.c.id == g.contact
        )
    query = (
        select(name, g.orders, g.outstanding, g.late, g.overdue, g.oldest, g.other)
        .select_from(source)
        .where((g.orders > 0) | (g.other > 0))
    )
    rows = [_receivable(r[0] or "(none)", r[1:]) for r in session.connection().execute(query)]
    rows.sort(key=_largest_first)
    return Receivables(as_of, rows, _total(rows))


def _owed(*, as_of: date, currency: str, by: str) -> Subquery:
    """The orders owing money at the end of `as_of`, summed per customer or rep.

    Only owing orders are grouped (the others add nothing to any figure). The customer key
    leads with its CASE expression, so SQLite sorts one scan of the orders instead of walking
    the company index with a table lookup per order."""
    later = (
        select(PAYMENTS.c.order_id, func.sum(PAYMENTS.c.amount_minor).label("s"))
        .where(PAYMENTS.c.received_on > as_of)
        .group_by(PAYMENTS.c.order_id)
        .subquery()
    )
    # Payments after the day are few: paid as of then is what is kept less those.
    left = ORDERS.c.amount_minor - ORDERS.c.paid_minor + func.coalesce(later.c.s, 0)
    mine = ORDERS.c.currency == currency
    late = and_(mine, ORDERS.c.due_on < as_of)
    keys = (
        [
            case((ORDERS.c.company_id.is_(None), ORDERS.c.contact_id)).label("contact"),
            ORDERS.c.company_id.label("company"),
        ]
        if by == "customer"
        else [ORDERS.c.owner_id.label("owner")]
    )
    return (
        select(
            *keys,
            sum_if(mine).label("orders"),
            sum_if(mine, left).label("outstanding"),
            sum_if(late).label("late"),
            sum_if(late, left).label("overdue"),
            func.min(case((late, ORDERS.c.due_on))).label("oldest"),
            sum_if(~mine).label("other"),
        )
        .outerjoin(later, later.c.order_id == ORDERS.c.id)
        .where(ORDERS.c.ordered_on <= as_of, left > 0)
        .group_by(*(k.element for k in keys))
        .subquery()
    )


def _largest_first(row: ReceivableRow) -> tuple[int, str]:
    return -row.outstanding_minor, row.name.casefold()


def _receivable(name: str, r: Any) -> ReceivableRow:
    orders, outstanding, late, overdue, oldest, other = r
    return ReceivableRow(
        name, int(orders), int(outstanding), int(late), int(overdue), oldest, int(other)
    )


def _total(rows: list[ReceivableRow]) -> ReceivableRow:
    def column(name: str) -> Iterator[Any]:
        return map(attrgetter(name), rows)

    dues = [due for due in column("oldest_due") if due is not None]
    return ReceivableRow(
        "total",
        sum(column("orders")),
        sum(column("outstanding_minor")),
        sum(column("overdue_orders")),
        sum(column("overdue_minor")),
        min(dues) if dues else None,
        sum(column("other_currency")),
    )
