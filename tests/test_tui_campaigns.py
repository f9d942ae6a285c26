"""The campaigns screen: its figures are campaign_report's, campaigns are added, edited and
deleted in the database, and enter shows the contacts a campaign brought in."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from sqlmodel import col, select
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.conftest import NOW
from tests.tuihelp import ACTOR, database, make_app, notices, palette, settle
from tinycrm.config import load_settings
from tinycrm.db.store import open_database, session_scope
from tinycrm.models import Campaign, Contact, ContactCreate, DealCreate
from tinycrm.models.user import UserCreate
from tinycrm.screens.campaigns import CampaignsScreen, cells
from tinycrm.screens.contacts import ContactsScreen
from tinycrm.services import contacts, deals, users
from tinycrm.services.campaigns import campaign_report, create_campaign
from tinycrm.services.orders import add_payment, create_order
from tinycrm.tui import CrmApp

pytestmark = pytest.mark.asyncio
SIZE = (120, 40)
OLD = NOW - timedelta(days=200)


@pytest.fixture
def shop(empty_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Spring fair (event, 3,000.00, March): three leads, two deals, one won for 12,000.00
    with 5,000.00 paid; Webinar (email, 500.00, from October): one contact, one open deal."""
    monkeypatch.setenv("CRM_NOW", NOW.isoformat())
    path = empty_db
    db = open_database(load_settings(db_path=str(path), currency="USD"))
    with session_scope(db, write=True) as s:
        users.create_user(s, data=UserCreate(name=ACTOR), currency="USD", now=OLD)
        create_campaign(
            s, name="Spring fair", channel="event", cost_minor=300_000, currency="USD",
            starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 31), now=OLD,
        )  # fmt: skip
        create_campaign(
            s, name="Webinar", channel="email", cost_minor=50_000, currency="USD",
            starts_on=date(2026, 10, 1), now=OLD,
        )  # fmt: skip
        for name, source in (
            ("Ada Byron", "Spring fair"),
            ("Ben Ross", "Spring fair"),
            ("Cai Wu", "Spring fair"),
            ("Dee Park", "Webinar"),
            ("Eve Stone", None),
        ):
            contacts.create_contact(
                s, data=ContactCreate(name=name, campaign=source), region="FR", now=OLD
            )
        for title, amount, contact, source in (
            ("Fair deal", 1_200_000, "Ada Byron", "Spring fair"),
            ("Second fair deal", 400_000, "Ben Ross", "Spring fair"),
            ("Webinar deal", 90_000, "Dee Park", "Webinar"),
        ):
            data = DealCreate(
                title=title, amount_minor=amount, contact=contact, campaign=source, currency="USD"
            )
            deals.create_deal(s, data=data, currency="USD", actor=None, now=OLD)
        deals.win_deal(s, ref=1, actor=None, now=OLD + timedelta(days=10))
        order = create_order(s, deal=1, amount="12000", ordered_on=date(2026, 6, 1), now=OLD)
        add_payment(s, order=order.id, amount="5000", received_on=date(2026, 6, 15), now=OLD)
    db.engine.dispose()
    return path


def rows(app: App[Any]) -> list[list[str]]:
    table: DataTable[str] = app.screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def line(app: App[Any], selector: str) -> str:
    return app.screen.query_one(selector).render().plain  # type: ignore[union-attr]


def errors(app: App[Any]) -> list[str]:
    return [n.message for n in notices(app) if n.severity == "error"]


def campaigns(path: Path) -> list[tuple[Any, ...]]:
    db = database(path)
    with session_scope(db, write=False) as s:
        found = [
            (c.name, c.channel, c.cost_minor, c.currency, c.starts_on, c.ends_on)
            for c in s.exec(select(Campaign).order_by(col(Campaign.id)))
        ]
    db.engine.dispose()
    return found


async def open_campaigns(pilot: Pilot[None]) -> CampaignsScreen:
    await settle(pilot)
    await pilot.press("6")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CampaignsScreen)
    return screen


async def fill(pilot: Pilot[None], values: dict[str, str]) -> None:
    await pilot.pause()
    for key, value in values.items():
        pilot.app.screen.query_one(f"#field-{key}").value = value  # type: ignore[attr-defined]
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_figures_are_the_campaign_report(shop: Path) -> None:
    db = database(shop)
    with session_scope(db, write=False) as s:
        report, total = campaign_report(s, currency="USD")
    db.engine.dispose()
    async with make_app(shop).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "go: Campaigns" in palette(pilot.app)
        await open_campaigns(pilot)
        shown = rows(pilot.app)
        first = line(pilot.app, "#campaigns-detail")
        await pilot.press("down")
        second = line(pilot.app, "#campaigns-detail")
        status = line(pilot.app, "#campaigns-status")
    assert shown == [list(cells(f, "USD")) for f in [*report, total]]
    assert shown == [
        ["Spring fair", "3", "2", "1", "5,000.00", "3,000.00", "66.7%"],
        ["Webinar", "1", "1", "0", "0.00", "500.00", "-100.0%"],
        ["total", "4", "3", "1", "5,000.00", "3,500.00", "42.9%"],
    ]
    assert first == "event · 2026-03-01 → 2026-03-31 · per lead 1,000.00 · per won deal 3,000.00"
    assert second == "email · 2026-10-01 → … · per lead 500.00 · per won deal —"
    assert status == "2 campaigns, all time (USD unless said) · enter: their contacts"


