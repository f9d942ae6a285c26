"""Activities: calls, emails, meetings and notes that happened, and tasks that are due."""

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, event, func, inspect, select, update
from sqlmodel import Field

from tinycrm.models.base import ImportedColumns, Input, Model, UTCDateTime, Versioned, utcnow
from tinycrm.models.deal import Deal


class ActivityKind(StrEnum):
    call = "call"
    email = "email"
    meeting = "meeting"
    note = "note"
    task = "task"


class ActivityBase(Model):
    kind: ActivityKind = Field(sa_type=String(10))
    subject: str = Field(max_length=500)
    body: str | None = None
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    remind_minutes: int | None = None
    """Remind this many minutes before `due_at` (none: at the due time)."""
    rrule: str | None = Field(default=None, max_length=500)
    """RFC 5545 recurrence rule (no DTSTART: the due time is the start), in local time."""


class ActivityColumns(ActivityBase):
    """An activity row's columns up to the ones every imported record has."""

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


class Activity(Versioned, ImportedColumns, ActivityColumns, table=True):
    """A past activity has `done_at`; a scheduled one has `due_at` and no `done_at` yet."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_owner_done_due", "owner_id", "done_at", "due_at"),
        Index("ix_activities_done_alert", "done_at", "alert_at", "reminded_at"),
        Index("ix_activities_done_due", "done_at", "due_at"),
    )

    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    series_id: int | None = None
    """The first occurrence of a recurring activity; every later occurrence shares it."""
    alert_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When `crm remind` should first show it; kept by `alert_time` on every ORM write."""
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """The alert time `crm remind` last delivered (equal to `alert_at` once shown)."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    """Raised by one on every change, so an edit made from a stale read is refused."""


def alert_time(
    due_at: datetime | None, remind_minutes: int | None, snoozed_until: datetime | None
) -> datetime | None:
    """The moment a scheduled activity is due for a reminder: the snooze if any, else its
    due time less the reminder's lead time."""
    if snoozed_until is not None:
        return snoozed_until
    if due_at is None:
        return None
    return due_at - timedelta(minutes=remind_minutes or 0)


@event.listens_for(Activity, "before_insert")
@event.listens_for(Activity, "before_update")
def _keep_alert_at(_mapper: Any, _conn: Any, target: Activity) -> None:
    target.alert_at = (
        None
        if target.done_at is not None
        else alert_time(target.due_at, target.remind_minutes, target.snoozed_until)
    )


def refresh_last_activity(deal_ids: Any) -> Any:
    """An UPDATE setting each listed deal's `last_activity_at` from its activities
    (`deal_ids`: ids, or a SELECT of them)."""
    deals, activities = Deal.__table__, Activity.__table__  # type: ignore[attr-defined]
    latest = (
        select(func.max(activities.c.done_at))
        .where(activities.c.deal_id == deals.c.id)
        .scalar_subquery()
    )
    return update(deals).where(deals.c.id.in_(deal_ids)).values(last_activity_at=latest)


@event.listens_for(Activity, "after_insert")
@event.listens_for(Activity, "after_update")
@event.listens_for(Activity, "after_delete")
def _keep_last_activity(_mapper: Any, conn: Any, target: Activity) -> None:
    history = inspect(target).attrs.deal_id.history
    ids = {i for i in (target.deal_id, *(history.deleted or ())) if i is not None}
    if ids:
        conn.execute(refresh_last_activity(sorted(ids)))


class ActivityCreate(ActivityBase, Input):
    contact: str | None = None
    company: str | None = None
    deal: int | None = None
    owner: str | None = None


class ActivityUpdate(Input):
    kind: ActivityKind | None = None
    subject: str | None = None
    body: str | None = None
    due_at: datetime | None = None
    remind_minutes: int | None = None
    rrule: str | None = None
    contact: str | None = None
    company: str | None = None
    deal: int | None = None
    owner: str | None = None
