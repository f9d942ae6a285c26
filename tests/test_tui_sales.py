"""Leads, tickets, orders and payments from contact and deal detail, and the new tables of
the reports screen, checked in the database and against the services' own figures."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from textual.app import App

from tests.conftest import NOW
from tests.tuihelp import (
    ACTOR,
    database,
    make_app,
    notices,
    palette,
    recording,
    rendered,
    settle,
)
from tinycrm.context import AppState
from tinycrm.db.store import session_scope
from tinycrm.models import Contact, ContactUpdate, Order, OwnerChange, Payment, Ticket, User
from tinycrm.money import Money
from tinycrm.screens.contact import ContactScreen
from tinycrm.screens.deal import DealScreen
from tinycrm.screens.reports import ReportsScreen
from tinycrm.services.campaigns import create_campaign
from tinycrm.services.contacts import update_contact
from tinycrm.services.orders import add_payment, create_order
from tinycrm.services.reports.receivables import receivables
from tinycrm.tui import CrmApp

pytestmark = [pytest.mark.asyncio, pytest.mark.demo(aftersale=False)]
SIZE = (120, 40)
POOL_LEAD = 30  # Aisha Bello: a lead nobody owns
OWNED_LEAD = 24  # Yuki Tanaka: a lead of 王芳's
WON_DEAL = 1  # Fleet tracking for 60 trucks, 48,000.00 USD, won


def errors(app: App[Any]) -> list[str]:
    return [n.message for n in notices(app) if n.severity == "error"]


async def test_claim_a_lead_from_the_pool(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(POOL_LEAD))
        await settle(pilot)
        before = palette(pilot.app)
        await pilot.press("c")
        await settle(pilot)
        after = palette(pilot.app)
        fields = rendered(pilot.app.screen.query_one("#contact-fields"))
    db = database(demo)
    with session_scope(db, write=False) as session:
        maria = session.exec(select(User).where(User.name == ACTOR)).one()
        lead = session.get(Contact, POOL_LEAD)
        changes = list(session.exec(select(OwnerChange)))
    db.engine.dispose()
    assert lead is not None and (lead.owner_id, lead.status) == (maria.id, "lead")
    assert [(c.record_id, c.from_user_id, c.to_user_id, c.reason) for c in changes] == [
        (POOL_LEAD, None, maria.id, "claim")
    ]
    assert {"lead: Claim", "lead: Qualify", "lead: Drop"} <= set(before)
    assert "lead: Claim" not in after and "lead: Drop" in after  # owned now: no claim
    assert "Owner      Maria Lopez" in fields


async def test_claiming_with_no_user_says_how_to_be_one(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_USER", raising=False)
    monkeypatch.setenv("CRM_CONFIG", str(demo.parent / "none.toml"))
    app = recording(CrmApp(AppState(db_path=str(demo))))
    async with app.run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(POOL_LEAD))
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        said = [(n.severity, n.message) for n in notices(pilot.app)]
    db = database(demo)
    with session_scope(db, write=False) as session:
        lead = session.get(Contact, POOL_LEAD)
    db.engine.dispose()
    assert lead is not None and lead.owner_id is None
    assert said == [
        (
            "error",
            "claimed by: who claims it? no acting user is set; start the app as you "
            "(crm --as USER) or set CRM_USER; A assigns it to someone",
        )
    ]


async def test_lead_actions_only_on_a_lead_and_drop_asks_why(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(1))  # a customer
        await settle(pilot)
        customer = palette(pilot.app)
        await pilot.press("c", "d")  # no lead actions: nothing happens
        await settle(pilot)
        await pilot.press("escape")
        pilot.app.push_screen(ContactScreen(OWNED_LEAD))
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("enter")  # no reason: the form stays open
        await pilot.pause()
        still_asking = type(pilot.app.screen).__name__
        await pilot.press(*"duplicate of #23", "enter")
        await settle(pilot)
    assert [t for t in customer if t.startswith("lead:")] == []
    assert "contact: Open ticket" in customer
    assert still_asking == "FormDialog"
    db = database(demo)
    with session_scope(db, write=False) as session:
        customer_row, dropped = session.get(Contact, 1), session.get(Contact, OWNED_LEAD)
        assert customer_row is not None and customer_row.status == "customer"
        assert dropped is not None
        assert (dropped.status, dropped.drop_reason, dropped.owner_id) == (
            "inactive",
            "duplicate of #23",
            None,
        )
    db.engine.dispose()


async def test_open_a_ticket_from_contact_detail(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(1))
        await settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        pilot.app.screen.query_one("#field-priority").value = "high"  # type: ignore[attr-defined]
        await pilot.press(*"Tracker offline", "ctrl+s")
        await settle(pilot)
        shown = rendered(pilot.app.screen.query_one("#contact-tickets"))
    db = database(demo)
    with session_scope(db, write=False) as session:
        maria = session.exec(select(User).where(User.name == ACTOR)).one()
        tickets = list(session.exec(select(Ticket)))
    db.engine.dispose()
    assert [
        (t.subject, t.contact_id, t.company_id, t.priority, t.owner_id, t.opened_at, t.due_at)
        for t in tickets
    ] == [("Tracker offline", 1, 1, "high", maria.id, NOW, NOW + timedelta(hours=24))]
    assert "#1" in shown and "Tracker offline" in shown and "2026-11-24 09:30" in shown


async def test_add_an_order_and_payments_from_deal_detail(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(DealScreen(WON_DEAL))
        await settle(pilot)
        no_order = palette(pilot.app)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press(*"10000", "tab", *"2026-12-31", "enter")
        await settle(pilot)
        with_order = palette(pilot.app)
        await pilot.press("p")
        await pilot.pause()
        prefilled = pilot.app.screen.query_one("#field-amount").value  # type: ignore[attr-defined]
        pilot.app.screen.query_one("#field-amount").value = "2500"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        pilot.app.screen.query_one("#field-amount").value = "9000"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        refused = errors(pilot.app)
        back = pilot.app.screen.query_one("#field-amount").value  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        orders = rendered(pilot.app.screen.query_one("#deal-orders"))
    assert "order: Add payment" not in no_order and "deal: Add order" in no_order
    assert "order: Add payment" in with_order
    assert prefilled == "10000.00"
    assert refused == ["payment amount: more than the 7,500.00 USD outstanding on order #1: '9000'"]
    assert back == "9000"  # the form came back as typed
    db = database(demo)
    with session_scope(db, write=False) as session:
        order = session.exec(select(Order)).one()
        payments = list(session.exec(select(Payment).order_by(col(Payment.id))))
    db.engine.dispose()
    assert (order.deal_id, order.amount_minor, order.ordered_on, order.due_on) == (
        WON_DEAL,
        1_000_000,
        NOW.date(),
        date(2026, 12, 31),
    )
    assert order.paid_minor == 250_000
    assert [(p.order_id, p.amount_minor, p.received_on) for p in payments] == [
        (order.id, 250_000, NOW.date())
    ]
    header, row = [line.split() for line in orders.splitlines() if line.strip()]
    assert header == ["order", "ordered", "due", "amount", "USD", "paid", "USD", "owed", "USD"]
    assert row == [f"#{order.id}", "2026-11-23", "2026-12-31", "10,000.00", "2,500.00", "7,500.00"]


async def test_an_order_on_an_open_deal_is_refused_with_a_notification(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(DealScreen(24))
        await settle(pilot)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press(*"500", "enter")  # enter saves from any field
        await settle(pilot)
        refused = errors(pilot.app)
    assert refused == ["deal #24 is open; only a won deal has orders"]
    db = database(demo)
    with session_scope(db, write=False) as session:
        assert list(session.exec(select(Order))) == []
    db.engine.dispose()


async def test_reports_show_receivables_campaigns_abc_and_service(demo: Path) -> None:
    db = database(demo)
    with session_scope(db, write=True) as session:
        late = create_order(
            session, deal=1, amount="20000", ordered_on=date(2026, 10, 1),
            due_on=date(2026, 10, 31), now=NOW,
        )  # fmt: skip
        soon = create_order(
            session, deal=2, amount=None, ordered_on=date(2026, 11, 2), due_on=date(2026, 12, 2),
            now=NOW,
        )  # fmt: skip
        add_payment(session, order=late.id, amount="9000", received_on=date(2026, 11, 3), now=NOW)
        add_payment(session, order=soon.id, amount="1000", received_on=date(2026, 11, 4), now=NOW)
        create_campaign(
            session, name="Autumn webinar", currency="USD", cost_minor=150_000,
            starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 15), now=NOW,
        )  # fmt: skip
    with session_scope(db, write=False) as session:
        owed = receivables(session, as_of=NOW.date(), currency="USD", by="customer")
    db.engine.dispose()
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ReportsScreen)
        shown = {
            part: rendered(screen.query_one(f"#reports-{part}"))
            for part in ("receivables-title", "receivables", "campaigns", "abc", "service")
        }
    total = owed.total
    assert (total.orders, total.outstanding_minor, total.overdue_minor) == (2, 2_250_000, 1_100_000)
    total_line = next(line for line in shown["receivables"].splitlines() if "total" in line)
    assert total_line.split() == [
        "total", "2", *str(Money(total.outstanding_minor, "USD")).split(),
        *str(Money(total.overdue_minor, "USD")).split(), "2026-10-31",
    ]  # fmt: skip
    assert total_line.split()[2] == "22,500.00"
    assert "Receivables as of 2026-11-23" in shown["receivables-title"]
    assert "Autumn webinar" in shown["campaigns"] and "1,500.00 USD" in shown["campaigns"]
    abc = {line.split()[0]: line.split()[1:] for line in shown["abc"].splitlines() if line.strip()}
    assert abc["A"] == ["1", "50.0%", "9,000.00", "USD", "90.0%"]
    assert abc["B"] == ["1", "50.0%", "1,000.00", "USD", "10.0%"]
    assert abc["C"] == ["0", "0.0%", "0.00", "USD", "0.0%"]
    service = [line.split() for line in shown["service"].splitlines()]
    assert service[0] == ["owner", "open", "overdue", "opened", "resolved", "late", "median", "h",
                          "CSAT"]  # fmt: skip
    assert service[-1][:7] == ["total", "0", "0", "0", "0", "0", "—"]


async def test_help_lists_the_actions_the_record_allows(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        texts = []
        for contact in (POOL_LEAD, 1):
            pilot.app.push_screen(ContactScreen(contact))
            await settle(pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            texts.append(rendered(pilot.app.screen.query_one("#help-text")))
            await pilot.press("escape", "escape")
            await pilot.pause()
    lead, customer = ([" ".join(line.split()) for line in t.splitlines()] for t in texts)
    for shown in (lead, customer):
        assert "t Open ticket" in shown and "Log call" in shown
    assert {"c lead: Claim", "q lead: Qualify", "d lead: Drop"} <= set(lead)
    assert not any("lead:" in line for line in customer)


async def test_contact_detail_shows_lifecycle_campaign_and_orders(demo: Path) -> None:
    db = database(demo)
    with session_scope(db, write=True) as session:
        order = create_order(
            session, deal=WON_DEAL, amount="20000", ordered_on=date(2026, 10, 1),
            due_on=date(2026, 11, 10), now=NOW,
        )  # fmt: skip
        add_payment(session, order=order.id, amount="4000", received_on=date(2026, 11, 5), now=NOW)
        create_campaign(session, name="Trade fair 2026", currency="USD", now=NOW)
        update_contact(
            session, ref="1", data=ContactUpdate(campaign="Trade fair 2026"), region="NL", now=NOW
        )
    db.engine.dispose()
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(1))
        await settle(pilot)
        fields = rendered(pilot.app.screen.query_one("#contact-fields"))
        orders = rendered(pilot.app.screen.query_one("#contact-orders"))
    assert "Lifecycle  new" in fields and "Campaign   Trade fair 2026" in fields
    header, row = [line.split() for line in orders.splitlines() if line.strip()]
    assert header[:4] == ["order", "deal", "ordered", "due"]
    assert row == [
        f"#{order.id}", f"#{WON_DEAL}", "2026-10-01", "2026-11-10", "late", "20,000.00",
        "4,000.00", "16,000.00",
    ]  # fmt: skip
