"""What deal, contact and company detail share: logging and scheduling activities about the
record, its History panel, and an edit form that someone else's save overtook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from textual.binding import Binding

from tinycrm.errors import Changed
from tinycrm.screens.base import CrmScreen
from tinycrm.screens.dialogs import ChoiceDialog, Field, FormDialog
from tinycrm.widgets.format import local
from tinycrm.widgets.history import AuditHistory, entry_line

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.audit import EntryRow

T = TypeVar("T")

LOGGED = ("call", "email", "meeting", "note")
SCHEDULED = ("task", "call", "meeting", "email")
RELOAD, KEEP = "Reload", "Keep editing"


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

    def guarded(self, job: Callable[[Session], T]) -> Callable[[Session], T | Stale]:
        """`job`, an edit made with the version its form read: refused (`Changed`) when
        someone saved since, it changes nothing and answers who changed what instead."""

        def run(session: Session) -> T | Stale:
            try:
                return job(session)
            except Changed as error:  # refused before writing anything
                latest = self.history(session)
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
        fields = [
            Field("subject", "Subject", placeholder="what happened"),
            Field("kind", "Kind", kind, choices=(kind, *(k for k in LOGGED if k != kind))),
            Field("body", "Notes"),
            Field("when", "When", placeholder="now (or e.g. today 10:30, yesterday)"),
        ]
        self.ask(FormDialog("Log activity", fields), partial(self._save, done=True))

    def action_schedule(self) -> None:
        fields = [
            Field("subject", "Subject", placeholder="e.g. send the revised quote"),
            Field("kind", "Kind", "task", choices=SCHEDULED),
            Field("when", "Due", "tomorrow"),
            Field("body", "Notes"),
        ]
        self.ask(FormDialog("Schedule follow-up", fields), partial(self._save, done=False))

    def _save(self, values: dict[str, str] | None, *, done: bool) -> None:
        from tinycrm.models import ActivityCreate, ActivityKind
        from tinycrm.services.activities import log_activity, schedule_activity

        if values is None:
            return
        st, link = self.state, self.link()

        def job(session: Session) -> str:
            text = values.get("when") or None
            when = st.when(text, "when") if done else st.due(text, "due")
            data = ActivityCreate(
                kind=ActivityKind(values["kind"]),
                subject=values.get("subject", ""),
                body=values.get("body") or None,
                done_at=when if done else None,
                due_at=None if done else when,
                **link,
            )
            actor, now = st.actor(session), st.now()
            if done:
                return log_activity(session, data=data, actor=actor, now=now).subject
            return schedule_activity(session, data=data, actor=actor, now=now).subject

        def saved(subject: str) -> None:
            self.notify(f"{'logged' if done else 'scheduled'}: {subject}")
            self.reload()

        self.db(job, saved, write=True)
