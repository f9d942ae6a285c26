"""What every screen shares: running service calls in thread workers and showing errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from weakref import WeakKeyDictionary

from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, get_current_worker

from tinycrm.errors import CrmError
from tinycrm.screens.dialogs import ChoiceDialog, FormDialog

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.context import AppState
    from tinycrm.services.undo import Undo

T = TypeVar("T")


def app_state(node: DOMNode) -> AppState:
    state: AppState = node.app.state  # type: ignore[attr-defined]
    return state


def run_db(
    node: DOMNode,
    job: Callable[[Session], T],
    done: Callable[[Any], Any] | None = None,
    *,
    write: bool = False,
    group: str = "db",
    exclusive: bool = False,
    then: Callable[[Session], Any] | None = None,
    retry: Callable[[CrmError], Any] | None = None,
) -> Worker[None]:
    """Run `job(session)` in a thread; hand its result to `done` on the event loop.

    With `then`, a second session (a reading one, after `job`'s commit) runs `then(session)`
    in the same thread and `done` gets that result instead: a change and the fresh view of
    it cost one trip. A `CrmError` becomes an error notification; a worker replaced by a
    newer one in the same exclusive group drops its result, so a slow old query never
    overwrites a newer answer. `retry(error)` runs after a `CrmError` (a form shown again)."""
    app = node.app
    state = app_state(node)

    def work() -> None:
        try:
            with state.session(write=write) as session:
                result = job(session)
            if then is not None:
                with state.session(write=False) as session:
                    result = then(session)
        except CrmError as exc:
            app.call_from_thread(app.notify, in_app(exc), severity="error", timeout=6)
            if retry is not None:
                app.call_from_thread(retry, exc)
            return
        except Exception as exc:  # a bug must not take the app down with the user's work
            app.call_from_thread(app.notify, f"unexpected error: {exc}", severity="error")
            return
        if done is not None and not get_current_worker().is_cancelled:
            app.call_from_thread(done, result)

    return node.run_worker(work, thread=True, group=group, exclusive=exclusive, exit_on_error=False)


HINTS = {
    "acting user": "; start the app as you (crm --as USER) or set CRM_USER; "
    "A assigns it to someone",
}
"""What would let a refused change through (an error's `use`) -> the app's advice; an
option the app does not have (`allow overpay`) has none."""


def in_app(error: CrmError) -> str:
    """A service's error as the app says it: each field by its name, and the app's advice."""
    return error.said(hints=HINTS)


UNDO_SECONDS = 8.0
"""How long a change's notice shows, and so how long ctrl+z can take it back."""


@dataclass(frozen=True)
class LastChange:
    undo: Undo
    until: float
    """`monotonic()` time after which the change can no longer be undone."""


_LAST: WeakKeyDictionary[DOMNode, LastChange] = WeakKeyDictionary()
"""The app's last undoable change, per app."""


def remember_change(node: DOMNode, message: str, undo: Undo | None) -> None:
    """Say what changed; with `undo`, ctrl+z takes it back while the notice shows. Any
    change said here replaces the one ctrl+z would have taken back."""
    app = node.app
    _LAST.pop(app, None)
    if undo is None:
        app.notify(message)
        return
    _LAST[app] = LastChange(undo, monotonic() + UNDO_SECONDS)
    app.notify(f"{message} · ctrl+z undoes", timeout=UNDO_SECONDS)


def undo_last(node: DOMNode, done: Callable[[], Any]) -> None:
    """Take back the app's last change while its notice shows, through the services (so
    it is checked and recorded like any change); `done` runs after (a screen's reload)."""
    from tinycrm.services.undo import take_back

    app, last = node.app, _LAST.pop(node.app, None)
    if last is None or monotonic() > last.until:
        app.notify("nothing to undo", severity="warning")
        return
    state = app_state(node)

    def job(session: Session) -> str:
        return take_back(session, undo=last.undo, actor=state.actor(session), now=state.now())

    def undone(said: str) -> None:
        app.notify(f"undone: {said}")
        done()

    run_db(app, job, undone, write=True, group="undo")


class CrmScreen(Screen[None]):
    """A screen of the app; `NOUN` prefixes its actions in the command palette, and `NOUNS`
    (binding id -> noun) names another record an action is about (`lead: Claim`)."""

    NOUN = "app"
    NOUNS: ClassVar[dict[str, str]] = {}
    _retry: Callable[[CrmError], Any] | None = None
    """While a form's answer is handled: how to show that form again, as it was filled in."""

    @property
    def state(self) -> AppState:
        return app_state(self)

    def db(
        self,
        job: Callable[[Session], T],
        done: Callable[[Any], Any] | None = None,
        *,
        write: bool = False,
        group: str = "db",
        exclusive: bool = False,
        then: Callable[[Session], Any] | None = None,
    ) -> Worker[None]:
        """`run_db` for this screen; a change started from a form's answer (see `ask`) that
        the services refuse brings the form back with what was typed."""
        return run_db(
            self, job, done, write=write, group=group, exclusive=exclusive, then=then,
            retry=self._retry,
        )  # fmt: skip

    def changed(self, message: str, undo: Undo | None = None) -> None:
        """Say what a change did; with `undo`, ctrl+z takes it back while this shows."""
        remember_change(self, message, undo)

    def choose(
        self,
        title: str,
        items: list[T],
        label: Callable[[T], str],
        then: Callable[[T], Any],
        *,
        one_asks: bool = False,
    ) -> None:
        """`then(item)` for the one of `items` the user picks by its `label`; with a single
        item, that one straight away (unless `one_asks`: a removal still asks)."""
        if len(items) == 1 and not one_asks:
            then(items[0])
            return
        labels = [label(item) for item in items]

        def picked(choice: str | None) -> None:
            if choice is not None:
                then(items[labels.index(choice)])

        self.ask(ChoiceDialog(title, labels), picked)

    def ask(self, dialog: ModalScreen[Any], answered: Callable[[Any], Any]) -> None:
        """Show a dialog and hand its answer to `answered`. A form comes back, filled in as
        it was, when the change its answer starts is refused: a typo costs one fix, not
        the whole form."""

        def reply(result: Any) -> None:
            if isinstance(dialog, FormDialog) and result is not None:

                def again(exc: CrmError) -> None:
                    self.ask(dialog.again(result, focus=exc.field), answered)

                self._retry = again
            try:
                answered(result)
            finally:
                self._retry = None

        self.app.push_screen(dialog, reply)
