"""Contacts: the people, with their company, owner, lifecycle status and tags."""

from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, Text
from sqlmodel import Field

from tinycrm.models.base import Input, Model, RecordColumns, searched_by


class ContactStatus(StrEnum):
    lead = "lead"
    prospect = "prospect"
    customer = "customer"
    inactive = "inactive"


class ContactBase(Model):
    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=60)
    title: str | None = Field(default=None, max_length=200)
    status: ContactStatus = Field(default=ContactStatus.prospect, sa_type=String(20))
    source: str | None = Field(default=None, max_length=200)
    notes: str | None = None


class ContactColumns(ContactBase):
    """A contact row's columns up to the ones every imported record has."""

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=400)
    name_key: str = Field(max_length=400)
    email: str | None = Field(default=None, max_length=320, unique=True)
    phone_norm: str | None = Field(default=None, max_length=40, index=True)
    company_id: int | None = Field(
        default=None, foreign_key="companies.id", ondelete="SET NULL", index=True
    )
    owner_id: int | None = Field(
        default=None, foreign_key="users.id", ondelete="SET NULL", index=True
    )
    """Empty for a lead means it waits in the lead pool."""
    campaign_id: int | None = Field(
        default=None, foreign_key="campaigns.id", ondelete="SET NULL", index=True
    )
    """The campaign that brought the contact in."""
    drop_reason: str | None = Field(default=None, max_length=200)
    """Why a lead was dropped (junk, duplicate, not a fit …)."""


class Contact(RecordColumns, ContactColumns, table=True):
    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_name_key", "name_key"),)

    search_key: str | None = Field(default=None, sa_type=Text)
    """The folded name, email and phone the search looks in (kept by every write)."""


searched_by(Contact, "full_name", "email", "phone", "phone_norm")


class ContactTag(Model, table=True):
    __tablename__ = "contact_tags"

    contact_id: int = Field(foreign_key="contacts.id", ondelete="CASCADE", primary_key=True)
    tag: str = Field(max_length=100, primary_key=True, index=True)


class ContactDate(Model, table=True):
    """A day of the year to remember a contact by (birthday, anniversary…); the year is
    optional, as in vCard's `--MMDD`."""

    __tablename__ = "contact_dates"
    __table_args__ = (Index("ix_contact_dates_month_day", "month", "day"),)

    contact_id: int = Field(foreign_key="contacts.id", ondelete="CASCADE", primary_key=True)
    kind: str = Field(max_length=40, primary_key=True)
    month: int
    day: int
    year: int | None = None


class ContactCreate(ContactBase, Input):
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=400)
    """A full name, split into first and last when those are not given."""
    company: str | None = None
    owner: str | None = None
    campaign: str | None = None
    tags: list[str] = Field(default_factory=list)
    custom: dict[str, Any] = Field(default_factory=dict)


class ContactUpdate(Input):
    name: str | None = Field(default=None, max_length=400)
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    status: ContactStatus | None = None
    source: str | None = None
    notes: str | None = None
    company: str | None = None
    owner: str | None = None
    campaign: str | None = None
    add_tags: list[str] = Field(default_factory=list)
    remove_tags: list[str] = Field(default_factory=list)
    custom: dict[str, Any] | None = None
