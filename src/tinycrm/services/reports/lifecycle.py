"""Lifecycle tags of customers from their payments (new, regular, loyal, declining, lost),
for contacts and companies, and as a WHERE condition to filter them by."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session

from tinycrm.errors import InvalidInput
from tinycrm.services import access
from tinycrm.services.reports.customer_payments import (
    COMPANIES,
    CONTACTS,
    ORDERS,
    PAYMENTS,
    RECEIVED_SCAN,
)

CHUNK = 5_000
"""Ids per IN (…) list when looking up lifecycle tags."""


LIFECYCLES = ("new", "regular", "loyal", "declining", "lost")
NEW_DAYS = 90
"""A customer whose first payment is at most this many days old is new."""
DECLINING_DAYS = 180
"""…whose last payment is more than this many days old is declining,"""
LOST_DAYS = 365
"""…and more than this many days old, lost."""
LOYAL_ORDERS = 3
"""A customer with payments on this many orders or more in the last LOST_DAYS days is loyal."""


def _lifecycle(today: date, received_on: Any, order_id: Any) -> Any:
    """A customer's lifecycle tag from its payments (aggregates over them), as a SQL CASE:
    lost, else declining, else new, else loyal, else regular."""
    last, first = func.max(received_on), func.min(received_on)
    year_ago = today - timedelta(days=LOST_DAYS)
    recent = func.count(case((received_on > year_ago, order_id)).distinct())
    return case(
        (last < year_ago, "lost"),
        (last < today - timedelta(days=DECLINING_DAYS), "declining"),
        (first >= today - timedelta(days=NEW_DAYS), "new"),
        (recent >= LOYAL_ORDERS, "loyal"),
        else_="regular",
    )


def _customers(today: date, customer: Any, *where: ColumnElement[bool]) -> Select[Any]:
    """One row per customer (`customer` being an orders column) that paid up to `today`."""
    return (
        select(customer)
        .join(ORDERS, ORDERS.c.id == PAYMENTS.c.order_id)
        .where(customer.is_not(None), RECEIVED_SCAN <= today, *where)
        .group_by(customer)
    )


def _tag(today: date) -> Any:
    return _lifecycle(today, PAYMENTS.c.received_on, PAYMENTS.c.order_id)


@dataclass(frozen=True)
class Lifecycles:
    contacts: dict[int, str | None]
    """Per contact asked for: its customer's tag (its company's, or its own when it has no
    company); None when that customer never paid."""
    companies: dict[int, str | None]


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _tags_of(session: Session, today: date, customer: Any, ids: Iterable[int],
             *where: ColumnElement[bool]) -> dict[int, str]:  # fmt: skip
    found: dict[int, str] = {}
    for part in _chunks(sorted(set(ids))):
        query = _customers(today, customer, customer.in_(part), *where).add_columns(_tag(today))
        found.update((int(i), tag) for i, tag in session.connection().execute(query))
    return found


@access.reads_for("reports", "read")
def lifecycles(
    session: Session,
    *,
    today: date,
    contact_ids: Iterable[int] = (),
    company_ids: Iterable[int] = (),
) -> Lifecycles:
    """The lifecycle tags (LIFECYCLES) of the given contacts and companies on `today`."""
    contact_ids, company_ids = list(contact_ids), list(company_ids)
    employer: dict[int, int | None] = {}
    for part in _chunks(sorted(set(contact_ids))):
        query = select(CONTACTS.c.id, CONTACTS.c.company_id).where(CONTACTS.c.id.in_(part))
        employer.update((i, co) for i, co in session.connection().execute(query))
    solo = [i for i, co in employer.items() if co is None]
    companies = _tags_of(
        session, today, ORDERS.c.company_id, [*company_ids, *filter(None, employer.values())]
    )
    own = _tags_of(session, today, ORDERS.c.contact_id, solo, ORDERS.c.company_id.is_(None))
    by_contact = {}
    for i in contact_ids:
        company = employer.get(i)
        by_contact[i] = companies.get(company) if company else own.get(i)
    return Lifecycles(by_contact, {i: companies.get(i) for i in company_ids})


def lifecycle_condition(tag: str, *, today: date, on: str = "contact") -> ColumnElement[bool]:
    """A WHERE condition on the `contacts` table (on="contact") or the `companies` table
    (on="company") that holds for the records whose lifecycle tag is `tag` on `today`."""
    if tag not in LIFECYCLES:
        raise InvalidInput("lifecycle", tag, f"must be one of {', '.join(LIFECYCLES)}")
    companies = _customers(today, ORDERS.c.company_id).having(_tag(today) == tag)
    if on == "company":
        return COMPANIES.c.id.in_(companies)
    if on != "contact":
        raise ValueError(f"lifecycle_condition: on must be contact or company, not {on!r}")
    solo = _customers(today, ORDERS.c.contact_id, ORDERS.c.company_id.is_(None))
    solo = solo.having(_tag(today) == tag)
    return or_(
        and_(CONTACTS.c.company_id.is_not(None), CONTACTS.c.company_id.in_(companies)),
        and_(CONTACTS.c.company_id.is_(None), CONTACTS.c.id.in_(solo)),
    )
