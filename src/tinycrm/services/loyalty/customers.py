"""Whom tiers and points belong to: a company or a contact."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session

from tinycrm.errors import InvalidInput, NotFound
from tinycrm.models import Company, Contact, Order
from tinycrm.services.refs import by_id, resolve_company, resolve_contact
from tinycrm.services.userref import is_id

KINDS = ("company", "contact")


@dataclass(frozen=True)
class Customer:
    kind: str
    """company or contact."""
    id: int
    name: str

    @property
    def company_id(self) -> int | None:
        return self.id if self.kind == "company" else None

    @property
    def contact_id(self) -> int | None:
        return self.id if self.kind == "contact" else None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"

    def keys(self) -> dict[str, int | None]:
        return {"company_id": self.company_id, "contact_id": self.contact_id}

    def rows_of(self, table: Any) -> ColumnElement[bool]:
        """The rows of a ledger table (tier moves, points) that are this customer's."""
        if self.kind == "company":
            return table.c.company_id == self.id  # type: ignore[no-any-return]
        return table.c.contact_id == self.id  # type: ignore[no-any-return]

    def orders_of(self, orders: Any) -> ColumnElement[bool]:
        """The orders that are this customer's (a contact's: those with no company)."""
        if self.kind == "company":
            return orders.c.company_id == self.id  # type: ignore[no-any-return]
        mine = orders.c.company_id.is_(None) & (orders.c.contact_id == self.id)
        return mine  # type: ignore[no-any-return]


def of_company(company: Company) -> Customer:
    assert company.id is not None
    return Customer("company", company.id, company.name)


def of_contact(contact: Contact) -> Customer:
    assert contact.id is not None
    return Customer("contact", contact.id, contact.full_name)


def of_order(session: Session, order: Order) -> Customer | None:
    """The order's customer: its company, else its contact; None when it has neither."""
    if order.company_id is not None:
        return of_company(by_id(session, Company, order.company_id, "company"))
    if order.contact_id is not None:
        return of_contact(by_id(session, Contact, order.contact_id, "contact"))
    return None


def resolve_customer(session: Session, ref: str) -> Customer:
    """`company:Acme`, `contact:12`, an email (a contact), or a name or domain that names one
    company or one contact (a bare id names neither: say which)."""
    text = ref.strip()
    kind, sep, rest = text.partition(":")
    if sep and kind.strip().lower() in KINDS:
        if kind.strip().lower() == "company":
            return of_company(resolve_company(session, rest))
        return of_contact(resolve_contact(session, rest))
    if is_id(text):
        raise InvalidInput("customer", ref, "an id names no kind: write company:ID or contact:ID")
    if "@" in text:
        return of_contact(resolve_contact(session, text))
    found: list[Customer] = []
    try:
        found.append(of_company(resolve_company(session, text)))
    except NotFound:
        pass
    try:
        found.append(of_contact(resolve_contact(session, text)))
    except NotFound:
        pass
    if len(found) == 1:
        return found[0]
    if found:
        raise InvalidInput(
            "customer", ref, "names a company and a contact: write company:… or contact:…"
        )
    raise InvalidInput("customer", ref, "no company or contact by that name")
