"""The reminder calendar: a month of due counts, and the selected day's agenda beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Static

from tinycrm.db.store import session_sql
from tinycrm.screens.base import CrmScreen
from tinycrm.screens.dialogs import Field, FormDialog
from tinycrm.widgets.month import MonthGrid

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.reminders.agenda import AgendaItem


@dataclass(frozen=True)
class DayView:
    day: date
    counts: dict[date, int]
    overdue: list[AgendaItem]
    overdue_total: int
    items: list[AgendaItem]


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
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AgendaItem] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="calendar-left"):
                yield MonthGrid(self.state.today(), id="calendar-month")
                yield Static("", id="calendar-summary", classes="status-line")
            with Vertical(id="calendar-right"):
                yield Static("", id="calendar-day", classes="section-title")
                table: DataTable[str] = DataTable(id="calendar-agenda", cursor_type="row")
                yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Calendar"
        table: DataTable[str] = self.query_one(DataTable)
        for name in ("Due", "What", "About", "Owner"):
            table.add_column(name, key=name.lower())
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
        from tinycrm.services.reminders import find_owner
        from tinycrm.services.reminders.agenda import agenda_days, day_counts

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
        st = self.state
        self.grid.show_counts(view.counts)
        table: DataTable[str] = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        from tinycrm.services.reminders.agenda import local_midnight

        self.rows = [i for i in view.overdue if i.due_at < local_midnight(view.day, st.tz)]
        self.rows += view.items
        for item in self.rows:
            table.add_row(*self._cells(item, view.day))
        if self.rows:
            table.move_cursor(row=min(keep, len(self.rows) - 1))
        title = "today" if view.day == st.today() else f"{view.day:%A %d %B %Y}"
        self.query_one("#calendar-day", Static).update(
            f"{title} · {len(view.items)} due" + ("" if self.rows else " · nothing due")
        )
        whose = self.owner_ref() or "everyone"
        summary = f"{view.overdue_total} overdue · reminders of {whose}"
        self.query_one("#calendar-summary", Static).update(summary)

    def _cells(self, item: AgendaItem, day: date) -> tuple[str, ...]:
        st = self.state
        local = item.due_at.astimezone(st.tz)
        overdue = item.due_at < st.now()
        when = f"{local:%d %b %H:%M}" if local.date() != day else f"{local:%H:%M}"
        what = f"{item.kind}: {item.subject}"
        if item.recurring:
            what += " ↻"
        if overdue:
            what = f"[red]overdue[/red] {what}"
        return when, what, item.about or "", (item.owner or "").split(" ")[0]

    def on_month_grid_day_changed(self, event: MonthGrid.DayChanged) -> None:
        self.reload()

    def action_today(self) -> None:
        self.grid.selected = self.state.today()

    def action_item(self, delta: int) -> None:
        table: DataTable[str] = self.query_one(DataTable)
        if self.rows:
            table.move_cursor(row=max(0, min(len(self.rows) - 1, table.cursor_row + delta)))

    def chosen(self) -> AgendaItem | None:
        table: DataTable[str] = self.query_one(DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            self.notify("no reminder selected", severity="warning")
            return None
        item = self.rows[table.cursor_row]
        if item.occurrence:
            self.notify("a later repeat: act on the current occurrence", severity="warning")
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
