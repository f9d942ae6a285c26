"""Who owned what: the record of leads and deals claimed, assigned and reclaimed to the pool."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from tinycrm.models.base import Model, UTCDateTime, utcnow


class OwnerChange(Model, table=True):
    """A contact or deal changing hands; `to_user_id` empty means it went back to the pool."""

    __tablename__ = "owner_changes"
    __table_args__ = (Index("ix_owner_changes_record", "record_type", "record_id"),)

    id: int | None = Field(default=None, primary_key=True)
    record_type: str = Field(max_length=20)
    """contact or deal"""
    record_id: int
    from_user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    to_user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    reason: str | None = Field(default=None, max_length=200)
    """claim, assign, reclaim (no activity), drop …"""
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    changed_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
