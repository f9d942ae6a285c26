"""Import batches: one row per `crm import`, so an import can be listed and undone."""

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field

from tinycrm.models.base import Model, UTCDateTime, utcnow


class ImportBatch(Model, table=True):
    __tablename__ = "import_batches"

    id: int | None = Field(default=None, primary_key=True)
    noun: str = Field(sa_type=String(20))
    """What was imported: contacts, companies, deals or activities."""
    source: str = Field(max_length=500)
    """The file name, or `-` for standard input."""
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    undone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
