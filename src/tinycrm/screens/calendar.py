"""The reminder calendar: a month of due counts, and the selected day's agenda beside it.

The agenda's What and About columns share the width the day's times and owners leave, so
they grow with the terminal; a contact's birthday is a day, never overdue; a follow-up call
is a day too, overdue once it has passed, and opens its customer (enter) or is recorded (F)
from its row; the overdue count is of everything overdue now, whatever month is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from tinycrm.db.store import session_sql
from tinycrm.screens.base import CrmScreen
from tinycrm.screens.customer_actions import followup_form, record_followup
from tinycrm.screens.dialogs import Field, FormDialog
from tinycrm.widgets.month import MonthGrid

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.followups import FollowUpRow
    from tinycrm.services.reminders.agenda import AgendaItem


@dataclass(frozen=True)
class DayView:
    day: date
    counts: dict[date, int]
    overdue: list[AgendaItem]
    overdue_total: int
    items: list[AgendaItem]


class AgendaTable(DataTable[Text]):
    """The day's agenda; says when its width changed, so the columns are shared again."""

    class Resized(Message):
        pass

    def on_resize(self, event: events.Resize) -> None:
        self.post_message(self.Resized())


COLUMNS = ("Due", "What", "About", "Owner")
NARROW = 100
"""Under this many columns the agenda goes under the month (styles in tui.tcss)."""
WHAT_SHARE = 0.6
"""What's share of the width Due and Owner leave; About has the rest (each gives what it
does not need to the other)."""


def clipped(text: Text, width: int) -> Text:
    """The cell in `width` terminal cells, its styles kept, ending in `…` when cut."""
    if text.cell_len <= width:
        return text
    cut = text.copy()
    cut.truncate(width, overflow="ellipsis")
    return cut


def share(room: int, what: int, about: int) -> tuple[int, int]:
    """Widths of What and About in `room` cells, for texts `what` and `about` wide."""
    if what + about <= room:
        return what + (room - what - about), about
    first = max(room - about, int(room * WHAT_SHARE))
    first = min(first, what)
    return first, max(room - first, 0)


