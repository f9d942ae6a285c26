"""Companies: the accounts that contacts work at and deals are sold to."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from tinycrm.models.base import Input, UTCDateTime, utcnow


class CompanyBase(SQLModel):
    name: str = Field(max_length=300)
    domain: str | None = Field(default=None, max_length=255, index=True)
    industry: str | None = Field(default=None, max_length=120)
    city: str | None = Field(default=None, max_length=120)
    country: str | None = Field(default=None, max_length=120)
    phone: str | None = Field(default=None, max_length=60)
    website: str | None = Field(default=None, max_length=500)
    notes: str | None = None


class Company(CompanyBase, table=True):
    __tablename__ = "companies"

    id: int | None = Field(default=None, primary_key=True)
    name_key: str = Field(max_length=300, unique=True)
    owner_id: int | None = Field(
        default=None, foreign_key="users.id", ondelete="SET NULL", index=True
    )
    custom: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    external_id: str | None = Field(default=None, max_length=200, index=True)
    """The record's id in the system it was imported from."""
    import_batch_id: int | None = Field(
        default=None, foreign_key="import_batches.id", ondelete="SET NULL", index=True
    )
    """The import that created it (imports it only updated leave it alone)."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CompanyCreate(CompanyBase, Input):
    owner: str | None = None
    custom: dict[str, Any] = Field(default_factory=dict)


class CompanyUpdate(Input):
    name: str | None = None
    domain: str | None = None
    industry: str | None = None
    city: str | None = None
    country: str | None = None
    phone: str | None = None
    website: str | None = None
    notes: str | None = None
    owner: str | None = None
    custom: dict[str, Any] | None = None
