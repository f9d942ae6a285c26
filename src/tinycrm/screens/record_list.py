"""What a searchable, paged list of records (contacts, companies) does with its keys: enter
in the search box opens the one match or moves to the table, the next page loads as the
cursor nears the end, and enter on a row opens the record's detail."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import DataTable, Input


class RecordList(Screen[None]):
    """A list screen's shared keys; a subclass loads pages (`load`) and opens a record
    (`open_record`), and keeps `ids` (the rows shown, in order), `complete` (no page after)
    and `away` (a detail screen is open over it)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[int] = []
        self.complete = False
        self.away = False

    def load(self, *, reset: bool, keep: bool = False) -> None:
        raise NotImplementedError

    def open_detail(self, record_id: int) -> None:
        raise NotImplementedError

    def open_record(self, record_id: int) -> None:
        self.away = True  # back from it, the list reloads: the record may have changed
        self.open_detail(record_id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if len(self.ids) == 1:
            self.open_record(self.ids[0])  # the one match: nothing to choose
            return
        table: DataTable[str] = self.query_one(DataTable)
        if table.row_count:
            self.set_focus(table)  # now: a second enter right after opens the record

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if not self.complete and event.cursor_row >= len(self.ids) - 10:
            self.complete = True  # until the next page says otherwise
            self.load(reset=False)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.open_record(int(event.row_key.value))

    def action_open(self) -> None:
        table: DataTable[str] = self.query_one(DataTable)
        if self.ids and 0 <= table.cursor_row < len(self.ids):
            self.open_record(self.ids[table.cursor_row])

    def action_search(self) -> None:
        self.set_focus(self.query_one(Input))
