"""The ledger of reminders `crm remind` has delivered, so no cron run repeats one."""

from datetime import datetime

from sqlmodel import Field

from tinycrm.models.base import Model, UTCDateTime, utcnow


class ReminderDelivery(Model, table=True):
    """One row per reminder occurrence shown; its key names the occurrence (for a task, its
    alert time, so a snoozed or rescheduled task is a new occurrence)."""

    __tablename__ = "reminder_deliveries"

    key: str = Field(primary_key=True, max_length=200)
    recipient_id: int = Field(default=0, primary_key=True)
    """The user it was delivered to (0: delivered before reminders were kept per person)."""
    delivered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
