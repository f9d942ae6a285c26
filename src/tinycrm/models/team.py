"""The team model: teams, the grants each role holds, and the audit log of every change."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlmodel import Field

from tinycrm.models.base import Model, UTCDateTime, utcnow


class Team(Model, table=True):
    """A group of users; a manager sees and changes what their team's members own."""

    __tablename__ = "teams"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Level(StrEnum):
    """How far a grant reaches: nothing, what the user owns (and, for reading, what nobody
    owns: the pool), what their team owns, or everything."""

    none = "none"
    own = "own"
    team = "team"
    all = "all"


class Grant(Model, table=True):
    """What a role may do to one kind of record: `(role, object, action) -> level`."""

    __tablename__ = "grants"

    role: str = Field(primary_key=True, max_length=20)
    object: str = Field(primary_key=True, max_length=30)
    action: str = Field(primary_key=True, max_length=20)
    level: Level = Field(sa_type=String(10))


class AuditEntry(Model, table=True):
    """One change, appended and never altered: when, who, from where, to which record, and
    each changed field's old and new value (`changes`: `{field: [old, new]}`)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_object_record", "object", "record_id"),
        Index("ix_audit_log_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, index=True)
    """The acting user (no foreign key: the entry outlives the user)."""
    user_name: str | None = Field(default=None, max_length=200)
    login: str | None = Field(default=None, max_length=200)
    """The database login that made the change (the team server), else empty."""
    source: str = Field(max_length=20)
    """cli, app, import, cron, restore or sql (a change made outside tinycrm)."""
    object: str = Field(max_length=30)
    record_id: int | None = None
    action: str = Field(max_length=20)
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    note: str | None = None
