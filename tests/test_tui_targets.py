"""Target lists in the contact list: the filter form, saved segments, export for a mailing,
the lead pool and reclaiming quiet leads, checked against the database and the CLI."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from sqlmodel import col, select
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from tests.clihelp import Crm
from tests.conftest import NOW
from tests.tuihelp import ACTOR, database, make_app, notices, palette, settle
from tinycrm.config import load_settings
from tinycrm.db.store import open_database, session_scope
from tinycrm.models import (
    CompanyCreate,
    Contact,
    ContactCreate,
    ContactStatus,
    OwnerChange,
    Segment,
    User,
)
from tinycrm.models.user import UserCreate
from tinycrm.screens.contacts import ContactsScreen
from tinycrm.services import companies, contacts, users
from tinycrm.services.campaigns import create_campaign
from tinycrm.services.exports import CONTACT_COLUMNS
from tinycrm.tui import CrmApp

pytestmark = pytest.mark.asyncio
SIZE = (120, 40)
OLD = NOW - timedelta(days=60)


@pytest.fixture
def book(empty_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Acme (software, Paris, FR), Globex (retail, Lyon, FR), Initech (software, Berlin, DE);
    a campaign; customers and prospects, owned leads (one quiet for 60 days) and pool leads."""
    monkeypatch.setenv("CRM_NOW", NOW.isoformat())
    monkeypatch.chdir(tmp_path)
    path = empty_db
    db = open_database(load_settings(db_path=str(path), currency="USD"))
    with session_scope(db, write=True) as s:
        for name in (ACTOR, "Ann Lee"):
            users.create_user(s, data=UserCreate(name=name), currency="USD", now=OLD)
        for name, industry, city, country in (
            ("Acme", "Software", "Paris", "FR"),
            ("Globex", "Retail", "Lyon", "FR"),
            ("Initech", "software", "Berlin", "DE"),
        ):
            companies.create_company(
                s, data=CompanyCreate(name=name, industry=industry, city=city, country=country)
            )
        create_campaign(s, name="Spring fair", currency="USD", now=OLD)
        for name, company, tags, status, owner, when in (
            ("Ada Byron", "Acme", ["vip"], "customer", "Ann Lee", OLD),
            ("Ben Ross", "Acme", [], "lead", None, OLD),
            ("Cai Wu", "Globex", ["vip"], "customer", ACTOR, OLD),
            ("Dee Park", "Initech", ["vip", "partner"], "prospect", "Ann Lee", OLD),
            ("Eve Stone", None, [], "lead", "Ann Lee", OLD),
            ("Fay Lind", "Globex", [], "lead", "Ann Lee", NOW - timedelta(days=5)),
            ("Gus Hale", None, ["vip"], "lead", None, NOW - timedelta(days=2)),
        ):
            email = name.split()[0].lower() + "@example.com"
            contacts.create_contact(
                s,
                data=ContactCreate(
                    name=name, email=email, company=company, tags=tags,
                    status=ContactStatus(status), owner=owner,
                    campaign="Spring fair" if status == "lead" else None,
                ),
                region="FR",
                now=when,
            )  # fmt: skip
    db.engine.dispose()
    return path


def shown(app: App[Any], column: int = 0) -> list[str]:
    table: DataTable[str] = app.screen.query_one(DataTable)
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]


def status(app: App[Any]) -> str:
    return app.screen.query_one("#contacts-status").render().plain  # type: ignore[union-attr]


def errors(app: App[Any]) -> list[str]:
    return [n.message for n in notices(app) if n.severity == "error"]


def messages(app: App[Any]) -> list[str]:
    return [n.message for n in notices(app)]


async def open_contacts(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ContactsScreen)


async def fill(pilot: Pilot[None], **values: str) -> None:
    """Set the open form's fields, then save it."""
    await pilot.pause()
    for key, value in values.items():
        pilot.app.screen.query_one(f"#field-{key}").value = value  # type: ignore[attr-defined]
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_filter_by_tag_and_industry_then_clear(book: Path) -> None:
    async with make_app(book).run_test(size=SIZE) as pilot:
        await open_contacts(pilot)
        everyone = shown(pilot.app)
        await pilot.press("ctrl+f")
        await fill(pilot, tag="VIP")
        vips = shown(pilot.app)
        vip_status = status(pilot.app)
        await pilot.press("ctrl+f")
        await fill(pilot, tag="", industry="software")
        software = shown(pilot.app)
        await pilot.press("ctrl+f")
        await fill(pilot, tag="vip", status="customer", industry="", country="fr")
        french_customers = shown(pilot.app)
        await pilot.press(*"ca")  # the search box narrows the filtered list
        await settle(pilot)
        searched = shown(pilot.app)
        searched_status = status(pilot.app)
        await pilot.press("escape")  # the search first
        await settle(pilot)
        after_one = shown(pilot.app)
        await pilot.press("escape")  # then the filter
        await settle(pilot)
        cleared = shown(pilot.app)
        cleared_status = status(pilot.app)
    assert len(everyone) == 7
    assert vips == ["Ada Byron", "Cai Wu", "Dee Park", "Gus Hale"]
    assert vip_status == "4 contacts · tag VIP · enter opens"
    assert software == ["Ada Byron", "Ben Ross", "Dee Park"]
    assert french_customers == ["Ada Byron", "Cai Wu"]
    assert searched == ["Cai Wu"]
    assert searched_status == (
        "1 contact matching 'ca' · tag vip, status customer, country fr · enter opens"
    )
    assert after_one == ["Ada Byron", "Cai Wu"]
    assert cleared == everyone and cleared_status == "7 contacts · enter opens"


