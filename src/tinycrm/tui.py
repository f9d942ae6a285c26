"""The Textual app behind `crm tui`: seven modes (board, contacts, calendar, reports,
activity, campaigns, companies), the key help, the jump box (ctrl+k) and a command palette
that reaches every action by name; on start, contracts that renew by themselves roll over."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual.actions import parse as parse_action
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen

from tinycrm.screens.activity import ActivityScreen
from tinycrm.screens.base import undo_last
from tinycrm.screens.board import BoardScreen
from tinycrm.screens.calendar import CalendarScreen
from tinycrm.screens.campaigns import CampaignsScreen
from tinycrm.screens.companies import CompaniesScreen
from tinycrm.screens.contacts import ContactsScreen, contact_list
from tinycrm.screens.dialogs import ChoiceDialog, HelpScreen
from tinycrm.screens.jump import JumpScreen, open_hit
from tinycrm.screens.reports import ReportsScreen

if TYPE_CHECKING:
    from tinycrm.context import AppState
    from tinycrm.services.access import Actor
    from tinycrm.services.contracts import ContractRow

MODE_TITLES = {
    "board": "Pipeline board",
    "contacts": "Contacts",
    "calendar": "Calendar",
    "reports": "Reports",
    "activity": "Activity",
    "campaigns": "Campaigns",
    "companies": "Companies",
}


class CrmApp(App[None]):
    TITLE = "tinycrm"
    CSS_PATH = "tui.tcss"
    MODES: ClassVar[dict[str, Any]] = {
        "board": BoardScreen,
        "contacts": ContactsScreen,
        "calendar": CalendarScreen,
        "reports": ReportsScreen,
        "activity": ActivityScreen,
        "campaigns": CampaignsScreen,
        "companies": CompaniesScreen,
    }
    DEFAULT_MODE = "board"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "mode('board')", show=False, description="Board", id="app.board"),
        Binding("2", "mode('contacts')", show=False, description="Contacts", id="app.contacts"),
        Binding("3", "mode('calendar')", show=False, description="Calendar", id="app.calendar"),
        Binding("4", "mode('reports')", show=False, description="Reports", id="app.reports"),
        Binding("5", "mode('activity')", show=False, description="Activity", id="app.activity"),
        Binding("6", "mode('campaigns')", show=False, description="Campaigns", id="app.campaigns"),
        Binding("7", "mode('companies')", show=False, description="Companies", id="app.companies"),
        Binding(
            "ctrl+k",
            "jump",
            "Jump",
            show=False,
            tooltip="Jump to a contact, company, deal or ticket",
            priority=True,
            id="app.jump",
        ),
        Binding("question_mark,f1", "help", "Keys", key_display="?", id="app.help"),
        Binding(
            "ctrl+z", "undo", "Undo", show=False, tooltip="Undo the last change", id="app.undo"
        ),
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit"),
    ]

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        state.source = "app"  # what the audit log says the app's changes came from

    def on_mount(self) -> None:
        from tinycrm.errors import CrmError

        try:
            acting = self._show_who()
        except CrmError as exc:  # a named user that is not there: each action says so too
            self.notify(exc.message, severity="error")
            return
        if acting is None and (names := self._people()):
            self.push_screen(ChoiceDialog("Who are you?", names), self._chosen)
        else:
            self.roll_over()

    def _people(self) -> list[str]:
        """The active users to pick from, when nobody is named and there are any."""
        from sqlmodel import col, select

        from tinycrm.models import User

        with self.state.session(write=False) as session:
            found = session.scalars(select(User.name).where(col(User.active)).order_by(User.name))
            return list(found)

    def _chosen(self, name: str | None) -> None:
        """Act as the chosen user from now on, and remember them (the config's `user`), so
        the app asks only once; contracts then roll over for whoever acts (see
        `roll_over`)."""
        if name is not None:
            from tinycrm.config import remember

            self.state.as_user = name
            self.state.forget_access()
            remember("user", name)
            self._show_who()
            if callable(reload := getattr(self.screen, "reload", None)):
                reload()
        self.roll_over()

    def roll_over(self) -> None:
        """Contracts that renew by themselves and whose term has ended get their next term,
        for the acting user, as before the CLI shows contracts (`services.contracts.
        roll_over`); in a thread, so that the first screen never waits for it."""
        self.run_worker(self._roll_over, thread=True, group="rollover", exit_on_error=False)

    def _roll_over(self) -> None:
        """Silent when nothing rolled over, and when the change is refused (not this user's
        to make: skipped, as the CLI skips it); anything else is a warning, never a crash."""
        from tinycrm.errors import CrmError
        from tinycrm.services.contracts import roll_over

        st = self.state
        try:
            with st.session(write=True) as session:
                made = roll_over(session, today=st.today(), now=st.now())
        except CrmError:
            return
        except Exception as exc:
            self.call_from_thread(self.notify, f"contracts not renewed: {exc}", severity="warning")
            return
        if made:
            self.call_from_thread(self._rolled, made)

    def _rolled(self, made: list[ContractRow]) -> None:
        """Say which contracts renewed themselves; a screen showing contracts shows them
        again."""
        from tinycrm.screens.customer_actions import CustomerActions

        if len(made) == 1:
            c = made[0]
            said = (f"contract #{c.renewed_from_id} renewed by itself: its next term #{c.id} "
                    f"runs {c.starts_on} to {c.ends_on}")  # fmt: skip
        else:
            terms = ", ".join(f"#{c.id}" for c in made)
            said = f"{len(made)} contracts renewed by themselves (next terms {terms})"
        self.notify(said)
        if isinstance(self.screen, CustomerActions):
            self.screen.reload()

    def _show_who(self) -> Actor | None:
        acting = self.state.access()
        self.title = f"tinycrm · {acting.name} ({acting.role})" if acting else "tinycrm"
        return acting

    def action_mode(self, mode: str) -> None:
        self.switch_mode(mode)

    def action_jump(self) -> None:
        """The jump box over the screen; not over a dialog (a form, the help, itself)."""
        if not isinstance(self.screen, ModalScreen):
            self.push_screen(JumpScreen(), partial(open_hit, self))

    def action_undo(self) -> None:
        """Take back the last change while its notice shows; the screen shows it after."""

        def reload() -> None:
            if callable(reload := getattr(self.screen, "reload", None)):
                reload()

        undo_last(self, reload)

    def action_reclaim(self) -> None:
        """From anywhere: the contact list asks, moves, and shows the list after."""
        contact_list(self).action_reclaim()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.key_sections(self.screen)))

    def key_sections(self, screen: Screen[Any]) -> list[tuple[str, list[tuple[str, str]]]]:
        noun = getattr(screen, "NOUN", "screen")
        sections = [
            (f"{noun} ({screen.sub_title or type(screen).__name__})", self._keys(screen)),
        ]
        if screen.focused is not None and (keys := self._keys(screen.focused, own=True)):
            sections.append(("in the focused panel", keys))
        if named := [("", title) for title, _ in getattr(screen, "extra_commands", list)()]:
            sections.append(("by name only (ctrl+p)", named))
        sections.append(("everywhere", self._keys(self)))  # ctrl+p is the app's binding
        return sections

    def _keys(self, node: Any, *, own: bool = False) -> list[tuple[str, str]]:
        """(key, what it does) of a node's enabled bindings; `own`: only the app's, not
        Textual's. An action on another noun than the screen's says which (`lead: Claim`)."""
        keys = []
        for b in enabled_bindings(node):
            if own and not b.id:
                continue
            what = b.tooltip or b.description
            if b.id in getattr(node, "NOUNS", {}):
                what = f"{node.NOUNS[b.id]}: {what}"
            keys.append((self.get_key_display(b), what))
        seen: dict[str, list[str]] = {}
        for key, what in keys:
            seen.setdefault(what, []).append(key)
        return [(" ".join(dict.fromkeys(k)), what) for what, k in seen.items() if what]

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, title in MODE_TITLES.items():
            yield SystemCommand(
                f"go: {title}", f"Switch to the {title.lower()}", partial(self.action_mode, mode)
            )
        yield SystemCommand(
            "pool: Reclaim stale leads",
            "Return leads (and deals) with no activity for a while to the pool",
            self.action_reclaim,
        )
        noun = getattr(screen, "NOUN", "screen")
        owners: list[Any] = [screen]
        if screen.focused is not None:  # e.g. the calendar's month grid
            owners.insert(0, screen.focused)
        seen: set[str] = set()
        for owner in owners:
            for b in enabled_bindings(owner):
                if b.description and b.id and b.id not in seen:
                    seen.add(b.id)
                    yield SystemCommand(
                        f"{getattr(owner, 'NOUNS', {}).get(b.id, noun)}: "
                        f"{b.tooltip or b.description}",
                        f"key {self.get_key_display(b)}",
                        partial(owner.run_action, b.action),
                    )
        for title, callback in getattr(screen, "extra_commands", list)():
            yield SystemCommand(f"{noun}: {title}", title, callback)


def enabled_bindings(node: Any) -> Iterator[Binding]:
    """A node's bindings, less those its `check_action` hides (a lead's actions on a
    customer, a payment on a deal with no order)."""
    for bindings in node._bindings.key_to_bindings.values():
        for b in bindings:
            _, name, params = parse_action(b.action)
            if node.check_action(name, params) is not False:
                yield b


def run(state: AppState) -> None:
    CrmApp(state).run()