async def test_add_edit_and_delete_a_campaign(shop: Path) -> None:
    async with make_app(shop).run_test(size=SIZE) as pilot:
        await open_campaigns(pilot)
        await pilot.press("n")
        await fill(
            pilot,
            {"name": "Autumn  fair", "channel": "Event", "cost": "2.5k",
             "from": "2026-09-01", "to": "2026-09-30"},
        )  # fmt: skip
        added = rows(pilot.app)
        cursor = pilot.app.screen.query_one(DataTable).cursor_row
        await pilot.press("up", "e")  # Spring fair
        await pilot.pause()
        prefilled = {
            k: pilot.app.screen.query_one(f"#field-{k}").value  # type: ignore[attr-defined]
            for k in ("name", "channel", "cost", "from", "to")
        }
        await fill(pilot, {"cost": "3500", "to": "2026-04-15"})
        edited = campaigns(shop)
        await pilot.press("down", "down", "d")  # Webinar, above the total
        await pilot.pause()
        await pilot.press("enter")  # yes
        await settle(pilot)
        after = [r[0] for r in rows(pilot.app)]
    assert [r[0] for r in added] == ["Spring fair", "Autumn fair", "Webinar", "total"]
    assert cursor == 1
    assert prefilled == {
        "name": "Spring fair", "channel": "event", "cost": "3,000.00 USD",
        "from": "2026-03-01", "to": "2026-03-31",
    }  # fmt: skip
    assert edited == [
        ("Spring fair", "event", 350_000, "USD", date(2026, 3, 1), date(2026, 4, 15)),
        ("Webinar", "email", 50_000, "USD", date(2026, 10, 1), None),
        ("Autumn fair", "event", 250_000, "USD", date(2026, 9, 1), date(2026, 9, 30)),
    ]
    assert after == ["Spring fair", "Autumn fair", "total"]
    assert [c[0] for c in campaigns(shop)] == ["Spring fair", "Autumn fair"]
    db = database(shop)
    with session_scope(db, write=False) as s:
        dee = s.exec(select(Contact).where(Contact.full_name == "Dee Park")).one()
    db.engine.dispose()
    assert dee.campaign_id is None  # the contact stays, with no campaign


def typed(app: App[Any], *keys: str) -> list[str]:
    return [app.screen.query_one(f"#field-{key}").value for key in keys]  # type: ignore[attr-defined]


async def test_a_refused_form_comes_back_as_typed(shop: Path) -> None:
    async with make_app(shop).run_test(size=SIZE) as pilot:
        await open_campaigns(pilot)
        await pilot.press("n")
        await fill(pilot, {"name": "spring FAIR", "channel": "fair", "cost": "900"})
        back = typed(pilot.app, "name", "channel", "cost")
        await fill(pilot, {"name": "Autumn fair"})
        added = type(pilot.app.screen).__name__
        await pilot.press("up", "up", "e")  # the first row: Spring fair
        await fill(pilot, {"to": "2026-02-01"})
        back_again = typed(pilot.app, "to")
        await pilot.press("escape")
        await settle(pilot)
        refused = errors(pilot.app)
    assert refused == [
        "a campaign named 'Spring fair' exists (#1)",
        "to: before from 2026-03-01: '2026-02-01'",
    ]
    assert back == ["spring FAIR", "fair", "900"] and back_again == ["2026-02-01"]
    assert added == "CampaignsScreen"
    assert [c[:3] for c in campaigns(shop)] == [
        ("Spring fair", "event", 300_000),
        ("Webinar", "email", 50_000),
        ("Autumn fair", "fair", 90_000),
    ]
    assert campaigns(shop)[0][5] == date(2026, 3, 31)


async def test_enter_shows_the_campaigns_contacts(shop: Path) -> None:
    async with make_app(shop).run_test(size=SIZE) as pilot:
        await open_campaigns(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = pilot.app.screen
        shown = [r[0] for r in rows(pilot.app)]
        status = line(pilot.app, "#contacts-status")
        cast(CrmApp, pilot.app).action_mode("campaigns")  # the search box has the keys: not "6"
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        webinar = [r[0] for r in rows(pilot.app)]
    assert isinstance(screen, ContactsScreen)
    assert shown == ["Ada Byron", "Ben Ross", "Cai Wu"]
    assert status == "3 contacts · campaign Spring fair · enter opens"
    assert webinar == ["Dee Park"]
