"""The board's won / lost / all views, reopening a closed deal with `m` (board and deal
screen), and ctrl+z taking back the last change while its notice shows, recorded in the
stage history and the audit log like any change."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select
from textual.widgets import OptionList

from tests.conftest import NOW
from tests.tuihelp import ACTOR, database, make_app, notices, settle
from tinycrm.db.store import session_scope
from tinycrm.models import (
    Activity,
    AuditEntry,
    Campaign,
    Contact,
    Deal,
    DealStatus,
    Stage,
    StageChange,
    User,
)
from tinycrm.screens import base
from tinycrm.screens.board import BoardScreen
from tinycrm.screens.deal import DealScreen
from tinycrm.screens.dialogs import ChoiceDialog

pytestmark = [pytest.mark.asyncio, pytest.mark.demo(aftersale=False)]
SIZE = (120, 40)
LEAD_FIRST = 24  # 'Tablet rollout for site crews', first card of lead
LATEST_WON = 5  # "Support renewal 2027": the won deal that closed last


def board(app: object) -> BoardScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, BoardScreen)
    return screen


def history(path: Path, deal_id: int) -> list[tuple[str | None, str, str | None]]:
    """Every stage change of the deal, oldest first: (from, to, by)."""
    db = database(path)
    with session_scope(db, write=False) as session:
        names = {s.id: s.name for s in session.exec(select(Stage))}
        users = {u.id: u.name for u in session.exec(select(User))}
        rows = session.exec(
            select(StageChange)
            .where(StageChange.deal_id == deal_id)
            .order_by(col(StageChange.changed_at), col(StageChange.id))
        )
        found = [
            (names.get(r.from_stage_id), names[r.to_stage_id], users.get(r.changed_by_id))
            for r in rows
        ]
    db.engine.dispose()
    return found


def stored(path: Path, deal_id: int) -> Deal:
    db = database(path)
    with session_scope(db, write=False) as session:
        found = session.get(Deal, deal_id)
        assert found is not None
    db.engine.dispose()
    return found


def audit_actions(path: Path, deal_id: int) -> list[str]:
    db = database(path)
    with session_scope(db, write=False) as session:
        rows = session.exec(
            select(AuditEntry.action)
            .where(AuditEntry.object == "deals", AuditEntry.record_id == deal_id)
            .order_by(col(AuditEntry.id))
        )
        found = list(rows)
    db.engine.dispose()
    return found


def choices(app: object) -> list[str]:
    dialog = app.screen  # type: ignore[attr-defined]
    assert isinstance(dialog, ChoiceDialog)
    options = dialog.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_f_shows_won_then_lost_then_all_and_escape_goes_back_to_open(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = board(pilot.app)
        status = screen.query_one("#board-status")
        seen = []
        for _ in range(4):
            await pilot.press("f")
            await settle(pilot)
            seen.append(
                (
                    [str(c.border_title) for c in screen.columns],
                    str(status.render()).split("  ")[0],
                )
            )
        won = screen.columns[0].selected if len(screen.columns) == 1 else None
        await pilot.press("escape")
        await settle(pilot)
        back = [str(c.border_title) for c in screen.columns]
    assert seen == [
        (["won · 6"], "6 won deals"),
        (["lost · 4"], "4 lost deals"),
        (
            ["lead · 3", "contacted · 4", "qualified · 5", "negotiati… · 3", "won · 6", "lost · 4"],
            "25 deals",
        ),
        (["lead · 3", "contacted · 4", "qualified · 5", "negotiation · 3"], "15 open deals"),
    ]
    assert won is None  # the fourth press was back to open
    assert back == ["lead · 3", "contacted · 4", "qualified · 5", "negotiation · 3"]


async def test_won_view_lists_latest_closed_first_and_m_reopens(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        screen = board(pilot.app)
        first = screen.columns[0].selected
        assert first is not None and first.id == LATEST_WON
        await pilot.press("m")
        await settle(pilot)
        offered = choices(pilot.app)
        await pilot.press("down", "enter")  # contacted
        await settle(pilot)
        assert [str(c.border_title) for c in screen.columns] == ["won · 5"]
        said = [n.message for n in notices(pilot.app)]
    assert offered == ["lead", "contacted", "qualified", "negotiation", "lost (close as lost)"]
    assert said[-1] == f"deal #{LATEST_WON} moved to contacted · ctrl+z undoes"
    reopened = stored(demo, LATEST_WON)
    assert (reopened.status, reopened.closed_at) == (DealStatus.open, None)
    assert history(demo, LATEST_WON)[-1] == ("won", "contacted", ACTOR)


async def test_m_on_the_deal_screen_marks_lost_with_a_reason(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.push_screen(DealScreen(LEAD_FIRST))
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        offered = choices(pilot.app)
        await pilot.press(*["down"] * 4, "enter")  # lost
        await settle(pilot)
        await pilot.press(*"budget cut", "enter")
        await settle(pilot)
    assert offered == [
        "contacted",
        "qualified",
        "negotiation",
        "won (close as won)",
        "lost (close as lost)",
    ]
    lost = stored(demo, LEAD_FIRST)
    assert (lost.status, lost.lost_reason) == (DealStatus.lost, "budget cut")
    assert history(demo, LEAD_FIRST)[-1] == ("lead", "lost", ACTOR)


async def test_ctrl_z_undoes_a_move_and_records_it(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("greater_than_sign")
        await settle(pilot)
        screen = board(pilot.app)
        assert screen.columns[1].border_title == "contacted · 5"
        await pilot.press("ctrl+z")
        await settle(pilot)
        titles = [str(c.border_title) for c in screen.columns]
        await pilot.press("ctrl+z")  # nothing left to undo
        await settle(pilot)
        said = [n.message for n in notices(pilot.app)]
    assert titles[:2] == ["lead · 3", "contacted · 4"]
    assert said == [
        f"deal #{LEAD_FIRST} moved to contacted · ctrl+z undoes",
        f"undone: deal #{LEAD_FIRST} back to lead",
        "nothing to undo",
    ]
    assert stored(demo, LEAD_FIRST).stage_id == 1
    assert history(demo, LEAD_FIRST)[-2:] == [
        ("lead", "contacted", ACTOR),
        ("contacted", "lead", ACTOR),
    ]
    assert audit_actions(demo, LEAD_FIRST)[-2:] == ["move", "move"]


async def test_ctrl_z_undoes_a_reopen_keeping_the_day_it_closed(demo: Path) -> None:
    before = stored(demo, LATEST_WON)
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.push_screen(DealScreen(LATEST_WON))
        await settle(pilot)
        await pilot.press("m", "enter")  # lead
        await settle(pilot)
        assert stored(demo, LATEST_WON).status == DealStatus.open
        await pilot.press("ctrl+z")
        await settle(pilot)
    after = stored(demo, LATEST_WON)
    assert (after.status, after.closed_at) == (DealStatus.won, before.closed_at)
    assert history(demo, LATEST_WON)[-2:] == [("won", "lead", ACTOR), ("lead", "won", ACTOR)]


async def test_ctrl_z_undoes_won_and_lost(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w", "enter")
        await settle(pilot)
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert board(pilot.app).columns[0].border_title == "lead · 3"
        await pilot.press("l", *"price", "enter")
        await settle(pilot)
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert board(pilot.app).columns[0].border_title == "lead · 3"
    back = stored(demo, LEAD_FIRST)
    assert (back.status, back.closed_at, back.lost_reason, back.stage_id) == (
        DealStatus.open, None, None, 1,
    )  # fmt: skip
    assert history(demo, LEAD_FIRST)[-4:] == [
        ("lead", "won", ACTOR),
        ("won", "lead", ACTOR),
        ("lead", "lost", ACTOR),
        ("lost", "lead", ACTOR),
    ]


async def test_ctrl_z_after_the_notice_is_gone_changes_nothing(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "UNDO_SECONDS", 0.0)
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("greater_than_sign")
        await settle(pilot)
        await pilot.press("ctrl+z")
        await settle(pilot)
        said = [n.message for n in notices(pilot.app)]
    assert said[-1] == "nothing to undo"
    assert stored(demo, LEAD_FIRST).stage_id == 2


async def test_ctrl_z_undoes_a_reminder_marked_done_in_the_calendar(demo: Path) -> None:
    overdue = 71  # Maria's overdue task, first in today's agenda
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        done = stored_activity(demo, overdue)
        await pilot.press("ctrl+z")
        await settle(pilot)
        said = [n.message for n in notices(pilot.app)]
    assert done == NOW
    assert stored_activity(demo, overdue) is None
    assert said[-2:] == [
        "done: Qualify the website lead · ctrl+z undoes",
        "undone: 'Qualify the website lead' is not done",
    ]


async def test_ctrl_z_restores_a_deleted_campaign_with_its_contacts_and_deals(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("d", "enter")  # the first row: yes, delete it
        await settle(pilot)
        gone = linked(demo, "Spring trade fair")
        await pilot.press("ctrl+z")
        await settle(pilot)
        said = [n.message for n in notices(pilot.app)]
    assert gone is None
    assert linked(demo, "Spring trade fair") == (3000_00, 6, 5)
    assert said[-2:] == [
        "campaign deleted: Spring trade fair · ctrl+z undoes",
        "undone: campaign 'Spring trade fair' restored",
    ]


def stored_activity(path: Path, activity_id: int) -> object:
    """When the activity was done (None: not done)."""
    db = database(path)
    with session_scope(db, write=False) as session:
        found = session.get(Activity, activity_id)
        assert found is not None
    db.engine.dispose()
    return found.done_at


def linked(path: Path, name: str) -> tuple[int, int, int] | None:
    """The campaign's cost and how many contacts and deals came from it, if it is there."""
    db = database(path)
    with session_scope(db, write=False) as s:
        found = s.exec(select(Campaign).where(Campaign.name == name)).first()
        if found is None:
            db.engine.dispose()
            return None
        contacts = s.exec(select(col(Contact.id)).where(Contact.campaign_id == found.id)).all()
        deals = s.exec(select(col(Deal.id)).where(Deal.campaign_id == found.id)).all()
        figures = (found.cost_minor, len(contacts), len(deals))
    db.engine.dispose()
    return figures
