"""Shared pieces of the terminal app's tests (the demo database they start from is the
`demo` fixture of tests/conftest.py): the app over a database, the notices it showed, and
a way to wait until every database worker has answered."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

from tinycrm.config import load_settings
from tinycrm.context import AppState
from tinycrm.db.store import Database, open_database
from tinycrm.tui import CrmApp

ACTOR = "Maria Lopez"
VIEWER = "Vic Viewer"
"""A viewer (reads everything, changes nothing), where a module makes one."""


@dataclass(frozen=True)
class Notice:
    message: str
    severity: str


_NOTICES: WeakKeyDictionary[CrmApp, list[Notice]] = WeakKeyDictionary()


def make_app(path: Path, *, as_user: str = ACTOR) -> CrmApp:
    """The app over the database, acting as `as_user`, keeping every notice it shows:
    Textual drops a notice from the screen when its time is up, which on a loaded machine
    can be before a test reads it."""
    return recording(CrmApp(AppState(db_path=str(path), as_user=as_user)))


def recording(app: CrmApp) -> CrmApp:
    """The app, keeping every notice it shows for `notices`."""
    seen = _NOTICES.setdefault(app, [])
    shown = app.notify

    def notify(message: str, **options: Any) -> None:
        seen.append(Notice(str(message), options.get("severity", "information")))
        shown(message, **options)

    app.notify = notify  # type: ignore[method-assign]
    return app


def notices(app: object) -> list[Notice]:
    """Every notice the app has shown, oldest first."""
    return _NOTICES.get(app, [])  # type: ignore[call-overload]


def database(path: Path) -> Database:
    return open_database(load_settings(db_path=str(path), currency="USD"))


async def settle(pilot: Pilot[None], rounds: int = 4) -> None:
    """Wait for workers, then for what their answers started (further pages, reloads)."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def rendered(widget: object) -> str:
    """The text a Static shows, as plain lines."""
    console = Console(width=120, file=io.StringIO())
    console.print(widget.content)  # type: ignore[attr-defined]
    return console.file.getvalue()  # type: ignore[attr-defined]


def palette(app: App[Any]) -> list[str]:
    """The titles the command palette offers on the current screen."""
    return [c.title for c in app.get_system_commands(app.screen)]
