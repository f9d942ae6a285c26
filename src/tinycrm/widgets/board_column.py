"""One column of the pipeline board, drawn line by line (the Line API).

Only the cards on screen are drawn and only the pages of cards around them are held, so a
column of 10,000 deals costs what a column of ten does. Pages come from a loader the screen
gives (a service call run in a thread worker)."""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.actions import SkipAction
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tinycrm.services.board import BoardCard, StageColumn
from tinycrm.widgets.format import short_money

CARD_HEIGHT = 4
"""Three lines of card and one of space."""
PAGE = 50
TITLE_ROOM = 4
"""Cells of a column's content width its top border's title cannot use (the border's own
corners are outside it)."""

PageLoader = Callable[[int, int, int], None]
"""(stage id, offset, limit): fetch those cards and call `BoardColumn.put_page` later."""


class BoardColumn(ScrollView, can_focus=True):
    """A stage's deals; `cursor` is the index of the selected card.

    The keys a scrolling container has move the cursor instead (up/down, page up/down,
    home/end), and left/right are never the column's: the board moves between columns with
    them, however long a column is."""

    COMPONENT_CLASSES = {
        "board-column--card",
        "board-column--cursor",
        "board-column--muted",
        "board-column--stale",
    }
    DEFAULT_CSS = """
    BoardColumn {
        width: 1fr;
        height: 1fr;
        border: round $panel-lighten-2;
        border-title-color: $text;
        border-subtitle-color: $text-muted;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
        padding: 0;
    }
    BoardColumn:focus { border: round $accent; }
    BoardColumn > .board-column--card { background: $surface-lighten-1; color: $foreground; }
    BoardColumn > .board-column--cursor { background: $panel-lighten-1; color: $foreground; }
    BoardColumn:focus > .board-column--cursor {
        background: $accent-muted;
        color: $foreground-lighten-1;
        text-style: bold;
    }
    BoardColumn > .board-column--muted { color: $foreground-darken-3; text-style: not bold; }
    BoardColumn > .board-column--stale { color: $text-warning; text-style: bold; }
    """

    cursor: reactive[int] = reactive(0, always_update=True)

    class Opened(Message):
        """A card was chosen (enter or double click)."""

        def __init__(self, column: BoardColumn, deal_id: int) -> None:
            super().__init__()
            self.column = column
            self.deal_id = deal_id

    def __init__(
        self, stage: StageColumn, loader: PageLoader, currency: str = "", **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.currency = currency
        """Amounts in this currency show without its code."""
        self.stage_id = stage.stage_id
        self.loader = loader
        self.count = 0
        self.stage_name = stage.name
        self.pages: dict[int, list[BoardCard]] = {}
        self.asked: set[int] = set()
        self.set_stage(stage)

    # --- data ---------------------------------------------------------------------------

    def set_stage(self, stage: StageColumn) -> None:
        self.count, self.stage_name = stage.count, stage.name
        totals = " + ".join(short_money(m) for m in stage.totals[:2]) or "0"
        self.border_title = column_title(stage.name, stage.count, self.size.width)
        self.border_subtitle = totals
        self.virtual_size = Size(self.size.width, self.count * CARD_HEIGHT)

    def replace_pages(self, pages: dict[int, list[BoardCard]]) -> None:
        """Swap in fresh pages (after a change); pages not given are fetched when seen."""
        self.pages = dict(pages)
        self.asked = set(pages)
        self.cursor = min(self.cursor, max(0, self.count - 1))
        self.refresh()

    def put_page(self, page: int, cards: list[BoardCard]) -> None:
        self.pages[page] = cards
        self.refresh()

    def card(self, index: int) -> BoardCard | None:
        if not 0 <= index < self.count:
            return None
        page = index // PAGE
        cards = self.pages.get(page)
        if cards is None:
            if page not in self.asked:
                self.asked.add(page)
                self.loader(self.stage_id, page * PAGE, PAGE)
            return None
        offset = index % PAGE
        return cards[offset] if offset < len(cards) else None

    @property
    def selected(self) -> BoardCard | None:
        return self.card(self.cursor)

    # --- cursor -------------------------------------------------------------------------

    def watch_cursor(self, _old: int, new: int) -> None:
        region = Region(0, new * CARD_HEIGHT, max(1, self.size.width), CARD_HEIGHT)
        self.scroll_to_region(region, animate=False, force=True)
        self.refresh()

    def move_cursor(self, delta: int) -> None:
        if self.count:
            self.cursor = max(0, min(self.count - 1, self.cursor + delta))

    @property
    def page_cards(self) -> int:
        """How many whole cards the column shows at once (at least one)."""
        return max(1, self.scrollable_content_region.height // CARD_HEIGHT)

    def action_scroll_up(self) -> None:
        self.move_cursor(-1)

    def action_scroll_down(self) -> None:
        self.move_cursor(1)

    def action_page_up(self) -> None:
        self.move_cursor(-self.page_cards)

    def action_page_down(self) -> None:
        self.move_cursor(self.page_cards)

    def action_scroll_home(self) -> None:
        self.cursor = 0

    def action_scroll_end(self) -> None:
        self.cursor = max(0, self.count - 1)

    def action_scroll_left(self) -> None:
        raise SkipAction()  # the board's: the previous column

    def action_scroll_right(self) -> None:
        raise SkipAction()  # the board's: the next column

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.count * CARD_HEIGHT)
        self.border_title = column_title(self.stage_name, self.count, self.size.width)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = (offset.y + int(self.scroll_y)) // CARD_HEIGHT
        if 0 <= index < self.count:
            self.focus()
            self.cursor = index
            if event.chain >= 2 and (card := self.selected) is not None:
                self.post_message(self.Opened(self, card.id))

    # --- drawing ------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        line = y + int(self.scroll_y)
        index, row = divmod(line, CARD_HEIGHT)
        base = self.rich_style
        if index >= self.count or row == CARD_HEIGHT - 1:
            if line == 0 and self.count == 0:
                return self._strip([(" no deals", self._style("muted"))], width, base)
            return Strip.blank(width, base)
        card = self.card(index)
        style = self._style("cursor" if index == self.cursor else "card")
        if card is None:
            return self._strip([(" …" if row == 0 else "", style)], width, style)
        return self._strip(self._card_line(card, row, width, style), width, style)

    def _card_line(
        self, card: BoardCard, row: int, width: int, style: Style
    ) -> list[tuple[str, Style]]:
        muted = style + self._style("muted")
        if row == 0:
            parts = [(" ", style)]
            if card.stale:
                parts.append(("● ", style + self._style("stale")))
            return [*parts, (card.title, style)]
        if row == 1:
            return [(" ", style), (card.company or "—", muted)]
        days = f"{card.days_in_stage}d "
        money = short_money(card.amount, home=self.currency)
        room = width - cell_len(money) - cell_len(days) - 3
        owner = set_cell_size((card.owner or "nobody").split()[0], max(0, room)).rstrip()
        left = f" {money} {owner}"
        gap = max(1, width - cell_len(left) - cell_len(days))
        return [(left, style), (" " * gap, style), (days, muted)]

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"board-column--{name}", partial=True)

    @staticmethod
    def _strip(parts: list[tuple[str, Style]], width: int, fill: Style) -> Strip:
        segments = [Segment(text, style) for text, style in parts]
        return Strip(segments).adjust_cell_length(width, fill)


def column_title(name: str, count: int, width: int) -> str:
    """`name · count`, the name shortened (never the count) to fit a column `width` wide."""
    count_part = f" · {count}"
    room = width - TITLE_ROOM - cell_len(count_part)
    if width <= 0 or cell_len(name) <= room:
        return name + count_part
    if room <= 1:
        return str(count)
    return set_cell_size(name, room - 1).rstrip() + "…" + count_part
