"""What deal, contact and company detail share: logging and scheduling activities about the
record, its History panel, and an edit form that someone else's save overtook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from textual.binding import Binding

from tinycrm.errors import Changed
from tinycrm.screens.base import CrmScreen
from tinycrm.screens.dialogs import ChoiceDialog, Field, FormDialog
from tinycrm.services.reminders.recurrence import EVERY_HELP
from tinycrm.widgets.format import local
from tinycrm.widgets.history import AuditHistory, entry_line

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.context import AppState
    from tinycrm.services.activities import ActivityRow
    from tinycrm.services.audit import EntryRow

T = TypeVar("T")

LOGGED = ("call", "email", "meeting", "note")
SCHEDULED = ("task", "call", "meeting", "email")
RELOAD, KEEP = "Reload", "Keep editing"
NO_TASK = "no"
"""The log form's answer for "this completes none of the open follow-ups"."""
OPEN_SHOWN = 20
"""At most this many open follow-ups are offered to complete (the earliest due first)."""


@dataclass(frozen=True)
class Stale:
    """An edit refused because the record changed since its form was filled in: the
    refusal, the record's latest audit entry (who changed what), if the reader may see one."""

    error: Changed
    last: EntryRow | None


class RecordScreen(CrmScreen):
    """A detail screen of one record; subclasses say how an activity links to it."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="record.back"),
        Binding("a", "log", "Log activity", id="record.log"),
        Binding("s", "schedule", "Schedule follow-up", id="record.schedule"),
        Binding("e", "edit", "Edit", id="record.edit"),
        Binding("r", "reload", "Reload", show=False, id="record.reload"),
        Binding("h", "history", "History", show=False, id="record.history"),
    ]
    AUDIT = ""
    """The audit log's object for this record (`deals`); its id is `record_id()`."""

    def record_id(self) -> int:
        raise NotImplementedError

    def link(self) -> dict[str, Any]:
        """`ActivityCreate` fields that tie an activity to this record."""
        raise NotImplementedError

    def reload(self) -> None:
        raise NotImplementedError

    def action_reload(self) -> None:
        self.reload()

    def action_history(self) -> None:
        """Scroll the History panel into view."""
        panel = self.query_one(AuditHistory)
        panel.scroll_visible(top=True, animate=False)

    def history(self, session: Session) -> list[EntryRow]:
        from tinycrm.services.audit import history

        return history(session, object=self.AUDIT, record_id=self.record_id())

    def show_history(self, rows: list[EntryRow]) -> None:
        self.query_one(AuditHistory).show(rows, tz=self.state.tz)

    def guarded(
        self, job: Callable[[Session], T], *, of: tuple[str, int] | None = None
    ) -> Callable[[Session], T | Stale]:
        """`job`, an edit made with the version its form read: refused (`Changed`) when
        someone saved since, it changes nothing and answers who changed what instead (in
        this record's audit log, or that of record `of`, `("orders", 3)`)."""
        from tinycrm.services.audit import history

        def run(session: Session) -> T | Stale:
            try:
                return job(session)
            except Changed as error:  # refused before writing anything
                if of is None:
                    latest = self.history(session)
                else:
                    latest = history(session, object=of[0], record_id=of[1])
                return Stale(error, latest[0] if latest else None)

        return run

    def overtaken(self, stale: Stale, keep: Callable[[int | None], object]) -> None:
        """Say who changed the record since its form was read and what they changed; offer
        to reload it (the form's edit dropped) or to keep editing, the form back as typed
        and saved over the record as it is now (`keep(version)`)."""
        last, error = stale.last, stale.error
        said = f"{error.record} was changed by someone else since you opened the form"
        if last is not None:
            who = last.user or last.login or "someone else"
            when = local(last.at, self.state.tz)
            said = f"{error.record} was changed by {who} at {when}: {entry_line(last)}"
        said += ". Your edit is not saved yet."

        def answered(choice: str | None) -> None:
            if choice == KEEP:
                keep(error.version)
            else:
                self.reload()

        self.app.push_screen(ChoiceDialog(said, [RELOAD, KEEP]), answered)

    def extra_commands(self) -> list[tuple[str, Callable[[], object]]]:
        """Palette entries beyond the key bindings: one per kind of activity to log."""
        return [(f"Log {kind}", partial(self.action_log, kind)) for kind in LOGGED]

    def action_back(self) -> None:
        self.dismiss(None)

    def action_log(self, kind: str = "call") -> None:
        """Log an activity; the record's open follow-ups come first, so that the form can
        offer to complete the one this activity answers."""
        self.db(self._open_follow_ups, partial(self._log_form, kind))

    def _open_follow_ups(self, session: Session) -> list[ActivityRow]:
        from tinycrm.services.activities import list_activities
        from tinycrm.services.filters import State

        ids: dict[str, Any] = {f"{k}_id": int(v) for k, v in self.link().items()}
        found = list_activities(session, state=State.open, limit=OPEN_SHOWN, **ids)
        return sorted(found, key=lambda a: (a.due_at is None, a.due_at, a.id))

    def _log_form(self, kind: str, open_ones: list[ActivityRow]) -> None:
        fields = [
            Field("subject", "Subject", placeholder="what happened"),
            Field("kind", "Kind", kind, choices=(kind, *(k for k in LOGGED if k != kind))),
            Field("body", "Notes"),
            Field("when", "When", placeholder="now (or e.g. today 10:30, yesterday)"),
        ]
        tz = self.state.tz
        choices = {follow_up_line(a, tz): a.id for a in open_ones}
        if choices:
            lines = tuple(choices)
            # the only open follow-up is likely the one answered; of several, the user picks
            chosen = lines[0] if len(lines) == 1 else NO_TASK
            # second, in sight at 24 rows: the user sees what saving will also complete
            fields.insert(1, Field("completes", "Complete task", chosen, choices=(*lines, NO_TASK)))
        self.ask(FormDialog("Log activity", fields), partial(self._save, done=True, tasks=choices))

    def action_schedule(self) -> None:
        fields = [
            Field("subject", "Subject", placeholder="e.g. send the revised quote"),
            Field("kind", "Kind", "task", choices=SCHEDULED),
            Field("when", "Due", "tomorrow"),
            Field("remind", "Remind before", placeholder="when due (or e.g. 15m, 2h, 1d)"),
            Field("repeat", "Repeat", placeholder=f"never (or {EVERY_HELP.removeprefix('e.g. ')})"),
            Field("body", "Notes"),
        ]
        self.ask(FormDialog("Schedule follow-up", fields), partial(self._save, done=False))

    def _save(
        self, values: dict[str, str] | None, *, done: bool, tasks: dict[str, int] | None = None
    ) -> None:
        """Log (`done`) or schedule what the form says; a logged one may complete the open
        follow-up it answers (`values["completes"]`, one of `tasks`), in the same commit."""
        if values is None:
            return
        st, link = self.state, self.link()
        task = (tasks or {}).get(values.get("completes", NO_TASK))

        def job(session: Session) -> Saved:
            from tinycrm.services.activities import complete_activity, next_in_series

            row = _write(session, st, values, link, done=done)
            if task is None:
                return Saved(row, None, None)
            finished = complete_activity(session, ref=task, now=st.now(), tz=st.tz)
            return Saved(row, finished, next_in_series(session, finished))

        self.db(job, partial(self._saved_activity, done=done), write=True)

    def _saved_activity(self, saved: Saved, *, done: bool) -> None:
        from tinycrm.services.reminders.recurrence import describe

        a = saved.activity
        said = f"{'logged' if done else 'scheduled'}: {a.subject}"
        if not done and (a.rrule or a.remind_minutes):
            said += f" ({', '.join(filter(None, (describe(a.rrule), _lead(a))))})"
        if saved.completed is not None:
            said += f"; done: {saved.completed.subject}"
        if saved.following is not None and saved.following.due_at is not None:
            said += f"; next due {local(saved.following.due_at, self.state.tz)}"
        self.notify(said)
        self.reload()


