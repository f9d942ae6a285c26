"""Companies: the accounts that contacts work at and deals are sold to."""

from typing import Any

from sqlalchemy import Text
from sqlmodel import Field

from tinycrm.models.base import Input, Model, RecordColumns, searched_by


class CompanyBase(Model):
    name: str = Field(max_length=300)
    domain: str | None = Field(default=None, max_length=255, index=True)
    industry: str | None = Field(default=None, max_length=120)
    city: str | None = Field(default=None, max_length=120)
    country: str | None = Field(default=None, max_length=120)
    phone: str | None = Field(default=None, max_length=60)
    website: str | None = Field(default=None, max_length=500)
    notes: str | None = None


class CompanyColumns(CompanyBase):
    """A company row's columns up to the ones every imported record has."""

    id: int | None = Field(default=None, primary_key=True)
    name_key: str = Field(max_length=300, unique=True)
    owner_id: int | None = Field(
        default=None, foreign_key="users.id", ondelete="SET NULL", index=True
    )


class Company(RecordColumns, CompanyColumns, table=True):
    __tablename__ = "companies"

    search_key: str | None = Field(default=None, sa_type=Text)
    """The folded name and domain the search looks in (kept by every write)."""


searched_by(Company, "name", "domain")


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
