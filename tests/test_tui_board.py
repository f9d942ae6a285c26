"""The pipeline board driven through the keyboard and the mouse; every test checks what the
database holds afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select
from textual.widgets import OptionList

from tests.conftest import NOW
from tests.tuihelp import ACTOR, database, make_app, notices, settle
from tinycrm.db.store import session_scope
from tinycrm.models import Deal, DealStatus, Stage, StageChange, User
from tinycrm.screens.board import BoardScreen
from tinycrm.screens.deal import DealScreen
from tinycrm.screens.dialogs import ChoiceDialog, FormDialog
from tinycrm.widgets.board_column import BoardColumn

pytestmark = pytest.mark.asyncio
SIZE = (120, 40)
LEAD_FIRST = 24
"""The first card of the demo's lead column: 'Tablet rollout for site crews' (closes first)."""


def board(app: object) -> BoardScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, BoardScreen)
    return screen


def stage_changes(path: Path, deal_id: int) -> list[tuple[str | None, str, str | None]]:
    db = database(path)
    with session_scope(db, write=False) as session:
        names = {s.id: s.name for s in session.exec(select(Stage))}
        users = {u.id: u.name for u in session.exec(select(User))}
        rows = session.exec(
            select(StageChange)
            .where(StageChange.deal_id == deal_id, StageChange.changed_at == NOW)
            .order_by(col(StageChange.id))
        )
        found = [
            (names.get(r.from_stage_id), names[r.to_stage_id], users.get(r.changed_by_id))
            for r in rows
        ]
    db.engine.dispose()
    return found


def deal(path: Path, deal_id: int) -> Deal:
    db = database(path)
    with session_scope(db, write=False) as session:
        found = session.get(Deal, deal_id)
        assert found is not None
    db.engine.dispose()
    return found


