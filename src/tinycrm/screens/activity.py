"""Recent activity across the team, newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header

from tinycrm.screens.base import CrmScreen
from tinycrm.widgets.timeline import Timeline

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.activities import ActivityRow

LIMIT = 200


class ActivityScreen(CrmScreen):
    NOUN = "activity"
    BINDINGS = [Binding("r", "reload", "Reload", id="activity.reload")]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Timeline(id="activity-timeline")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"Activity (latest {LIMIT})"
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.db(_latest, self._show, group="activity", exclusive=True)

    def _show(self, rows: list[ActivityRow]) -> None:
        st = self.state
        self.query_one(Timeline).show(rows, tz=st.tz, now=st.now())


def _latest(session: Session) -> list[ActivityRow]:
    from tinycrm.services.activities import list_activities
    from tinycrm.services.filters import State

    return list_activities(session, state=State.done, limit=LIMIT)