class CalendarScreen(CrmScreen):
    NOUN = "reminder"
    BINDINGS = [
        Binding("d", "done", "Done", tooltip="Mark the reminder done", id="calendar.done"),
        Binding("z", "snooze", "Snooze", tooltip="Snooze the reminder", id="calendar.snooze"),
        Binding(
            "r",
            "reschedule",
            "Reschedule",
            tooltip="Reschedule the reminder",
            id="calendar.reschedule",
        ),
        Binding("j", "item(1)", "Next reminder", show=False, id="calendar.next"),
        Binding("k", "item(-1)", "Prev reminder", show=False, id="calendar.prev"),
        Binding("t", "today", "Today", id="calendar.today"),
        Binding("F", "followup", "Record follow-up", show=False, id="calendar.followup"),
        Binding("enter", "open", "Open customer", show=False, id="calendar.open"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AgendaItem] = []
        self.view: DayView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="calendar-body"):
            with Vertical(id="calendar-left"):
                yield MonthGrid(self.state.today(), id="calendar-month")
                yield Static("", id="calendar-summary", classes="status-line")
            with Vertical(id="calendar-right"):
                yield Static("", id="calendar-day", classes="section-title")
                table = AgendaTable(id="calendar-agenda", cursor_type="row")
                yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Calendar"
        self.query_one(MonthGrid).focus()
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    @property
    def grid(self) -> MonthGrid:
        return self.query_one(MonthGrid)

    def owner_ref(self) -> str | None:
        st = self.state
        return st.me

    def reload(self) -> None:
        grid = self.grid
        weeks = grid.weeks()
        job = partial(self._fetch, grid.selected, weeks[0][0], weeks[-1][-1], self.owner_ref())
        self.db(job, self._show, group="calendar", exclusive=True)

    def _fetch(
        self, day: date, first: date, last: date, owner: str | None, session: Session
    ) -> DayView:
        from tinycrm.services.access import actor_of
        from tinycrm.services.reminders.agenda import agenda_days, day_counts
        from tinycrm.services.userref import find_owner

        st, sql = self.state, session_sql(session)
        tz, now = st.tz, st.now()
        owner_id = find_owner(sql, owner)[0] if owner else None
        actor = actor_of(session)
        reach = None if actor is None else actor.reach()
        counts = day_counts(sql, first=first, last=last, tz=tz, owner_id=owner_id, reach=reach)
        found = agenda_days(
            sql, first=day, last=day, now=now, tz=tz, owner_id=owner_id, reach=reach
        )
        overdue = found.overdue if day == st.today() else []
        return DayView(day, counts, overdue, found.overdue_total, found.items)

    def _show(self, view: DayView) -> None:
        from tinycrm.services.reminders.agenda import local_midnight

        st = self.state
        self.view = view
        self.grid.show_counts(view.counts)
        self.rows = [i for i in view.overdue if i.due_at < local_midnight(view.day, st.tz)]
        self.rows += view.items
        self._lay_out()
        title = "today" if view.day == st.today() else f"{view.day:%a %d %b %Y}"
        self.query_one("#calendar-day", Static).update(
            f"{title} · {len(view.items)} due" + ("" if self.rows else " · nothing due")
        )
        whose = self.owner_ref() or "everyone"
        summary = f"{view.overdue_total} overdue · reminders of {whose}"
        self.query_one("#calendar-summary", Static).update(summary)

    def _lay_out(self) -> None:
        """The rows again, in columns as wide as the table is now."""
        if self.view is None:
            return
        table: DataTable[Text] = self.query_one(DataTable)
        keep = table.cursor_row
        cells = [self._cells(item, self.view.day) for item in self.rows]
        widths = self._widths(table, cells)
        table.clear(columns=True)
        for name, width in zip(COLUMNS, widths, strict=True):
            if width:
                table.add_column(name, key=name.lower(), width=width)
        for row in cells:
            table.add_row(*(clipped(c, w) for c, w in zip(row, widths, strict=True) if w))
        if self.rows:
            table.move_cursor(row=min(keep, len(self.rows) - 1))

    def _widths(self, table: DataTable[Text], cells: list[tuple[Text, ...]]) -> list[int]:
        """Due and Owner as wide as their widest cell; What and About share the rest. When
        they lack room and everything is one person's, the Owner column goes (0)."""
        natural = [
            max([cell_len(name), *(row[i].cell_len for row in cells)])
            for i, name in enumerate(COLUMNS)
        ]
        due, what, about, owner = natural
        room = table.size.width - 2 - 2 * table.cell_padding * len(COLUMNS)  # 2: the scrollbar
        if what + about > room - due - owner and len({row[3].plain for row in cells}) <= 1:
            room, owner = room + 2 * table.cell_padding, 0
        what, about = share(max(room - due - owner, 8), what, about)
        return [due, what, about, owner]

    def on_agenda_table_resized(self, event: AgendaTable.Resized) -> None:
        self._lay_out()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")

    def _cells(self, item: AgendaItem, day: date) -> tuple[Text, ...]:
        st = self.state
        local = item.due_at.astimezone(st.tz)
        owner = Text((item.owner or "").split(" ")[0])
        about = Text(item.about or "")
        if item.care:  # a birthday is a day: no time, never overdue
            when = "all day" if local.date() == day else f"{local:%d %b}"
            what = Text(item.subject)
            if item.kind == "followup" and local.date() < st.today():  # a call is, though
                what = Text.assemble(("overdue", "red"), " ", what)
            return Text(when), what, about, owner
        when = f"{local:%d %b %H:%M}" if local.date() != day else f"{local:%H:%M}"
        what = Text(f"{item.kind}: {item.subject}" + (" ↻" if item.recurring else ""))
        if item.due_at < st.now():
            what = Text.assemble(("overdue", "red"), " ", what)
        return Text(when), what, about, owner

    def highlighted(self) -> AgendaItem | None:
        """The agenda's row under the cursor, if any."""
        if not self.rows:
            return None
        row = self.query_one(DataTable).cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Recording a call and opening its customer apply to a follow-up call's row."""
        if action in ("followup", "open"):
            item = self.highlighted()
            return item is not None and item.kind == "followup" and item.opens is not None
        return True

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        """Open the follow-up call's customer (its contact, else its company)."""
        from tinycrm.screens.company import CompanyScreen
        from tinycrm.screens.contact import ContactScreen

        item = self.highlighted()
        if item is None or item.kind != "followup" or item.opens is None:
            return
        kind, record = item.opens
        self.app.push_screen(ContactScreen(record) if kind == "contact" else CompanyScreen(record))

    def action_followup(self) -> None:
        """Record the highlighted follow-up call with the customer screens' form."""
        from tinycrm.services.followups import list_followups

        item = self.highlighted()
        if item is None or item.kind != "followup":
            return
        st = self.state

        def job(session: Session) -> list[FollowUpRow]:
            return list_followups(session, today=st.today(), state="all", ids=[item.id])

        def ask(found: list[FollowUpRow]) -> None:
            due = [f for f in found if f.done_at is None]
            if not due:
                self.notify(f"follow-up #{item.id} is already done", severity="warning")
                self.reload()
                return
            self.ask(followup_form(due), partial(record_followup, self, after=self.reload))

        self.db(job, ask)

    def on_month_grid_day_changed(self, event: MonthGrid.DayChanged) -> None:
        self.reload()

    def action_today(self) -> None:
        self.grid.selected = self.state.today()

    def action_item(self, delta: int) -> None:
        table: DataTable[Text] = self.query_one(DataTable)
        if self.rows:
            table.move_cursor(row=max(0, min(len(self.rows) - 1, table.cursor_row + delta)))

    def chosen(self) -> AgendaItem | None:
        table: DataTable[Text] = self.query_one(DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            self.notify("no reminder selected", severity="warning")
            return None
        item = self.rows[table.cursor_row]
        if item.occurrence:
            self.notify("a later repeat: act on the current occurrence", severity="warning")
            return None
        if item.kind == "followup":
            self.notify(f"{item.subject}: F records the call", severity="warning")
            return None
        if item.care:
            self.notify(f"{item.subject} is a day to remember, not a task", severity="warning")
            return None
        return item

    def action_done(self) -> None:
        from tinycrm.services.activities import next_in_series
        from tinycrm.services.undo import Undo, complete_undoably

        if (item := self.chosen()) is None:
            return
        st = self.state

        def job(session: Session) -> tuple[str, Undo]:
            row, undo = complete_undoably(session, ref=item.id, now=st.now(), tz=st.tz)
            following = next_in_series(session, row)
            if following is not None and following.due_at is not None:
                return f"done; next on {following.due_at.astimezone(st.tz):%a %d %b %H:%M}", undo
            return f"done: {row.subject}", undo

        def done(said: tuple[str, Undo]) -> None:
            self.changed(*said)  # ctrl+z opens it again while this shows
            self.reload()

        self.db(job, done, write=True)

    def action_snooze(self) -> None:
        if (item := self.chosen()) is None:
            return
        fields = [Field("until", "Remind again at", "tomorrow 09:00")]
        self.ask(FormDialog(f"Snooze: {item.subject}", fields), partial(self._snooze, item.id))

    def _snooze(self, activity_id: int, values: dict[str, str] | None) -> None:
        from tinycrm.services.activities import snooze_activity

        if values is None:
            return
        st = self.state

        def job(session: Session) -> str:
            until = st.due(values["until"], "until")
            assert until is not None
            snooze_activity(session, ref=activity_id, until=until, now=st.now())
            return f"snoozed until {until.astimezone(st.tz):%a %d %b %H:%M}"

        self.db(job, self._changed, write=True)

    def action_reschedule(self) -> None:
        if (item := self.chosen()) is None:
            return
        current = f"{item.due_at.astimezone(self.state.tz):%Y-%m-%d %H:%M}"
        fields = [Field("due", "New due time", current)]
        self.ask(FormDialog(f"Reschedule: {item.subject}", fields), partial(self._move, item.id))

    def _move(self, activity_id: int, values: dict[str, str] | None) -> None:
        from tinycrm.models import ActivityUpdate
        from tinycrm.services.activities import update_activity

        if values is None:
            return
        st = self.state

        def job(session: Session) -> str:
            due = st.due(values["due"], "due")
            update_activity(session, ref=activity_id, data=ActivityUpdate(due_at=due))
            return f"moved to {due.astimezone(st.tz):%a %d %b %H:%M}" if due else "moved"

        self.db(job, self._changed, write=True)

    def _changed(self, message: str) -> None:
        self.notify(message)
        self.reload()
