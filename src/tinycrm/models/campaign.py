"""Marketing: campaigns that bring in leads and deals, and saved contact segments."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger
from sqlmodel import Field

from tinycrm.models.base import Model, UTCDateTime, Versioned, utcnow


class Campaign(Versioned, Model, table=True):
    """A marketing activity with a cost; contacts and deals it brought in point at it."""

    __tablename__ = "campaigns"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, unique=True)
    channel: str | None = Field(default=None, max_length=60)
    """event, email, ads, web, referral, partner … (free text, lower case)."""
    cost_minor: int = Field(default=0, sa_type=BigInteger)
    currency: str = Field(max_length=3)
    starts_on: date | None = None
    ends_on: date | None = None
    notes: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    """Raised by one on every change, so an edit made from a stale read is refused."""


class Segment(Model, table=True):
    """A named contact list filter (`crm contact list` options), saved for reuse."""

    __tablename__ = "segments"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, unique=True)
    filters: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
