"""The jump box (ctrl+k from anywhere): type words of a contact, company, deal or ticket and
enter opens it. Each keystroke asks SQL for the first matches of each kind (`services.search`)
in a worker, so typing never waits for the database, and a late answer to an older query is
dropped."""

from __future__ import annotations

from functools import partial
from time import monotonic
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tinycrm.screens.base import run_db

if TYPE_CHECKING:
    from sqlmodel import Session
    from textual.app import App

    from tinycrm.services.search import Hit

HINT = "type words of a contact, company, deal or ticket"


class JumpScreen(ModalScreen["Hit | None"]):
    """The box: an input over the hits; up/down pick, enter opens, escape closes."""

    DEFAULT_CSS = """
    JumpScreen { align: center top; background: $background 60%; }
    JumpScreen #jump-box {
        width: 100; max-width: 100%; height: auto; max-height: 90%;
        margin-top: 1; border: round $accent; background: $surface; padding: 0 1;
    }
    JumpScreen #jump-status { height: 1; color: $text-muted; }
    JumpScreen #jump-hits {
        height: auto; max-height: 30; border: none; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """
    BINDINGS = [
        Binding("escape", "close", "Close", id="jump.close"),
        Binding("down", "move(1)", "Next", show=False, id="jump.next"),
        Binding("up", "move(-1)", "Previous", show=False, id="jump.previous"),
        Binding("pagedown", "move(10)", "Page down", show=False, id="jump.page-down"),
        Binding("pageup", "move(-10)", "Page up", show=False, id="jump.page-up"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[Hit] = []
        self.asked = 0
        """How many queries were started: only the latest one's answer is shown."""
        self.shown = ""
        """The text whose hits are shown."""
        self.took: float | None = None
        """Seconds from the keystroke to its hits on screen, for the latest answer."""

    def compose(self) -> ComposeResult:
        with Vertical(id="jump-box"):
            yield Input(placeholder=HINT, id="jump-input")
            yield Static("enter opens · esc closes", id="jump-status")
            yield OptionList(id="jump-hits")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.asked += 1
        text = event.value
        job = partial(_jump, text)
        done = partial(self._show, self.asked, text, monotonic())
        run_db(self, job, done, group="jump", exclusive=True)

    def _show(self, asked: int, text: str, started: float, hits: list[Hit]) -> None:
        if asked != self.asked:
            return
        self.hits, self.shown = hits, text
        found = self.query_one(OptionList)
        found.clear_options()
        found.add_options([_option(h) for h in hits])
        if hits:
            found.highlighted = 0
        self.took = monotonic() - started
        self.query_one("#jump-status", Static).update(_summary(text, hits))

    def action_move(self, by: int) -> None:
        found = self.query_one(OptionList)
        if not self.hits:
            return
        at = found.highlighted or 0
        found.highlighted = max(0, min(len(self.hits) - 1, at + by))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        at = self.query_one(OptionList).highlighted
        if self.hits and at is not None and self.shown == event.value:
            self.dismiss(self.hits[at])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.hits[event.option_index])

    def action_close(self) -> None:
        self.dismiss(None)


def _jump(text: str, session: Session) -> list[Hit]:
    from tinycrm.services.search import jump

    return jump(session, text=text)


def _option(hit: Hit) -> Option:
    line = Text.assemble((f"{hit.kind:<8}", "dim"), (hit.title, "bold"))
    if hit.detail:
        line.append(f"  {hit.detail}", style="dim")
    return Option(line, id=f"{hit.kind}-{hit.id}")


def _summary(text: str, hits: list[Hit]) -> str:
    if not text.strip():
        return "enter opens · esc closes"
    if not hits:
        return f"nothing matches {text.strip()!r}"
    counts: dict[str, int] = {}
    for h in hits:
        counts[h.kind] = counts.get(h.kind, 0) + 1
    plural = {"contact": "contacts", "company": "companies", "deal": "deals", "ticket": "tickets"}
    parts = [f"{n} {kind if n == 1 else plural[kind]}" for kind, n in counts.items()]
    return " · ".join(parts) + " · enter opens · esc closes"


def open_hit(app: App[Any], hit: Hit | None) -> None:
    """Open the detail screen of what the jump box picked, over the current screen."""
    from tinycrm.screens.company import CompanyScreen
    from tinycrm.screens.contact import ContactScreen
    from tinycrm.screens.deal import DealScreen

    if hit is None:
        return
    kind, record = hit.opens or (hit.kind, hit.id)
    if kind == "contact":
        app.push_screen(ContactScreen(record))
    elif kind == "company":
        app.push_screen(CompanyScreen(record))
    elif kind == "deal":
        app.push_screen(DealScreen(record))
    else:
        app.notify(f"{hit.title}: it has no contact or company to show it", severity="warning")
