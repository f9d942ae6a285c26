"""One picture per screen at 80x24 over the demo data at a fixed moment, so a visual change
shows in review. Refresh them on purpose with `pytest tests/test_tui_snapshots.py
--snapshot-update` and look at the SVGs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.conftest import NOW
from tests.tuihelp import database, make_app, settle
from tinycrm.db.store import session_scope
from tinycrm.screens.company import CompanyScreen
from tinycrm.screens.contact import ContactScreen
from tinycrm.screens.deal import DealScreen
from tinycrm.services.contracts import create_contract

SIZE = (80, 24)


def after(*keys: str, screen: Any = None) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        if screen is not None:
            pilot.app.push_screen(screen)
            await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        still_cursors(pilot)

    return run_before


def still_cursors(pilot: Pilot[None]) -> None:
    """Stop every text box's cursor blinking (it stays drawn): Textual blinks it on a
    wall-clock timer, so which phase a picture caught was a race."""
    for screen in pilot.app.screen_stack:
        for box in screen.query(Input):
            box.cursor_blink = False


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param((), id="board"),
        pytest.param(("2",), id="contacts"),
        pytest.param(("3",), id="calendar"),
        pytest.param(("4",), id="reports"),
        pytest.param(("5",), id="activity"),
        pytest.param(("6",), id="campaigns"),
        pytest.param(("question_mark",), id="help"),
    ],
)
def test_screen(keys: tuple[str, ...], demo: Path, snap_compare: Any) -> None:
    assert snap_compare(make_app(demo), terminal_size=SIZE, run_before=after(*keys))


def test_deal_detail(demo: Path, snap_compare: Any) -> None:
    assert snap_compare(make_app(demo), terminal_size=SIZE, run_before=after(screen=DealScreen(11)))


def test_contact_detail(demo: Path, snap_compare: Any) -> None:
    assert snap_compare(
        make_app(demo), terminal_size=SIZE, run_before=after(screen=ContactScreen(1))
    )


def test_company_detail(demo: Path, snap_compare: Any) -> None:
    assert snap_compare(
        make_app(demo), terminal_size=SIZE, run_before=after(screen=CompanyScreen(1))
    )


def test_contact_detail_contracts(demo: Path, snap_compare: Any) -> None:
    """Pieter's order #3 under a contract renewing by itself and #2 under one that ended,
    scrolled to the Contracts section."""
    db = database(demo)
    with session_scope(db, write=True) as s:
        create_contract(s, order=3, starts_on=date(2026, 12, 1), ends_on=date(2027, 11, 30),
                        renew="auto", now=NOW, today=NOW.date())  # fmt: skip
        create_contract(s, order=2, starts_on=date(2025, 11, 1), ends_on=date(2026, 10, 31),
                        value="20000", now=NOW, today=NOW.date())  # fmt: skip
    db.engine.dispose()

    async def run_before(pilot: Pilot[None]) -> None:
        await after(screen=ContactScreen(1))(pilot)
        pilot.app.screen.query_one("#contact-contracts-title").scroll_visible(
            top=True, animate=False
        )
        await settle(pilot)

    assert snap_compare(make_app(demo), terminal_size=SIZE, run_before=run_before)


WIDE = (140, 40)
"""The wider terminal: the calendar and reports at this size are in test_tui_fit.py, forms
in test_tui_form_snapshots.py, the companies list and the jump box in
test_tui_find_snapshots.py."""


@pytest.mark.parametrize(
    ("keys", "screen"),
    [
        pytest.param((), None, id="board"),
        pytest.param(("2",), None, id="contacts"),
        pytest.param(("5",), None, id="activity"),
        pytest.param(("6",), None, id="campaigns"),
        pytest.param(("question_mark",), None, id="help"),
        pytest.param((), lambda: DealScreen(11), id="deal"),
        pytest.param((), lambda: ContactScreen(1), id="contact"),
        pytest.param((), lambda: CompanyScreen(1), id="company"),
    ],
)
def test_wide(
    keys: tuple[str, ...], screen: Callable[[], Any] | None, demo: Path, snap_compare: Any
) -> None:
    shown = screen() if screen is not None else None
    assert snap_compare(make_app(demo), terminal_size=WIDE, run_before=after(*keys, screen=shown))
