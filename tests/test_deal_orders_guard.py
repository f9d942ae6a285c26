"""A won deal's money stays where it is: moving a won deal with orders out of won, or deleting
a deal with orders, is refused unless forced, with the counts and what forcing does; forced,
a lost deal keeps its orders (still owed) and a deleted one takes them with it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlmodel import Session, func, select

from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import Conflict, InvalidInput, NeedsForce
from tinycrm.models import CompanyCreate, Deal, DealCreate, DealUpdate, Order, Payment, StageChange
from tinycrm.money import Money
from tinycrm.services import campaigns, companies, deals, orders
from tinycrm.services.deal_orders import DealHasOrders, DealOrders
from tinycrm.services.reports import receivables

DAY = date(2026, 11, 20)
LATER = NOW + timedelta(hours=1)


def _deal(s: Session, title: str, amount: int, *, campaign: str | None = None) -> int:
    data = DealCreate(title=title, amount_minor=amount, company="Acme", campaign=campaign)
    row = deals.create_deal(s, data=data, currency="EUR", actor=None, now=NOW - timedelta(days=9))
    deals.win_deal(s, ref=row.id, actor=None, now=NOW - timedelta(days=5))
    return row.id


@pytest.fixture
def ids(db: Database) -> dict[str, int]:
    """`paid`: won 1,200.00 EUR from the Fair, ordered 700.00 + 500.00, 500.00 received on
    the first order. `ordered`: won 300.00, one order, nothing paid. `bare`: won, no order."""
    with session_scope(db, write=True) as s:
        companies.create_company(s, data=CompanyCreate(name="Acme"))
        campaigns.create_campaign(s, name="Fair", currency="EUR", cost_minor=10_000, now=NOW)
        paid = _deal(s, "Acme renewal", 120_000, campaign="Fair")
        first = orders.create_order(s, deal=paid, amount="700", ordered_on=DAY, now=NOW)
        orders.create_order(s, deal=paid, amount=None, ordered_on=DAY, now=NOW)
        orders.add_payment(s, order=first.id, amount="500", received_on=DAY, now=NOW)
        ordered = _deal(s, "Acme support", 30_000)
        orders.create_order(s, deal=ordered, amount=None, ordered_on=DAY, now=NOW)
        bare = _deal(s, "Acme pilot", 5_000)
    return {"paid": paid, "ordered": ordered, "bare": bare}


PAID = DealOrders(2, (Money(120_000, "EUR"),), 1, (Money(50_000, "EUR"),))
HELD = "2 orders (1,200.00 EUR) and 1 payment (500.00 EUR) received"
KEPT = "keeps them in receivables and customer revenue"
CAMPAIGN = "but its campaign's revenue no longer counts the payments"

Leave = Callable[[Session, int, bool], object]
LEAVES: dict[str, tuple[Leave, str]] = {
    "lose": (
        lambda s, ref, force: deals.lose_deal(
            s, ref=ref, reason=None, actor=None, now=LATER, force=force
        ),
        "marks it lost",
    ),
    "move to lost": (
        lambda s, ref, force: deals.move_deal(
            s, ref=ref, stage="lost", actor=None, now=LATER, force=force
        ),
        "marks it lost",
    ),
    "move back": (
        lambda s, ref, force: deals.move_deal(
            s, ref=ref, stage="negotiation", actor=None, now=LATER, force=force
        ),
        "moves it to negotiation",
    ),
}


def _counts(db: Database, deal_id: int) -> tuple[str, int, int, int]:
    """The deal's status, its stage changes, its orders and their payments."""
    with session_scope(db, write=False) as s:
        deal = s.get(Deal, deal_id)
        changes = s.exec(
            select(func.count()).select_from(StageChange).where(StageChange.deal_id == deal_id)
        ).one()
        order_ids = select(Order.id).where(Order.deal_id == deal_id)
        n_orders = s.exec(select(func.count()).select_from(Order).where(Order.deal_id == deal_id))
        n_payments = s.exec(
            select(func.count()).select_from(Payment).where(Payment.order_id.in_(order_ids))  # type: ignore[attr-defined]
        )
        return (deal.status if deal else "gone", changes, n_orders.one(), n_payments.one())


@pytest.mark.parametrize("leave", LEAVES)
def test_a_won_deal_with_payments_leaves_won_only_when_forced(
    db: Database, ids: dict[str, int], leave: str
) -> None:
    change, verb = LEAVES[leave]
    with session_scope(db, write=True) as s, pytest.raises(DealHasOrders) as refused:
        change(s, ids["paid"], False)
    error = refused.value
    assert isinstance(error, NeedsForce) and isinstance(error, Conflict)
    assert error.exit_code == 3
    assert (error.deal_id, error.held) == (ids["paid"], PAID)
    assert error.what == f"deal #{ids['paid']} is won with {HELD}"
    assert error.forced == f"{verb} and {KEPT}, {CAMPAIGN}"
    assert error.message == f"{error.what}; forced, this {error.forced}"
    assert _counts(db, ids["paid"]) == ("won", 2, 2, 1)  # nothing written
    with session_scope(db, write=True) as s:
        change(s, ids["paid"], True)
    status = "open" if leave == "move back" else "lost"
    assert _counts(db, ids["paid"]) == (status, 3, 2, 1)  # the orders and payment stay


