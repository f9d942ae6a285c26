"""The board's won and lost views do not offer what every card there already is: `w` on
the won view asked "Mark deal won? It is in won now." and then silently did nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tuihelp import make_app, notices, settle
from tinycrm.screens.board import BoardScreen
from tinycrm.screens.dialogs import ChoiceDialog

pytestmark = [pytest.mark.asyncio, pytest.mark.demo(aftersale=False)]


def offered(app: object) -> set[str]:
    """The board's actions the footer offers now."""
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, BoardScreen)
    active = screen.active_bindings.values()
    return {b.binding.action for b in active if b.enabled and b.binding.show}


async def test_won_view_offers_no_won_and_no_steps_lost_view_no_lost(demo: Path) -> None:
    async with make_app(demo).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        open_keys = offered(pilot.app)
        await pilot.press("f")
        await settle(pilot)
        won_keys = offered(pilot.app)
        await pilot.press("w")
        await settle(pilot)
        asked_on_won = isinstance(pilot.app.screen, ChoiceDialog)
        await pilot.press("f")
        await settle(pilot)
        lost_keys = offered(pilot.app)
        await pilot.press("escape")
        await settle(pilot)
        back_keys = offered(pilot.app)
    assert {"won", "lost", "move", "step(1)", "step(-1)"} <= open_keys
    assert not {"won", "step(1)", "step(-1)"} & won_keys and {"lost", "move"} <= won_keys
    assert not asked_on_won and notices(pilot.app) == []
    assert not {"lost", "step(1)", "step(-1)"} & lost_keys and {"won", "move"} <= lost_keys
    assert back_keys == open_keys


async def test_a_won_deal_screen_offers_no_step(demo: Path) -> None:
    """`<`/`>` move an open deal a stage; a won one said "move it by name", a command-line
    hint, where the app's way is `m`."""
    from tinycrm.screens.deal import DealScreen

    async with make_app(demo).run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        pilot.app.push_screen(DealScreen(3))  # won in the demo
        await settle(pilot)
        screen = pilot.app.screen
        allowed = {a: screen.check_action(a, ()) for a in ("step", "move", "won", "lost")}
        await pilot.press("greater_than_sign")
        await settle(pilot)
    assert allowed == {"step": False, "move": True, "won": False, "lost": True}
    assert notices(pilot.app) == []


async def test_on_the_all_view_won_on_a_won_card_says_so_and_asks_nothing(demo: Path) -> None:
    """The all view mixes open, won and lost columns: a won card there still offers `w`,
    which now says the deal is already won instead of asking and then doing nothing."""
    async with make_app(demo).run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        for _ in range(3):  # open -> won -> lost -> all
            await pilot.press("f")
            await settle(pilot)
        board = pilot.app.screen
        assert isinstance(board, BoardScreen) and board.shown == "all"
        won = next(c for c in board.columns if c.stage_name == "won")
        won.focus()
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        asked = isinstance(pilot.app.screen, ChoiceDialog)
    assert not asked
    said = [n.message for n in notices(pilot.app)]
    assert len(said) == 1 and said[0].endswith("is already won; m moves it to another stage")
