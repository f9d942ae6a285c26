"""Customer service: tickets with a due time per priority, their comments, satisfaction
scores, and the solution articles that resolve them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, Text
from sqlmodel import Field

from tinycrm.models.base import Model, UTCDateTime, Versioned, searched_by, utcnow


class TicketPriority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class TicketStatus(StrEnum):
    open = "open"
    resolved = "resolved"


class Ticket(Versioned, Model, table=True):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_due", "status", "due_at", "reminded_at"),
        Index("ix_tickets_owner_status", "owner_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=500)
    body: str | None = None
    contact_id: int | None = Field(
        default=None, foreign_key="contacts.id", ondelete="SET NULL", index=True
    )
    company_id: int | None = Field(
        default=None, foreign_key="companies.id", ondelete="SET NULL", index=True
    )
    owner_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    priority: TicketPriority = Field(default=TicketPriority.normal, sa_type=String(10))
    status: TicketStatus = Field(default=TicketStatus.open, sa_type=String(10))
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """The SLA: resolve by then (set from the priority unless given)."""
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    csat: int | None = None
    """Satisfaction 1–5 given at or after resolution."""
    article_id: int | None = Field(
        default=None, foreign_key="kb_articles.id", ondelete="SET NULL", index=True
    )
    """The solution article that resolved it."""
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """The due time `crm remind` last alerted on as overdue."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    """Raised by one on every change, so an edit made from a stale read is refused."""
    search_key: str | None = Field(default=None, sa_type=Text)
    """The folded subject the search looks in (kept by every write)."""


searched_by(Ticket, "subject")


class TicketComment(Model, table=True):
    __tablename__ = "ticket_comments"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", ondelete="CASCADE", index=True)
    author_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    body: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class KbArticle(Model, table=True):
    """A solution article (解决方案); on SQLite an FTS5 index (`kb_fts`) follows it."""

    __tablename__ = "kb_articles"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    body: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
