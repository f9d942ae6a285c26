"""The deal screen lists the deal's lines and quotes, and hides the section when it has
neither (so every other deal's screen is as it was)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select
from textual.widgets import Static

from tests.conftest import NOW
from tests.tuihelp import database, make_app, notices, palette, rendered, settle
from tinycrm.db.store import session_scope
from tinycrm.models import Deal, DealStatus
from tinycrm.screens.deal import DealScreen
from tinycrm.services import quotes

pytestmark = [pytest.mark.asyncio]


async def test_the_deal_screen_shows_its_lines_and_quotes(demo: Path) -> None:
    db = database(demo)
    with session_scope(db, write=True) as s:
        open_ids = s.exec(
            select(Deal.id).where(col(Deal.status) == DealStatus.open).order_by(col(Deal.id))
        ).all()
        quoted, plain = int(open_ids[0] or 0), int(open_ids[1] or 0)
        quotes.add_deal_line(s, deal=quoted, text="Setup x2 @250")
        quotes.create_quote(s, deal=quoted, lines=["Setup x2 @250", "Training 100"], now=NOW,
                            today=NOW.date())  # fmt: skip
    db.engine.dispose()
    async with make_app(demo).run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pilot.app.push_screen(DealScreen(quoted))
        await settle(pilot)
        section = pilot.app.screen.query_one("#deal-priced", Static)
        shown = section.display, rendered(section)
        pilot.app.push_screen(DealScreen(plain))
        await settle(pilot)
        hidden = pilot.app.screen.query_one("#deal-priced", Static).display
    assert shown[0] is True and hidden is False
    text = shown[1]
    rows = [line.split() for line in text.splitlines()]
    assert ["1.", "Setup", "2", "250.00", "0%", "500.00"] in rows, text
    assert ["lines", "total", "500.00"] in rows
    assert ["quote", "#1", "rev", "1", "·", "draft", "600.00"] in rows


async def test_accepting_a_quote_from_the_palette_wins_the_deal(demo: Path) -> None:
    db = database(demo)
    with session_scope(db, write=True) as s:
        deal = s.exec(
            select(Deal).where(col(Deal.status) == DealStatus.open).order_by(col(Deal.id))
        ).first()
        assert deal is not None and deal.id is not None
        deal_id, cur = deal.id, deal.currency
        quotes.create_quote(s, deal=deal_id, lines=["Training 100"], now=NOW, today=NOW.date())
    async with make_app(demo).run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pilot.app.push_screen(DealScreen(deal_id))
        await settle(pilot)
        offered = [t for t in palette(pilot.app) if "Accept quote" in t]
        screen = pilot.app.screen
        assert isinstance(screen, DealScreen)
        screen.accept_quote(1)
        await settle(pilot)
        await pilot.press("enter")  # "accept it", the first choice
        await settle(pilot)
        said = [n.message for n in notices(pilot.app)]
    assert offered == [f"deal: Accept quote #1 rev 1, 100.00 {cur}"]
    assert len(said) == 1 and said[0].startswith(f"quote #1 accepted: deal won at 100.00 {cur}")
    with session_scope(db, write=False) as s:
        won = s.get(Deal, deal_id)
        assert won is not None and won.status == DealStatus.won and won.amount_minor == 10000
    db.engine.dispose()
