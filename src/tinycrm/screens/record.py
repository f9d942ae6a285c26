"""What deal and contact detail share: logging and scheduling activities about the record."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from tinycrm.screens.base import CrmScreen
from tinycrm.screens.dialogs import Field, FormDialog

if TYPE_CHECKING:
    from sqlmodel import Session

LOGGED = ("call", "email", "meeting", "note")
SCHEDULED = ("task", "call", "meeting", "email")


class RecordScreen(CrmScreen):
    """A detail screen of one record; subclasses say how an activity links to it."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="record.back"),
        Binding("a", "log", "Log activity", id="record.log"),
        Binding("s", "schedule", "Schedule follow-up", id="record.schedule"),
        Binding("e", "edit", "Edit", id="record.edit"),
        Binding("r", "reload", "Reload", show=False, id="record.reload"),
    ]

    def link(self) -> dict[str, Any]:
        """`ActivityCreate` fields that tie an activity to this record."""
        raise NotImplementedError

    def reload(self) -> None:
        raise NotImplementedError

    def action_reload(self) -> None:
        self.reload()

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
