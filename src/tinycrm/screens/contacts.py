"""Contacts: type to search (every word anywhere in the name, email, phone, company or tags,
as `crm contact list -q` does: `services.search`), filter by the fields of a target
list (or a saved segment), or look at the lead pool; pages of rows come from SQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Input, Static

from tinycrm.screens.dialogs import Field, FormDialog
from tinycrm.screens.filters import TargetScreen, describe
from tinycrm.screens.record_list import RecordList
from tinycrm.services.filters import ContactFilter

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.contact_rows import ContactRow
    from tinycrm.services.contacts import ContactDetail
    from tinycrm.services.leads import LeadRow

PAGE = 100
COLUMNS = ("Name", "Company", "Status", "Owner", "Tags", "Email")
POOL_COLUMNS = ("Name", "Company", "Source", "Campaign", "Created", "Last activity")
SEARCH_HINT = "type words of a name, email, phone, company or tag"
POOL_HINT = "the lead pool: leads nobody owns, oldest first (ctrl+l: all contacts)"
NEW_CONTACT = [
    Field("name", "Name", required=True),
    Field("email", "Email"),
    Field("phone", "Phone"),
    Field("company", "Company", placeholder="an existing company's name"),
    Field("title", "Title"),
    Field("tags", "Tags", placeholder="comma-separated: vip, newsletter"),
]
TARGET_ACTIONS = ("filter", "segments", "save_segment", "export")
"""What the lead pool view does not offer: it is one fixed list."""


def contact_list(app: App[Any]) -> ContactsScreen:
    """The contacts mode's list, brought to the front (a contact left open there closes)."""
    app.switch_mode("contacts")
    while len(app.screen_stack) > 1:
        app.pop_screen()
    screen = app.screen_stack[0]
    assert isinstance(screen, ContactsScreen)
    return screen


class SearchBox(Input):
    """The search box, which has the focus: while it is empty, the keys that switch modes,
    open the help or start a search (`1`-`7`, `?`, `/`) do that instead of being typed."""

    PASSED_ON = frozenset("1234567?/")

    def passes_on(self, character: str | None) -> bool:
        return not self.value and character in self.PASSED_ON

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return not self.passes_on(character) and super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        if self.passes_on(event.character):
            event.prevent_default()  # not typed, and not stopped: the bindings get it


