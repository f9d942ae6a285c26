"""Small things of a working day in the app: a birthday is a day on the calendar, never
overdue; the overdue count is the same whatever month is shown; the agenda's What and About
take the width there is; `e` on the campaigns' total row says why nothing happens; and
`crm tui` without a terminal says so and stops instead of spinning. Pictures of the
calendar and the reports at 140x40 (those at 80x24 are in test_tui_snapshots.py)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from textual.widgets import DataTable, Static

from tests.tuihelp import database, make_app, notices, settle
from tinycrm.db.store import session_scope
from tinycrm.models import Contact, User
from tinycrm.models.contact import ContactDate
from tinycrm.screens.calendar import CalendarScreen, share
from tinycrm.screens.campaigns import CampaignsScreen

WIDE = (140, 40)


def marias_birthday_today(path: Path) -> str:
    """A contact of Maria's born on 23 November 1980 (NOW is Mon 23 Nov 2026, 09:30 UTC)."""
    db = database(path)
    with session_scope(db, write=True) as session:
        maria = session.exec(select(User).where(User.name == "Maria Lopez")).one()
        contact = session.exec(
            select(Contact).where(Contact.owner_id == maria.id).order_by(col(Contact.id))
        ).first()
        assert contact is not None and contact.id is not None
        session.add(ContactDate(contact_id=contact.id, kind="birthday", month=11, day=23,
                                year=1980))  # fmt: skip
        name = contact.full_name
    db.engine.dispose()
    return name


async def open_calendar(pilot: Any) -> CalendarScreen:
    await settle(pilot)
    await pilot.press("3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CalendarScreen)
    return screen


def table_rows(screen: Any) -> list[list[str]]:
    table = screen.query_one(DataTable)
    return [
        [str(getattr(c, "plain", c)) for c in table.get_row_at(i)] for i in range(table.row_count)
    ]


@pytest.mark.asyncio
async def test_a_birthday_is_a_day_never_overdue(demo: Path) -> None:
    name = marias_birthday_today(demo)
    async with make_app(demo).run_test(size=WIDE) as pilot:
        screen = await open_calendar(pilot)
        rows = table_rows(screen)
    assert rows == [
        ["16 Nov 11:30", "overdue task: Qualify the website lead", "Aisha Bello", "Maria"],
        ["all day", f"{name}: birthday (46)", rows[1][2], "Maria"],
    ]


@pytest.mark.asyncio
async def test_the_overdue_count_is_of_now_whatever_month_is_shown(demo: Path) -> None:
    seen = []
    async with make_app(demo).run_test(size=WIDE) as pilot:
        screen = await open_calendar(pilot)
        summary = screen.query_one("#calendar-summary", Static)
        seen.append(str(summary.content))
        for key in ("left_square_bracket", "left_square_bracket", "right_square_bracket",
                    "right_square_bracket", "right_square_bracket", "up"):  # fmt: skip
            await pilot.press(key)
            await settle(pilot)
            seen.append(f"{screen.grid.selected}: {summary.content}")
    assert seen == [
        "1 overdue · reminders of Maria Lopez",
        "2026-10-23: 1 overdue · reminders of Maria Lopez",
        "2026-09-23: 1 overdue · reminders of Maria Lopez",
        "2026-10-23: 1 overdue · reminders of Maria Lopez",
        "2026-11-23: 1 overdue · reminders of Maria Lopez",
        "2026-12-23: 1 overdue · reminders of Maria Lopez",
        "2026-12-16: 1 overdue · reminders of Maria Lopez",
    ]


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(80, 24), WIDE])
async def test_what_and_about_take_the_spare_width(demo: Path, size: tuple[int, int]) -> None:
    async with make_app(demo).run_test(size=size) as pilot:
        screen = await open_calendar(pilot)
        table = screen.query_one(DataTable)
        widths = {str(c.label): c.width for c in table.columns.values()}
        used = sum(widths.values()) + 2 * table.cell_padding * len(widths) + 2
        rows = table_rows(screen)
        room = table.size.width
    assert used == room  # the whole table's width, less its scrollbar
    # under 100 columns the agenda is under the month, as wide as the terminal
    what = {WIDE: 56, (80, 24): 42}[size]
    assert widths == {"Due": 12, "What": what, "About": 11, "Owner": 5}
    assert rows[0] == [
        "16 Nov 11:30", "overdue task: Qualify the website lead", "Aisha Bello", "Maria"
    ]  # fmt: skip
    assert screen.has_class("-narrow") is (size[0] < 100)


def test_what_and_about_share_what_due_and_owner_leave() -> None:
    assert share(60, 30, 20) == (40, 20)  # room to spare: What has it
    assert share(40, 50, 10) == (30, 10)  # About whole, What cut
    assert share(40, 50, 30) == (24, 16)  # both cut: What has 60%
    assert share(40, 10, 50) == (10, 30)  # What whole, About cut


@pytest.mark.asyncio
async def test_edit_on_the_campaigns_total_row_says_why_not(demo: Path) -> None:
    async with make_app(demo).run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, CampaignsScreen)
        table = screen.query_one(DataTable)
        table.move_cursor(row=len(screen.rows))  # the total, under the three campaigns
        await pilot.press("e")
        await pilot.press("d")
        await settle(pilot)
        still = pilot.app.screen
        said = [(n.message, n.severity) for n in notices(pilot.app)]
    assert len(screen.rows) == 3 and still is screen
    assert said == [
        ("the total row adds up every campaign: pick one to edit", "warning"),
        ("the total row adds up every campaign: pick one to delete", "warning"),
    ]


def run_tui(demo: Path, *, stdin: int, stdout: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CRM_DB": str(demo), "CRM_USER": "Maria Lopez"}
    return subprocess.run(
        [sys.executable, "-m", "tinycrm", "tui"],
        stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=env, text=True, timeout=60,
    )  # fmt: skip


NO_TERMINAL = (
    "crm: error: crm tui needs a terminal: run it in one (scripts and cron use the crm commands)\n"
)


def test_without_a_terminal_the_app_says_so_and_stops(demo: Path) -> None:
    """As under cron: no terminal on either side. Before, it waited forever at full CPU."""
    ran = run_tui(demo, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    assert (ran.returncode, ran.stdout, ran.stderr) == (2, "", NO_TERMINAL)


def test_a_terminal_for_keys_but_output_to_a_file_is_not_enough(demo: Path) -> None:
    keys, other = pty.openpty()
    try:
        ran = run_tui(demo, stdin=other, stdout=subprocess.PIPE)
    finally:
        os.close(keys)
        os.close(other)
    assert (ran.returncode, ran.stdout, ran.stderr) == (2, "", NO_TERMINAL)


@pytest.mark.parametrize("key", [pytest.param("3", id="calendar"), pytest.param("4", id="reports")])
def test_wide_screen(key: str, demo: Path, snap_compare: Any) -> None:
    from tests.test_tui_snapshots import after

    assert snap_compare(make_app(demo), terminal_size=WIDE, run_before=after(key))


def test_bars_line_up_next_to_chinese_stage_names() -> None:
    import io

    from rich.cells import cell_len
    from rich.console import Console

    from tinycrm.widgets.charts import Bars

    out = Console(width=50, file=io.StringIO())
    out.print(Bars([("谈判", 5, "5 · 1.00"), ("lead", 12, "12 · 100.00")]))
    lines = out.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert [cell_len(line) for line in lines] == [50, 50]
    starts = [cell_len(line[: line.index("█")]) for line in lines]
    assert starts == [6, 6]  # 谈判 is four cells wide, like "lead"