async def test_a_bad_filter_value_is_one_error_and_keeps_the_list(book: Path) -> None:
    async with make_app(book).run_test(size=SIZE) as pilot:
        await open_contacts(pilot)
        await pilot.press("ctrl+f")
        await fill(pilot, campaign="Autumn")
        back = pilot.app.screen.query_one("#field-campaign").value  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        refused, rows, line = errors(pilot.app), shown(pilot.app), status(pilot.app)
    assert refused == ["campaign not found: 'Autumn'"] and back == "Autumn"
    assert len(rows) == 7 and line == "7 contacts · enter opens"


async def test_save_apply_and_delete_a_segment(book: Path) -> None:
    async with make_app(book).run_test(size=SIZE) as pilot:
        await open_contacts(pilot)
        await pilot.press("ctrl+f")
        await fill(pilot, tag="vip", country="FR")
        await pilot.press(*"byron")  # search text is part of what is saved
        await settle(pilot)
        await pilot.press("ctrl+s")
        await fill(pilot, name="French  VIPs")
        saved_status = status(pilot.app)
        db = database(book)
        with session_scope(db, write=False) as s:
            stored = [(g.name, g.filters) for g in s.exec(select(Segment))]
        db.engine.dispose()
        await pilot.press("escape", "escape")  # clear the search, then the filter
        await settle(pilot)
        before_apply = shown(pilot.app)
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press("enter")  # the one saved segment
        await settle(pilot)
        applied, applied_status = shown(pilot.app), status(pilot.app)
        searched = pilot.app.screen.query_one(Input).value
        with_delete = palette(pilot.app)
        pilot.app.screen.action_delete_segment()  # type: ignore[attr-defined]
        await settle(pilot)
        await pilot.press("enter")  # the segment
        await pilot.pause()
        await pilot.press("enter")  # yes, delete it
        await settle(pilot)
        deleted_status = status(pilot.app)
    assert stored == [("French VIPs", {"tag": "vip", "country": "FR", "words": "byron"})]
    assert saved_status == "1 contact matching 'byron' · segment 'French VIPs' · enter opens"
    assert len(before_apply) == 7
    assert applied == ["Ada Byron"] and searched == "byron"
    assert applied_status == saved_status
    assert "contact: Delete a segment" in with_delete
    assert deleted_status == "1 contact matching 'byron' · tag vip, country FR · enter opens"
    db = database(book)
    with session_scope(db, write=False) as s:
        assert list(s.exec(select(Segment))) == []
    db.engine.dispose()


