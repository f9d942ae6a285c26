"""Line items (on a deal, a quote or an order) and quotes: priced offers made on a deal."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, String
from sqlmodel import Field

from tinycrm.models.base import Model, UTCDateTime, Versioned, utcnow


class QuoteStatus(StrEnum):
    draft = "draft"
    sent = "sent"
    accepted = "accepted"
    declined = "declined"
    superseded = "superseded"


class Quote(Versioned, Model, table=True):
    """One version of an offer on a deal; a revision is a new row of the same `series` with
    the next `revision`, and the one it replaces becomes superseded."""

    __tablename__ = "quotes"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deals.id", ondelete="CASCADE", index=True)
    series: int = Field(index=True)
    """The id of the series' first quote (its own id for a first quote)."""
    revision: int = 1
    status: QuoteStatus = Field(default=QuoteStatus.draft, sa_type=String(12))
    currency: str = Field(max_length=3)
    discount_percent: str | None = Field(default=None, max_length=20)
    """A discount on every line, in percent (a decimal as typed, e.g. `5` or `2.5`)."""
    discount_minor: int = Field(default=0, sa_type=BigInteger)
    """A discount on the whole quote, in minor units, shared among its lines."""
    subtotal_minor: int = Field(default=0, sa_type=BigInteger)
    """The lines' net amounts (after every discount), before tax."""
    tax_minor: int = Field(default=0, sa_type=BigInteger)
    total_minor: int = Field(default=0, sa_type=BigInteger)
    valid_until: date | None = None
    notes: str | None = None
    order_id: int | None = Field(
        default=None, foreign_key="orders.id", ondelete="SET NULL", index=True
    )
    """The order accepting it created."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    """Raised by one on every change, so an edit made from a stale read is refused."""


class LineItem(Model, table=True):
    """One line: a product (or free text), a quantity, a unit price, a discount and a tax
    rate, with its amounts computed as `tinycrm.services.lines` says (per line, half up).

    A deal's own lines have neither quote nor order; a quote's and an order's lines carry
    their deal too, so every line is read with its deal."""

    __tablename__ = "line_items"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deals.id", ondelete="CASCADE", index=True)
    quote_id: int | None = Field(
        default=None, foreign_key="quotes.id", ondelete="CASCADE", index=True
    )
    order_id: int | None = Field(
        default=None, foreign_key="orders.id", ondelete="CASCADE", index=True
    )
    position: int
    product_id: int | None = Field(default=None, foreign_key="products.id", index=True)
    description: str = Field(max_length=300)
    quantity: str = Field(max_length=30)
    """A decimal as typed (`3`, `2.5`): exact, never a float."""
    unit: str | None = Field(default=None, max_length=40)
    unit_price_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    discount_percent: str | None = Field(default=None, max_length=20)
    discount_minor: int = Field(default=0, sa_type=BigInteger)
    """The line's own discount as an amount (minor units), when given as one."""
    tax_percent: str = Field(default="0", max_length=20)
    net_minor: int = Field(default=0, sa_type=BigInteger)
    """After the line's and the quote's discounts, before tax."""
    tax_minor: int = Field(default=0, sa_type=BigInteger)
    total_minor: int = Field(default=0, sa_type=BigInteger)
