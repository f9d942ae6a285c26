"""Delivering an order from the deal screen (`d`, the palette): the delivery day (today in the
user's zone unless typed) and the follow-up call (the config's `followup_days.order` unless
typed, none when emptied) as `crm order deliver` records them, the order panel showing the
day; a viewer is refused in a notice, with nothing changed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import col, select
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.tuihelp import ACTOR, VIEWER, database, make_app, notices, palette, rendered, settle
from tinycrm.db.store import session_scope
from tinycrm.models import CompanyCreate, DealCreate, FollowUp, Order, Role, UserCreate
from tinycrm.screens.deal import DealScreen
from tinycrm.screens.dialogs import ChoiceDialog, FormDialog
from tinycrm.services.companies import create_company
from tinycrm.services.deals import create_deal, win_deal
from tinycrm.services.orders import create_order
from tinycrm.services.users import create_user

pytestmark = [pytest.mark.asyncio]
SIZE = (120, 40)
NOW = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
"""2026-11-24 05:00 in Tokyo, the user's zone: today there is the 24th."""


@pytest.fixture
def won(empty_db: Path, crm_env: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, int]:
    """Acme's won deal with orders #1 (ordered 2026-11-20) and #2 (2026-11-21), neither
    delivered; the config calls the customer 10 days after a delivery."""
    monkeypatch.setenv("CRM_NOW", NOW.isoformat())
    monkeypatch.setenv("CRM_TIMEZONE", "Asia/Tokyo")
    crm_env.mkdir(parents=True, exist_ok=True)
    (crm_env / "config.toml").write_text("followup_days = {order = 10}\n", "utf-8")
    db = database(empty_db)
    with session_scope(db, write=True) as s:
        create_user(s, data=UserCreate(name=ACTOR, role=Role.manager), currency="USD", now=NOW)
        create_user(s, data=UserCreate(name=VIEWER, role=Role.viewer), currency="USD", now=NOW)
        create_company(s, data=CompanyCreate(name="Acme"))
        deal = create_deal(
            s, data=DealCreate(title="Acme deal", amount_minor=100_000, company="Acme"),
            currency="USD", actor=None, now=NOW,
        )  # fmt: skip
        win_deal(s, ref=deal.id, actor=None, now=NOW)
        for day in (20, 21):
            create_order(s, deal=deal.id, amount="500", ordered_on=date(2026, 11, day), now=NOW)
    db.engine.dispose()
    return empty_db, deal.id


def stored(path: Path) -> tuple[list[tuple[int, date | None]], list[tuple[int | None, date]]]:
    """Each order's delivery day and each follow-up (its order, its due day), oldest first."""
    db = database(path)
    with session_scope(db, write=False) as s:
        orders = [
            (o.id or 0, o.delivered_on) for o in s.exec(select(Order).order_by(col(Order.id)))
        ]
        calls = [
            (f.order_id, f.due_on) for f in s.exec(select(FollowUp).order_by(col(FollowUp.id)))
        ]
    db.engine.dispose()
    return orders, calls


async def opened(pilot: Pilot[None], deal_id: int) -> DealScreen:
    await settle(pilot)
    pilot.app.push_screen(DealScreen(deal_id))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DealScreen)
    return screen


def field(app: App[None], key: str) -> str:
    form = app.screen
    assert isinstance(form, FormDialog)
    return form.query_one(f"#field-{key}", Input).value


async def test_deliver_an_order_from_deal_detail(won: tuple[Path, int]) -> None:
    path, deal_id = won
    async with make_app(path).run_test(size=SIZE) as pilot:
        screen = await opened(pilot, deal_id)
        offered = palette(pilot.app)
        await pilot.press("question_mark")
        await pilot.pause()
        keys = rendered(pilot.app.screen.query_one("#help-text"))
        await pilot.press("escape")
        await pilot.press("d")  # two orders not delivered: which one first
        assert isinstance(pilot.app.screen, ChoiceDialog)
        await pilot.press("enter")  # the newest, #2
        await settle(pilot)
        prefilled = (field(pilot.app, "on"), field(pilot.app, "followup"))
        pilot.app.screen.query_one("#field-followup", Input).value = "5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = rendered(screen.query_one("#deal-orders", Static))
        await pilot.press("d")  # the one left, at once; typed: yesterday, and no call
        await settle(pilot)
        pilot.app.screen.query_one("#field-on", Input).value = "yesterday"
        pilot.app.screen.query_one("#field-followup", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        done = palette(pilot.app)
        said = [(n.message, n.severity) for n in notices(pilot.app)]
    assert "deal: Deliver order" in offered and "deal: Deliver order" not in done
    assert "d                  Deliver order" in keys
    assert prefilled == ("2026-11-24", "10")
    assert said == [
        ("order #2 delivered on 2026-11-24; follow-up #1 due 2026-11-29", "information"),
        ("order #1 delivered on 2026-11-23", "information"),
    ]
    assert stored(path) == (
        [(1, date(2026, 11, 23)), (2, date(2026, 11, 24))],
        [(2, date(2026, 11, 29))],
    )
    header, *rows = [line.split() for line in shown.splitlines() if line.strip()]
    assert header[:4] == ["order", "ordered", "due", "delivered"]
    assert [r[:4] for r in rows] == [["#2", "2026-11-21", "—", "2026-11-24"],
                                     ["#1", "2026-11-20", "—", "—"]]  # fmt: skip


async def test_a_bad_day_brings_the_form_back(won: tuple[Path, int]) -> None:
    path, deal_id = won
    async with make_app(path).run_test(size=SIZE) as pilot:
        await opened(pilot, deal_id)
        await pilot.press("d", "down", "enter")  # #1, ordered 2026-11-20
        await settle(pilot)
        pilot.app.screen.query_one("#field-on", Input).value = "2026-11-19"
        await pilot.press("ctrl+s")
        await settle(pilot)
        back = (field(pilot.app, "on"), pilot.app.screen.focused)
        pilot.app.screen.query_one("#field-on", Input).value = "2026-11-20"
        pilot.app.screen.query_one("#field-followup", Input).value = "two"
        await pilot.press("ctrl+s")
        await settle(pilot)
        again = field(pilot.app, "followup")
        said = [(n.message, n.severity) for n in notices(pilot.app)]
    assert back[0] == "2026-11-19"
    assert isinstance(back[1], Input) and back[1].id == "field-on"
    assert again == "two"
    assert said == [
        ("delivery date: before the order date 2026-11-20: '2026-11-19'", "error"),
        ("follow-up days: must be a whole number of days: 'two'", "error"),
    ]
    assert stored(path) == ([(1, None), (2, None)], [])


async def test_a_viewer_is_refused_in_a_notice(won: tuple[Path, int]) -> None:
    path, deal_id = won
    app = make_app(path, as_user=VIEWER)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, deal_id)
        await pilot.press("d", "enter")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("escape")  # the form, back with what was typed
        await settle(pilot)
        screen = pilot.app.screen
        said = [(n.message, n.severity) for n in notices(pilot.app)]
    assert isinstance(screen, DealScreen)
    assert said == [
        ("not allowed: edit orders owned by nobody (role viewer has orders edit: none)", "error")
    ]
    assert stored(path) == ([(1, None), (2, None)], [])
