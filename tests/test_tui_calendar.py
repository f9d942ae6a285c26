"""The calendar (reminders done, snoozed, rescheduled; a recurring task comes back), the
reports screen's figures, the command palette and the key help."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import col, select

from tests.conftest import NOW
from tests.tuihelp import database, make_app, notices, settle
from tinycrm.db.store import session_scope
from tinycrm.models import Activity, ActivityCreate, ActivityKind, Grant, Level, User
from tinycrm.screens.calendar import CalendarScreen
from tinycrm.screens.dialogs import HelpScreen
from tinycrm.screens.reports import ReportsScreen
from tinycrm.services.activities import schedule_activity
from tinycrm.widgets.charts import BarChart
from tinycrm.widgets.month import MonthGrid

pytestmark = pytest.mark.asyncio
SIZE = (120, 40)
OVERDUE = 71
"""Maria's one overdue demo task: 'Qualify the website lead', due Mon 16 Nov 11:30."""


@pytest.fixture
def demo(demo: Path) -> Path:
    """The demo, and a weekly pipeline review of Maria's from today at 14:00."""
    path = demo
    db = database(path)
    with session_scope(db, write=True) as session:
        maria = session.exec(select(User).where(User.name == "Maria Lopez")).one()
        data = ActivityCreate(
            kind=ActivityKind.task,
            subject="Weekly pipeline review",
            due_at=datetime(2026, 11, 23, 14, 0, tzinfo=UTC),
            rrule="FREQ=WEEKLY",
        )
        schedule_activity(session, data=data, actor=maria, now=NOW)
    db.engine.dispose()
    return path


def activity(path: Path, activity_id: int) -> Activity:
    db = database(path)
    with session_scope(db, write=False) as session:
        found = session.get(Activity, activity_id)
        assert found is not None
    db.engine.dispose()
    return found


def reviews(path: Path) -> list[tuple[datetime | None, datetime | None]]:
    db = database(path)
    with session_scope(db, write=False) as session:
        rows = session.exec(
            select(Activity)
            .where(Activity.subject == "Weekly pipeline review")
            .order_by(col(Activity.id))
        )
        found = [(a.due_at, a.done_at) for a in rows]
    db.engine.dispose()
    return found


async def open_calendar(pilot: object) -> CalendarScreen:
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.press("3")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    screen = pilot.app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, CalendarScreen)
    return screen


