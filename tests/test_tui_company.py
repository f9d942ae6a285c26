"""Company detail: its people, deals, orders with what is owed, tickets and timeline, the
services behind them (orders and tickets by company, the totals owed), and the ways to
reach it from contact and deal detail; checked in the database and against exact figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from tests.conftest import NOW
from tests.tuihelp import ACTOR, database, make_app, palette, rendered, settle
from tinycrm.config import load_settings
from tinycrm.db.store import open_database, session_scope
from tinycrm.models import (
    Activity,
    Company,
    CompanyCreate,
    ContactCreate,
    ContactStatus,
    DealCreate,
    Role,
    Ticket,
    UserCreate,
)
from tinycrm.money import Money
from tinycrm.screens.company import CompanyScreen
from tinycrm.screens.contact import ContactScreen
from tinycrm.screens.deal import DealScreen
from tinycrm.services.companies import Owed, create_company, order_totals
from tinycrm.services.contacts import create_contact
from tinycrm.services.deals import create_deal, win_deal
from tinycrm.services.orders import OrderRow, add_payment, create_order, list_orders
from tinycrm.services.tickets import list_tickets, open_ticket, resolve_ticket
from tinycrm.services.users import create_user

SIZE = (120, 40)
OTHER_USER = "Daniel Okafor"


@dataclass(frozen=True)
class Firm:
    """The ids of a small database: a company with two people, a won deal with two orders
    (one overdue and part paid, one paid), an open deal, tickets, and a second company."""

    path: Path
    company: int
    eva: int
    pieter: int
    won: int
    open_deal: int
    late_order: int
    paid_order: int
    eva_ticket: int
    firm_ticket: int
    resolved_ticket: int
    other_ticket: int
    lead: int


def build(path: Path) -> Firm:
    db = open_database(load_settings(db_path=str(path), currency="USD"))
    with session_scope(db, write=True) as s:
        for name, role in ((ACTOR, Role.manager), (OTHER_USER, Role.rep)):  # as in the demo
            create_user(s, data=UserCreate(name=name, role=role), currency="USD", now=NOW)
        firm = create_company(
            s,
            data=CompanyCreate(
                name="Harbour Freight BV", domain="harbourfreight.example", industry="Logistics",
                city="Rotterdam", country="NL", owner=ACTOR, custom={"tier": "gold"},
            ),
            now=NOW,
        ).row.id  # fmt: skip
        other = create_company(s, data=CompanyCreate(name="Elsewhere Ltd"), now=NOW).row.id

        def person(name: str, company: int | None, status: str = "customer") -> int:
            data = ContactCreate(
                name=name, company=str(company) if company else None, status=ContactStatus(status)
            )
            return create_contact(s, data=data, region="NL", now=NOW).row.id

        eva, pieter = person("Eva Jansen", firm), person("Pieter de Vries", firm)
        stranger = person("Sam Stranger", other)
        lead = create_contact(
            s,
            data=ContactCreate(name="Lena Lead", status=ContactStatus.lead, owner=OTHER_USER),
            region="NL",
            now=NOW,
        ).row.id

        def deal(title: str, amount: int) -> int:
            data = DealCreate(title=title, amount_minor=amount, company=str(firm), contact=str(eva))
            return create_deal(s, data=data, currency="USD", actor=None, now=NOW).id

        won, open_deal = deal("Cold chain pilot", 3_000_000), deal("Depot scanners", 500_000)
        win_deal(s, ref=won, actor=None, now=NOW)
        late = create_order(
            s, deal=won, amount="20000", ordered_on=date(2026, 10, 1), due_on=date(2026, 11, 10),
            now=NOW,
        ).id  # fmt: skip
        paid = create_order(
            s, deal=won, amount="10000", ordered_on=date(2026, 11, 15), due_on=date(2026, 12, 15),
            now=NOW,
        ).id  # fmt: skip
        add_payment(s, order=late, amount="4000", received_on=date(2026, 11, 5), now=NOW)
        add_payment(s, order=paid, amount="10000", received_on=date(2026, 11, 20), now=NOW)

        def ticket(subject: str, hours: int, **link: Any) -> int:
            opened = NOW - timedelta(hours=hours)
            return open_ticket(s, subject=subject, now=opened, **link).id

        eva_ticket = ticket("Tracker offline", 2, contact=str(eva))
        firm_ticket = ticket("Invoice address wrong", 100, company=str(firm))
        resolved = ticket("Login fails", 50, contact=str(pieter))
        resolve_ticket(s, ref=resolved, now=NOW - timedelta(hours=1), csat=3)
        other_ticket = ticket("Not theirs", 3, contact=str(stranger))
    db.engine.dispose()
    return Firm(
        path, firm, eva, pieter, won, open_deal, late, paid, eva_ticket, firm_ticket, resolved,
        other_ticket, lead,
    )  # fmt: skip


@pytest.fixture
def firm(empty_db: Path, monkeypatch: pytest.MonkeyPatch) -> Firm:
    monkeypatch.setenv("CRM_NOW", NOW.isoformat())
    return build(empty_db)


# --- the services behind the screen ---------------------------------------------------------


def test_orders_tickets_and_totals_of_a_company(firm: Firm) -> None:
    db = database(firm.path)
    with session_scope(db, write=False) as s:
        by_company = list_orders(s, today=NOW.date(), company=str(firm.company))
        by_name = list_orders(s, today=NOW.date(), company="harbour freight bv")
        by_contact = list_orders(s, today=NOW.date(), contact=str(firm.eva))
        none_for_pieter = list_orders(s, today=NOW.date(), contact=str(firm.pieter))
        overdue = list_orders(s, today=NOW.date(), state="overdue", company=str(firm.company))
        tickets = list_tickets(s, now=NOW, status="all", company=str(firm.company))
        open_only = list_tickets(s, now=NOW, company="Harbour Freight BV")
    db.engine.dispose()
    assert [o.id for o in by_company] == [firm.paid_order, firm.late_order]
    assert [o.id for o in by_name] == [o.id for o in by_contact] == [o.id for o in by_company]
    assert none_for_pieter == []
    assert [o.id for o in overdue] == [firm.late_order]
    assert [(t.id, t.state) for t in tickets] == [
        (firm.firm_ticket, "overdue"),  # opened for the company itself, 100 hours ago
        (firm.eva_ticket, "open"),
        (firm.resolved_ticket, "resolved"),
    ]
    assert [t.id for t in open_only] == [firm.firm_ticket, firm.eva_ticket]
    assert order_totals(by_company) == [
        Owed(
            orders=2,
            ordered=Money(3_000_000, "USD"),
            paid=Money(1_400_000, "USD"),
            outstanding=Money(1_600_000, "USD"),
            overdue=Money(1_600_000, "USD"),
        )
    ]
    assert order_totals([]) == []


# --- the screen -----------------------------------------------------------------------------


def lines(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.strip()]


@pytest.mark.asyncio
async def test_company_detail_from_contact_detail_shows_what_is_owed(firm: Firm) -> None:
    async with make_app(firm.path).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(firm.eva))
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, CompanyScreen) and screen.company_id == firm.company
        parts = ("fields", "contacts", "deals", "owed", "orders", "tickets", "timeline")
        shown = {p: rendered(screen.query_one(f"#company-{p}")) for p in parts[:-1]}
        titles = palette(pilot.app)
    fields = [" ".join(row) for row in lines(shown["fields"])]
    assert fields == [
        f"Company Harbour Freight BV (#{firm.company})", "Domain harbourfreight.example",
        "Industry Logistics", "City Rotterdam", "Country NL", "Owner Maria Lopez", "tier gold",
    ]  # fmt: skip
    assert [row[0] for row in lines(shown["contacts"])] == [f"#{firm.eva}", f"#{firm.pieter}"]
    assert [" ".join(row) for row in lines(shown["deals"])] == [
        f"#{firm.won} Cold chain pilot · won · 30,000.00 USD",
        f"#{firm.open_deal} Depot scanners · lead · 5,000.00 USD",
    ]
    assert lines(shown["owed"]) == [
        ["orders", "ordered", "USD", "paid", "USD", "outstanding", "USD", "overdue", "USD"],
        ["2", "30,000.00", "14,000.00", "16,000.00", "16,000.00"],
    ]
    assert lines(shown["orders"])[1:] == [
        [f"#{firm.paid_order}", f"#{firm.won}", "2026-11-15", "2026-12-15", "10,000.00",
         "10,000.00", "0.00"],
        [f"#{firm.late_order}", f"#{firm.won}", "2026-10-01", "2026-11-10", "late", "20,000.00",
         "4,000.00", "16,000.00"],
    ]  # fmt: skip
    ticket_ids = [row[0] for row in lines(shown["tickets"])[1:]]
    assert ticket_ids == [f"#{firm.firm_ticket}", f"#{firm.eva_ticket}", f"#{firm.resolved_ticket}"]
    assert {
        "company: Edit", "company: Log activity", "company: Schedule follow-up",
        "company: Open ticket", "contact: Open", "deal: Open", "ticket: Resolve",
        "ticket: Reopen", "ticket: Rate satisfaction (1-5)", "ticket: Comment",
        "kb: Search and read articles",
    } <= set(titles)  # fmt: skip


@pytest.mark.asyncio
async def test_company_detail_from_deal_detail_and_only_when_there_is_one(firm: Firm) -> None:
    async with make_app(firm.path).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(firm.lead))  # no company
        await settle(pilot)
        no_company = palette(pilot.app)
        await pilot.press("g")
        await settle(pilot)
        still = type(pilot.app.screen)
        await pilot.press("escape")
        pilot.app.push_screen(DealScreen(firm.open_deal))
        await settle(pilot)
        on_deal = palette(pilot.app)
        await pilot.press("g")
        await settle(pilot)
        opened = pilot.app.screen
    assert "contact: Open company" not in no_company and still is ContactScreen
    assert "deal: Open company" in on_deal
    assert isinstance(opened, CompanyScreen) and opened.company_id == firm.company


@pytest.mark.asyncio
async def test_edit_a_company(firm: Firm) -> None:
    async with make_app(firm.path).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(CompanyScreen(firm.company))
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        form = pilot.app.screen
        form.query_one("#field-city").value = "Amsterdam"  # type: ignore[attr-defined]
        form.query_one("#field-owner").value = "daniel"  # type: ignore[attr-defined]
        form.query_one("#field-custom").value = "tier=platinum"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        fields = rendered(pilot.app.screen.query_one("#company-fields"))
        await pilot.press("e")
        await pilot.pause()
        pilot.app.screen.query_one("#field-custom").value = "tier="  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
    db = database(firm.path)
    with session_scope(db, write=False) as s:
        company = s.get(Company, firm.company)
        assert company is not None
        assert (company.name, company.city, company.country, company.custom) == (
            "Harbour Freight BV", "Amsterdam", "NL", {},
        )  # fmt: skip
        assert company.owner_id == 2  # Daniel Okafor, the second user
    db.engine.dispose()
    shown = [" ".join(row) for row in lines(fields)]
    assert {"City Amsterdam", "tier platinum", f"Owner {OTHER_USER}"} <= set(shown)


@pytest.mark.asyncio
async def test_log_an_activity_and_open_a_ticket_for_the_company(firm: Firm) -> None:
    async with make_app(firm.path).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(CompanyScreen(firm.company))
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"Quarterly review", "ctrl+s")
        await settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        await pilot.press(*"Pallets damaged", "ctrl+s")
        await settle(pilot)
        timeline = rendered(pilot.app.screen.query_one("#company-timeline"))
        tickets = rendered(pilot.app.screen.query_one("#company-tickets"))
    db = database(firm.path)
    with session_scope(db, write=False) as s:
        logged = list(s.exec(select(Activity)))
        opened = s.exec(select(Ticket).where(Ticket.subject == "Pallets damaged")).one()
    db.engine.dispose()
    assert [(a.subject, a.kind, a.company_id, a.contact_id, a.done_at) for a in logged] == [
        ("Quarterly review", "call", firm.company, None, NOW)
    ]
    assert (opened.company_id, opened.contact_id, opened.due_at) == (
        firm.company, None, NOW + timedelta(hours=72),
    )  # fmt: skip
    assert "Quarterly review" in timeline
    assert f"#{opened.id}" in tickets and "Pallets damaged" in tickets


@pytest.mark.asyncio
async def test_open_one_of_its_contacts_and_one_of_its_deals(firm: Firm) -> None:
    async with make_app(firm.path).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(CompanyScreen(firm.company))
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("down", "enter")
        await settle(pilot)
        contact = pilot.app.screen
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        deal = pilot.app.screen
    assert isinstance(contact, ContactScreen) and contact.contact_id == firm.pieter
    assert isinstance(deal, DealScreen) and deal.deal_id == firm.won


def test_totals_owed_are_kept_apart_per_currency() -> None:
    def order(amount: int, paid: int, currency: str, *, late: bool) -> OrderRow:
        left = max(amount - paid, 0)
        money = [Money(m, currency) for m in (amount, paid, left)]
        total, received, owed = money
        return OrderRow(
            1, 1, "d", "c", None, total, received, owed, date(2026, 11, 1), None, late, None
        )

    rows = [
        order(10_000, 2_500, "USD", late=True),
        order(5_000, 6_000, "EUR", late=False),  # overpaid: owes nothing, credits nothing
        order(7_000, 0, "EUR", late=True),
        order(1_000, 0, "USD", late=False),
    ]
    assert order_totals(rows) == [
        Owed(2, Money(12_000, "EUR"), Money(6_000, "EUR"), Money(7_000, "EUR"),
             Money(7_000, "EUR")),
        Owed(2, Money(11_000, "USD"), Money(2_500, "USD"), Money(8_500, "USD"),
             Money(7_500, "USD")),
    ]  # fmt: skip


@pytest.mark.asyncio
async def test_long_sections_say_how_many_more_there_are(
    firm: Firm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tinycrm.screens.company.SHOWN", 1)
    async with make_app(firm.path).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(CompanyScreen(firm.company))
        await settle(pilot)
        people = lines(rendered(pilot.app.screen.query_one("#company-contacts")))
        deals = lines(rendered(pilot.app.screen.query_one("#company-deals")))
    assert people == [[f"#{firm.eva}", "Eva", "Jansen", "·", "customer"], ["…", "1", "more"]]
    assert [row[0] for row in deals] == [f"#{firm.won}", "…"] and deals[1] == ["…", "1", "more"]
