"""Editing an order, the same rules from `crm order edit` and the app: the amount in the
order's currency and never below what is paid, the order date never after a payment, the
due date never before the order date; a stale edit refused; every edit in the audit log."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.clihelp import Crm
from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import Changed, InvalidInput
from tinycrm.models import DealCreate, Order, OrderUpdate
from tinycrm.money import Money
from tinycrm.services import deals, orders
from tinycrm.services.orders import update_order

TODAY = NOW.date()


@pytest.fixture
def paid(db: Database) -> Database:
    """Deal #1 won (5,000.00 EUR); order #1 for all of it, due 2026-12-31, 1,200.00 paid on
    2026-11-25."""
    with session_scope(db, write=True) as s:
        deals.create_deal(
            s, data=DealCreate(title="Fleet", amount_minor=500_000), currency="EUR", actor=None,
            now=NOW,
        )  # fmt: skip
        deals.win_deal(s, ref=1, actor=None, now=NOW)
        orders.create_order(
            s, deal=1, amount=None, ordered_on=TODAY, due_on=date(2026, 12, 31), now=NOW
        )
        orders.add_payment(s, order=1, amount="1200", received_on=date(2026, 11, 25), now=NOW)
    return db


def edit(db: Database, version: int | None = None, **fields: Any) -> orders.OrderRow:
    with session_scope(db, write=True) as s:
        return update_order(s, ref=1, data=OrderUpdate(**fields), today=TODAY, version=version)


def test_edit_changes_what_is_given(paid: Database) -> None:
    row = edit(paid, amount="4500", due_on=date(2027, 1, 15), notes="  second half in Jan ")
    assert (row.amount, row.paid, row.outstanding) == (
        Money(450_000, "EUR"),
        Money(120_000, "EUR"),
        Money(330_000, "EUR"),
    )
    assert (row.ordered_on, row.due_on) == (TODAY, date(2027, 1, 15))
    assert row.notes == "second half in Jan"
    row = edit(paid, due_on=None, notes="")
    assert (row.due_on, row.notes, row.amount.minor) == (None, None, 450_000)
    with session_scope(paid, write=False) as s:
        order = s.get(Order, 1)
        assert order is not None and order.version == 3


@pytest.mark.parametrize(
    ("fields", "field", "why"),
    [
        ({"amount": "1000"}, "order amount", "less than the 1,200.00 EUR paid on order #1"),
        ({"amount": "$4500"}, "order amount", "must be in EUR, the currency of the order"),
        ({"amount": "0"}, "order amount", "must be more than zero"),
        (
            {"ordered_on": date(2026, 11, 26)},
            "order date",
            "after its first payment, on 2026-11-25",
        ),  # noqa: E501
        ({"due_on": date(2026, 11, 1)}, "due date", "before the order date 2026-11-23"),
    ],
)
def test_edit_refuses_what_breaks_a_rule(
    paid: Database, fields: dict[str, Any], field: str, why: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        edit(paid, **fields)
    assert (refused.value.field, refused.value.problem) == (field, why)
    with session_scope(paid, write=False) as s:
        order = s.get(Order, 1)
        assert order is not None
        assert (order.amount_minor, order.due_on, order.version) == (500_000, date(2026, 12, 31), 1)


def test_a_stale_edit_is_refused(paid: Database) -> None:
    edit(paid, version=1, notes="first")
    with pytest.raises(Changed):
        edit(paid, version=1, notes="second")
    with session_scope(paid, write=False) as s:
        order = s.get(Order, 1)
        assert order is not None and (order.notes, order.version) == ("first", 2)


def test_crm_order_edit(crm: Crm) -> None:
    crm("deal", "add", "Fleet", "--amount", "5000")
    crm("deal", "won", "1")
    crm("order", "add", "--deal", "1", "--due", "2026-12-31")
    crm("payment", "add", "--order", "1", "--amount", "1200")
    said = crm("order", "edit", "1", "--amount", "4500", "--due", "2027-01-15").out
    cleared = crm("order", "edit", "1", "--due", "none", "--notes", "call first").out
    shown = crm("order", "show", "1", "-f", "json").json()
    refused = crm("order", "edit", "1", "--amount", "1000", ok=False)
    stale = crm("order", "edit", "1", "--notes", "x", "--if-version", "1", ok=False)
    log = crm("audit", "list", "--object", "orders", "-f", "json").json()
    assert said.strip() == "order #1 updated: 4,500.00 USD ordered 2026-11-23, due 2027-01-15"
    assert cleared.strip() == "order #1 updated: 4,500.00 USD ordered 2026-11-23, no due date"
    assert (shown["amount"], shown["due_on"], shown["notes"], shown["version"]) == (
        4500.0,
        None,
        "call first",
        3,
    )
    assert refused.code == 2
    assert "less than the 1,200.00 USD paid on order #1" in refused.err
    assert stale.code == 3
    assert [e["action"] for e in log] == ["edit", "edit", "create"]
    assert log[1]["changes"]["amount_minor"] == [500_000, 450_000]