class ContactsScreen(RecordList, TargetScreen):
    NOUN = "contact"
    BINDINGS = [
        Binding("slash", "search", "Search", id="contacts.search"),
        Binding("ctrl+n", "new", "New", tooltip="New contact", id="contacts.new"),
        Binding("n", "new", "New", show=False, tooltip="New contact", id="contacts.new-n"),
        Binding("ctrl+l", "pool", "Pool", tooltip="Lead pool on or off", id="contacts.pool"),
        Binding("enter", "open", "Open", show=False, id="contacts.open"),
        Binding(
            "escape",
            "clear",
            "Clear search",
            show=False,
            tooltip="Clear the search, the pool view, then the filter",
            id="contacts.clear",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.filter = ContactFilter()
        """The filter besides the search text (`words` stays empty here)."""
        self.saved: tuple[str, ContactFilter] | None = None
        """The segment applied last, and its filter with the search text."""
        self.pool = False
        self.asked = 0
        """How many loads were started: only the latest one's answer is shown."""
        self.limit = PAGE
        self.shown: str | None = None
        """The search text whose rows the table shows now (None before the first answer)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield SearchBox(self.text, placeholder=SEARCH_HINT, id="contacts-search")
        yield Static("", id="contacts-status")
        table: DataTable[str] = DataTable(
            id="contacts-table", cursor_type="row", zebra_stripes=True
        )
        yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Contacts"
        self._columns(COLUMNS)
        self.query_one(Input).focus()
        self.load(reset=True)

    def on_screen_resume(self) -> None:
        if self.away:  # back from a contact: it may have changed (a lead claimed, say)
            self.away = False
            self.load(reset=True, keep=True)

    def _columns(self, names: tuple[str, ...]) -> None:
        table: DataTable[str] = self.query_one(DataTable)
        table.clear(columns=True)
        for name in names:
            table.add_column(name, key=name.lower())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.pool and action in TARGET_ACTIONS:
            return False
        return True

    # What the table shows: a filtered page of contacts, or of the lead pool.

    def wanted(self) -> ContactFilter:
        return replace(self.filter, words=self.text or None)

    def segment(self) -> str | None:
        if self.saved is None or self.saved[1] != self.wanted():
            return None  # changed since: a search typed, say
        return self.saved[0]

    def apply(self, wanted: ContactFilter, *, segment: str | None = None) -> None:
        """Show the contacts `wanted` picks (the search box takes its `words`); the filter is
        kept once its first page came back, so a bad reference leaves the list as it was."""
        if self.pool:
            self._pool(False)
        self.load(reset=True, wanted=wanted, segment=segment)

    def reload(self) -> None:
        self.load(reset=True)

    def show(self, wanted: ContactFilter) -> None:
        """Show `wanted` from another screen (campaigns: a campaign's contacts), whether or
        not this one was mounted yet."""
        if self.is_mounted:
            self.apply(wanted)
            return
        self.filter, self.text = replace(wanted, words=None), wanted.words or ""

    def load(
        self,
        *,
        reset: bool,
        wanted: ContactFilter | None = None,
        segment: str | None = None,
        keep: bool = False,
    ) -> None:
        """A first page (`reset`) or the next one; `keep`: the rows loaded so far again,
        with the cursor where it was."""
        self.asked += 1
        offset = 0 if reset else len(self.ids)
        self.limit = max(PAGE, len(self.ids)) if keep else PAGE
        if self.pool:
            job: Callable[[Session], Any] = partial(_pool_page, offset, self.limit)
            done = partial(self._show_pool, self.asked, reset)
        else:
            chosen = wanted or self.wanted()
            job = partial(_page, chosen, offset, self.limit, self.state.today())
            done = partial(self._adopt, self.asked, reset, chosen, wanted is not None, segment)
        cursor = self.query_one(DataTable).cursor_row if keep else 0
        self.db(job, partial(self._then, done, cursor), group="contacts", exclusive=True)

    def _then(self, done: Callable[[Any], None], cursor: int, rows: list[Any]) -> None:
        done(rows)
        table = self.query_one(DataTable)
        if cursor and table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))

    def _adopt(
        self,
        asked: int,
        reset: bool,
        chosen: ContactFilter,
        new: bool,
        segment: str | None,
        rows: list[ContactRow],
    ) -> None:
        if asked != self.asked or self.pool:
            return
        if new:
            self.filter = replace(chosen, words=None)
            self.saved = (segment, chosen) if segment else None
            self.text = chosen.words or ""
            search = self.query_one(Input)
            if search.value.strip() != self.text:
                search.value = self.text
        self._show(reset, rows)

    def _show(self, reset: bool, rows: list[ContactRow]) -> None:
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
        self.complete = len(rows) < self.limit
        self.shown = self.text
        self._status()

    def _status(self) -> None:
        count = len(self.ids)
        shown = f"{count}{'' if self.complete else '+'} contact{'' if count == 1 else 's'}"
        if self.text:
            shown += f" matching {self.text!r}"
        if (segment := self.segment()) is not None:
            shown += f" · segment {segment!r}"
        elif picked := describe(self.filter):
            shown += f" · {picked}"
        self.query_one("#contacts-status", Static).update(shown + " · enter opens")

    def _show_pool(self, asked: int, reset: bool, rows: list[LeadRow]) -> None:
        if asked != self.asked or not self.pool:
            return
        table: DataTable[str] = self.query_one(DataTable)
        if reset:
            table.clear()
            self.ids = []
        tz = self.state.tz
        for r in rows:
            last = (
                r.last_activity_at.astimezone(tz).date().isoformat() if r.last_activity_at else ""
            )
            created = r.created_at.astimezone(tz).date().isoformat()
            table.add_row(
                r.name, r.company or "", r.source or "", r.campaign or "", created, last,
                key=str(r.id),
            )  # fmt: skip
            self.ids.append(r.id)
        self.complete = len(rows) < self.limit
        self.shown = ""
        count = len(self.ids)
        self.query_one("#contacts-status", Static).update(
            f"lead pool: {count}{'' if self.complete else '+'} lead{'' if count == 1 else 's'}"
            " nobody owns · enter opens (claim there)"
        )

    # Keys and events.

    def action_pool(self) -> None:
        self._pool(not self.pool)
        self.load(reset=True)

    def _pool(self, on: bool) -> None:
        self.pool = on
        self._columns(POOL_COLUMNS if on else COLUMNS)
        self.ids = []
        search = self.query_one(Input)
        search.disabled = on
        search.placeholder = POOL_HINT if on else SEARCH_HINT
        if on:
            self.set_focus(self.query_one(DataTable))
        else:
            search.focus()
        self.refresh_bindings()

    def on_input_changed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if text != self.text:
            self.text = text
            self.load(reset=True)

    def open_detail(self, record_id: int) -> None:
        from tinycrm.screens.contact import ContactScreen

        self.app.push_screen(ContactScreen(record_id))

    def action_new(self) -> None:
        self.ask(FormDialog("New contact", NEW_CONTACT), self._create)

    def _create(self, values: dict[str, str] | None) -> None:
        if values is None:
            return
        st = self.state

        def job(session: Session) -> ContactDetail:
            from tinycrm.models import ContactCreate
            from tinycrm.normalize import phone_region
            from tinycrm.services.contacts import create_contact

            given: dict[str, Any] = {k: v for k, v in values.items() if v and k != "tags"}
            tags = [t for t in values.get("tags", "").split(",") if t.strip()]
            data = ContactCreate(**given, tags=tags)
            if (actor := st.actor(session)) is not None:
                data.owner = str(actor.id)
            region = phone_region(st.settings.region, field="phone_region")
            return create_contact(session, data=data, region=region, now=st.now())

        self.db(job, self._created, write=True)

    def _created(self, contact: ContactDetail) -> None:
        self.changed(f"contact #{contact.row.id} added: {contact.row.name}")
        self.load(reset=True)
        self.open_record(contact.row.id)

    def action_search(self) -> None:
        if self.pool:
            self._pool(False)
            self.load(reset=True)
        self.set_focus(self.query_one(Input))

    def action_clear(self) -> None:
        """Escape: the search text first, then the pool view, then the filter."""
        if self.text:
            self.query_one(Input).value = ""
        elif self.pool:
            self.action_pool()
        elif describe(self.filter):
            self.clear_filter()
        self.set_focus(self.query_one(Input))


def _page(
    wanted: ContactFilter, offset: int, limit: int, today: Any, session: Session
) -> list[ContactRow]:
    from tinycrm.services.contacts import list_contacts

    return list_contacts(session, where=wanted, limit=limit, offset=offset, today=today)


def _pool_page(offset: int, limit: int, session: Session) -> list[LeadRow]:
    from tinycrm.services.leads import list_leads

    return list_leads(session, pool=True, limit=limit, offset=offset)
