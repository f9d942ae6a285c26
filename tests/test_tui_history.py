"""The History panel of deal, contact and company detail (the record's audit entries, newest
first), and an edit form that someone else's save overtook: refused, saying who changed
what, with the choice to reload or keep editing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import delete
from textual.app import App
from textual.widgets import OptionList

from tests.tuihelp import database, make_app, notices, rendered, settle
from tinycrm.context import AppState
from tinycrm.db.store import session_scope
from tinycrm.models import AuditEntry, CompanyUpdate, ContactUpdate, DealUpdate
from tinycrm.screens.company import CompanyScreen
from tinycrm.screens.contact import ContactScreen
from tinycrm.screens.deal import DealScreen
from tinycrm.screens.dialogs import ChoiceDialog, FormDialog
from tinycrm.services.companies import get_company, update_company
from tinycrm.services.contacts import get_contact, update_contact
from tinycrm.services.deals import get_deal, update_deal
from tinycrm.widgets.history import AuditHistory

pytestmark = [pytest.mark.asyncio, pytest.mark.demo(aftersale=False)]
SIZE = (120, 40)
DEAL = 24  # Tablet rollout for site crews, 21,000.00 USD, owned by 王芳
OWNER = "王芳"
CONTACT = 1  # Pieter de Vries, Operations Director, owned by Daniel Okafor
COMPANY = 1  # Harbourline Logistics, Rotterdam, owned by Daniel Okafor
DANIEL = "Daniel Okafor"


@pytest.fixture
def demo(demo: Path) -> Path:
    """The demo data without its own audit entries (stamped when the template was made, not
    at the tests' clock), so that a History holds just what a test did."""
    db = database(demo)
    with session_scope(db, write=True) as session:
        session.execute(delete(AuditEntry))
    db.engine.dispose()
    return demo


def as_user(path: Path, name: str) -> AppState:
    """Another person at another keyboard, changing things through the services."""
    return AppState(db_path=str(path), as_user=name)


def edit_deal(path: Path, name: str, **changes: Any) -> None:
    state = as_user(path, name)
    with state.session(write=True) as session:
        update_deal(session, ref=DEAL, data=DealUpdate(**changes), now=state.now())
    state.close()


def set_field(app: App[Any], key: str, value: str) -> None:
    widget: Any = app.screen.query_one(f"#field-{key}")
    widget.value = value


def history_text(app: App[Any]) -> list[str]:
    return [line.rstrip() for line in rendered(app.screen.query_one(AuditHistory)).splitlines()]


async def test_deal_history_newest_first_with_who_and_what(demo: Path) -> None:
    edit_deal(demo, OWNER, amount_minor=2_500_000)
    edit_deal(demo, "Maria Lopez", title="Tablets for site crews")
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(DealScreen(DEAL))
        await settle(pilot)
        lines = history_text(pilot.app)
        assert lines == [
            "2026-11-23 09:30 Maria Lopez edit title: Tablet rollout for site crews → Tablets for "
            "site crews",
            "2026-11-23 09:30 王芳        edit amount: 21,000.00 USD → 25,000.00 USD",
        ]
        await pilot.press("h")  # the panel scrolled into view
        await pilot.pause()
        panel = pilot.app.screen.query_one(AuditHistory)
        assert panel.region.y < SIZE[1]


async def test_contact_and_company_detail_show_their_history(demo: Path) -> None:
    state = as_user(demo, "Maria Lopez")
    with state.session(write=True) as session:
        data = ContactUpdate(title="Head of Fleet")
        update_contact(session, ref=str(CONTACT), data=data, region="US", now=state.now())
        data2 = CompanyUpdate(city="Delft")
        update_company(session, ref=str(COMPANY), data=data2, now=state.now())
    state.close()
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(CONTACT))
        await settle(pilot)
        assert history_text(pilot.app)[0] == (
            "2026-11-23 09:30 Maria Lopez edit title: Operations Director → Head of Fleet"
        )
        pilot.app.push_screen(CompanyScreen(COMPANY))
        await settle(pilot)
        assert history_text(pilot.app)[0] == (
            "2026-11-23 09:30 Maria Lopez edit city: Rotterdam → Delft"
        )


