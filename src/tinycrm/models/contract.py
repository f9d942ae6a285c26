"""Contracts: the term an order runs for, its value, and when its renewal is due."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, String
from sqlmodel import Field

from tinycrm.models.base import Model, UTCDateTime, Versioned, utcnow


class ContractStatus(StrEnum):
    draft = "draft"
    active = "active"
    expired = "expired"
    renewed = "renewed"
    terminated = "terminated"


class RenewMode(StrEnum):
    auto = "auto"
    manual = "manual"


class Contract(Versioned, Model, table=True):
    __tablename__ = "contracts"
    __table_args__ = (Index("ix_contracts_status_notice", "status", "notice_on"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", ondelete="CASCADE", index=True)
    starts_on: date
    ends_on: date
    renew: RenewMode = Field(default=RenewMode.manual, sa_type=String(10))
    notice_days: int = 30
    notice_on: date
    """`ends_on` less the notice period: the last day to renew or give notice."""
    value_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    status: ContractStatus = Field(default=ContractStatus.active, sa_type=String(12))
    """As stored; an active contract past its end reads as expired (`services.contracts`)."""
    renewed_from_id: int | None = Field(
        default=None, foreign_key="contracts.id", ondelete="SET NULL"
    )
    notes: str | None = None
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    """Raised by one on every change, so an edit made from a stale read is refused."""
