"""The key help (`?`) walked on every mode and detail screen: every key the screen, its
focused panel and the app answer to is listed, and no key is listed twice."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from textual.screen import Screen
from textual.widgets import Static

from tests.tuihelp import make_app, settle
from tinycrm.screens.company import CompanyScreen
from tinycrm.screens.contact import ContactScreen
from tinycrm.screens.deal import DealScreen
from tinycrm.screens.dialogs import HelpScreen
from tinycrm.tui import MODE_TITLES, enabled_bindings

pytestmark = pytest.mark.asyncio
DETAILS = {
    "won deal with orders": lambda: DealScreen(1),
    "open deal": lambda: DealScreen(11),
    "customer": lambda: ContactScreen(1),
    "lead in the pool": lambda: ContactScreen(30),
    "company": lambda: CompanyScreen(1),
}


def listed(help_text: str) -> list[str]:
    """Every key the help lists (a line may list several for one action: `g home`)."""
    keys: list[str] = []
    for line in help_text.splitlines():
        if line.startswith("  ") and line[2:20].strip():
            keys += line[2:20].split()
    return keys


def expected(app: Any, screen: Screen[Any]) -> set[str]:
    """The keys of the screen's enabled bindings, of its focused panel's own (the app's,
    with an id) and of the app, as the footer would show them."""
    nodes: list[tuple[Any, bool]] = [(screen, False), (app, False)]
    if screen.focused is not None:
        nodes.append((screen.focused, True))
    keys: set[str] = set()
    for node, own in nodes:
        for b in enabled_bindings(node):
            if (b.description or b.tooltip) and (b.id or not own):
                keys.add(app.get_key_display(b))
    return {k for display in keys for k in display.split()}


async def walk(pilot: Any, name: str) -> tuple[str, list[str], set[str]]:
    app = pilot.app
    screen = app.screen
    want = expected(app, screen)
    await pilot.press("f1")
    await pilot.pause()
    assert isinstance(app.screen, HelpScreen), name
    text = str(app.screen.query_one("#help-text", Static).content)
    await pilot.press("escape")
    await pilot.pause()
    return name, listed(text), want


async def test_the_help_lists_every_key_once(demo: Any) -> None:
    seen = []
    async with make_app(demo).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for mode in MODE_TITLES:
            pilot.app.switch_mode(mode)
            await settle(pilot)
            seen.append(await walk(pilot, mode))
        pilot.app.switch_mode("board")
        for name, make in DETAILS.items():
            pilot.app.push_screen(make())
            await settle(pilot)
            seen.append(await walk(pilot, name))
            pilot.app.pop_screen()
            await settle(pilot)
    twice = {name: [k for k, n in Counter(keys).items() if n > 1] for name, keys, _ in seen}
    missing = {name: sorted(want - set(keys)) for name, keys, want in seen}
    extra = {name: sorted(set(keys) - want) for name, keys, want in seen}
    assert twice == {name: [] for name, _, _ in seen}
    assert missing == {name: [] for name, _, _ in seen}
    assert extra == {name: [] for name, _, _ in seen}
    by_name = {name: keys for name, keys, _ in seen}
    assert [name for name, _, _ in seen] == [*MODE_TITLES, *DETAILS]
    assert {"^p", "?", "^q", "1", "6"} <= set(by_name["board"])
    assert {"a", "s", "e", "O", "p", "o"} <= set(by_name["won deal with orders"])
    assert "p" not in by_name["open deal"]  # no order to pay
    assert {"c", "q", "d"} <= set(by_name["lead in the pool"])
    assert "q" not in by_name["customer"]  # no lead actions on a customer
