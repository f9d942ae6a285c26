"""What a deal's orders hold, and the guards that keep a won deal's money where it is.

A won deal's orders are owed (receivables) and their payments are revenue (per customer, and
per campaign while the deal stays won). Moving such a deal out of won, or deleting a deal
with orders, is refused unless forced (`DealHasOrders`, exit code 3), and the refusal says
what forcing does:

- out of won (lost, or back to an open stage): the orders and payments stay; receivables and
  customer revenue keep counting them, the deal's campaign no longer does;
- delete: the orders and their payments are deleted with the deal, so nothing is left owed
  for a deal that no longer exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from tinycrm.errors import NeedsForce
from tinycrm.models import Deal, DealStatus, Order, Payment, Stage, StageKind
from tinycrm.models.base import table_of
from tinycrm.money import Money

ORDERS = table_of(Order)
PAYMENTS = table_of(Payment)


@dataclass(frozen=True)
class DealOrders:
    """A deal's orders and the payments received on them, summed per currency."""

    orders: int
    ordered: tuple[Money, ...]
    payments: int
    paid: tuple[Money, ...]

    def __str__(self) -> str:
        """`2 orders (1,200.00 EUR) and 1 payment (500.00 EUR) received`."""
        text = f"{_count(self.orders, 'order')} ({_sum(self.ordered)})"
        if not self.payments:
            return f"{text} and no payment received"
        return f"{text} and {_count(self.payments, 'payment')} ({_sum(self.paid)}) received"


class DealHasOrders(NeedsForce):
    """A deal's orders stand in the way of a change; `held` says what they hold."""

    def __init__(self, deal_id: int, held: DealOrders, *, what: str, forced: str) -> None:
        super().__init__(f"deal #{deal_id} {what} {held}", forced)
        self.deal_id = deal_id
        self.held = held


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _sum(amounts: tuple[Money, ...]) -> str:
    return " + ".join(str(m) for m in amounts) or "0"


def deal_orders(session: Session, *, deal_id: int) -> DealOrders:
    """How many orders the deal has and what they amount to, and the same of their payments."""
    conn = session.connection()
    o, p = ORDERS.c, PAYMENTS.c
    orders = conn.execute(
        select(o.currency, func.count(), func.sum(o.amount_minor))
        .where(o.deal_id == deal_id)
        .group_by(o.currency)
        .order_by(o.currency)
    ).all()
    payments = conn.execute(
        select(p.currency, func.count(), func.sum(p.amount_minor))
        .join(ORDERS, o.id == p.order_id)
        .where(o.deal_id == deal_id)
        .group_by(p.currency)
        .order_by(p.currency)
    ).all()
    return DealOrders(
        sum(n for _, n, _ in orders),
        tuple(Money(int(total), cur) for cur, _, total in orders),
        sum(n for _, n, _ in payments),
        tuple(Money(int(total), cur) for cur, _, total in payments),
    )


def check_leaving_won(session: Session, *, deal: Deal, target: Stage, force: bool) -> None:
    """Refuse, unless forced, to move a won deal that has orders out of won."""
    if force or deal.status != DealStatus.won or target.kind == StageKind.won:
        return
    assert deal.id is not None
    held = deal_orders(session, deal_id=deal.id)
    if not held.orders:
        return
    verb = "marks it lost" if target.kind == StageKind.lost else f"moves it to {target.name}"
    paid = held.payments and deal.campaign_id
    campaign = ", but its campaign's revenue no longer counts the payments" if paid else ""
    raise DealHasOrders(
        deal.id,
        held,
        what="is won with",
        forced=f"{verb} and keeps them in receivables and customer revenue{campaign}",
    )


def check_deleting(session: Session, *, deal_id: int, force: bool) -> DealOrders:
    """What the deal's orders hold; refused, unless forced, when it has any."""
    held = deal_orders(session, deal_id=deal_id)
    if held.orders and not force:
        raise DealHasOrders(
            deal_id,
            held,
            what="has",
            forced="deletes them with the deal: receivables and revenue no longer count them",
        )
    return held


def delete_orders(session: Session, *, deal_id: int) -> None:
    """Delete the deal's orders and the payments received on them."""
    orders = select(ORDERS.c.id).where(ORDERS.c.deal_id == deal_id)
    conn = session.connection()
    conn.execute(PAYMENTS.delete().where(PAYMENTS.c.order_id.in_(orders)))
    conn.execute(ORDERS.delete().where(ORDERS.c.deal_id == deal_id))
