"""A month as a grid of days, each with its number of reminders; today and overdue marked."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from tinycrm.widgets.format import pad

CELL = 6
"""Columns per day: ` 24 3 ` — the day and its count."""


class MonthGrid(Widget, can_focus=True):
    """Arrows move the selected day (a week up or down), `[`/`]` change the month."""

    COMPONENT_CLASSES = {
        "month-grid--today",
        "month-grid--selected",
        "month-grid--overdue",
        "month-grid--busy",
        "month-grid--muted",
    }
    DEFAULT_CSS = """
    MonthGrid { width: 44; height: 10; padding: 0 1; }
    MonthGrid > .month-grid--today { text-style: bold underline; color: $text-accent; }
    MonthGrid > .month-grid--selected { background: $panel-lighten-1; }
    MonthGrid:focus > .month-grid--selected { background: $accent-muted; text-style: bold; }
    MonthGrid > .month-grid--overdue { color: $text-error; text-style: bold; }
    MonthGrid > .month-grid--busy { color: $text-primary; }
    MonthGrid > .month-grid--muted { color: $foreground-darken-3; }
    """
    BINDINGS = [
        Binding("left", "move(-1)", "Prev day", show=False, id="calendar.prev-day"),
        Binding("right", "move(1)", "Next day", show=False, id="calendar.next-day"),
        Binding("up", "move(-7)", "Prev week", show=False, id="calendar.prev-week"),
        Binding("down", "move(7)", "Next week", show=False, id="calendar.next-week"),
        Binding(
            "left_square_bracket",
            "month(-1)",
            "Prev month",
            key_display="[",
            id="calendar.prev-month",
        ),
        Binding(
            "right_square_bracket",
            "month(1)",
            "Next month",
            key_display="]",
            id="calendar.next-month",
        ),
    ]

    selected: reactive[date] = reactive(date(2000, 1, 1))

    class DayChanged(Message):
        def __init__(self, day: date, month_changed: bool) -> None:
            super().__init__()
            self.day = day
            self.month_changed = month_changed

    def __init__(self, today: date, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.today = today
        self.counts: dict[date, int] = {}
        self.set_reactive(MonthGrid.selected, today)

    def show_counts(self, counts: dict[date, int]) -> None:
        self.counts = counts
        self.refresh()

    def watch_selected(self, old: date, new: date) -> None:
        self.post_message(self.DayChanged(new, (old.year, old.month) != (new.year, new.month)))
        self.refresh()

    def action_move(self, days: int) -> None:
        self.selected = self.selected + timedelta(days=days)

    def action_month(self, months: int) -> None:
        index = self.selected.year * 12 + self.selected.month - 1 + months
        year, month = divmod(index, 12)
        last = calendar.monthrange(year, month + 1)[1]
        self.selected = date(year, month + 1, min(self.selected.day, last))

    def weeks(self) -> list[list[date]]:
        first = self.selected.replace(day=1)
        start = first - timedelta(days=first.weekday())
        return [[start + timedelta(days=7 * w + d) for d in range(7)] for w in range(6)]

    def render(self) -> RenderResult:
        title = f"{self.selected:%B %Y}"  # in terminal cells: a month's name may be 十一月
        left = max(0, (7 * CELL - cell_len(title)) // 2)
        text = Text(pad(" " * left + title, 7 * CELL) + "\n", style="bold")
        text.append("".join(pad(name[:2], 3, right=True) + "   " for name in calendar.day_abbr))
        text.append("\n")
        for week in self.weeks():
            for day in week:
                text.append_text(self._cell(day))
            text.append("\n")
        return text

    def _cell(self, day: date) -> Text:
        count = self.counts.get(day, 0)
        label = f"{day.day:>3}{('·' + str(count)) if count else '':<3}"[:CELL]
        styles = []
        if day.month != self.selected.month:
            styles.append("muted")
        elif count and day < self.today:
            styles.append("overdue")
        elif count:
            styles.append("busy")
        if day == self.today:
            styles.append("today")
        if day == self.selected:
            styles.append("selected")
        style = self.rich_style
        for name in styles:
            style += self.get_component_rich_style(f"month-grid--{name}", partial=True)
        return Text(label, style=style)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 2 or offset.y >= 8:
            return
        week, column = offset.y - 2, min(6, offset.x // CELL)
        self.selected = self.weeks()[week][column]
