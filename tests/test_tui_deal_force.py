"""The app asks before a won deal with orders and payments is marked lost, says what it
does to them, and marks it lost (forced) only when the user confirms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import OptionList

from tests.conftest import NOW
from tests.tuihelp import database, make_app, notices, settle
from tinycrm.db.store import session_scope
from tinycrm.models import Deal, Order, Payment
from tinycrm.screens.deal import DealScreen
from tinycrm.screens.dialogs import ChoiceDialog
from tinycrm.services.orders import add_payment, create_order

pytestmark = [pytest.mark.asyncio, pytest.mark.demo(aftersale=False)]
SIZE = (120, 40)
WON_DEAL = 1  # Fleet tracking for 60 trucks, 48,000.00 USD, won
HELD = "1 order (10,000.00 USD) and 1 payment (2,500.00 USD) received"


@pytest.fixture
def demo(demo: Path) -> Path:
    """The demo with one order on the won deal and one payment on it."""
    path = demo
    db = database(path)
    with session_scope(db, write=True) as s:
        order = create_order(s, deal=WON_DEAL, amount="10000", ordered_on=NOW.date(), now=NOW)
        add_payment(s, order=order.id, amount="2500", received_on=NOW.date(), now=NOW)
    db.engine.dispose()
    return path


def stored(path: Path) -> tuple[tuple[str, str | None], list[int], list[int]]:
    """The deal's status and reason, its orders' amounts and its payments' amounts."""
    db = database(path)
    with session_scope(db, write=False) as s:
        deal = s.get(Deal, WON_DEAL)
        assert deal is not None
        orders = list(s.exec(select(Order.amount_minor).where(Order.deal_id == WON_DEAL)))
        payments = list(s.exec(select(Payment.amount_minor).order_by(col(Payment.id))))
        found = ((deal.status, deal.lost_reason), orders, payments)
    db.engine.dispose()
    return found


async def _ask_to_lose(pilot: Pilot[None]) -> tuple[str, list[str]]:
    """Press `l` on the deal, give a reason; the question the app asks and its answers."""
    pilot.app.push_screen(DealScreen(WON_DEAL))
    await settle(pilot)
    await pilot.press("l", *"cancelled", "enter")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, ChoiceDialog)
    options = dialog.query_one(OptionList)
    answers = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    return dialog.title_text, answers


def _errors(app: App[Any]) -> list[str]:
    return [n.message for n in notices(app) if n.severity == "error"]


async def test_losing_a_won_deal_with_money_asks_and_cancel_keeps_it_won(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        question, answers = await _ask_to_lose(pilot)
        await pilot.press("down", "enter")  # cancel
        await settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)
        assert _errors(pilot.app) == []
    assert question.startswith(
        f"Deal #{WON_DEAL} is won with {HELD}. Forced, this marks it lost and keeps them in "
        "receivables and customer revenue"
    )
    assert answers == ["mark it lost anyway", "cancel"]
    assert stored(demo) == (("won", None), [1_000_000], [250_000])


async def test_confirming_marks_it_lost_and_keeps_the_orders(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await _ask_to_lose(pilot)
        await pilot.press("enter")  # mark it lost anyway
        await settle(pilot)
        notes = [n.message for n in notices(pilot.app)]
        assert _errors(pilot.app) == []
        assert f"deal #{WON_DEAL} marked lost · ctrl+z undoes" in notes
    assert stored(demo) == (("lost", "cancelled"), [1_000_000], [250_000])
