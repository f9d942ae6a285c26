"""What the board and the deal screen share: moving a deal (a step, any stage with `m`, won
after a confirmation, lost with a reason), each checked against the version the screen
read, each undoable with ctrl+z while its notice shows.

A move refused because someone changed the deal since the screen read it says who changed
it and what they did, and the screen reloads; nothing is applied blindly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from functools import partial
from typing import TYPE_CHECKING

from tinycrm.errors import Changed, NeedsForce
from tinycrm.screens.base import CrmScreen
from tinycrm.screens.dialogs import ChoiceDialog, Field, FormDialog
from tinycrm.widgets.format import local
from tinycrm.widgets.history import entry_line

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.deal_rows import DealRow
    from tinycrm.services.stages import StageRow
    from tinycrm.services.undo import Undo

CANCEL = "cancel"


@dataclass(frozen=True)
class Target:
    """The deal a move is about, as the screen read it."""

    deal_id: int
    version: int
    title: str
    stage: str
    status: str = "open"


@dataclass(frozen=True)
class Moved:
    row: DealRow
    undo: Undo


@dataclass(frozen=True)
class Overtaken:
    """A move refused: the deal changed since it was read; `said` names who changed it."""

    said: str


Outcome = Moved | Overtaken | NeedsForce
Write = Callable[["Session", bool], "DealRow"]
"""A move given a session and whether it is forced."""


class DealMoves(CrmScreen):
    """A screen that moves one deal at a time: `target` says which, `apply` runs a move's
    job (and reloads as the screen does), `moved` shows its outcome."""

    def target(self) -> Target | None:
        raise NotImplementedError

    def apply(
        self, job: Callable[[Session], Outcome], t: Target, done: Callable[[Outcome], None]
    ) -> None:
        """Run `job` (a write), reload as the screen does, then `done(outcome)`."""
        raise NotImplementedError

    # --- the keys ---------------------------------------------------------------------------

    def action_step(self, step: int) -> None:
        from tinycrm.services.deals import step_deal

        if (t := self.target()) is None:
            return
        st = self.state

        def write(s: Session, force: bool) -> DealRow:
            return step_deal(s, ref=t.deal_id, step=step, actor=st.actor(s), now=st.now(),
                             version=t.version)  # fmt: skip

        self.move(t, write)

    def action_won(self) -> None:
        from tinycrm.services.deals import win_deal

        if (t := self.target()) is None or self._already(t, "won"):
            return
        st, yes = self.state, "mark it won"

        def write(s: Session, force: bool) -> DealRow:
            return win_deal(s, ref=t.deal_id, actor=st.actor(s), now=st.now(), version=t.version)

        question = f"Mark deal #{t.deal_id} {t.title!r} won? It is in {t.stage} now."
        self.ask(
            ChoiceDialog(question, [yes, CANCEL]),
            lambda answer: self.move(t, write) if answer == yes else None,
        )

    def action_lost(self) -> None:
        if (t := self.target()) is None or self._already(t, "lost"):
            return
        self._ask_reason(t, None)

    def _already(self, t: Target, status: str) -> bool:
        """Say so, rather than ask, when the deal already is won (or lost)."""
        if t.status != status:
            return False
        self.notify(f"deal #{t.deal_id} is already {status}; m moves it to another stage")
        return True

    def action_move(self) -> None:
        """Pick any stage, won and lost included: an open one reopens a closed deal."""
        from tinycrm.services.stages import list_stages

        if (t := self.target()) is None:
            return

        def pick(stages: list[StageRow]) -> None:
            names = {self._stage_label(s): s for s in stages if s.name != t.stage}
            dialog = ChoiceDialog(f"Move deal #{t.deal_id} {t.title!r} to", list(names))
            self.ask(dialog, lambda label: self._moved_to(t, names[label]) if label else None)

        self.db(list_stages, pick)

    @staticmethod
    def _stage_label(stage: StageRow) -> str:
        return stage.name if stage.kind == "open" else f"{stage.name} (close as {stage.kind})"

    def _moved_to(self, t: Target, stage: StageRow) -> None:
        from tinycrm.services.deals import move_deal

        if stage.kind == "lost":
            self._ask_reason(t, stage.name)
            return
        st = self.state

        def write(s: Session, force: bool) -> DealRow:
            return move_deal(s, ref=t.deal_id, stage=stage.name, actor=st.actor(s), now=st.now(),
                             force=force, version=t.version)  # fmt: skip

        self.move(t, write)

    def _ask_reason(self, t: Target, stage: str | None) -> None:
        """Ask why the deal was lost, then mark it lost (in `stage`, if a lost one is named)."""
        fields = [
            Field("reason", "Why was it lost?", placeholder="e.g. price, timing", required=True)
        ]
        self.ask(
            FormDialog(f"Mark deal #{t.deal_id} {t.title!r} lost", fields),
            partial(self._lose, t, stage),
        )

    def _lose(self, t: Target, stage: str | None, values: dict[str, str] | None) -> None:
        from tinycrm.services.deals import lose_deal, move_deal

        if values is None:
            return
        st, reason = self.state, values.get("reason") or None

        def write(s: Session, force: bool) -> DealRow:
            if stage is None:
                return lose_deal(s, ref=t.deal_id, reason=reason, actor=st.actor(s),
                                 now=st.now(), force=force, version=t.version)  # fmt: skip
            return move_deal(s, ref=t.deal_id, stage=stage, reason=reason, actor=st.actor(s),
                             now=st.now(), force=force, version=t.version)  # fmt: skip

        self.move(t, write, yes="mark it lost anyway")

    # --- running a move -------------------------------------------------------------------

    def move(
        self, t: Target, write: Write, force: bool = False, yes: str = "move it anyway"
    ) -> None:
        """Run `write` checked and undoable; a move that needs forcing asks first, `yes`
        being the answer that forces it."""
        st = self.state
        job = partial(self._job, t, write, force, st.tz)
        self.apply(job, t, partial(self.moved, t=t, write=write, yes=yes))

    @staticmethod
    def _job(t: Target, write: Write, force: bool, tz: tzinfo, session: Session) -> Outcome:
        from tinycrm.services.undo import deal_before, deal_undo

        try:
            before = deal_before(session, ref=t.deal_id)
            row = write(session, force)
            return Moved(row, deal_undo(session, before=before))
        except Changed as error:  # refused before writing anything
            return Overtaken(changed_by(session, t.deal_id, error, tz))
        except NeedsForce as refused:  # refused before writing anything
            return refused

    def moved(self, outcome: Outcome, *, t: Target, write: Write, yes: str) -> None:
        """Say what the move did (undoable), who overtook it, or ask to force it."""
        if isinstance(outcome, Moved):
            row = outcome.row
            said = f"marked {row.status}" if row.status != "open" else f"moved to {row.stage}"
            self.changed(f"deal #{row.id} {said}", outcome.undo)
        elif isinstance(outcome, Overtaken):
            self.notify(outcome.said, severity="warning", timeout=8)
        else:
            what, forced = outcome.what, outcome.forced
            question = f"{what[:1].upper()}{what[1:]}. Forced, this {forced}."
            self.ask(
                ChoiceDialog(question, [yes, CANCEL]),
                lambda answer: self.move(t, write, True, yes) if answer == yes else None,
            )


def changed_by(session: Session, deal_id: int, error: Changed, tz: tzinfo) -> str:
    """`deal #3 was changed by Priya Raman at 14:02 (move stage: lead → won); reloaded,
    nothing moved`: the deal's latest audit entry, if the reader may see it."""
    from tinycrm.services.audit import history

    latest = history(session, object="deals", record_id=deal_id)
    said = f"{error.record} was changed by someone else"
    if latest:
        last = latest[0]
        who = last.user or last.login or "someone else"
        said = f"{error.record} was changed by {who} at {local(last.at, tz)} ({entry_line(last)})"
    return f"{said}; reloaded, nothing moved"
