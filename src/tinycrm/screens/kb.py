"""The knowledge base in the terminal: find solution articles by the words in them and read
one, or pick the one that solved a ticket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tinycrm.screens.base import run_db
from tinycrm.words import plural

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.kb import ArticleRow

NONE = "none"
"""The option id of "no article" when picking."""


@dataclass(frozen=True)
class Picked:
    """The article chosen for a ticket; `article_id` None: resolved without one."""

    article_id: int | None


def article_line(a: ArticleRow) -> str:
    used = f"  ({plural(a.tickets, 'ticket')})" if a.tickets else ""
    return f"#{a.id} {a.title}{used}"


class KbDialog(ModalScreen[Picked | None]):
    """Articles matching the words typed (every article while there are none), best first;
    enter on one reads it, or, when picking for a ticket, chooses it."""

    AUTO_FOCUS = "#kb-words"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="kb.cancel"),
        Binding("down", "matches", "Matches", show=False, id="kb.matches"),
    ]

    def __init__(self, words: str = "", *, pick: bool = False) -> None:
        super().__init__(classes="dialog")
        self.words = words
        self.pick = pick

    def compose(self) -> ComposeResult:
        title = "Solution article for the ticket" if self.pick else "Knowledge base"
        with Vertical(classes="dialog-box"):
            yield Static(title, classes="dialog-title")
            yield Input(
                self.words,
                placeholder="words in the title or body",
                select_on_focus=False,
                id="kb-words",
            )
            yield OptionList(id="kb-matches")
            what = "choose" if self.pick else "read"
            yield Static(
                f"type to search · ↓ matches · enter {what} · esc close", classes="dialog-hint"
            )

    def on_mount(self) -> None:
        self.search(self.words)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.search(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_matches()

    def action_matches(self) -> None:
        matches = self.query_one("#kb-matches", OptionList)
        found = range(matches.option_count)
        if any(not matches.get_option_at_index(i).disabled for i in found):
            matches.focus()
            matches.highlighted = matches.highlighted or 0

    def on_key(self, event: events.Key) -> None:
        """Typing while in the matches goes on with the words."""
        words = self.query_one("#kb-words", Input)
        if self.focused is words or not (event.is_printable or event.key == "backspace"):
            return
        event.stop()
        words.focus()
        if event.key == "backspace":
            words.action_delete_left()
        elif event.character:
            words.insert_text_at_cursor(event.character)

    def search(self, words: str) -> None:
        """The matches of `words`, in a worker that a newer search replaces."""
        from tinycrm.services.kb import list_articles, search_articles

        def job(session: Session) -> list[ArticleRow]:
            if not any(ch.isalnum() for ch in words):
                return list_articles(session, limit=200)
            return search_articles(session, query=words, limit=50)

        run_db(self, job, self.show, group="kb", exclusive=True)

    def show(self, found: list[ArticleRow]) -> None:
        matches = self.query_one("#kb-matches", OptionList)
        matches.clear_options()
        if self.pick:
            matches.add_option(Option("(no article)", id=NONE))
        matches.add_options(Option(Text(article_line(a)), id=str(a.id)) for a in found)
        if not found:
            matches.add_option(Option("no articles match", disabled=True))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = event.option.id
        if chosen is None:
            return
        if self.pick:
            self.dismiss(Picked(None if chosen == NONE else int(chosen)))
        else:
            self.app.push_screen(ArticleDialog(int(chosen)))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ArticleDialog(ModalScreen[None]):
    """One article in full, and how many tickets it solved."""

    BINDINGS = [Binding("escape,q", "close", "Close", id="article.close")]

    def __init__(self, article_id: int) -> None:
        super().__init__(classes="dialog")
        self.article_id = article_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(
                f"Article #{self.article_id}",
                id="article-title",
                classes="dialog-title",
                markup=False,
            )
            with VerticalScroll(id="article-scroll"):
                yield Static("loading…", id="article-body", markup=False)
            yield Static("↑↓ scroll · esc back", classes="dialog-hint")

    def on_mount(self) -> None:
        from tinycrm.services.kb import get_article

        run_db(self, lambda s: get_article(s, ref=self.article_id), self.show)
        self.query_one("#article-scroll").focus()

    def show(self, article: ArticleRow) -> None:
        used = f"Solved {plural(article.tickets, 'ticket')}."
        self.query_one("#article-title", Static).update(f"#{article.id} {article.title}")
        self.query_one("#article-body", Static).update(f"{article.body}\n\n{used}")

    def action_close(self) -> None:
        self.dismiss(None)
