"""Follow-up calls on the app's calendar: listed on their due day with whom to call (overdue
once their day has passed), enter opens the customer, and "Record follow-up" in the palette
records the call with the customer screens' form."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from tests.conftest import NOW
from tests.tuihelp import ACTOR, database, make_app, notices, palette, settle
from tinycrm.db.store import session_scope
from tinycrm.models import CompanyCreate, ContactCreate, DealCreate, FollowUp, Role, UserCreate
from tinycrm.screens.calendar import CalendarScreen
from tinycrm.screens.company import CompanyScreen
from tinycrm.screens.contact import ContactScreen
from tinycrm.screens.dialogs import FormDialog
from tinycrm.services.companies import create_company
from tinycrm.services.contacts import create_contact
from tinycrm.services.deals import create_deal, win_deal
from tinycrm.services.orders import create_order, deliver_order
from tinycrm.services.tickets import open_ticket, resolve_ticket
from tinycrm.services.users import create_user
from tinycrm.widgets.month import MonthGrid

pytestmark = [pytest.mark.asyncio]
SIZE = (120, 40)
RECORD = "reminder: Record follow-up"


@pytest.fixture
def calls(empty_db: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, int, int]:
    """Maria's ticket about Dan Moss (at Acme) resolved with a call due today (#1); her order
    for Acme delivered yesterday with a call that day (#2); the app's clock says NOW (UTC)."""
    monkeypatch.setenv("CRM_NOW", NOW.isoformat())
    monkeypatch.setenv("CRM_TIMEZONE", "UTC")
    db = database(empty_db)
    today = NOW.date()
    with session_scope(db, write=True) as s:
        create_user(s, data=UserCreate(name=ACTOR, role=Role.manager), currency="USD", now=NOW)
        acme = create_company(s, data=CompanyCreate(name="Acme")).row.id
        dan = create_contact(s, data=ContactCreate(name="Dan Moss", company="Acme"), region="US")
        ticket = open_ticket(s, subject="Printer jams", contact=str(dan.row.id), owner=ACTOR,
                             now=NOW)  # fmt: skip
        resolve_ticket(s, ref=ticket.id, now=NOW, followup_in=0, today=today)
        deal = create_deal(
            s, data=DealCreate(title="Acme deal", amount_minor=500_000, company="Acme",
                               owner=ACTOR),
            currency="USD", actor=None, now=NOW - timedelta(days=9),
        )  # fmt: skip
        win_deal(s, ref=deal.id, actor=None, now=NOW - timedelta(days=8))
        order = create_order(s, deal=deal.id, amount=None, ordered_on=date(2026, 11, 1), now=NOW)
        yesterday = today - timedelta(days=1)
        deliver_order(s, ref=order.id, on=yesterday, followup_in=0, now=NOW, today=today)
    db.engine.dispose()
    return empty_db, acme, dan.row.id


async def open_calendar(pilot: object) -> CalendarScreen:
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.press("3")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    screen = pilot.app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, CalendarScreen)
    return screen


def row_texts(screen: CalendarScreen) -> list[list[str]]:
    table = screen.query_one("#calendar-agenda")
    return [[str(c.plain) for c in table.get_row_at(i)] for i in range(table.row_count)]  # type: ignore[attr-defined]


async def test_calls_are_listed_on_their_day_and_open_their_customer(
    calls: tuple[Path, int, int],
) -> None:
    path, acme, dan = calls
    async with make_app(path).run_test(size=SIZE) as pilot:
        screen = await open_calendar(pilot)
        counts = dict(screen.query_one(MonthGrid).counts)
        today = row_texts(screen)
        await pilot.press("enter")  # the grid has the focus: the screen's enter
        await settle(pilot)
        opened = pilot.app.screen
        shown_contact = isinstance(opened, ContactScreen) and opened.record_id() == dan
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("left")  # yesterday
        await settle(pilot)
        before = row_texts(screen)
        screen.query_one("#calendar-agenda").focus()
        await pilot.press("enter")  # the agenda has the focus: its row selected
        await settle(pilot)
        opened = pilot.app.screen
        shown_company = isinstance(opened, CompanyScreen) and opened.record_id() == acme
    assert counts == {date(2026, 11, 22): 1, date(2026, 11, 23): 1}
    # one owner and no room for every column: the Owner column goes
    assert today == [["all day", "follow-up #1: call Dan Moss about ticket #1", "Dan Moss · Acme"]]
    assert before == [
        ["all day", "overdue follow-up #2: call Acme about order #1", "Acme", "Maria"]
    ]
    assert shown_contact and shown_company


async def test_record_follow_up_from_the_palette(calls: tuple[Path, int, int]) -> None:
    path, _acme, _dan = calls
    async with make_app(path).run_test(size=SIZE) as pilot:
        await open_calendar(pilot)
        offered = RECORD in palette(pilot.app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Record follow-up", "enter")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        choices = form.query_one("#field-call").value  # type: ignore[attr-defined]
        form.query_one("#field-outcome").value = "works again"  # type: ignore[attr-defined]
        form.query_one("#field-score").value = "5"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, CalendarScreen)
        left = [(i.kind, i.id) for i in screen.rows]
        still = RECORD in palette(pilot.app)
        said = [n.message for n in notices(pilot.app)]
    assert offered and not still
    assert choices == "#1 Printer jams (due 2026-11-23, scheduled)"
    assert said == ["follow-up #1 done: Printer jams, satisfaction 5/5"]
    assert left == []
    db = database(path)
    with session_scope(db, write=False) as s:
        done = {f.id: (f.outcome, f.satisfaction) for f in s.exec(select(FollowUp))}
    db.engine.dispose()
    assert done == {1: ("works again", 5), 2: (None, None)}
