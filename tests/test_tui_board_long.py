"""The board with a column of 500 cards at 80x24: the arrows always leave a column, the
focused card stays on screen, g/G and the page keys reach its ends, and moving the focus
stays fast. Column headers always show their count; the deal screen's footer fits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tests.conftest import NOW
from tests.tuihelp import database, make_app, settle
from tinycrm.db.store import session_scope
from tinycrm.models import DealCreate
from tinycrm.screens.board import BoardScreen
from tinycrm.screens.deal import DealScreen
from tinycrm.services.deals import create_deal
from tinycrm.widgets.board_column import CARD_HEIGHT, BoardColumn, column_title

SMALL = (80, 24)
EXTRA = 500
LEAD = 3 + EXTRA
"""The demo's 3 lead deals and the 500 added."""


@pytest.fixture
def long_board(demo: Path) -> Path:
    """The demo with 500 more deals in lead, each closing on its own later day."""
    db = database(demo)
    with session_scope(db, write=True) as session:
        for n in range(EXTRA):
            data = DealCreate(title=f"Bulk deal {n:03}", amount_minor=100_000, stage="lead")
            create_deal(session, data=data, currency="USD", actor=None, now=NOW)
    db.engine.dispose()
    return demo


def board(app: object) -> BoardScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, BoardScreen)
    return screen


def on_screen(column: BoardColumn) -> bool:
    """Whether the column's focused card is wholly inside what the column shows."""
    top = column.cursor * CARD_HEIGHT
    shown = column.scrollable_content_region.height
    return column.scroll_y <= top and top + CARD_HEIGHT - 1 <= column.scroll_y + shown


@pytest.mark.asyncio
async def test_arrows_leave_a_column_of_500_cards(long_board: Path) -> None:
    async with make_app(long_board).run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = board(pilot.app)
        lead, contacted = screen.columns[0], screen.columns[1]
        assert (lead.count, lead.border_title) == (LEAD, f"lead · {LEAD}")
        assert screen.focused is lead
        await pilot.press("G")
        await settle(pilot)
        assert lead.cursor == LEAD - 1 and on_screen(lead)
        last = lead.selected
        assert last is not None and last.title == "Bulk deal 499"
        await pilot.press("right")
        assert screen.focused is contacted
        await pilot.press("right", "right", "right")  # the last column: stays there
        assert screen.focused is screen.columns[3]
        await pilot.press("left", "left", "left")
        assert screen.focused is lead and lead.cursor == LEAD - 1
        page = lead.page_cards
        assert page == 4  # 80x24: four whole cards show at once
        await pilot.press("pageup", "pageup")
        assert lead.cursor == LEAD - 1 - 2 * page and on_screen(lead)
        await pilot.press("g")
        assert lead.cursor == 0 and lead.scroll_y == 0
        await pilot.press("pagedown", "down", "j")
        assert lead.cursor == page + 2 and on_screen(lead)
        await pilot.press("end")
        assert lead.cursor == LEAD - 1 and on_screen(lead)
        await pilot.press("home", "up")  # the first card: up stays there
        assert lead.cursor == 0 and on_screen(lead)


@pytest.mark.asyncio
async def test_moving_the_focus_in_a_long_column_stays_fast(long_board: Path) -> None:
    """Cost follows the screen, not the column: 60 key presses down a 503-card column (15
    screenfuls), then 20 round trips between columns, each under a quarter of a second on
    a loaded test machine (the figures print with -s; bench/tui_bench.py measures it)."""
    async with make_app(long_board).run_test(size=SMALL) as pilot:
        await settle(pilot)
        lead = board(pilot.app).columns[0]
        started = time.perf_counter()
        for _ in range(60):
            await pilot.press("down")
        down = (time.perf_counter() - started) / 60
        await settle(pilot)
        assert lead.cursor == 60 and on_screen(lead)
        assert lead.selected is not None
        started = time.perf_counter()
        for _ in range(20):
            await pilot.press("right", "left")
        across = (time.perf_counter() - started) / 40
        assert board(pilot.app).focused is lead
        print(f"\nper key: down {down * 1000:.1f} ms, across {across * 1000:.1f} ms")
    assert down < 0.25 and across < 0.25


@pytest.mark.asyncio
async def test_every_header_shows_its_count_at_80_columns(long_board: Path) -> None:
    async with make_app(long_board).run_test(size=SMALL) as pilot:
        await settle(pilot)
        titles = [str(c.border_title) for c in board(pilot.app).columns]
    assert titles == [f"lead · {LEAD}", "contacted · 4", "qualified · 5", "negotiati… · 3"]


def test_a_column_title_shortens_the_name_never_the_count() -> None:
    assert column_title("negotiation", 3, 18) == "negotiati… · 3"
    assert column_title("negotiation", 3, 40) == "negotiation · 3"
    assert column_title("negotiation", 1234, 14) == "ne… · 1234"
    assert column_title("谈判阶段", 12, 12) == "谈… · 12"
    assert column_title("negotiation", 12, 6) == "12"


@pytest.mark.asyncio
async def test_the_deal_footer_shows_its_keys_at_80_columns(demo: Path) -> None:
    async with make_app(demo).run_test(size=SMALL) as pilot:
        await settle(pilot)
        pilot.app.push_screen(DealScreen(11))
        await settle(pilot)
        footer = pilot.app.screen.query_one(Footer)
        keys = [k for k in footer.query(FooterKey) if k.key_display != "^p"]
        shown = [(k.key_display, k.description) for k in keys]
        palette = next(k for k in footer.query(FooterKey) if k.key_display == "^p")
        assert all(k.region.right <= palette.region.x for k in keys)
        help_keys = [key for _, rows in pilot.app.key_sections(pilot.app.screen) for key in rows]  # type: ignore[attr-defined]
    assert shown == [
        ("esc", "Back"),
        ("a", "Log"),
        ("s", "Follow-up"),
        ("e", "Edit"),
        ("i", "Line"),
        ("m", "Move"),
        ("w", "Won"),
        ("l", "Lost"),
        ("?", "Keys"),
    ]
    assert {("o", "Add order"), ("c", "Open contact"), (">", "Move to next stage")} <= set(
        help_keys
    )
    assert ("i", "Add a line") in help_keys
    assert ("q", "Quote the deal's lines") not in help_keys  # no lines: nothing to quote
