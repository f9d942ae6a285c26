"""A record's History: its audit entries, newest first: when, who, what was done and what
changed."""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tinycrm.widgets.format import local

if TYPE_CHECKING:
    from tinycrm.services.audit import EntryRow


def entry_line(entry: EntryRow) -> str:
    """What an entry did: `edit amount: 1000.00 → 50000.00`, or its note when it changed
    no field."""
    what = entry.summary or entry.note or ""
    return f"{entry.action} {what}".rstrip()


class AuditHistory(Static):
    DEFAULT_CSS = """
    AuditHistory { height: auto; padding: 0 1; }
    """

    def show(self, rows: list[EntryRow], *, tz: tzinfo) -> None:
        if not rows:
            self.update(Text("no changes recorded", style="italic"))
            return
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True, max_width=16, overflow="ellipsis")
        table.add_column(ratio=1, overflow="fold")
        for row in rows:
            table.add_row(local(row.at, tz), row.user or row.login or "—", entry_line(row))
        self.update(table)