async def test_board_shows_stage_counts_and_totals(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        columns = board(pilot.app).columns
        assert [(c.border_title, c.border_subtitle) for c in columns] == [
            ("lead · 3", "50.8k USD"),
            ("contacted · 4", "24.7k USD"),
            ("qualified · 5", "100k USD"),
            ("negotiation · 3", "115k USD"),
        ]
        first = columns[0].selected
        assert first is not None
        assert (first.id, first.days_in_stage, first.stale) == (LEAD_FIRST, 11, False)
        assert columns[0].card(1) is not None and columns[0].card(1).stale  # type: ignore[union-attr]


async def test_move_right_then_left_writes_stage_history(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("greater_than_sign")
        await settle(pilot)
        assert deal(demo, LEAD_FIRST).stage_id == 2
        screen = board(pilot.app)
        assert screen.focused is screen.columns[1]  # the focus follows the deal
        assert screen.columns[1].selected is not None
        assert screen.columns[1].selected.id == LEAD_FIRST
        assert screen.columns[0].border_title == "lead · 2"
        assert screen.columns[1].border_title == "contacted · 5"
        await pilot.press("shift+left")
        await settle(pilot)
    assert deal(demo, LEAD_FIRST).stage_id == 1
    assert stage_changes(demo, LEAD_FIRST) == [
        ("lead", "contacted", ACTOR),
        ("contacted", "lead", ACTOR),
    ]


async def test_move_left_of_the_first_stage_is_refused_with_a_notification(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("less_than_sign")
        await settle(pilot)
        messages = [n.message for n in notices(pilot.app)]
    assert messages == [f"deal #{LEAD_FIRST} is already at the first open stage"]
    assert stage_changes(demo, LEAD_FIRST) == []


async def test_won_asks_first_and_lost_needs_a_reason(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        question = pilot.app.screen
        assert isinstance(question, ChoiceDialog)
        assert question.title_text == (
            f"Mark deal #{LEAD_FIRST} 'Tablet rollout for site crews' won? It is in lead now."
        )
        await pilot.press("escape")  # not yet: nothing changes
        await settle(pilot)
        assert deal(demo, LEAD_FIRST).status == DealStatus.open
        await pilot.press("w", "enter")  # mark it won
        await settle(pilot)
        assert board(pilot.app).columns[0].border_title == "lead · 2"
        lost = board(pilot.app).columns[0].selected
        assert lost is not None
        await pilot.press("l")
        await pilot.pause()
        await pilot.press(*"went with a cheaper vendor", "enter")
        await settle(pilot)
        assert board(pilot.app).columns[0].border_title == "lead · 1"
    won = deal(demo, LEAD_FIRST)
    assert (won.status, won.closed_at) == (DealStatus.won, NOW)
    gone = deal(demo, lost.id)
    assert (gone.status, gone.lost_reason) == (DealStatus.lost, "went with a cheaper vendor")
    assert stage_changes(demo, lost.id) == [("lead", "lost", ACTOR)]


async def test_lost_needs_a_reason_and_escape_changes_nothing(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog)  # still asking
        messages = [n.message for n in notices(pilot.app)]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, BoardScreen)
    assert messages == ["why was it lost: please fill this in"]
    assert deal(demo, LEAD_FIRST).status == DealStatus.open


async def test_new_deal_lands_in_the_focused_stage(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right", "right", "n")
        await settle(pilot)  # the form is open and its first field focused
        for value in ("Kiosk fleet", "12.5k", "Eko Agritech"):
            await pilot.press(*value, "tab")
            await pilot.pause()  # focus has moved on before the next field is typed
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = board(pilot.app)
        assert screen.columns[2].border_title == "qualified · 6"
        assert screen.focused is screen.columns[2]
        selected = screen.columns[2].selected
        assert selected is not None and selected.title == "Kiosk fleet"
    db = database(demo)
    with session_scope(db, write=False) as session:
        created = session.exec(select(Deal).where(Deal.title == "Kiosk fleet")).one()
        owner = session.get(User, created.owner_id)
        assert (created.amount_minor, created.currency, created.stage_id) == (1_250_000, "USD", 3)
        assert owner is not None and owner.name == ACTOR
    db.engine.dispose()


async def test_new_deal_with_a_bad_amount_is_refused(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormDialog)  # a title is needed first
        await pilot.press(*"Kiosk fleet", "tab")
        await pilot.pause()
        await pilot.press(*"lots", "ctrl+s")
        await settle(pilot)
        form = pilot.app.screen  # back, as it was typed, to fix the amount
        assert isinstance(form, FormDialog)
        assert (form.values()["title"], form.values()["amount"]) == ("Kiosk fleet", "lots")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, BoardScreen)
        messages = [n.message for n in notices(pilot.app)]
    assert messages[0] == "title: please fill this in"
    assert messages[1].startswith("amount: ")
    db = database(demo)
    with session_scope(db, write=False) as session:
        assert len(session.exec(select(Deal)).all()) == 25
    db.engine.dispose()


async def test_text_filter_and_owner_filter(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"cloud")
        await pilot.pause(0.3)
        await settle(pilot)
        screen = board(pilot.app)
        assert [c.count for c in screen.columns] == [0, 0, 0, 1]
        assert screen.columns[3].card(0) is not None
        assert screen.columns[3].card(0).title == "Cloud migration"  # type: ignore[union-attr]
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert [c.count for c in screen.columns] == [3, 4, 5, 3]
        await pilot.press("o")
        await settle(pilot)
        options = pilot.app.screen.query_one(OptionList)
        names = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        await pilot.press(*["down"] * names.index("Priya Raman"), "enter")
        await settle(pilot)
        assert [c.count for c in screen.columns] == [0, 2, 2, 1]
        assert (
            screen.query_one("#board-status")
            .render()
            .plain.startswith(  # type: ignore[union-attr]
                "5 open deals · owner: Priya Raman"
            )
        )


async def test_keys_and_mouse_move_the_selection_and_enter_opens(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = board(pilot.app)
        await pilot.press("right", "down", "j")
        assert screen.focused is screen.columns[1]
        assert screen.columns[1].cursor == 2
        await pilot.press("k", "left")
        assert (screen.focused, screen.columns[1].cursor) == (screen.columns[0], 1)
        await pilot.click(BoardColumn, offset=(5, 1 + 4 * 2))  # third card, lead
        assert screen.columns[0].cursor == 2
        await pilot.click("#stage-3", offset=(5, 2))
        assert screen.focused is screen.columns[2]
        assert screen.columns[2].cursor == 0
        chosen = screen.columns[2].selected
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DealScreen)
        assert chosen is not None and pilot.app.screen.deal_id == chosen.id
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, BoardScreen)
