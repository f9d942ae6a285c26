"""Shared pieces of the terminal app's tests: a demo database at a fixed moment, the app
over it, and a way to wait until every database worker has answered."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from sqlmodel import delete
from textual.pilot import Pilot

from tests.conftest import NOW
from tinycrm.commands.common import AppState
from tinycrm.config import load_settings
from tinycrm.models import KbArticle, Order, Payment, Ticket, TicketComment
from tinycrm.services.demo import load_demo
from tinycrm.store import Database, open_database, session_scope
from tinycrm.tui import CrmApp

ACTOR = "Maria Lopez"


def demo_database(path: Path, *, aftersale: bool = True) -> Path:
    """The demo data at NOW; without `aftersale`, no orders, payments, tickets or
    articles, for tests that count the ones they make themselves."""
    db = open_database(load_settings(db_path=str(path), currency="USD"))
    with session_scope(db, write=True) as session:
        load_demo(session, now=NOW, currency="USD")
        if not aftersale:
            for model in (Payment, Order, TicketComment, Ticket, KbArticle):
                session.execute(delete(model))
    db.engine.dispose()
    return path


def make_app(path: Path) -> CrmApp:
    return CrmApp(AppState(db_path=str(path), as_user=ACTOR))


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


def palette(app: CrmApp) -> list[str]:
    """The titles the command palette offers on the current screen."""
    return [c.title for c in app.get_system_commands(app.screen)]
