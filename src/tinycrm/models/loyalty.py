"""Membership tiers (会员等级) reached by spending, the moves between them, and the points
ledger (积分). A customer is the company an order is for, else its contact."""

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Index
from sqlmodel import Field

from tinycrm.models.base import Model, UTCDateTime, utcnow


class Tier(Model, table=True):
    """A level a customer reaches by what they paid, or how many orders they paid for, in
    the last `within_months` months; tiers rank by their thresholds (spend, then orders)."""

    __tablename__ = "tiers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    name_key: str = Field(max_length=100, unique=True)
    min_spend_minor: int | None = Field(default=None, sa_type=BigInteger)
    """Money received, in minor units of `currency`; None: no spending threshold."""
    currency: str | None = Field(default=None, max_length=3)
    min_orders: int | None = None
    """Orders paid on (at least one payment) in the window; None: no count threshold."""
    within_months: int = 12
    can_drop: bool = False
    """A customer below its thresholds later moves down (else keeps the tier)."""
    points_per: int = 0
    """Whole points earned per currency unit paid while in this tier (rounded down)."""
    points_expire_months: int | None = None
    """Points earned in this tier expire this many months later; None: never."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TierMove(Model, table=True):
    """A customer's move from one tier (or none) to another (or none), and why."""

    __tablename__ = "tier_moves"
    __table_args__ = (
        CheckConstraint("(company_id IS NULL) <> (contact_id IS NULL)", name="one_customer"),
        Index("ix_tier_moves_company_id", "company_id", "id"),
        Index("ix_tier_moves_contact_id", "contact_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int | None = Field(default=None, foreign_key="companies.id", ondelete="CASCADE")
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="CASCADE")
    from_tier_id: int | None = Field(default=None, foreign_key="tiers.id", ondelete="SET NULL")
    to_tier_id: int | None = Field(default=None, foreign_key="tiers.id", ondelete="SET NULL")
    from_name: str | None = Field(default=None, max_length=100)
    to_name: str | None = Field(default=None, max_length=100)
    """The tiers' names when the move was made (kept when a tier is removed)."""
    reason: str
    payment_id: int | None = Field(default=None, foreign_key="payments.id", ondelete="SET NULL")
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PointsEntry(Model, table=True):
    """One line of a customer's points ledger: earned on a payment (+), redeemed (−),
    expired (−, naming the earning it ends) or taken back with a deleted payment (−).
    Lines are only ever added; the balance is their sum."""

    __tablename__ = "points_entries"
    __table_args__ = (
        CheckConstraint("(company_id IS NULL) <> (contact_id IS NULL)", name="one_customer"),
        Index("ix_points_entries_company_id", "company_id", "on_day"),
        Index("ix_points_entries_contact_id", "contact_id", "on_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int | None = Field(default=None, foreign_key="companies.id", ondelete="CASCADE")
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="CASCADE")
    kind: str = Field(max_length=10)
    """earn, redeem, expire or reverse."""
    points: int
    on_day: date
    """The day it counts from (an earning: the payment's day; an expiry: the day it ran out)."""
    expires_on: date | None = None
    """An earning's points are gone from this day on."""
    source_id: int | None = Field(
        default=None, foreign_key="points_entries.id", ondelete="SET NULL"
    )
    """The earning an expiry or a reversal ends."""
    payment_id: int | None = Field(default=None, foreign_key="payments.id", ondelete="SET NULL")
    note: str | None = Field(default=None, max_length=500)
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
