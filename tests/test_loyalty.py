"""Membership tiers reached by payments, the moves between them, and the points ledger:
exact figures at the window's edges, up and down, rounding, redeeming and expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from tinycrm.db.store import Database, session_scope
from tinycrm.errors import InvalidInput
from tinycrm.models import CompanyCreate, ContactCreate, DealCreate, UserCreate
from tinycrm.services import companies, contacts, deals, orders, users
from tinycrm.services.loyalty import points, tiers
from tinycrm.services.loyalty.customers import resolve_customer
from tinycrm.services.refs import resolve_user

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)
FIRST = date(2025, 11, 24)
"""The first day of the 12 months that end on TODAY."""


def _order(s: Session, title: str, amount: int, **kw: str) -> int:
    deal = deals.create_deal(
        s,
        data=DealCreate(title=title, amount_minor=amount, owner="ann", **kw),  # type: ignore[arg-type]
        currency="EUR",
        actor=resolve_user(s, "ann"),
        now=NOW - timedelta(days=800),
    )
    deals.win_deal(s, ref=deal.id, actor=None, now=NOW - timedelta(days=790))
    return orders.create_order(
        s, deal=deal.id, amount=None, ordered_on=date(2024, 10, 1), now=NOW
    ).id


@pytest.fixture
def shop(db: Database) -> dict[str, int]:
    """Ann; Acme (a company) with Dan at it, and Eve buying on her own; tiers Silver (1,000
    EUR, 1 point per euro) and Gold (10,000 EUR, 2 points per euro, can drop, points expire
    after 12 months), both over 12 months."""
    with session_scope(db, write=True) as s:
        users.create_user(s, data=UserCreate(name="Ann Lee"), currency="EUR")
        companies.create_company(s, data=CompanyCreate(name="Acme"))
        contacts.create_contact(s, data=ContactCreate(name="Dan Moss", company="Acme"), region="US")
        contacts.create_contact(s, data=ContactCreate(name="Eve Park"), region="US")
        ids = {
            "acme": _order(s, "Acme deal", 10_000_000, company="Acme", contact="Dan Moss"),
            "acme2": _order(s, "Acme more", 10_000_000, company="Acme"),
            "eve": _order(s, "Eve deal", 10_000_000, contact="Eve Park"),
        }
        tiers.set_tier(s, name="Silver", min_spend="1000", points_per=1, currency="EUR")
        tiers.set_tier(s, name="Gold", min_spend="10000", within="12mo", can_drop=True,
                       points_per=2, points_expire="12mo", currency="EUR")  # fmt: skip
    return ids


def _pay(db: Database, order: int, amount: str, on: date, today: date = TODAY) -> None:
    with session_scope(db, write=True) as s:
        orders.add_payment(s, order=order, amount=amount, received_on=on, now=NOW, today=today)


def _tier(db: Database, ref: str) -> str | None:
    with session_scope(db, write=False) as s:
        found = tiers.current(s, resolve_customer(s, ref))
        return found.name if found else None


def _moves(db: Database, ref: str) -> list[tuple[str | None, str | None, str]]:
    with session_scope(db, write=False) as s:
        rows = tiers.list_moves(s, customer=resolve_customer(s, ref))
        return [(m.from_tier, m.to_tier, m.reason) for m in reversed(rows)]


def test_a_payment_on_the_windows_first_day_counts_and_the_day_before_does_not(
    db: Database, shop: dict[str, int]
) -> None:
    _pay(db, shop["acme"], "4000", FIRST - timedelta(days=1), today=FIRST - timedelta(days=1))
    _pay(db, shop["acme"], "5000", FIRST, today=FIRST)
    _pay(db, shop["acme2"], "999.99", TODAY)
    assert _tier(db, "Acme") == "Silver"  # 5,999.99 in the window: the 4,000 is a day out
    _pay(db, shop["acme2"], "4000.01", TODAY)
    assert _tier(db, "Acme") == "Gold"  # exactly 10,000.00 from 2025-11-24 to 2026-11-23
    assert _moves(db, "Acme") == [
        (None, "Silver", "payment #1: 4,000.00 EUR paid, 1 order from 2024-11-24 to 2025-11-23"
         " reach Silver"),
        ("Silver", "Gold", "payment #4: 10,000.00 EUR paid, 2 orders from 2025-11-24 to"
         " 2026-11-23 reach Gold"),
    ]  # fmt: skip
    assert _tier(db, "Dan Moss") is None  # Dan bought for Acme: the company is the customer


def test_a_tier_that_can_drop_is_left_and_one_that_cannot_is_kept(
    db: Database, shop: dict[str, int]
) -> None:
    _pay(db, shop["eve"], "12000", date(2025, 12, 1), today=date(2025, 12, 1))
    assert _tier(db, "Eve Park") == "Gold"
    _pay(db, shop["eve"], "50", date(2026, 12, 2), today=date(2026, 12, 2))
    assert _tier(db, "Eve Park") is None  # 50.00 in the window: below Gold, and below Silver
    assert _moves(db, "Eve Park")[-1] == (
        "Gold",
        None,
        "payment #2: 50.00 EUR paid, 1 order from 2025-12-03 to 2026-12-02 are below Gold",
    )
    _pay(db, shop["eve"], "1000", date(2026, 12, 3), today=date(2026, 12, 3))
    assert _tier(db, "Eve Park") == "Silver"
    _pay(db, shop["eve"], "1", date(2028, 1, 1), today=date(2028, 1, 1))
    assert _tier(db, "Eve Park") == "Silver"  # Silver cannot drop
    assert len(_moves(db, "Eve Park")) == 3


def test_orders_count_threshold(db: Database, shop: dict[str, int]) -> None:
    with session_scope(db, write=True) as s:
        tiers.set_tier(s, name="Regular", min_orders=2, min_spend="none", currency="EUR")
    _pay(db, shop["acme"], "1", TODAY)
    assert _tier(db, "Acme") is None
    _pay(db, shop["acme2"], "1", TODAY)
    assert _tier(db, "Acme") == "Regular"


def _ledger(db: Database, ref: str, today: date = TODAY) -> list[tuple[str, int, int]]:
    with session_scope(db, write=True) as s:
        customer = resolve_customer(s, ref)
        points.settle(s, customer=customer, today=today, now=NOW, user_id=None)
        found = points.ledger(s, customer=customer, tier=None)
        return [(e.kind, e.points, e.balance) for e in found.entries]


def test_points_round_down_at_the_tier_reached(db: Database, shop: dict[str, int]) -> None:
    _pay(db, shop["eve"], "1000.99", TODAY)  # Silver: 1 point per euro, 1000.99 -> 1000
    _pay(db, shop["eve"], "9000.50", TODAY)  # now Gold: 2 per euro, 18001.00 -> 18001
    assert _ledger(db, "Eve Park") == [("earn", 1000, 1000), ("earn", 18001, 19001)]
    assert points.earned(99_99, "EUR", 1) == 99
    assert points.earned(1_999, "JPY", 3) == 5997
    assert points.earned(1, "EUR", 1) == 0


def test_redeeming_more_than_the_balance_is_refused_and_writes_nothing(
    db: Database, shop: dict[str, int]
) -> None:
    _pay(db, shop["eve"], "1500", TODAY)
    with session_scope(db, write=True) as s:
        eve = resolve_customer(s, "contact:Eve Park")
        assert points.redeem(s, customer=eve, points=500, note="mug", today=TODAY, now=NOW) == 1000
        with pytest.raises(InvalidInput, match="more than the 1000 contact Eve Park has"):
            points.redeem(s, customer=eve, points=1001, note=None, today=TODAY, now=NOW)
    assert _ledger(db, "Eve Park") == [("earn", 1500, 1500), ("redeem", -500, 1000)]


def test_points_expire_oldest_first_and_leave_the_balance(
    db: Database, shop: dict[str, int]
) -> None:
    with session_scope(db, write=True) as s:
        tiers.set_tier(s, name="Silver", points_expire="6mo", currency="EUR")
    _pay(db, shop["eve"], "1000", date(2026, 1, 10), today=date(2026, 1, 10))  # 1000, to 07-10
    _pay(db, shop["eve"], "300", date(2026, 3, 1), today=date(2026, 3, 1))  # 300, to 09-01
    with session_scope(db, write=True) as s:
        eve = resolve_customer(s, "Eve Park")
        points.redeem(s, customer=eve, points=1200, note=None, today=date(2026, 7, 9), now=NOW)
    assert _ledger(db, "Eve Park", date(2026, 9, 1)) == [
        ("earn", 1000, 1000),
        ("earn", 300, 1300),
        ("redeem", -1200, 100),
        ("expire", -100, 0),  # what was left of the March earning, on 2026-09-01
    ]
    with session_scope(db, write=True) as s:
        eve = resolve_customer(s, "Eve Park")
        assert points.balance(s, eve) == 0
        with pytest.raises(InvalidInput, match="more than the 0"):
            points.redeem(s, customer=eve, points=1, note=None, today=date(2026, 9, 2), now=NOW)


def test_an_unused_earning_expires_whole_on_its_day(db: Database, shop: dict[str, int]) -> None:
    _pay(db, shop["eve"], "12000", date(2025, 11, 1), today=date(2025, 11, 1))  # Gold: 24000
    assert _ledger(db, "Eve Park", date(2026, 10, 31)) == [("earn", 24000, 24000)]
    assert _ledger(db, "Eve Park", date(2026, 11, 1)) == [
        ("earn", 24000, 24000),
        ("expire", -24000, 0),
    ]


def test_deleting_a_payment_takes_its_points_back_and_moves_the_tier(
    db: Database, shop: dict[str, int]
) -> None:
    _pay(db, shop["eve"], "12000", TODAY)
    with session_scope(db, write=True) as s:
        orders.delete_payment(s, ref=1, today=TODAY, now=NOW)
    assert _ledger(db, "Eve Park") == [("earn", 24000, 24000), ("reverse", -24000, 0)]
    assert _tier(db, "Eve Park") is None  # Gold can drop: nothing paid is left
    assert _moves(db, "Eve Park")[-1][2].startswith("payment #1 deleted: 0.00 EUR paid, 0 orders")


def test_customer_references(db: Database, shop: dict[str, int]) -> None:
    with session_scope(db, write=False) as s:
        assert resolve_customer(s, "acme").kind == "company"
        assert resolve_customer(s, "contact:Dan Moss").kind == "contact"
        with pytest.raises(InvalidInput, match="write company:ID or contact:ID"):
            resolve_customer(s, "12")
        with pytest.raises(InvalidInput, match="no company or contact"):
            resolve_customer(s, "Nobody")
