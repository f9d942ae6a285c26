"""The product catalogue: what a quote's or a deal's lines may name by its SKU."""

from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy import false as sa_false
from sqlmodel import Field

from tinycrm.models.base import Model, UTCDateTime, Versioned, utcnow


class Product(Versioned, Model, table=True):
    """A thing sold at a list price; archived (kept, no longer offered) once a line names it."""

    __tablename__ = "products"

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=60, unique=True)
    """Stored in capitals, so `gtxp` and `GTXP` are one product."""
    name: str = Field(max_length=300)
    price_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    unit: str | None = Field(default=None, max_length=40)
    archived: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    """Raised by one on every change, so an edit made from a stale read is refused."""
