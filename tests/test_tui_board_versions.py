"""Two sessions on one SQLite file: a deal moved or edited by someone else after the board
or the deal screen read it is not moved blindly; the app says who changed it, moves
nothing and reloads (as the CLI refuses with exit 3, see tests/test_versions.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import col, select

from tests.conftest import NOW
from tests.tuihelp import database, make_app, notices, settle
from tinycrm.context import AppState
from tinycrm.db.store import session_scope
from tinycrm.models import Deal, DealStatus, DealUpdate, StageChange
from tinycrm.screens.board import BoardScreen
from tinycrm.screens.deal import DealScreen
from tinycrm.services.deals import step_deal, update_deal

pytestmark = [pytest.mark.asyncio, pytest.mark.demo(aftersale=False)]
SIZE = (120, 40)
LEAD_FIRST = 24  # 'Tablet rollout for site crews', first card of lead
OTHER = "王芳"
"""The deal's owner (a rep sees her own deals)."""


def as_other(path: Path) -> AppState:
    """A second session on the same file, acting as another user."""
    return AppState(db_path=str(path), as_user=OTHER)


def stored(path: Path) -> tuple[int, DealStatus, int, int]:
    """The deal's stage, status and amount, and how many stage changes it has had."""
    db = database(path)
    with session_scope(db, write=False) as session:
        deal = session.get(Deal, LEAD_FIRST)
        assert deal is not None
        moves = session.exec(select(col(StageChange.id)).where(StageChange.deal_id == LEAD_FIRST))
        found = (deal.stage_id, deal.status, deal.amount_minor, len(list(moves)))
    db.engine.dispose()
    return found


def warnings(app: object) -> list[str]:
    return [n.message for n in notices(app) if n.severity == "warning"]


async def test_a_board_move_after_someone_else_moved_the_deal_is_refused(demo: Path) -> None:
    before = stored(demo)
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, BoardScreen)
        card = screen.columns[0].selected
        assert card is not None and card.id == LEAD_FIRST
        other = as_other(demo)
        with other.session(write=True) as session:  # its owner moves it meanwhile
            step_deal(session, ref=LEAD_FIRST, step=1, actor=other.actor(session), now=NOW)
        await pilot.press("greater_than_sign")  # from the board as it was read
        await settle(pilot)
        said = warnings(pilot.app)
        counts = [c.count for c in screen.columns]
    assert len(said) == 1
    assert re.fullmatch(
        rf"deal #{LEAD_FIRST} was changed by {OTHER} at 20\d\d-\d\d-\d\d \d\d:\d\d "
        r"\(move stage: lead → contacted\); reloaded, nothing moved",
        said[0],
    ), said[0]
    assert counts == [2, 5, 5, 3]  # reloaded: her move shows
    assert stored(demo) == (2, DealStatus.open, before[2], before[3] + 1)  # hers alone


async def test_won_on_the_deal_screen_after_an_edit_elsewhere_is_refused(demo: Path) -> None:
    before = stored(demo)
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.push_screen(DealScreen(LEAD_FIRST))
        await settle(pilot)
        other = as_other(demo)
        with other.session(write=True) as session:  # its owner edits the amount meanwhile
            update_deal(session, ref=LEAD_FIRST, data=DealUpdate(amount_minor=2_500_000), now=NOW)
        await pilot.press("w", "enter")
        await settle(pilot)
        said = warnings(pilot.app)
        screen = pilot.app.screen
        assert isinstance(screen, DealScreen) and screen.view is not None
        amount = screen.view.detail.row.amount.minor
    assert len(said) == 1 and said[0].startswith(f"deal #{LEAD_FIRST} was changed by {OTHER} at ")
    assert said[0].endswith("; reloaded, nothing moved")
    assert "amount" in said[0]
    assert amount == 2_500_000  # reloaded
    assert stored(demo) == (1, DealStatus.open, 2_500_000, before[3])


async def test_the_same_move_with_nobody_in_between_goes_through(demo: Path) -> None:
    before = stored(demo)
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("greater_than_sign")
        await settle(pilot)
        await pilot.press("greater_than_sign")  # the board's fresh read: version moved on
        await settle(pilot)
        assert warnings(pilot.app) == []
    assert stored(demo) == (3, DealStatus.open, before[2], before[3] + 2)
