"""An activity timeline, newest first: when, what kind, the subject and who."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tinycrm.services.activities import ActivityRow
from tinycrm.widgets.format import local

KIND_MARK = {"call": "☎", "email": "✉", "meeting": "◉", "note": "✎", "task": "☐"}


class Timeline(Static):
    DEFAULT_CSS = """
    Timeline { height: auto; padding: 0 1; }
    """

    def show(self, rows: list[ActivityRow], *, tz: tzinfo, now: datetime) -> None:
        if not rows:
            self.update(Text("nothing logged yet", style="italic"))
            return
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(ratio=1, overflow="ellipsis", no_wrap=True)
        table.add_column(no_wrap=True, justify="right")
        for row in rows:
            table.add_row(
                local(row.at, tz),
                f"{KIND_MARK.get(row.kind, '·')} {row.kind}",
                Text(row.subject) + self._state(row, now),
                (row.owner or "").split(" ")[0],
            )
        self.update(table)

    @staticmethod
    def _state(row: ActivityRow, now: datetime) -> Text:
        if row.done_at is not None or row.due_at is None:
            return Text("")
        if row.due_at < now:
            return Text("  overdue", style="bold red")
        return Text("  due", style="bold")
