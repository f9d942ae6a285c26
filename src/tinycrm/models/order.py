"""Sales administration: orders a won deal turned into, and payments received on them."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Index
from sqlmodel import Field

from tinycrm.models.base import Input, Model, UTCDateTime, Versioned, utcnow


class Order(Versioned, Model, table=True):
    """What the customer owes for (part of) a deal; a won deal may have several."""

    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_due_on", "due_on"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int | None = Field(
        default=None, foreign_key="deals.id", ondelete="SET NULL", index=True
    )
    company_id: int | None = Field(
        default=None, foreign_key="companies.id", ondelete="SET NULL", index=True
    )
    """The customer (copied from the deal so receivables group without a join)."""
    contact_id: int | None = Field(
        default=None, foreign_key="contacts.id", ondelete="SET NULL", index=True
    )
    owner_id: int | None = Field(
        default=None, foreign_key="users.id", ondelete="SET NULL", index=True
    )
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    ordered_on: date
    due_on: date | None = None
    """When payment is due; past it with money outstanding, the order is overdue."""
    delivered_on: date | None = None
    """The day it was delivered (`crm order deliver`); None: not yet."""
    paid_minor: int = Field(default=0, sa_type=BigInteger)
    """Sum of its payments, kept with every payment written."""
    notes: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    """Raised by one on every change, so an edit made from a stale read is refused."""


class OrderUpdate(Input):
    """What an edit of an order changes (the fields given): the amount as typed (read in
    the order's currency), the order and due dates (`due_on` None: no due date), notes."""

    amount: str | None = Field(default=None, max_length=100)
    ordered_on: date | None = None
    due_on: date | None = None
    notes: str | None = None


class Payment(Model, table=True):
    """Money received against an order (回款)."""

    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_received_on", "received_on"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", ondelete="CASCADE", index=True)
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    received_on: date
    method: str | None = Field(default=None, max_length=40)
    """transfer, card, cash, cheque … (free text, lower case)."""
    reference: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