async def open_deal_form(pilot: Any, title: str) -> None:
    pilot.app.push_screen(DealScreen(DEAL))
    await settle(pilot)
    await pilot.press("e")
    await pilot.pause()
    assert isinstance(pilot.app.screen, FormDialog)
    set_field(pilot.app, "title", title)


async def test_a_form_overtaken_by_another_save_names_who_and_reloads(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await open_deal_form(pilot, "Tablets for crews")
        edit_deal(demo, OWNER, amount_minor=2_500_000)  # while the form is open
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ChoiceDialog)
        assert dialog.title_text == (
            "deal #24 was changed by 王芳 at 2026-11-23 09:30: edit amount: "
            "21,000.00 USD → 25,000.00 USD. Your edit is not saved yet."
        )
        assert dialog.choices == ["Reload", "Keep editing"]
        state = as_user(demo, "Maria Lopez")
        with state.session(write=False) as session:
            row = get_deal(session, ref=DEAL).row
            assert (row.title, str(row.amount)) == (
                "Tablet rollout for site crews",
                "25,000.00 USD",
            )
        state.close()
        assert not any(n.message.startswith("saved") for n in notices(pilot.app))
        await pilot.press("enter")  # Reload
        await settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)
        fields = rendered(pilot.app.screen.query_one("#deal-fields"))
        assert "#24 Tablet rollout for site crews" in fields
        assert "25,000.00 USD" in fields
        assert history_text(pilot.app)[0] == (
            "2026-11-23 09:30 王芳 edit amount: 21,000.00 USD → 25,000.00 USD"
        )


async def test_keep_editing_saves_what_was_typed_over_the_fresh_record(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await open_deal_form(pilot, "Tablets for crews")
        edit_deal(demo, OWNER, amount_minor=2_500_000)
        await pilot.press("ctrl+s")
        await settle(pilot)
        pilot.app.screen.query_one(OptionList).highlighted = 1
        await pilot.press("enter")  # Keep editing
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        assert form.values()["title"] == "Tablets for crews"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)
        assert notices(pilot.app)[-1].message == "saved"
    state = as_user(demo, "Maria Lopez")
    with state.session(write=False) as session:
        row = get_deal(session, ref=DEAL).row
        # only the title was edited in the form: the other person's amount stays
        assert (row.title, str(row.amount)) == ("Tablets for crews", "25,000.00 USD")
    state.close()


async def test_contact_and_company_forms_are_refused_too(demo: Path) -> None:
    state = as_user(demo, DANIEL)
    async with make_app(demo).run_test(size=SIZE) as pilot:
        pilot.app.push_screen(ContactScreen(CONTACT))
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        set_field(pilot.app, "title", "Fleet lead")
        with state.session(write=True) as session:
            data = ContactUpdate(title="Head of Fleet")
            update_contact(session, ref=str(CONTACT), data=data, region="US", now=state.now())
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ChoiceDialog)
        assert dialog.title_text.startswith(
            "contact #1 was changed by Daniel Okafor at 2026-11-23 09:30:"
        )
        await pilot.press("escape")
        await settle(pilot)
        pilot.app.push_screen(CompanyScreen(COMPANY))
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        set_field(pilot.app, "city", "Utrecht")
        with state.session(write=True) as session:
            data2 = CompanyUpdate(city="Delft")
            update_company(session, ref=str(COMPANY), data=data2, now=state.now())
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ChoiceDialog)
        assert dialog.title_text.startswith(
            "company #1 was changed by Daniel Okafor at 2026-11-23 09:30:"
        )
    with state.session(write=False) as session:
        assert get_contact(session, ref=str(CONTACT)).row.title == "Head of Fleet"
        assert get_company(session, ref=str(COMPANY)).row.city == "Delft"
    state.close()
