"""Companies: the list of accounts (contacts, open deals, owner), searched by the rule every
list uses (`services.search`) and paged from SQL; `n` adds a company, enter opens it."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Input, Static

from tinycrm.screens.base import CrmScreen
from tinycrm.screens.contacts import SearchBox
from tinycrm.screens.dialogs import Field, FormDialog
from tinycrm.screens.record_list import RecordList

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.companies import CompanyDetail
    from tinycrm.services.company_rows import CompanyRow

PAGE = 100
COLUMNS = ("Name", "Contacts", "Open deals", "Owner", "Industry", "City")
SEARCH_HINT = "type words of a company's name or domain"
NEW_COMPANY = [
    Field("name", "Name", required=True),
    Field("domain", "Domain", placeholder="example.com"),
    Field("industry", "Industry"),
    Field("city", "City"),
    Field("country", "Country"),
    Field("phone", "Phone"),
]


class CompaniesScreen(RecordList, CrmScreen):
    NOUN = "companies"
    DEFAULT_CSS = """
    CompaniesScreen #companies-search { margin: 0 1; }
    CompaniesScreen #companies-status { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("slash", "search", "Search", id="companies.search"),
        Binding("ctrl+n", "new", "New", tooltip="New company", id="companies.new"),
        Binding("n", "new", "New", show=False, tooltip="New company", id="companies.new-n"),
        Binding("enter", "open", "Open", show=False, id="companies.open"),
        Binding("escape", "clear", "Clear search", show=False, id="companies.clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.asked = 0
        """How many loads were started: only the latest one's answer is shown."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield SearchBox(placeholder=SEARCH_HINT, id="companies-search")
        yield Static("", id="companies-status")
        table: DataTable[str] = DataTable(
            id="companies-table", cursor_type="row", zebra_stripes=True
        )
        for name in COLUMNS:
            table.add_column(name, key=name.lower())
        yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Companies"
        self.query_one(Input).focus()
        self.reload()

    def on_screen_resume(self) -> None:
        if self.away:  # back from a company: it may have changed
            self.away = False
            self.load(reset=True, keep=True)

    def reload(self) -> None:
        self.load(reset=True)

    def load(self, *, reset: bool, keep: bool = False) -> None:
        self.asked += 1
        offset = 0 if reset else len(self.ids)
        limit = max(PAGE, len(self.ids)) if keep else PAGE
        job = partial(_page, self.text, offset, limit)
        done = partial(self._show, self.asked, reset, limit)
        self.db(job, done, group="companies", exclusive=True)

    def _show(self, asked: int, reset: bool, limit: int, rows: list[CompanyRow]) -> None:
        if asked != self.asked:
            return
        table: DataTable[str] = self.query_one(DataTable)
        cursor = table.cursor_row
        if reset:
            table.clear()
            self.ids = []
        for r in rows:
            table.add_row(
                r.name, str(r.contacts), str(r.open_deals), r.owner or "", r.industry or "",
                r.city or "", key=str(r.id),
            )  # fmt: skip
            self.ids.append(r.id)
        if cursor and table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))
        self.complete = len(rows) < limit
        count = len(self.ids)
        shown = f"{count}{'' if self.complete else '+'} compan{'y' if count == 1 else 'ies'}"
        if self.text:
            shown += f" matching {self.text!r}"
        self.query_one("#companies-status", Static).update(shown + " · enter opens · ctrl+n new")

    # Keys and events.

    def on_input_changed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if text != self.text:
            self.text = text
            self.load(reset=True)

    def open_detail(self, record_id: int) -> None:
        from tinycrm.screens.company import CompanyScreen

        self.app.push_screen(CompanyScreen(record_id))

    def action_clear(self) -> None:
        self.query_one(Input).value = ""
        self.set_focus(self.query_one(Input))

    def action_new(self) -> None:
        self.ask(FormDialog("New company", NEW_COMPANY), self._create)

    def _create(self, values: dict[str, str] | None) -> None:
        if values is None:
            return
        st = self.state

        def job(session: Session) -> CompanyDetail:
            from tinycrm.models import CompanyCreate
            from tinycrm.services.companies import create_company

            given: dict[str, Any] = {k: v for k, v in values.items() if v}
            data = CompanyCreate(**given)
            if (actor := st.actor(session)) is not None:
                data.owner = str(actor.id)
            return create_company(session, data=data, now=st.now())

        self.db(job, self._created, write=True)

    def _created(self, company: CompanyDetail) -> None:
        self.changed(f"company #{company.row.id} added: {company.row.name}")
        self.reload()
        self.open_record(company.row.id)


def _page(text: str, offset: int, limit: int, session: Session) -> list[CompanyRow]:
    from tinycrm.services.companies import list_companies

    return list_companies(session, search=text or None, limit=limit, offset=offset)