@dataclass(frozen=True)
class Saved:
    """An activity written from a form, the follow-up it completed and that one's next."""

    activity: ActivityRow
    completed: ActivityRow | None
    following: ActivityRow | None


def follow_up_line(a: ActivityRow, tz: tzinfo) -> str:
    """`#12 Send the quote (task, due 2026-11-20 09:00)`, as the log form offers it."""
    due = f", due {local(a.due_at, tz)}" if a.due_at else ""
    return f"#{a.id} {a.subject} ({a.kind}{due})"


def _lead(a: ActivityRow) -> str:
    if not a.remind_minutes:
        return ""
    m = a.remind_minutes
    span = f"{m // 1440}d" if m % 1440 == 0 else f"{m // 60}h" if m % 60 == 0 else f"{m}m"
    return f"reminder {span} before"


def _write(
    session: Session, st: AppState, values: dict[str, str], link: dict[str, Any], *, done: bool
) -> ActivityRow:
    """The activity the log or schedule form describes, logged or scheduled."""
    from tinycrm.models import ActivityCreate, ActivityKind
    from tinycrm.services.activities import log_activity, schedule_activity
    from tinycrm.services.reminders.recurrence import lead_minutes, repeat_rule

    text = values.get("when") or None
    when = st.when(text, "when") if done else st.due(text, "due")
    remind, repeat = values.get("remind", ""), values.get("repeat", "")
    data = ActivityCreate(
        kind=ActivityKind(values["kind"]),
        subject=values.get("subject", ""),
        body=values.get("body") or None,
        done_at=when if done else None,
        due_at=None if done else when,
        remind_minutes=lead_minutes(remind, field="remind before") if remind else None,
        rrule=repeat_rule(repeat, field="repeat"),
        **link,
    )
    actor, now = st.actor(session), st.now()
    if done:
        return log_activity(session, data=data, actor=actor, now=now)
    return schedule_activity(session, data=data, actor=actor, now=now)
