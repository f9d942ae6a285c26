"""Deals, the ordered stages they move through, and the history of every move."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, String, Text
from sqlmodel import Field

from tinycrm.models.base import Input, Model, RecordColumns, UTCDateTime, searched_by, utcnow


class StageKind(StrEnum):
    open = "open"
    won = "won"
    lost = "lost"


class DealStatus(StrEnum):
    open = "open"
    won = "won"
    lost = "lost"


class Stage(Model, table=True):
    __tablename__ = "stages"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    name_key: str = Field(max_length=100, unique=True)
    position: int
    probability: int = 0
    kind: StageKind = Field(default=StageKind.open, sa_type=String(10))


class DealBase(Model):
    title: str = Field(max_length=300)
    amount_minor: int = Field(default=0, sa_type=BigInteger)
    currency: str = Field(max_length=3)
    expected_close: date | None = None


class DealColumns(DealBase):
    """A deal row's columns up to the ones every imported record has."""

    id: int | None = Field(default=None, primary_key=True)
    company_id: int | None = Field(default=None, foreign_key="companies.id", index=True)
    contact_id: int | None = Field(
        default=None, foreign_key="contacts.id", ondelete="SET NULL", index=True
    )
    owner_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    campaign_id: int | None = Field(
        default=None, foreign_key="campaigns.id", ondelete="SET NULL", index=True
    )
    """The campaign the deal came from."""
    stage_id: int = Field(foreign_key="stages.id")
    status: DealStatus = Field(default=DealStatus.open, sa_type=String(10))
    lost_reason: str | None = Field(default=None, max_length=500)


class Deal(RecordColumns, DealColumns, table=True):
    __tablename__ = "deals"
    __table_args__ = (
        Index("ix_deals_owner_status_close", "owner_id", "status", "expected_close"),
        Index("ix_deals_stage_status", "stage_id", "status"),
        Index("ix_deals_status_closed", "status", "closed_at"),
        # A page of open deals by expected close (the lists' default order), from the index.
        Index("ix_deals_status_close", "status", "expected_close"),
        # Everything `crm remind` filters large deals on, so delivered alerts stay in the index.
        Index(
            "ix_deals_status_amount",
            "status",
            "amount_minor",
            "expected_close",
            "alerted_close",
            "alerted_overdue",
            "last_activity_at",
            "created_at",
            "alerted_quiet",
        ),
    )

    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_activity_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the last activity about it happened; kept from the activities on every write."""
    alerted_close: date | None = None
    """The expected close date `crm remind` last alerted on (closing soon or overdue)."""
    alerted_overdue: bool | None = None
    """Whether that alert was for a close date already past."""
    alerted_quiet: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """The quiet-since moment `crm remind` last alerted on (no activity for N days)."""
    search_key: str | None = Field(default=None, sa_type=Text)
    """The folded title the search looks in (kept by every write)."""


searched_by(Deal, "title")


class StageChange(Model, table=True):
    """One move of a deal between stages; `from_stage_id` is empty when the deal was created.

    It is also the deal's visit to `to_stage_id`: the `left_*`, `stay_seconds` and `*_entry_at`
    columns are derived from the deal's next changes by `db.stage_visits`, run by every writer
    of history."""

    __tablename__ = "stage_changes"
    __table_args__ = (
        Index("ix_stage_changes_deal_at", "deal_id", "changed_at"),
        Index(
            "ix_stage_changes_to_deal",
            "to_stage_id",
            "deal_id",
            "changed_at",
            "left_at",
            "left_to_stage_id",
        ),
        Index(
            "ix_stage_changes_visits",
            "to_stage_id",
            "changed_at",
            "prev_entry_at",
            "left_to_stage_id",
            "next_entry_at",
            "deal_id",
            "stay_seconds",
        ),
        Index("ix_stage_changes_stays", "to_stage_id", "stay_seconds", "changed_at"),
        Index(
            "ix_stage_changes_firsts",
            "to_stage_id",
            "prev_entry_at",
            "next_entry_at",
            "changed_at",
            "left_to_stage_id",
            "deal_id",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deals.id", ondelete="CASCADE")
    from_stage_id: int | None = Field(default=None, foreign_key="stages.id")
    to_stage_id: int = Field(foreign_key="stages.id")
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    changed_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the deal left the stage it entered here (the time of its next change)."""
    left_to_stage_id: int | None = None
    """The stage it left for (no foreign key: it is always a later change's `to_stage_id`)."""
    stay_seconds: int | None = Field(default=None, sa_type=BigInteger)
    """Whole seconds from entering to leaving, each instant truncated to the second."""
    prev_entry_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """The deal's entry into the same stage before this one."""
    next_entry_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """The deal's entry into the same stage after this one."""


class DealCreate(DealBase, Input):
    currency: str | None = None  # type: ignore[assignment]
    stage: str | None = None
    company: str | None = None
    contact: str | None = None
    owner: str | None = None
    campaign: str | None = None


class DealUpdate(Input):
    title: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    expected_close: date | None = None
    company: str | None = None
    contact: str | None = None
    owner: str | None = None
    campaign: str | None = None
    lost_reason: str | None = None
