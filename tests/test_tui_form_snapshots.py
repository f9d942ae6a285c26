"""One picture per form at 80x24 and 140x40 over the demo data at a fixed moment: the
follow-up (reminder, repeat), logging an activity that completes a task, a payment (method,
reference), an order's edit and contact edit (owner, tags, birthday, custom fields), with
long values and Chinese names. Refresh on purpose with `--snapshot-update` and look."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.tuihelp import make_app, settle
from tinycrm.screens.contact import ContactScreen
from tinycrm.screens.deal import DealScreen

SIZES = {"80x24": (80, 24), "140x40": (140, 40)}
CLOUD, WON_DEAL, LI_WEI = 11, 1, 8  # deal #11 is 李伟's, with one open task; #1 has orders


def form(screen: Any, *keys: str, **typed: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        pilot.app.push_screen(screen)
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        for name, value in typed.items():
            pilot.app.screen.query_one(f"#field-{name}", Input).value = value
        await pilot.pause()
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False

    return run_before


FORMS = {
    "follow-up": lambda: form(DealScreen(CLOUD), "s", remind="1d", repeat="mon,thu"),
    "log-completes-task": lambda: form(
        DealScreen(CLOUD),
        "a",
        subject="给李伟发了最终报价 — sent the final quote, he asked for "
        "a second round on the data platform licences",
    ),
    "payment": lambda: form(
        DealScreen(WON_DEAL), "p", method="transfer", reference="HSBC 2026-11-23 INV-000481"
    ),
    "order-edit": lambda: form(DealScreen(WON_DEAL), "O", "down", "enter"),
    "contact-edit": lambda: form(ContactScreen(LI_WEI), "e", new="微信=liwei_yunfan"),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", FORMS)
def test_form(name: str, size: str, demo: Path, snap_compare: Any) -> None:
    assert snap_compare(make_app(demo), terminal_size=SIZES[size], run_before=FORMS[name]())
