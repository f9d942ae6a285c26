"""Activities: calls, emails, meetings and notes that happened, and tasks that are due."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlmodel import Field, SQLModel

from tinycrm.models.base import UTCDateTime, utcnow


class ActivityKind(StrEnum):
    call = "call"
    email = "email"
    meeting = "meeting"
    note = "note"
    task = "task"


class ActivityBase(SQLModel):
    kind: ActivityKind = Field(sa_type=String(10))
    subject: str = Field(max_length=500)
    body: str | None = None
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Activity(ActivityBase, table=True):
    """A past activity has `done_at`; a scheduled one has `due_at` and no `done_at` yet."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_owner_done_due", "owner_id", "done_at", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(
        default=None, foreign_key="contacts.id", ondelete="SET NULL", index=True
    )
    company_id: int | None = Field(
        default=None, foreign_key="companies.id", ondelete="SET NULL", index=True
    )
    deal_id: int | None = Field(
        default=None, foreign_key="deals.id", ondelete="SET NULL", index=True
    )
    owner_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    custom: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    external_id: str | None = Field(default=None, max_length=200, index=True)
    """The record's id in the system it was imported from."""
    import_batch_id: int | None = Field(
        default=None, foreign_key="import_batches.id", ondelete="SET NULL", index=True
    )
    """The import that created it (imports it only updated leave it alone)."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ActivityCreate(ActivityBase):
    contact: str | None = None
    company: str | None = None
    deal: int | None = None
    owner: str | None = None


class ActivityUpdate(SQLModel):
    kind: ActivityKind | None = None
    subject: str | None = None
    body: str | None = None
    due_at: datetime | None = None
    contact: str | None = None
    company: str | None = None
    deal: int | None = None
    owner: str | None = None
