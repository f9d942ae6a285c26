"""Contacts: type to filter by name, email, company or tag; pages of rows come from SQL."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Input, Static

from tinycrm.screens.base import CrmScreen

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.contacts import ContactRow

PAGE = 100
COLUMNS = ("Name", "Company", "Status", "Owner", "Tags", "Email")


class ContactsScreen(CrmScreen):
    NOUN = "contact"
    BINDINGS = [
        Binding("slash", "search", "Search", id="contacts.search"),
        Binding("enter", "open", "Open", show=False, id="contacts.open"),
        Binding("escape", "clear", "Clear search", show=False, id="contacts.clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.ids: list[int] = []
        self.complete = False
        self.shown: str | None = None
        """The search text whose rows the table shows now (None before the first answer)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="type a name, email, company or tag", id="contacts-search")
        yield Static("", id="contacts-status")
        table: DataTable[str] = DataTable(
            id="contacts-table", cursor_type="row", zebra_stripes=True
        )
        yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Contacts"
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name.lower())
        self.query_one(Input).focus()
        self.load(reset=True)

    def load(self, *, reset: bool) -> None:
        from tinycrm.services.board import search_contacts

        text, offset = self.text, 0 if reset else len(self.ids)
        job = partial(_search, search_contacts, text, offset)
        self.db(job, partial(self._show, text, reset), group="contacts", exclusive=True)

    def _show(self, text: str, reset: bool, rows: list[ContactRow]) -> None:
        if text != self.text:
            return
        table: DataTable[str] = self.query_one(DataTable)
        if reset:
            table.clear()
            self.ids = []
        for r in rows:
            table.add_row(
                r.name,
                r.company or "",
                r.status,
                (r.owner or "").split(" ")[0],
                ", ".join(r.tags),
                r.email or "",
                key=str(r.id),
            )
            self.ids.append(r.id)
        self.complete = len(rows) < PAGE
        self.shown = text
        count = len(self.ids)
        shown = f"{count}{'' if self.complete else '+'} contact{'' if count == 1 else 's'}"
        self.query_one("#contacts-status", Static).update(
            shown + (f" matching {text!r}" if text else "") + " · enter opens"
        )

    def on_input_changed(self, event: Input.Changed) -> None:
        self.text = event.value.strip()
        self.load(reset=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if len(self.ids) == 1:
            self.open_contact(self.ids[0])  # the one match: nothing to choose
            return
        table = self.query_one(DataTable)
        if table.row_count:
            self.set_focus(table)  # now: a second enter right after opens the contact

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if not self.complete and event.cursor_row >= len(self.ids) - 10:
            self.complete = True  # until the next page says otherwise
            self.load(reset=False)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.open_contact(int(event.row_key.value))

    def action_open(self) -> None:
        table: DataTable[str] = self.query_one(DataTable)
        if self.ids and 0 <= table.cursor_row < len(self.ids):
            self.open_contact(self.ids[table.cursor_row])

    def open_contact(self, contact_id: int) -> None:
        from tinycrm.screens.contact import ContactScreen

        self.app.push_screen(ContactScreen(contact_id))

    def action_search(self) -> None:
        self.set_focus(self.query_one(Input))

    def action_clear(self) -> None:
        self.query_one(Input).value = ""
        self.set_focus(self.query_one(Input))


def _search(search: object, text: str, offset: int, session: Session) -> list[ContactRow]:
    rows: list[ContactRow] = search(session, text=text, limit=PAGE, offset=offset)  # type: ignore[operator]
    return rows
