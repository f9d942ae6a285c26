"""Contact detail's actions on its tickets, deals and duplicates, and the RFM and retention
tables of the reports screen, checked in the database and against the services' figures."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from textual.app import App
from textual.widgets import OptionList

from tests.conftest import NOW
from tests.tuihelp import (
    ACTOR,
    database,
    make_app,
    palette,
    rendered,
    settle,
)
from tinycrm.db.store import session_scope
from tinycrm.models import Contact, ContactCreate, Deal, Ticket, TicketComment, User
from tinycrm.screens.contact import ContactScreen
from tinycrm.screens.deal import DealScreen
from tinycrm.screens.reports import ReportsScreen
from tinycrm.services import reports
from tinycrm.services.contacts import create_contact
from tinycrm.services.kb import add_article
from tinycrm.services.orders import add_payment, create_order
from tinycrm.services.reports.segments import retention, rfm
from tinycrm.services.tickets import open_ticket

pytestmark = [pytest.mark.asyncio, pytest.mark.demo(aftersale=False)]
SIZE = (120, 40)
PIETER = 1  # Pieter de Vries, customer of Harbourline Logistics, one won deal
WON_DEAL = 1  # his: Fleet tracking for 60 trucks


def set_field(app: App[Any], key: str, value: str) -> None:
    widget: Any = app.screen.query_one(f"#field-{key}")
    widget.value = value


def options(app: App[Any]) -> list[str]:
    found = app.screen.query_one(OptionList)
    return [str(found.get_option_at_index(i).prompt) for i in range(found.option_count)]


async def test_resolve_and_comment_on_tickets_from_contact_detail(demo: Path) -> None:
    db = database(demo)
    with session_scope(db, write=True) as session:
        first = open_ticket(session, subject="Tracker offline", contact=str(PIETER), now=NOW)
        second = open_ticket(session, subject="Invoice copy", contact=str(PIETER), now=NOW)
        article = add_article(session, title="Resend an invoice", body="From billing.", now=NOW)
    db.engine.dispose()
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(2))  # no tickets
        await settle(pilot)
        without = palette(pilot.app)
        await pilot.press("x", "m")  # nothing to resolve or comment on: nothing happens
        await pilot.pause()
        still = type(pilot.app.screen).__name__
        await pilot.press("escape")
        pilot.app.push_screen(ContactScreen(PIETER))
        await settle(pilot)
        with_open = palette(pilot.app)
        await pilot.press("x")
        await pilot.pause()
        set_field(pilot.app, "ticket", f"#{second.id} Invoice copy")
        set_field(pilot.app, "article", str(article.id))
        set_field(pilot.app, "csat", "4")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("m")
        await pilot.pause()
        set_field(pilot.app, "body", "Asked them to restart the unit")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("ctrl+s")  # the other one, no article, no score
        await settle(pilot)
        none_open = palette(pilot.app)
        shown = rendered(pilot.app.screen.query_one("#contact-tickets"))
    assert still == "ContactScreen"
    assert not any(t.startswith("ticket:") for t in without)
    assert {"ticket: Resolve", "ticket: Comment"} <= set(with_open)
    assert "ticket: Resolve" not in none_open and "ticket: Comment" in none_open
    db = database(demo)
    with session_scope(db, write=False) as session:
        maria = session.exec(select(User).where(User.name == ACTOR)).one()
        tickets = list(session.exec(select(Ticket).order_by(col(Ticket.id))))
        comments = list(session.exec(select(TicketComment)))
    db.engine.dispose()
    assert [(t.id, t.status, t.article_id, t.csat, t.resolved_at) for t in tickets] == [
        (first.id, "resolved", None, None, NOW),
        (second.id, "resolved", article.id, 4, NOW),
    ]
    assert [(c.ticket_id, c.author_id, c.body, c.created_at) for c in comments] == [
        (first.id, maria.id, "Asked them to restart the unit", NOW)
    ]
    assert [line.split()[-3] for line in shown.splitlines()[1:] if line.strip()] == [
        "resolved",
        "resolved",
    ]


def add_twin(path: Path) -> int:
    """A second Pieter de Vries with the same phone and a ticket of his own."""
    db = database(path)
    with session_scope(db, write=True) as session:
        twin = create_contact(
            session,
            data=ContactCreate(name="Pieter de Vries", phone="+31 10 234 5678"),
            region="NL",
            now=NOW,
        ).row.id
        open_ticket(session, subject="Login fails", contact=str(twin), now=NOW)
    db.engine.dispose()
    return twin


async def test_merge_a_likely_duplicate_into_the_contact(demo: Path) -> None:
    twin = add_twin(demo)
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(PIETER))
        await settle(pilot)
        assert "contact: Find duplicates" in palette(pilot.app)
        await pilot.press("u")
        await settle(pilot)
        found = options(pilot.app)
        await pilot.press("enter")
        await pilot.pause()
        confirm = options(pilot.app)
        await pilot.press("enter")
        await settle(pilot)
        tickets = rendered(pilot.app.screen.query_one("#contact-tickets"))
        await pilot.press("u")
        await settle(pilot)
        after = type(pilot.app.screen).__name__
    assert found == [f"#{twin} Pieter de Vries · +31102345678  (90%: phone)"]
    assert confirm == [f"merge #{twin} INTO this contact (#{twin} is deleted)", "cancel"]
    assert "Login fails" in tickets
    assert after == "ContactScreen"  # no duplicates left: a notice, no dialog
    db = database(demo)
    with session_scope(db, write=False) as session:
        assert session.get(Contact, twin) is None
        assert session.get(Contact, PIETER) is not None
        assert [t.contact_id for t in session.exec(select(Ticket))] == [PIETER]
    db.engine.dispose()


async def test_cancelling_the_merge_keeps_both(demo: Path) -> None:
    twin = add_twin(demo)
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(PIETER))
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("down", "enter")
        await settle(pilot)
    db = database(demo)
    with session_scope(db, write=False) as session:
        assert session.get(Contact, twin) is not None
        assert [t.contact_id for t in session.exec(select(Ticket))] == [twin]
    db.engine.dispose()


async def test_open_a_won_deal_from_contact_detail(demo: Path) -> None:
    db = database(demo)
    with session_scope(db, write=True) as session:
        create_order(
            session, deal=WON_DEAL, amount="12000", ordered_on=date(2026, 11, 2), due_on=None,
            now=NOW,
        )  # fmt: skip
        title = session.get(Deal, WON_DEAL).title  # type: ignore[union-attr]
    db.engine.dispose()
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(PIETER))
        await settle(pilot)
        commands = palette(pilot.app)
        await pilot.press("o")
        await settle(pilot)
        listed = options(pilot.app)
        await pilot.press("enter")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, DealScreen)
        orders = rendered(screen.query_one("#deal-orders"))
        fields = rendered(screen.query_one("#deal-fields"))
    assert "deal: Open" in commands
    assert [line.split(" · ")[0] for line in listed] == [f"#{WON_DEAL} {title}"]
    assert screen.deal_id == WON_DEAL and "won" in fields
    assert "12,000.00" in orders and "2026-11-02" in orders


async def test_help_lists_record_actions_under_their_nouns(demo: Path) -> None:
    db = database(demo)
    with session_scope(db, write=True) as session:
        open_ticket(session, subject="Tracker offline", contact=str(PIETER), now=NOW)
    db.engine.dispose()
    async with make_app(demo).run_test(size=SIZE) as pilot:
        texts = []
        for contact in (PIETER, 30):  # 30: a lead with no deals and no tickets
            pilot.app.push_screen(ContactScreen(contact))
            await settle(pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            texts.append(rendered(pilot.app.screen.query_one("#help-text")))
            await pilot.press("escape", "escape")
            await pilot.pause()
    pieter, lead = ([" ".join(line.split()) for line in t.splitlines()] for t in texts)
    assert {"x ticket: Resolve", "m ticket: Comment", "o deal: Open", "u Find duplicates"} <= set(
        pieter
    )
    assert "u Find duplicates" in lead
    assert not any(line.startswith(("x ", "m ", "o ")) for line in lead)


async def test_reports_show_rfm_segments_and_retention(demo: Path) -> None:
    db = database(demo)
    with session_scope(db, write=True) as session:
        for deal, day, amount in ((1, date(2026, 5, 4), "20000"), (2, date(2026, 11, 3), "5000")):
            order = create_order(
                session, deal=deal, amount=amount, ordered_on=day, due_on=None, now=NOW
            )
            add_payment(session, order=order.id, amount=amount, received_on=day, now=NOW)
    with session_scope(db, write=False) as session:
        period = reports.calendar_period("year", today=NOW.date(), tz=NOW.tzinfo)  # type: ignore[arg-type]
        found = rfm(session, period=period, today=NOW.date(), currency="USD")
        kept = retention(
            session, kind="quarter", first=date(2026, 1, 1), last=date(2026, 12, 31),
            currency="USD", tz=NOW.tzinfo,  # type: ignore[arg-type]
        )  # fmt: skip
    db.engine.dispose()
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4", "p")  # quarter -> year
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ReportsScreen)
        segments = rendered(screen.query_one("#reports-rfm"))
        table = rendered(screen.query_one("#reports-retention"))
    counts = {s.segment: s.customers for s in found.segments if s.customers}
    assert found.customers == 2 and sum(counts.values()) == 2
    shown = {
        line.strip().rsplit(maxsplit=4)[0]: line.split()[-4]
        for line in segments.splitlines()[1:]
        if line.strip()
    }
    assert counts == {"about to sleep": 1, "hibernating": 1}
    assert {k: int(v) for k, v in shown.items() if v != "0"} == {**counts, "total": 2}
    assert len(shown) == len(found.segments) + 1
    rows = [line.split() for line in table.splitlines()[1:] if line.strip()]
    assert [r[:5] for r in rows] == [
        [r.period, *map(str, (r.active, r.retained, r.new, r.churned))] for r in kept
    ]
    assert [r.active for r in kept] == [0, 1, 0, 1] and [r.new for r in kept] == [0, 1, 0, 1]
