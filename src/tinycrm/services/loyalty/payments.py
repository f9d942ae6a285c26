"""What a payment does to its customer's tier and points, recorded in the payment's own
transaction: see the package's docstring."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from tinycrm.models import Order, Payment
from tinycrm.services.access import actor_of
from tinycrm.services.loyalty import points, tiers
from tinycrm.services.loyalty.customers import of_order


def _user(session: Session) -> int | None:
    actor = actor_of(session)
    return actor.user_id if actor else None


def paid(session: Session, *, payment: Payment, order: Order, today: date, now: datetime) -> None:
    """A payment received: expiries are written, the customer moves tier if their payments
    as of `today` say so, and the payment earns points at the tier it leaves them in."""
    customer = of_order(session, order)
    if customer is None:
        return
    user = _user(session)
    points.settle(session, customer=customer, today=today, now=now, user_id=user)
    cause = f"payment #{payment.id}"
    tiers.refresh_tier(session, customer=customer, today=today, now=now, cause=cause,
                       payment_id=payment.id, user_id=user)  # fmt: skip
    tier = tiers.current(session, customer)
    points.earn(session, customer=customer, tier=tier, payment=payment, now=now, user_id=user)


def unpaid(session: Session, *, payment: Payment, order: Order, today: date, now: datetime) -> None:
    """A payment about to be deleted: its points not yet used are taken back."""
    customer = of_order(session, order)
    if customer is None or payment.id is None:
        return
    user = _user(session)
    points.take_back(session, customer=customer, payment_id=payment.id, today=today, now=now,
                     user_id=user)  # fmt: skip


def recount(session: Session, *, order: Order, cause: str, today: date, now: datetime) -> None:
    """The customer's tier worked out again after a payment went."""
    customer = of_order(session, order)
    if customer is not None:
        tiers.refresh_tier(session, customer=customer, today=today, now=now, cause=cause,
                           user_id=_user(session))  # fmt: skip
