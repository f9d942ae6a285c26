"""What contact and company detail show and do about the customer's standing: its contracts
(a Contracts section, hidden when there are none), redeeming its points (as `crm points
redeem`) and recording the follow-up calls of its tickets and orders (as `crm followup done`;
the calendar records one with the same form)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from textual.binding import Binding
from textual.widgets import Static

from tinycrm.screens.base import CrmScreen
from tinycrm.screens.dialogs import Field, FormDialog
from tinycrm.screens.record import RecordScreen
from tinycrm.widgets.format import figure

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.contracts import ContractRow
    from tinycrm.services.followups import FollowUpRow

SCORES = ("none", "1", "2", "3", "4", "5")


@dataclass(frozen=True)
class Standing:
    """A customer's contracts and its follow-ups not done yet."""

    contracts: list[ContractRow]
    followups: list[FollowUpRow]


def standing(session: Session, *, today: Any, kind: str, id: int) -> Standing:
    """What `CustomerActions` shows of the contact or company (`kind`) `id`."""
    from tinycrm.services.contracts import customer_contracts
    from tinycrm.services.followups import customer_followups

    who = {kind: id}
    return Standing(
        customer_contracts(session, today=today, **who),
        customer_followups(session, today=today, **who),
    )


def contracts_table(rows: list[ContractRow]) -> Table:
    """Contracts with their term, value, status and notice date; open ones past their
    notice date in bold."""
    table = Table(expand=True, box=None, header_style="bold")
    for name in ("contract", "order", "term", "value", "status", "notice by"):
        table.add_column(
            name, no_wrap=name != "term", justify="right" if name == "value" else "left"
        )
    for c in rows:
        table.add_row(
            f"#{c.id}", f"#{c.order_id}", f"{c.starts_on} – {c.ends_on}",
            figure(c.value, code=True), c.status, str(c.notice_on),
        )  # fmt: skip
    return table


def followup_choice(f: FollowUpRow) -> str:
    return f"#{f.id} {f.subject} (due {f.due_on}, {f.state})"


class CustomerActions(RecordScreen):
    """A contact's or company's screen: `CUSTOMER` is its kind and `standing` what it has
    last read (None before)."""

    CUSTOMER = ""
    NOUNS: ClassVar[dict[str, str]] = {"followup.done": "follow-up"}
    BINDINGS = [
        Binding("P", "redeem", "Redeem", show=False, tooltip="Redeem points", id="points.redeem"),
        Binding("F", "followup", "Follow-up call", show=False,
                tooltip="Record a follow-up call (outcome, satisfaction)", id="followup.done"),
    ]  # fmt: skip
    standing: Standing | None = None

    def show_contracts(self) -> None:
        """Fill the Contracts section (`#CUSTOMER-contracts`), hidden with its title when
        there are none."""
        rows = self.standing.contracts if self.standing is not None else []
        for part in (f"#{self.CUSTOMER}-contracts-title", f"#{self.CUSTOMER}-contracts"):
            self.query_one(part).display = bool(rows)
        if rows:
            self.query_one(f"#{self.CUSTOMER}-contracts", Static).update(contracts_table(rows))

    def customer_action(self, action: str) -> bool | None:
        """Whether a standing action applies now (None: not one of them)."""
        if action == "followup":
            return self.standing is not None and bool(self.standing.followups)
        return True if action == "redeem" else None

    def action_redeem(self) -> None:
        fields = [
            Field("points", "Points to redeem", placeholder="at most the balance", required=True),
            Field("note", "Note", placeholder="what they were redeemed for (optional)"),
        ]
        self.ask(FormDialog("Redeem points", fields), self._redeem)

    def _redeem(self, values: dict[str, str] | None) -> None:
        from tinycrm.errors import InvalidInput
        from tinycrm.services.loyalty.actions import redeem_points

        if values is None:
            return
        st, ref = self.state, f"{self.CUSTOMER}:{self.record_id()}"

        def job(session: Session) -> tuple[int, int]:
            text = values["points"].replace(",", "").strip()
            if not text.lstrip("-").isdigit():
                raise InvalidInput("points to redeem", values["points"], "not a whole number")
            amount = int(text)
            left = redeem_points(session, ref=ref, points=amount, note=values["note"] or None,
                                 today=st.today(), now=st.now())  # fmt: skip
            return amount, left

        def done(got: tuple[int, int]) -> None:
            self.notify(f"{got[0]:,} points redeemed: {got[1]:,} left")
            self.reload()

        self.db(job, done, write=True)

    def action_followup(self) -> None:
        due = self.standing.followups if self.standing is not None else []
        if due:
            self.ask(followup_form(due), partial(record_followup, self, after=self.reload))


def followup_form(due: list[FollowUpRow]) -> FormDialog:
    """The form recording one of the follow-up calls `due`: which, its outcome and the
    customer's satisfaction."""
    fields = [
        Field("call", "Follow-up", choices=tuple(followup_choice(f) for f in due)),
        Field("outcome", "Outcome", placeholder="what the call found"),
        Field("score", "Satisfaction (1-5)", "none", choices=SCORES),
    ]
    return FormDialog("Record a follow-up call", fields)


def record_followup(
    screen: CrmScreen, values: dict[str, str] | None, *, after: Callable[[], Any]
) -> None:
    """Record the call `followup_form` was answered with (as `crm followup done`), say so,
    then `after()` (the screen's reload)."""
    from tinycrm.services.followups import complete_followup

    if values is None:
        return
    st = screen.state
    ref = int(values["call"].split()[0].lstrip("#"))
    score = None if values["score"] == "none" else int(values["score"])

    def job(session: Session) -> FollowUpRow:
        return complete_followup(
            session, ref=ref, outcome=values["outcome"] or None, satisfaction=score,
            now=st.now(), today=st.today(),
        )  # fmt: skip

    def done(f: FollowUpRow) -> None:
        rated = f", satisfaction {f.satisfaction}/5" if f.satisfaction else ""
        screen.notify(f"follow-up #{f.id} done: {f.subject}{rated}")
        after()

    screen.db(job, done, write=True)
