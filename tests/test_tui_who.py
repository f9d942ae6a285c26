"""The app knows who is at the keyboard: it asks once when nobody is named, remembers the
answer in the config file, shows who in its header, and the board follows their scope."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App

from tests.tuihelp import settle
from tinycrm.context import AppState
from tinycrm.screens.board import BoardScreen
from tinycrm.screens.dialogs import ChoiceDialog
from tinycrm.tui import CrmApp
from tinycrm.widgets.board_column import BoardColumn

SIZE = (120, 40)
pytestmark = pytest.mark.asyncio


@pytest.fixture
def nobody(demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No acting user anywhere: no --as, no CRM_USER, an empty config file of our own."""
    monkeypatch.delenv("CRM_USER", raising=False)
    config = tmp_path / "config.toml"
    config.write_text('currency = "USD"\n\n[sla_hours]\nhigh = 8\n', encoding="utf-8")
    monkeypatch.setenv("CRM_CONFIG", str(config))
    return config


def open_deals_on_the_board(app: App[None]) -> int:
    assert isinstance(app.screen, BoardScreen)
    return sum(column.count for column in app.screen.query(BoardColumn))


async def test_the_app_asks_who_you_are_once_and_remembers(demo: Path, nobody: Path) -> None:
    app = CrmApp(AppState(db_path=str(demo)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(pilot.app.screen, ChoiceDialog)
        assert pilot.app.screen.choices == ["Daniel Okafor", "Maria Lopez", "Priya Raman", "王芳"]
        await pilot.press("enter")  # the first: Daniel Okafor, a rep
        await settle(pilot)
        assert pilot.app.title == "tinycrm · Daniel Okafor (rep)"
        assert open_deals_on_the_board(pilot.app) == 5  # his own; the demo pool has none
    text = nobody.read_text(encoding="utf-8")
    assert text == 'user = "Daniel Okafor"\ncurrency = "USD"\n\n[sla_hours]\nhigh = 8\n'

    again = CrmApp(AppState(db_path=str(demo)))
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(pilot.app.screen, BoardScreen)
        assert pilot.app.title == "tinycrm · Daniel Okafor (rep)"


async def test_a_named_user_is_not_asked_for(demo: Path, nobody: Path) -> None:
    app = CrmApp(AppState(db_path=str(demo), as_user="Maria Lopez"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(pilot.app.screen, BoardScreen)
        assert pilot.app.title == "tinycrm · Maria Lopez (manager)"
        assert open_deals_on_the_board(pilot.app) == 15  # the whole team's
    assert "user" not in nobody.read_text(encoding="utf-8")
