"""Products, line items and quotes: the rounding rule (per line, half up) to the minor unit
in currencies of 0, 2 and 3 decimals, versions, and accepting (deal won, amount, order)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import col, select

from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import Conflict, InvalidInput
from tinycrm.models import Deal, DealCreate, DealStatus, LineItem, Order, Product, UserCreate
from tinycrm.money import Money
from tinycrm.services import deals, products, quotes, users
from tinycrm.services import lines as li

TODAY = date(2026, 11, 23)


def line(qty: str, price: int, cur: str = "EUR", **kw: object) -> li.Line:
    return li.Line("x", Decimal(qty), price, cur, **kw)  # type: ignore[arg-type]


def test_worked_example_of_the_rounding_rule() -> None:
    """The README's example: 3 x 48.21 EUR less 10%, and a 500.00 setup; 5% off the quote;
    19% VAT on both lines."""
    vat = Decimal(19)
    totals = li.price(
        [line("3", 4821, discount_percent=Decimal(10), tax_percent=vat),
         line("1", 50000, tax_percent=vat)],
        currency="EUR",
        discount_percent=Decimal(5),
    )  # fmt: skip
    first, second = totals.lines
    assert (first.gross_minor, first.discount_minor, first.net_minor) == (14463, 2097, 12366)
    assert (first.tax_minor, first.total_minor) == (2350, 14716)
    assert (second.net_minor, second.tax_minor, second.total_minor) == (47500, 9025, 56525)
    assert (totals.subtotal_minor, totals.tax_minor, totals.total_minor) == (59866, 11375, 71241)
    assert str(totals.total) == "712.41 EUR"


@pytest.mark.parametrize(
    ("cur", "qty", "price", "tax", "expected"),
    [
        ("JPY", "3", 1234, "8", (3702, 296, 3998)),  # 296.16 yen of tax: 296
        ("JPY", "0.5", 1, "0", (1, 0, 1)),  # half a yen goes up
        ("JPY", "1", 25, "10", (25, 3, 28)),  # 2.5 yen of tax: 3
        ("KWD", "1.5", 333, "0", (500, 0, 500)),  # 499.5 fils: 500
        ("USD", "2.5", 199, "7.25", (498, 36, 534)),  # 497.5 -> 498; 36.105 -> 36
    ],
)
def test_each_line_rounds_half_up_in_its_currency(
    cur: str, qty: str, price: int, tax: str, expected: tuple[int, int, int]
) -> None:
    totals = li.price([line(qty, price, cur, tax_percent=Decimal(tax))], currency=cur)
    (p,) = totals.lines
    assert (p.net_minor, p.tax_minor, p.total_minor) == expected


def test_an_amount_off_the_quote_is_shared_by_largest_remainder() -> None:
    totals = li.price([line("1", 100), line("1", 200)], currency="USD", discount_minor=100)
    assert [p.net_minor for p in totals.lines] == [67, 133]  # shares 33 and 67
    assert totals.total_minor == 200
    three = li.price([line("1", 1)] * 3, currency="JPY", discount_minor=2)
    assert [p.net_minor for p in three.lines] == [0, 0, 1]  # ties: the earlier lines first


def test_a_discount_above_the_line_is_refused() -> None:
    with pytest.raises(InvalidInput, match="more than the line's 1.00 EUR"):
        li.price([line("1", 100, discount_minor=101)], currency="EUR")


def _setup(db: Database, currency: str = "EUR") -> int:
    with session_scope(db, write=True) as s:
        users.create_user(s, data=UserCreate(name="Ann Lee"), currency=currency)
        products.create_product(
            s, sku="gtxp", name="GTX Pro", price="4821" if currency == "JPY" else "48.21",
            currency=currency,
            default_currency=currency, unit="unit",
        )  # fmt: skip
        row = deals.create_deal(
            s, data=DealCreate(title="Acme rollout", amount_minor=1, owner="ann"),
            currency=currency, actor=None, now=NOW - timedelta(days=10),
        )  # fmt: skip
    return row.id


def test_a_quote_prices_product_and_free_text_lines(db: Database) -> None:
    deal_id = _setup(db)
    with session_scope(db, write=True) as s:
        q = quotes.create_quote(
            s, deal=deal_id, lines=["GTXP x3 -10%", "Setup 500"], discount="5%",
            valid_until=TODAY + timedelta(days=30), tax=Decimal(19), now=NOW, today=TODAY,
        )  # fmt: skip
    assert q.row.total == Money(71241, "EUR")
    assert (q.row.subtotal.minor, q.row.tax.minor) == (59866, 11375)
    assert [(r.sku, r.description, r.quantity, r.total.minor) for r in q.lines] == [
        ("GTXP", "GTX Pro", "3", 14716),
        (None, "Setup", "1", 56525),
    ]
    assert (q.row.status, q.row.series, q.row.revision) == ("draft", q.row.id, 1)


def test_bad_lines_are_refused_naming_the_line(db: Database) -> None:
    deal_id = _setup(db)
    with session_scope(db, write=True) as s:
        for text, said in (
            ("Setup", "no product has the SKU 'Setup'"),
            ("GTXP x0", "the quantity must be more than zero"),
            ("GTXP @US$10", "must be in EUR"),
            ("Setup 1.234", "more than 2 decimal places for EUR"),
        ):
            with pytest.raises(InvalidInput, match=said):
                quotes.create_quote(s, deal=deal_id, lines=[text], now=NOW, today=TODAY)
        assert s.exec(select(LineItem)).all() == []


def test_a_revision_supersedes_and_keeps_what_is_not_given(db: Database) -> None:
    deal_id = _setup(db)
    with session_scope(db, write=True) as s:
        first = quotes.create_quote(s, deal=deal_id, lines=["GTXP x2"], discount="10", now=NOW,
                                    today=TODAY)  # fmt: skip
        second = quotes.revise_quote(s, ref=first.row.id, discount="5%", now=NOW, today=TODAY)
        listed = quotes.list_quotes(s, today=TODAY, deal=deal_id)
    assert (second.row.series, second.row.revision) == (first.row.id, 2)
    assert first.row.total.minor == 9642 - 1000
    assert second.row.total.minor == 9642 - 482  # 482.1 off: 482
    assert {r.id: r.status for r in listed} == {first.row.id: "superseded", second.row.id: "draft"}
    with session_scope(db, write=True) as s, pytest.raises(Conflict, match="superseded"):
        quotes.accept_quote(s, ref=first.row.id, actor=None, now=NOW, today=TODAY)


def test_accepting_wins_the_deal_with_the_quote_total_and_orders_its_lines(db: Database) -> None:
    deal_id = _setup(db)
    with session_scope(db, write=True) as s:
        q = quotes.create_quote(s, deal=deal_id, lines=["GTXP x3", "Setup 500"], tax=Decimal(19),
                                now=NOW, today=TODAY)  # fmt: skip
        quotes.send_quote(s, ref=q.row.id, now=NOW, today=TODAY)
        done = quotes.accept_quote(s, ref=q.row.id, actor=None, now=NOW, today=TODAY)
    assert done.amount == Money(76711, "EUR")  # 14463 + 2748 tax (2747.97), 50000 + 9500 tax
    with session_scope(db, write=False) as s:
        deal = s.get(Deal, deal_id)
        assert deal is not None and deal.status == DealStatus.won
        assert deal.amount_minor == 76711
        order = s.get(Order, done.order_id)
        assert order is not None and order.amount_minor == 76711 and order.deal_id == deal_id
        ordered = s.exec(select(LineItem).where(col(LineItem.order_id) == done.order_id)).all()
        assert [r.total_minor for r in ordered] == [17211, 59500]
        own = quotes.deal_lines(s, deal=deal_id)
        assert own.total == own.amount == Money(76711, "EUR")
        assert quotes.get_quote(s, ref=q.row.id, today=TODAY).row.status == "accepted"
    with session_scope(db, write=True) as s, pytest.raises(Conflict, match="won"):
        quotes.accept_quote(s, ref=q.row.id, actor=None, now=NOW, today=TODAY)


def test_an_expired_quote_is_not_accepted(db: Database) -> None:
    deal_id = _setup(db)
    with session_scope(db, write=True) as s:
        q = quotes.create_quote(s, deal=deal_id, lines=["GTXP"], valid_until=TODAY, now=NOW,
                                today=TODAY)  # fmt: skip
    later = TODAY + timedelta(days=1)
    with session_scope(db, write=True) as s:
        assert quotes.get_quote(s, ref=q.row.id, today=later).row.status == "expired"
        with pytest.raises(Conflict, match="expired on 2026-11-23"):
            quotes.accept_quote(s, ref=q.row.id, actor=None, now=NOW, today=later)


def test_deal_amount_follows_its_lines(db: Database) -> None:
    deal_id = _setup(db, "JPY")
    with session_scope(db, write=True) as s:
        quotes.add_deal_line(s, deal=deal_id, text="Widget x3 @1234 tax=8%")
        after = quotes.add_deal_line(s, deal=deal_id, text="Fee 500")
        assert after.amount == after.total == Money(4498, "JPY")
        kept = quotes.remove_deal_line(s, deal=deal_id, position=1)
        assert kept.amount == Money(500, "JPY")


def test_a_product_on_a_line_is_archived_not_deleted(db: Database) -> None:
    deal_id = _setup(db)
    with session_scope(db, write=True) as s:
        products.create_product(s, sku="SPARE", name="Spare", price="1", currency=None,
                                default_currency="EUR")  # fmt: skip
        quotes.add_deal_line(s, deal=deal_id, text="GTXP")
        assert products.remove_product(s, ref="gtxp")[1] is True
        assert products.remove_product(s, ref="spare")[1] is False
        assert [p.sku for p in products.list_products(s)] == []
        assert [p.sku for p in products.list_products(s, archived=True)] == ["GTXP"]
        assert s.exec(select(Product)).one().archived


@given(
    st.lists(
        st.tuples(
            st.integers(1, 50), st.integers(0, 10**9), st.integers(0, 100), st.integers(0, 2500)
        ),
        min_size=1,
        max_size=6,
    ),
    st.integers(0, 100),
    st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_the_figures_always_add_up(
    rows: list[tuple[int, int, int, int]], off: int, cur: str
) -> None:
    """Whatever the lines: each line's net + tax is its total, the totals are the sums of
    the lines, and an amount off the quote is shared out to the last unit."""
    lines = [
        line(str(q), p, cur, discount_percent=Decimal(d), tax_percent=Decimal(t) / 100)
        for q, p, d, t in rows
    ]
    totals = li.price(lines, currency=cur, discount_percent=Decimal(off))
    assert all(p.net_minor + p.tax_minor == p.total_minor >= 0 for p in totals.lines)
    assert totals.subtotal_minor + totals.tax_minor == totals.total_minor
    assert totals.total_minor == sum(p.total_minor for p in totals.lines)
    before = li.price(lines, currency=cur).subtotal_minor
    share = before * off // 100
    shared = li.price(lines, currency=cur, discount_minor=share)
    assert shared.subtotal_minor == before - share