async def test_month_counts_and_todays_agenda(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        screen = await open_calendar(pilot)
        grid = screen.query_one(MonthGrid)
        assert grid.selected == date(2026, 11, 23)
        counts = {d.isoformat(): n for d, n in grid.counts.items()}
        assert counts == {"2026-11-16": 1, "2026-11-23": 1, "2026-11-30": 2}
        assert [(i.id, i.subject) for i in screen.rows] == [
            (OVERDUE, "Qualify the website lead"),
            (81, "Weekly pipeline review"),
        ]
        await pilot.press("right")
        await settle(pilot)
        assert screen.rows == []
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert grid.selected == date(2026, 12, 24)
        assert {d.isoformat(): n for d, n in grid.counts.items()}["2026-12-28"] == 1


async def test_done_snooze_and_reschedule(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        screen = await open_calendar(pilot)
        await pilot.press("z")
        await pilot.pause()
        await pilot.press("enter")  # the proposed time: tomorrow 09:00
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        form = pilot.app.screen
        form.query_one("#field-due").value = "2026-11-25 10:00"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert [i.id for i in screen.rows] == [81]
        await pilot.press("d")
        await settle(pilot)
        messages = [n.message for n in notices(pilot.app)]
    moved = activity(demo, OVERDUE)
    assert moved.due_at == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert moved.snoozed_until is None  # a new due time starts its reminders afresh
    assert moved.done_at is None
    assert reviews(demo) == [
        (datetime(2026, 11, 23, 14, 0, tzinfo=UTC), NOW),
        (datetime(2026, 11, 30, 14, 0, tzinfo=UTC), None),
    ]
    assert messages[-1] == "done; next on Mon 30 Nov 14:00 · ctrl+z undoes"


async def test_snooze_sets_the_time_to_remind_again(demo: Path) -> None:
    async with make_app(demo).run_test(size=SIZE) as pilot:
        await open_calendar(pilot)
        await pilot.press("z")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
    snoozed = activity(demo, OVERDUE)
    assert snoozed.snoozed_until == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert snoozed.done_at is None


async def test_reports_show_the_cli_numbers(demo: Path) -> None:
    from tinycrm.services import reports

    async with make_app(demo).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ReportsScreen)
        assert screen.period().label == "2026-Q4"
        quarter = screen.query_one(BarChart).content.rows  # type: ignore[union-attr]
        await pilot.press("p")
        await settle(pilot)
        assert screen.period().label == "2026"
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert screen.period().label == "2025"
        await pilot.press("right_square_bracket", "p", "p")  # 2026, all time, then month
        await settle(pilot)
        assert screen.period().label == "2026-01"
    assert quarter == [
        ("lead", 12, "12 · 189,650.00 USD"),
        ("contacted", 11, "11 · 193,800.00 USD"),
        ("qualified", 10, "10 · 255,200.00 USD"),
        ("negotiation", 8, "8 · 221,400.00 USD"),
        ("won", 5, "5 · 126,550.00 USD"),
    ]
    db = database(demo)
    with session_scope(db, write=False) as session:
        period = reports.calendar_period("quarter", today=NOW.date(), tz=UTC)
        funnel = reports.funnel(session, period=period, currency="USD")
    db.engine.dispose()
    assert [(r.stage, r.reached) for r in funnel if r.kind != "lost"] == [
        (stage, reached) for stage, reached, _ in quarter
    ]


async def test_palette_reaches_screen_actions_and_help_lists_keys(demo: Path) -> None:
    app = make_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"deal: Move to next stage", "deal: Mark lost", "go: Calendar"} <= set(titles)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = {what: key for key, what in app.screen.sections[0][1]}
        assert keys["Move to next stage"] == ">"
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"next stage", "enter")
        await settle(pilot)
        await pilot.pause(0.3)
        await settle(pilot)
        columns = app.screen.columns  # type: ignore[attr-defined]
        assert [c.count for c in columns] == [2, 5, 5, 3]
        await pilot.press("2")
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "contact: Search" in titles


def set_grant(path: Path, role: str, obj: str, level: str) -> None:
    db = database(path)
    with session_scope(db, write=True) as session:
        found = session.get(Grant, (role, obj, "read"))
        assert found is not None
        found.level = Level(level)
        session.add(found)
    db.engine.dispose()


async def daniels_calendar(path: Path) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    app = make_app(path)
    app.state.as_user = "Daniel Okafor"
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_calendar(pilot)
        counts = {d.isoformat(): n for d, n in screen.query_one(MonthGrid).counts.items()}
        return counts, [(i.kind, i.subject, i.about or "") for i in screen.rows]


async def test_a_reps_calendar_shows_only_what_their_role_reads(demo: Path) -> None:
    """Daniel's overdue tasks (and a customer's birthday on the 25th); a contact his role
    may not read leaves no name or birthday; with no activities to read, nothing is due."""
    assert await daniels_calendar(demo) == (
        {"2026-11-18": 1, "2026-11-20": 1, "2026-11-25": 2},
        [
            ("task", "Chase the signed order form", "Erik Johansson · Fjord Analytics AB"),
            ("call", "Call Camille about the revised scope", "Camille Laurent · Lumière Events"),
        ],
    )
    set_grant(demo, "rep", "contacts", "none")
    assert await daniels_calendar(demo) == (
        {"2026-11-18": 1, "2026-11-20": 1, "2026-11-25": 1},
        [
            ("task", "Chase the signed order form", "Fjord Analytics AB"),
            ("call", "Call Camille about the revised scope", "Lumière Events"),
        ],
    )
    set_grant(demo, "rep", "activities", "none")
    assert await daniels_calendar(demo) == ({}, [])
