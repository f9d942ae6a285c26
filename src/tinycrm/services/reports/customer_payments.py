"""Customers and the payments received from them: the SQL pieces the segmentations share.

A customer is the company of an order, or its contact when the order has no company; its
revenue is the money received against its orders (`payments.received_on`, a calendar day),
never deal amounts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, and_, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from tinycrm.models import Company, Contact, Order, Payment
from tinycrm.models.base import table_of

ORDERS = table_of(Order)
PAYMENTS = table_of(Payment)
COMPANIES = table_of(Company)
CONTACTS = table_of(Contact)


class scanned(FunctionElement[date]):
    """A date column in a range that holds nearly every row: `+column` on SQLite, so the
    planner scans the table rather than walk an index and look each row up (three times
    slower over all payments); the column itself elsewhere."""

    type = Date()
    name = "scanned"
    inherit_cache = True


@compiles(scanned)
def _scanned(element: scanned, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(scanned, "sqlite")
def _scanned_sqlite(element: scanned, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


RECEIVED = PAYMENTS.c.received_on
RECEIVED_SCAN = scanned(RECEIVED)


def payments_by_customer(*where: ColumnElement[bool]) -> Any:
    """Every payment with its customer's key (see `customer_of`)."""
    key = func.coalesce(ORDERS.c.company_id * 2, ORDERS.c.contact_id * 2 + 1)
    return (
        select(
            key.label("key"),
            PAYMENTS.c.order_id,
            PAYMENTS.c.amount_minor,
            PAYMENTS.c.currency,
            PAYMENTS.c.received_on,
        )
        .join(ORDERS, ORDERS.c.id == PAYMENTS.c.order_id)
        .where(key.is_not(None), *where)
        .subquery("paid")
    )


def received_between(first: date | None, last: date | None) -> list[ColumnElement[bool]]:
    """Payments received from `first` to `last`; an open-ended range holds most of them, so
    it is read by a scan (see scanned)."""
    day = RECEIVED if first and last else RECEIVED_SCAN
    where = []
    if first is not None:
        where.append(day >= first)
    if last is not None:
        where.append(day <= last)
    return where


def customer_of(key: int) -> tuple[str, int]:
    """A customer key as (kind, id): company id × 2, or contact id × 2 + 1 when the order has
    no company (one integer groups and sorts faster than a kind and an id)."""
    return ("company" if key % 2 == 0 else "contact"), key // 2


def with_name(query: Any, key: Any) -> Any:
    """`query` with the customer's name: the company's, or the contact's full name."""
    co, ct = COMPANIES.alias("co"), CONTACTS.alias("ct")
    return (
        query.add_columns(func.coalesce(co.c.name, ct.c.full_name).label("name"))
        .outerjoin(co, and_(key % 2 == 0, co.c.id == key // 2))
        .outerjoin(ct, and_(key % 2 == 1, ct.c.id == key // 2))
    )
