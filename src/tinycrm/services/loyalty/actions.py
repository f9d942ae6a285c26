"""What a person does with points and tiers, held to their grants and logged."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from tinycrm.models import Company, Contact
from tinycrm.services import audit
from tinycrm.services.access import actor_of, check
from tinycrm.services.loyalty import points, tiers
from tinycrm.services.loyalty.customers import Customer, resolve_customer


def _user(session: Session) -> int | None:
    actor = actor_of(session)
    return actor.user_id if actor else None


def _may_edit(session: Session, customer: Customer) -> None:
    """Redeeming changes the customer: it takes the edit grant over them."""
    model = Company if customer.kind == "company" else Contact
    row = session.get(model, customer.id)
    obj = "companies" if customer.kind == "company" else "contacts"
    check(actor_of(session), obj, "edit", getattr(row, "owner_id", None))


def ledger_of(session: Session, *, ref: str, today: date, now: datetime) -> points.Ledger:
    """The customer's tier, balance and ledger, expiries up to `today` written first."""
    customer = resolve_customer(session, ref)
    points.settle(session, customer=customer, today=today, now=now, user_id=_user(session))
    tier = tiers.current(session, customer)
    return points.ledger(session, customer=customer, tier=tier.name if tier else None)


def redeem_points(
    session: Session, *, ref: str, points: int, note: str | None, today: date, now: datetime
) -> int:
    """Redeem `points` of the customer's balance (see `points.redeem`); the balance left."""
    customer = resolve_customer(session, ref)
    _may_edit(session, customer)
    left = _redeem(session, customer, points, note, today, now)
    audit.record(
        session,
        object="companies" if customer.kind == "company" else "contacts",
        record_id=customer.id,
        action="redeem",
        changes={"points": [left + points, left]},
        note=note,
    )
    return left


def _redeem(
    session: Session, customer: Customer, amount: int, note: str | None, today: date,
    now: datetime,
) -> int:  # fmt: skip
    return points.redeem(session, customer=customer, points=amount, note=note, today=today,
                         now=now, user_id=_user(session))  # fmt: skip


def standing_of(session: Session, *, kind: str, id: int) -> tuple[str | None, int]:
    """A company's or contact's tier now (None: none) and points balance, as the detail
    screens and `show` print them."""
    customer = Customer(kind, id, "")
    tier = tiers.current(session, customer)
    return (tier.name if tier else None), points.balance(session, customer)