async def test_segment_from_the_cli_applies_in_the_app(book: Path) -> None:
    Crm()("--db", str(book), "contact", "list", "--industry", "software",
          "--save-segment", "Software")  # fmt: skip
    async with make_app(book).run_test(size=SIZE) as pilot:
        await open_contacts(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        rows, line = shown(pilot.app), status(pilot.app)
        await pilot.press("b")  # no longer the segment as saved: the filter is shown
        await settle(pilot)
        narrowed, changed = shown(pilot.app), status(pilot.app)
    assert rows == ["Ada Byron", "Ben Ross", "Dee Park"]
    assert line == "3 contacts · segment 'Software' · enter opens"
    assert narrowed == ["Ada Byron", "Ben Ross"]  # Ada Byron: a word of her name
    assert changed == "2 contacts matching 'b' · industry software · enter opens"


async def test_export_the_list_like_crm_export(book: Path, tmp_path: Path) -> None:
    async with make_app(book).run_test(size=SIZE) as pilot:
        await open_contacts(pilot)
        await pilot.press("ctrl+f")
        await fill(pilot, tag="vip", country="FR")
        await pilot.press("ctrl+s")
        await fill(pilot, name="Paris VIPs")
        await pilot.press("ctrl+o")
        await pilot.pause()
        default = pilot.app.screen.query_one("#field-path").value  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        done = messages(pilot.app)[-1]
        await pilot.press("ctrl+o")
        await fill(pilot, path=str(tmp_path / "missing" / "out.csv"))
        refused = errors(pilot.app)
    assert default == "contacts-paris-vips.csv"
    assert done == f"exported 2 contacts to {tmp_path / 'contacts-paris-vips.csv'}"  # its folder
    written = (tmp_path / "contacts-paris-vips.csv").read_text(encoding="utf-8")
    lines = written.splitlines()
    assert lines[0] == ",".join(CONTACT_COLUMNS)
    assert [line.split(",")[3] for line in lines[1:]] == ["Ada Byron", "Cai Wu"]
    cli = Crm()("--db", str(book), "export", "contacts", "--segment", "Paris VIPs")
    assert written == cli.out
    assert len(refused) == 1 and refused[0].startswith("export: cannot write there")
    assert not (tmp_path / "missing").exists()


async def test_pool_view_shows_exactly_the_pool_leads(book: Path) -> None:
    async with make_app(book).run_test(size=SIZE) as pilot:
        await open_contacts(pilot)
        before = palette(pilot.app)
        await pilot.press("ctrl+l")
        await settle(pilot)
        pool, campaigns = shown(pilot.app), shown(pilot.app, 3)
        pool_status = status(pilot.app)
        in_pool = palette(pilot.app)
        await pilot.press("ctrl+f")  # not offered in the pool view: nothing opens
        await pilot.pause()
        no_form = type(pilot.app.screen).__name__
        await pilot.press("enter")  # Ben Ross, claimed from his detail
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        after_claim = shown(pilot.app)
        await pilot.press("ctrl+l")
        await settle(pilot)
        back = shown(pilot.app)
    assert pool == ["Ben Ross", "Gus Hale"]
    assert after_claim == ["Gus Hale"]  # oldest first; owned leads are not in the pool
    assert campaigns == ["Spring fair", "Spring fair"]
    assert pool_status == "lead pool: 2 leads nobody owns · enter opens (claim there)"
    assert {"contact: Filter the list", "contact: Lead pool on or off"} <= set(before)
    assert "contact: Filter the list" not in in_pool
    assert "contact: Export the list (CSV)" not in in_pool
    assert no_form == "ContactsScreen"
    assert len(back) == 7


async def test_reclaim_moves_exactly_the_stale_lead(book: Path) -> None:
    async with make_app(book).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "pool: Reclaim stale leads" in palette(pilot.app)
        cast(CrmApp, pilot.app).action_reclaim()  # from the board: the palette's entry
        await settle(pilot)
        assert isinstance(pilot.app.screen_stack[0], ContactsScreen)
        await fill(pilot, after="30d")
        asked = pilot.app.screen.query_one("#moves-list").render().plain  # type: ignore[union-attr]
        title = pilot.app.screen.query_one(".dialog-title").render().plain  # type: ignore[union-attr]
        await pilot.press("enter")  # return 1 to the pool
        await settle(pilot)
        done = messages(pilot.app)[-1]
        await pilot.press("ctrl+l")
        await settle(pilot)
        pool = shown(pilot.app)
        cast(CrmApp, pilot.app).action_reclaim()
        await settle(pilot)
        await fill(pilot, after="30d")
        nothing = messages(pilot.app)[-1]
    assert title == "Quiet for 30d: return these leads to the pool?"
    assert asked == "lead #5 Eve Stone (Ann Lee)"
    assert done == "returned 1 lead to the pool"
    assert pool == ["Ben Ross", "Eve Stone", "Gus Hale"]
    assert nothing == "no leads quiet for 30d: nothing to reclaim"
    db = database(book)
    with session_scope(db, write=False) as s:
        ann = s.exec(select(User).where(User.name == "Ann Lee")).one()
        maria = s.exec(select(User).where(User.name == ACTOR)).one()
        owners = {c.full_name: c.owner_id for c in s.exec(select(Contact))}
        changes = [
            (c.record_type, c.record_id, c.from_user_id, c.to_user_id, c.reason, c.changed_by_id)
            for c in s.exec(select(OwnerChange).order_by(col(OwnerChange.id)))
        ]
    db.engine.dispose()
    assert changes == [("contact", 5, ann.id, None, "reclaim", maria.id)]
    assert owners["Eve Stone"] is None and owners["Fay Lind"] == ann.id
    assert owners["Ada Byron"] == ann.id  # a customer, not a lead: never reclaimed


async def test_reclaim_refuses_a_bad_duration(book: Path) -> None:
    async with make_app(book).run_test(size=SIZE) as pilot:
        await open_contacts(pilot)
        cast(CrmApp, pilot.app).action_reclaim()
        await settle(pilot)
        await fill(pilot, after="soon")
        refused = errors(pilot.app)
    assert refused == ["stale after: not a duration (use e.g. 15m, 2h, 3d, 2w): 'soon'"]
