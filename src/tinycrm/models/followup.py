"""Follow-up visits (客户回访): a call scheduled some days after a ticket is resolved or an
order delivered, with its outcome and the customer's satisfaction."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field

from tinycrm.models.base import Model, UTCDateTime, utcnow


class FollowUp(Model, table=True):
    __tablename__ = "followups"
    __table_args__ = (
        CheckConstraint("(ticket_id IS NULL) <> (order_id IS NULL)", name="one_record"),
        Index("ix_followups_done_due", "done_at", "due_on", "reminded_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(
        default=None, foreign_key="tickets.id", ondelete="CASCADE", index=True
    )
    order_id: int | None = Field(
        default=None, foreign_key="orders.id", ondelete="CASCADE", index=True
    )
    """What the call follows: a resolved ticket or a delivered order, one of the two."""
    due_on: date
    """The day the call is due; not done by its end, the follow-up is overdue."""
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=1000)
    satisfaction: int | None = None
    """1–5, as the customer said on the call."""
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    """Who recorded the call."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    reminded_on: date | None = None
    """The due day `crm remind` last delivered the call for to nobody (see
    `services.reminders`): a new due day is news again."""
