"""The contact list (searched and paged in SQL) and contact and deal detail: logging,
scheduling and editing, checked in the database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import col, select
from textual.widgets import DataTable, Input

from tests.conftest import NOW
from tests.tuihelp import (
    ACTOR,
    database,
    make_app,
    notices,
    rendered,
    settle,
)
from tinycrm.db.store import session_scope
from tinycrm.models import Activity, Contact, Deal, User
from tinycrm.screens.contact import ContactScreen
from tinycrm.screens.contacts import ContactsScreen
from tinycrm.screens.deal import DealScreen
from tinycrm.widgets.timeline import Timeline

pytestmark = pytest.mark.asyncio
SIZE = (120, 40)


def names(app: object) -> list[str]:
    table: DataTable[str] = app.screen.query_one(DataTable)  # type: ignore[attr-defined]
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def activities(path: Path) -> list[Activity]:
    db = database(path)
    with session_scope(db, write=False) as session:
        rows = list(session.exec(select(Activity).order_by(col(Activity.id))))
    db.engine.dispose()
    return rows


async def test_contact_list_filters_by_name_company_and_tag(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactsScreen)
        listed = names(pilot.app)
        assert (len(listed), listed[:3]) == (30, ["Aisha Bello", "Amelia Clarke", "Ananya Iyer"])
        await pilot.press(*"harb")
        await settle(pilot)
        assert names(pilot.app) == ["Pieter de Vries", "Ruben Smit", "Sanne Bakker"]
        await pilot.press("escape", *"vip")
        await settle(pilot)
        assert len(names(pilot.app)) == 7
        assert names(pilot.app)[0] == "Amelia Clarke"
        await pilot.press("escape", *"ka")
        await settle(pilot)
        assert names(pilot.app) == ["Kavya Nair", "Yuki Tanaka"]  # anywhere in a word
        await pilot.press("escape", *"kavya")
        await settle(pilot)
        assert names(pilot.app) == ["Kavya Nair"]
        status = pilot.app.screen.query_one("#contacts-status").render().plain  # type: ignore[union-attr]
        assert status == "1 contact matching 'kavya' · enter opens"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Mesa", ["Emily Tsosie", "Jake Morales", "Ryan Carter"]),  # inside a company name
        ("yunfan", ["Zhang Min", "李伟", "陈静"]),  # inside an email
        ("blue SOLAR", ["Emily Tsosie", "Jake Morales", "Ryan Carter"]),  # every word
        ("mesa vip", []),
        ("lumiere", ["Camille Laurent", "Hugo Moreau"]),  # Lumière, without its accent
        ("伟", ["李伟"]),
        ("0187", ["Emily Tsosie"]),  # inside a phone number
        (
            "VIP",  # a tag, which `-q` missed before
            [
                "Amelia Clarke",
                "Ananya Iyer",
                "Chinedu Eze",
                "Pieter de Vries",
                "Sofia Rossi",
                "Valentina Gómez",
                "李伟",
            ],
        ),
    ],
)
async def test_the_search_box_finds_what_the_command_line_finds(
    demo: Path, typed: str, expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.clihelp import Crm

    monkeypatch.setenv("CRM_DB", str(demo))
    monkeypatch.setenv("CRM_USER", ACTOR)
    listed = Crm()("contact", "list", "-q", typed, "--format", "json", ok=bool(expected)).json()
    assert [c["name"] for c in listed] == expected
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        pilot.app.screen.query_one(Input).value = typed
        await settle(pilot)
        assert names(pilot.app) == expected


async def test_log_call_schedule_and_edit_from_contact_detail(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press(*"harb", "enter")
        await settle(pilot)
        await pilot.press("enter")  # the first row: Pieter de Vries
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ContactScreen) and screen.contact_id == 1
        before = len(activities(demo))
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"Talked renewal", "ctrl+s")
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press(*"Send quote", "ctrl+s")
        await settle(pilot)
        timeline = rendered(screen.query_one(Timeline))
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("tab", *"-new", "ctrl+s")  # email gets a suffix... refused below
        await settle(pilot)
        refused = [n.message for n in notices(pilot.app) if n.severity == "error"]
    logged, scheduled = activities(demo)[before:]
    db = database(demo)
    with session_scope(db, write=False) as session:
        maria = session.exec(select(User).where(User.name == ACTOR)).one()
        contact = session.get(Contact, 1)
    db.engine.dispose()
    assert (logged.kind, logged.subject, logged.contact_id, logged.done_at, logged.owner_id) == (
        "call",
        "Talked renewal",
        1,
        NOW,
        maria.id,
    )
    assert logged.company_id is not None
    assert (scheduled.kind, scheduled.subject, scheduled.done_at) == ("task", "Send quote", None)
    assert scheduled.due_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert "Talked renewal" in str(timeline)
    assert contact is not None and contact.email == "pieter.devries@harbourline.example"
    assert len(refused) == 1 and "email" in refused[0]


async def test_edit_contact_title_and_status(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(3))
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        form = pilot.app.screen
        form.query_one("#field-title").value = "COO"  # type: ignore[attr-defined]
        form.query_one("#field-status").value = "customer"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
    db = database(demo)
    with session_scope(db, write=False) as session:
        contact = session.get(Contact, 3)
        assert contact is not None and (contact.title, contact.status) == ("COO", "customer")
    db.engine.dispose()


async def test_deal_detail_moves_logs_and_edits(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(DealScreen(24))
        await settle(pilot)
        fields = rendered(pilot.app.screen.query_one("#deal-fields"))
        await pilot.press("greater_than_sign")
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"Demo went well", "ctrl+s")
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        pilot.app.screen.query_one("#field-amount").value = "22000"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert "Tablet rollout for site crews" in fields
    logged = activities(demo)[-1]
    assert (logged.subject, logged.deal_id, logged.kind) == ("Demo went well", 24, "call")
    db = database(demo)
    with session_scope(db, write=False) as session:
        deal = session.get(Deal, 24)
        assert deal is not None and (deal.stage_id, deal.amount_minor) == (2, 2_200_000)
    db.engine.dispose()


async def test_enter_on_a_single_match_opens_it(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press(*"pieter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactScreen)


async def test_mode_keys_work_from_the_empty_search_box_and_type_once_it_has_text(
    demo: Path,
) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        search = pilot.app.screen.query_one("#contacts-search", Input)
        assert pilot.app.focused is search
        await pilot.press("/", "3")  # empty box: "/" keeps the search, "3" goes to the calendar
        await settle(pilot)
        went = pilot.app.current_mode
        await pilot.press("2", "r", "2", "?")  # with text in the box, digits are searched for
        await settle(pilot)
        typed, stayed = search.value, pilot.app.current_mode
    assert went == "calendar"
    assert (typed, stayed) == ("r2?", "contacts")
