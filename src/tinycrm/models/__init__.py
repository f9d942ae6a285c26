"""SQLModel tables, one module per aggregate. Importing this package registers them all."""

from tinycrm.models.activity import Activity, ActivityCreate, ActivityKind, ActivityUpdate
from tinycrm.models.batch import ImportBatch
from tinycrm.models.campaign import Campaign, Segment
from tinycrm.models.company import Company, CompanyCreate, CompanyUpdate
from tinycrm.models.contact import (
    Contact,
    ContactCreate,
    ContactDate,
    ContactStatus,
    ContactTag,
    ContactUpdate,
)
from tinycrm.models.contract import Contract, ContractStatus, RenewMode
from tinycrm.models.deal import (
    Deal,
    DealCreate,
    DealStatus,
    DealUpdate,
    Stage,
    StageChange,
    StageKind,
)
from tinycrm.models.followup import FollowUp
from tinycrm.models.lead import OwnerChange
from tinycrm.models.loyalty import PointsEntry, Tier, TierMove
from tinycrm.models.order import Order, OrderUpdate, Payment
from tinycrm.models.product import Product
from tinycrm.models.quote import LineItem, Quote, QuoteStatus
from tinycrm.models.reminder import ReminderDelivery
from tinycrm.models.team import AuditEntry, Grant, Level, Team
from tinycrm.models.ticket import KbArticle, Ticket, TicketComment, TicketPriority, TicketStatus
from tinycrm.models.user import QuotaPeriod, Role, User, UserCreate, UserUpdate

__all__ = [
    "AuditEntry",
    "Grant",
    "Level",
    "Team",
    "Campaign",
    "FollowUp",
    "PointsEntry",
    "Tier",
    "TierMove",
    "KbArticle",
    "Order",
    "OrderUpdate",
    "OwnerChange",
    "Payment",
    "Segment",
    "Ticket",
    "TicketComment",
    "TicketPriority",
    "TicketStatus",
    "Activity",
    "ActivityCreate",
    "ActivityKind",
    "ActivityUpdate",
    "Company",
    "Contract",
    "ContractStatus",
    "LineItem",
    "Product",
    "Quote",
    "QuoteStatus",
    "RenewMode",
    "ImportBatch",
    "CompanyCreate",
    "CompanyUpdate",
    "Contact",
    "ContactCreate",
    "ContactDate",
    "ContactStatus",
    "ContactTag",
    "ContactUpdate",
    "Deal",
    "DealCreate",
    "DealStatus",
    "DealUpdate",
    "QuotaPeriod",
    "ReminderDelivery",
    "Role",
    "Stage",
    "StageChange",
    "StageKind",
    "User",
    "UserCreate",
    "UserUpdate",
]
