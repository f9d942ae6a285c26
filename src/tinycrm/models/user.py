"""Users: the reps and managers who own records and act on them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, String
from sqlalchemy import true as sa_true
from sqlmodel import Field

from tinycrm.models.base import Input, Model, UTCDateTime, utcnow


class Role(StrEnum):
    admin = "admin"
    manager = "manager"
    rep = "rep"
    viewer = "viewer"


class QuotaPeriod(StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"


class UserBase(Model):
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    role: Role = Field(default=Role.rep, sa_type=String(20))
    quota_minor: int | None = Field(default=None, sa_type=BigInteger)
    quota_period: QuotaPeriod | None = Field(default=None, sa_type=String(20))


class User(UserBase, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name_key: str = Field(max_length=200, unique=True)
    email: str | None = Field(default=None, max_length=320, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    team_id: int | None = Field(
        default=None, foreign_key="teams.id", ondelete="SET NULL", index=True
    )
    active: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})
    """False once deactivated: the user keeps their history but can no longer act."""
    os_login: str | None = Field(default=None, max_length=200, unique=True)
    """The operating-system login that acts as this user when nobody else is named."""
    db_login: str | None = Field(default=None, max_length=200, unique=True)
    """Their PostgreSQL login on the team server."""


class UserCreate(UserBase, Input):
    pass


class UserUpdate(Input):
    name: str | None = None
    email: str | None = None
    role: Role | None = None
    quota_minor: int | None = None
    quota_period: QuotaPeriod | None = None