def test_orders_without_payments_hold_a_won_deal_too(db: Database, ids: dict[str, int]) -> None:
    with session_scope(db, write=True) as s, pytest.raises(DealHasOrders) as refused:
        deals.lose_deal(s, ref=ids["ordered"], reason="price", actor=None, now=LATER)
    assert refused.value.held == DealOrders(1, (Money(30_000, "EUR"),), 0, ())
    assert refused.value.message == (
        f"deal #{ids['ordered']} is won with 1 order (300.00 EUR) and no payment received; "
        f"forced, this marks it lost and {KEPT}"  # no campaign: nothing said of one
    )


def test_a_won_deal_without_orders_moves_freely(db: Database, ids: dict[str, int]) -> None:
    with session_scope(db, write=True) as s:
        row = deals.lose_deal(s, ref=ids["bare"], reason="price", actor=None, now=LATER)
        back = deals.move_deal(s, ref=ids["bare"], stage="won", actor=None, now=LATER)
    assert (row.status, row.lost_reason, back.status) == ("lost", "price", "won")


def test_forced_lost_keeps_receivables_and_drops_campaign_revenue(
    db: Database, ids: dict[str, int]
) -> None:
    def figures() -> tuple[int, int, int]:
        with session_scope(db, write=False) as s:
            owed = receivables.receivables(s, as_of=DAY, currency="EUR", by="customer")
            fair = campaigns.campaign_figures(s, campaign_id=campaigns.campaign_id(s, "Fair") or 0)
        return owed.total.outstanding_minor, fair.won, fair.revenue_minor

    # owed: 700.00 - 500.00 + 500.00 on the paid deal, and 300.00 on the other
    assert figures() == (100_000, 1, 50_000)
    with session_scope(db, write=True) as s:
        deals.lose_deal(s, ref=ids["paid"], reason="cancelled", actor=None, now=LATER, force=True)
    assert figures() == (100_000, 0, 0)


def test_a_deal_with_orders_is_deleted_only_when_forced_and_takes_them_along(
    db: Database, ids: dict[str, int]
) -> None:
    with session_scope(db, write=True) as s, pytest.raises(DealHasOrders) as refused:
        deals.delete_deal(s, ref=ids["paid"])
    assert refused.value.held == PAID
    assert refused.value.message == (
        f"deal #{ids['paid']} has {HELD}; forced, this deletes them with the deal: "
        "receivables and revenue no longer count them"
    )
    assert _counts(db, ids["paid"]) == ("won", 2, 2, 1)
    with session_scope(db, write=True) as s:
        deals.delete_deal(s, ref=ids["paid"], force=True)
        deals.delete_deal(s, ref=ids["bare"])  # no orders: nothing to force
    assert _counts(db, ids["paid"]) == ("gone", 0, 0, 0)
    assert _counts(db, ids["bare"]) == ("gone", 0, 0, 0)
    with session_scope(db, write=False) as s:
        left = orders.list_orders(s, today=DAY)
        owed = receivables.receivables(s, as_of=DAY, currency="EUR", by="customer")
    assert [(o.deal_id, o.amount) for o in left] == [(ids["ordered"], Money(30_000, "EUR"))]
    assert owed.total.outstanding_minor == 30_000


def test_what_the_orders_hold_reads_in_every_currency() -> None:
    held = DealOrders(3, (Money(100_000, "EUR"), Money(5_000, "JPY")), 2, (Money(1, "EUR"),))
    assert str(held) == "3 orders (1,000.00 EUR + 5,000 JPY) and 2 payments (0.01 EUR) received"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (120_000, "JPY", Money(1_200, "JPY")),  # 1,200.00 EUR -> 1,200 JPY: the figure stays
        (120_000, "KWD", Money(1_200_000, "KWD")),
        (120_000, "usd", Money(120_000, "USD")),
    ],
)
def test_a_currency_changed_alone_keeps_the_figure(
    db: Database, amount: int, currency: str, expected: Money
) -> None:
    with session_scope(db, write=True) as s:
        row = deals.create_deal(
            s, data=DealCreate(title="T", amount_minor=amount), currency="EUR", actor=None, now=NOW
        )
        changed = deals.update_deal(s, ref=row.id, data=DealUpdate(currency=currency), now=NOW)
    assert changed.amount == expected


def test_a_currency_without_the_decimals_the_amount_has_is_refused(db: Database) -> None:
    with session_scope(db, write=True) as s:
        row = deals.create_deal(
            s, data=DealCreate(title="T", amount_minor=120_050), currency="EUR", actor=None, now=NOW
        )
        with pytest.raises(InvalidInput) as refused:
            deals.update_deal(s, ref=row.id, data=DealUpdate(currency="JPY"), now=NOW)
        both = DealUpdate(currency="JPY", amount_minor=1_200)  # with the amount: fine
        assert deals.update_deal(s, ref=row.id, data=both, now=NOW).amount == Money(1_200, "JPY")
    assert refused.value.message == "amount: more than 0 decimal places for JPY: '1,200.50 EUR'"
