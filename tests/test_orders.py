"""Orders on won deals, payments against them (paid_minor kept, no overpaying by accident),
and receivables per customer and per rep as of a day, to the cent."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from tests.clihelp import Crm
from tests.conftest import NOW
from tinycrm.db.store import Database, session_scope
from tinycrm.errors import Conflict, InvalidInput, NotFound
from tinycrm.models import (
    CompanyCreate,
    ContactCreate,
    DealCreate,
    Order,
    Payment,
    UserCreate,
)
from tinycrm.money import Money
from tinycrm.services import companies, contacts, deals, orders, users
from tinycrm.services.refs import resolve_user
from tinycrm.services.reports import receivables
from tinycrm.services.reports.receivables import ReceivableRow

TODAY = date(2026, 11, 23)


def _deal(s: Session, title: str, amount: int, owner: str, won: bool = True, **kw: str) -> int:
    row = deals.create_deal(
        s,
        data=DealCreate(title=title, amount_minor=amount, owner=owner, **kw),  # type: ignore[arg-type]
        currency="EUR",
        actor=resolve_user(s, owner),
        now=NOW - timedelta(days=60),
    )
    if won:
        deals.win_deal(s, ref=row.id, actor=None, now=NOW - timedelta(days=55))
    return row.id


def populate(db: Database) -> dict[str, int]:
    """Acme (won 12,500.00 EUR, Ann), Dan Moss with no company (won 3,000.00, Bob), Globex
    (won 1,000.00 USD, Ann), an open Acme deal; four orders and four payments."""
    with session_scope(db, write=True) as s:
        for name in ("Ann Lee", "Bob Stone"):
            users.create_user(s, data=UserCreate(name=name), currency="EUR")
        for name in ("Acme", "Globex"):
            companies.create_company(s, data=CompanyCreate(name=name))
        contacts.create_contact(s, data=ContactCreate(name="Dan Moss"), region="US")
        ids = {
            "acme": _deal(s, "Acme renewal", 1_250_000, "ann", company="Acme"),
            "dan": _deal(s, "Dan consulting", 300_000, "bob", contact="Dan Moss"),
            "globex": _deal(s, "Globex pilot", 100_000, "ann", company="Globex", currency="USD"),
            "open": _deal(s, "Acme upsell", 40_000, "ann", won=False, company="Acme"),
        }
        for key, deal, amount, on, due in (
            ("o1", "acme", "12000", date(2026, 10, 1), date(2026, 11, 1)),
            ("o2", "acme", None, date(2026, 11, 10), date(2026, 12, 31)),
            ("o3", "dan", "3000", date(2026, 10, 15), date(2026, 11, 15)),
            ("o4", "globex", "1000", date(2026, 10, 20), date(2026, 11, 1)),
        ):
            ids[key] = orders.create_order(
                s, deal=ids[deal], amount=amount, ordered_on=on, due_on=due, now=NOW
            ).id
        for order, amount, on, method in (
            ("o1", "5000", date(2026, 11, 20), "Transfer"),
            ("o1", "1234.56", date(2026, 11, 22), "card"),
            ("o3", "3,000.00", date(2026, 11, 10), None),
            ("o2", "0.01", date(2026, 11, 23), None),
        ):
            orders.add_payment(
                s, order=ids[order], amount=amount, received_on=on, method=method, now=NOW
            )
    return ids


@pytest.fixture
def ids(db: Database) -> dict[str, int]:
    return populate(db)


def test_orders_are_in_the_deal_currency_and_default_to_what_is_left(
    db: Database, ids: dict[str, int]
) -> None:
    with session_scope(db, write=False) as s:
        listed = orders.list_orders(s, today=TODAY)
    rows = {r.id: r for r in listed}
    assert rows[ids["o2"]].amount == Money(50_000, "EUR")  # 12,500.00 − 12,000.00
    assert rows[ids["o4"]].amount == Money(100_000, "USD")
    o1 = rows[ids["o1"]]
    assert (o1.customer, o1.owner, o1.deal) == ("Acme", "Ann Lee", "Acme renewal")
    assert (o1.paid, o1.outstanding, o1.overdue) == (
        Money(623_456, "EUR"),
        Money(576_544, "EUR"),
        True,
    )
    assert rows[ids["o3"]].customer == "Dan Moss"
    assert [r.id for r in listed] == [
        ids["o2"], ids["o4"], ids["o3"], ids["o1"],
    ]  # fmt: skip


def test_an_order_needs_a_won_deal_and_a_right_amount(db: Database, ids: dict[str, int]) -> None:
    with session_scope(db, write=True) as s:
        with pytest.raises(Conflict, match=r"^deal #\d+ is open; only a won deal has orders$"):
            orders.create_order(s, deal=ids["open"], amount="10", ordered_on=TODAY, now=NOW)
        with pytest.raises(Conflict, match=r"is already fully ordered; give an amount for more$"):
            orders.create_order(s, deal=ids["acme"], amount=None, ordered_on=TODAY, now=NOW)
        with pytest.raises(InvalidInput, match="must be in EUR"):
            orders.create_order(s, deal=ids["acme"], amount="10 USD", ordered_on=TODAY, now=NOW)
        with pytest.raises(InvalidInput, match="more than zero"):
            orders.create_order(s, deal=ids["acme"], amount="0", ordered_on=TODAY, now=NOW)
        with pytest.raises(InvalidInput, match="before the order date"):
            orders.create_order(
                s, deal=ids["acme"], amount="1", ordered_on=TODAY, due_on=date(2026, 1, 1), now=NOW
            )
        assert s.exec(select(func.count()).select_from(Order)).one() == 4


def test_a_payment_never_exceeds_what_is_outstanding_unless_allowed(
    db: Database, ids: dict[str, int]
) -> None:
    with session_scope(db, write=True) as s:
        with pytest.raises(InvalidInput, match=r"more than the 5,765.44 EUR outstanding on order"):
            orders.add_payment(s, order=ids["o1"], amount="5765.45", received_on=TODAY, now=NOW)
        with pytest.raises(Conflict, match=r"^order #\d+ is already paid in full$"):
            orders.add_payment(s, order=ids["o3"], amount="0.01", received_on=TODAY, now=NOW)
        with pytest.raises(InvalidInput, match="must be in EUR"):
            orders.add_payment(s, order=ids["o1"], amount="5 USD", received_on=TODAY, now=NOW)
        with pytest.raises(InvalidInput, match="before the order date"):
            orders.add_payment(
                s, order=ids["o2"], amount="1", received_on=date(2026, 11, 9), now=NOW
            )
        paid = orders.add_payment(
            s, order=ids["o1"], amount="6000", received_on=TODAY, allow_overpay=True, now=NOW
        )
        assert paid.amount == Money(600_000, "EUR")
        order = s.get(Order, ids["o1"])
        assert order is not None and order.paid_minor == 1_223_456
        row = orders.get_order(s, ref=ids["o1"], today=TODAY).row
        assert (row.outstanding, row.overdue) == (Money(0, "EUR"), False)


def test_payments_are_listed_and_removing_one_owes_it_again(
    db: Database, ids: dict[str, int]
) -> None:
    with session_scope(db, write=True) as s:
        listed = orders.list_payments(s, order=ids["o1"])
        assert [(p.amount.minor, p.method) for p in listed] == [
            (123_456, "card"), (500_000, "transfer"),
        ]  # fmt: skip
        window = orders.list_payments(s, since=date(2026, 11, 11), until=date(2026, 11, 22))
        assert [p.amount.minor for p in window] == [123_456, 500_000]
        assert [p.customer for p in orders.list_payments(s, method="TRANSFER")] == ["Acme"]
        orders.delete_payment(s, ref=listed[0].id)
        order = s.get(Order, ids["o1"])
        assert order is not None and order.paid_minor == 500_000
        assert orders.list_orders(s, today=TODAY, state="paid")[0].id == ids["o3"]
        assert [r.id for r in orders.list_orders(s, today=TODAY, state="overdue")] == [
            ids["o4"], ids["o1"],
        ]  # fmt: skip
        orders.delete_order(s, ref=ids["o1"])
        assert s.exec(select(func.count()).select_from(Payment)).one() == 2
        with pytest.raises(NotFound):
            orders.get_order(s, ref=ids["o1"], today=TODAY)


def _receivables(db: Database, as_of: date, by: str = "customer") -> receivables.Receivables:
    with session_scope(db, write=False) as s:
        return receivables.receivables(s, as_of=as_of, currency="EUR", by=by)


def test_receivables_per_customer_today(db: Database, ids: dict[str, int]) -> None:
    found = _receivables(db, TODAY)
    assert found.rows == [
        ReceivableRow("Acme", 2, 626_543, 1, 576_544, date(2026, 11, 1), 0),
        ReceivableRow("Globex", 0, 0, 0, 0, None, 1),
    ]
    assert found.total == ReceivableRow("total", 2, 626_543, 1, 576_544, date(2026, 11, 1), 1)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        # P2 (1,234.56) and P4 (0.01) come later: O1 owes 7,000.00, O2 all of 500.00.
        (date(2026, 11, 21), [("Acme", 2, 750_000, 1, 700_000)]),
        # Nothing paid on O1 yet; Dan paid on the 10th.
        (date(2026, 11, 12), [("Acme", 2, 1_250_000, 1, 1_200_000)]),
        # O2 not ordered yet; Dan's order not due until the 15th, not paid until the 10th.
        (date(2026, 11, 5), [("Acme", 1, 1_200_000, 1, 1_200_000), ("Dan Moss", 1, 300_000, 0, 0)]),
        (date(2026, 9, 30), []),
    ],
)
def test_receivables_as_of_an_earlier_day(
    db: Database, ids: dict[str, int], as_of: date, expected: list[tuple[object, ...]]
) -> None:
    found = _receivables(db, as_of)
    assert [
        (r.name, r.orders, r.outstanding_minor, r.overdue_orders, r.overdue_minor)
        for r in found.rows
        if r.orders
    ] == expected
    assert found.total.outstanding_minor == sum(int(str(e[2])) for e in expected)


def test_receivables_per_rep(db: Database, ids: dict[str, int]) -> None:
    assert _receivables(db, TODAY, by="rep").rows == [
        ReceivableRow("Ann Lee", 2, 626_543, 1, 576_544, date(2026, 11, 1), 1)
    ]
    early = _receivables(db, date(2026, 11, 5), by="rep").rows
    assert [(r.name, r.outstanding_minor) for r in early] == [
        ("Ann Lee", 1_200_000), ("Bob Stone", 300_000),
    ]  # fmt: skip
    with pytest.raises(InvalidInput, match="customer or rep"):
        _receivables(db, TODAY, by="owner")


# --- CLI -----------------------------------------------------------------------------------


@pytest.fixture
def cli_env() -> dict[str, str]:
    return {"CRM_NOW": "2026-11-23T09:30:00+00:00", "CRM_CURRENCY": "EUR"}


def test_cli_order_and_payment(crm: Crm, ids: dict[str, int]) -> None:
    refused = crm("order", "add", "--deal", str(ids["open"]), "--amount", "10", ok=False)
    assert (refused.code, refused.err.strip()) == (
        3,
        f"crm: error: deal #{ids['open']} is open; only a won deal has orders",
    )
    crm("deal", "won", str(ids["open"]))
    added = crm("order", "add", "--deal", str(ids["open"]), "--due", "2026-12-31")
    assert added.out.startswith("order #5 added: 400.00 EUR for deal #")
    over = crm("payment", "add", "--order", "5", "--amount", "400.01", ok=False)
    assert over.code == 2 and "more than the 400.00 EUR outstanding on order #5" in over.err
    paid = crm("payment", "add", "--order", "5", "--amount", "150", "--date", "2026-11-23",
               "--method", "transfer", "--reference", "INV-9")  # fmt: skip
    assert paid.out.strip() == "payment #5 added: 150.00 EUR on order #5 (250.00 EUR outstanding)"
    shown = crm("order", "show", "5", "--format", "json").json()
    assert (shown["amount"], shown["paid"], shown["outstanding"]) == (400.0, 150.0, 250.0)
    assert shown["payments"][0]["reference"] == "INV-9"
    listed = crm("payment", "list", "--order", "5", "--format", "csv").out.splitlines()
    assert listed[1] == "5,5,Acme,150.00,EUR,2026-11-23,transfer,INV-9"
    crm("payment", "rm", "5", "--yes")
    assert crm("order", "show", "5", "-f", "json").json()["paid"] == 0.0
    crm("order", "rm", "1", "--yes")
    assert [o["id"] for o in crm("order", "list", "-f", "json").json()] == [5, 2, 4, 3]


def test_cli_receivables_report(ids: dict[str, int], crm: Crm) -> None:
    rows = crm("report", "receivables", "--format", "json").json()
    assert rows[0] == {
        "name": "Acme",
        "orders": 2,
        "outstanding": 6265.43,
        "overdue_orders": 1,
        "overdue": 5765.44,
        "oldest_due": "2026-11-01",
        "other_currency": 0,
        "currency": "EUR",
    }
    assert [r["name"] for r in rows] == ["Acme", "Globex", "total"]
    csv_out = crm("report", "receivables", "--by", "rep", "--as-of", "2026-11-05", "-f", "csv")
    assert csv_out.out.splitlines() == [
        "name,orders,outstanding,overdue_orders,overdue,oldest_due,other_currency,currency",
        "Ann Lee,1,12000.00,1,12000.00,2026-11-01,1,EUR",
        "Bob Stone,1,3000.00,0,0.00,,0,EUR",
        "total,2,15000.00,1,12000.00,2026-11-01,1,EUR",
    ]
    top = crm("report", "receivables", "--limit", "1", "-f", "json").json()
    assert [(r["name"], r["other_currency"]) for r in top] == [("Acme", 0), ("total", 1)]
    table = crm("report", "receivables").out
    assert "Receivables by customer, as of 2026-11-23" in table and "6,265.43" in table


def test_a_receivables_table_shows_a_page_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinycrm.commands.reports import receivables as receivables_command

    monkeypatch.setattr(receivables_command, "TABLE_LIMIT", 1)
    crm = Crm()
    db = str(tmp_path / "crm.db")
    crm("--db", db, "init")
    for name, amount in (("Acme", "900"), ("Globex", "700")):
        crm("--db", db, "company", "add", name)
        crm("--db", db, "deal", "add", f"{name} deal", "--amount", amount, "--company", name)
    for deal_id in ("1", "2"):
        crm("--db", db, "deal", "won", deal_id)
        crm("--db", db, "order", "add", "--deal", deal_id)
    table = crm("--db", db, "report", "receivables").out
    assert "(the 1 largest of 2; --limit 0 shows all)" in " ".join(table.split())
    assert "Acme" in table and "Globex" not in table
    every = crm("--db", db, "report", "receivables", "--limit", "0", "-f", "json").json()
    assert [r["name"] for r in every] == ["Acme", "Globex", "total"]
    assert [r["outstanding"] for r in every] == [900.0, 700.0, 1600.0]
