"""Contact detail's actions on its tickets, deals and duplicates: resolve or comment on a
ticket, open one of the contact's deals, and merge a likely duplicate into the contact."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding

from tinycrm.screens.dialogs import ChoiceDialog, Field, FormDialog
from tinycrm.screens.record import RecordScreen

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.screens.contact import ContactView
    from tinycrm.services.dupes import DupePair, MergeResult
    from tinycrm.services.tickets import CommentRow, TicketRow

CSAT = ("none", "1", "2", "3", "4", "5")


def ticket_choice(t: TicketRow) -> str:
    return f"#{t.id} {t.subject}"


def number(choice: str) -> int:
    """The record id of a `#12 …` choice."""
    return int(choice.split()[0].lstrip("#"))


def dupe_line(pair: DupePair, contact_id: int) -> str:
    """The other contact of a pair, with what makes it look like a duplicate."""
    p = pair.other if pair.keep.id == contact_id else pair.keep
    found = " · ".join(x for x in (f"#{p.id} {p.name}", p.email, p.phone, p.company) if x)
    return f"{found}  ({pair.score}%: {', '.join(pair.reasons)})"


class ContactActions(RecordScreen):
    """Actions of contact detail on the records that hang off the contact."""

    NOUNS: ClassVar[dict[str, str]] = {
        "ticket.resolve": "ticket",
        "ticket.comment": "ticket",
        "deal.open": "deal",
    }
    BINDINGS = [
        Binding("x", "resolve", "Resolve", show=False, id="ticket.resolve"),
        Binding("m", "comment", "Comment", show=False, id="ticket.comment"),
        Binding("o", "open_deal", "Open", show=False, id="deal.open"),
        Binding("u", "duplicates", "Find duplicates", show=False, id="contact.duplicates"),
    ]

    contact_id: int
    view: ContactView | None

    def _done(self, message: str) -> None:
        self.notify(message)
        self.reload()

    def open_tickets(self) -> list[TicketRow]:
        return [] if self.view is None else [t for t in self.view.tickets if t.status == "open"]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Resolve only with an open ticket, comment with any, open a deal when there is one."""
        if action == "resolve":
            return bool(self.open_tickets())
        if action == "comment":
            return self.view is not None and bool(self.view.tickets)
        if action == "open_deal":
            return self.view is not None and bool(self.view.deals)
        return True

    def action_resolve(self) -> None:
        if not (tickets := self.open_tickets()):
            return
        fields = [
            Field("ticket", "Ticket", choices=tuple(ticket_choice(t) for t in tickets)),
            Field("article", "Solution article", placeholder="kb article id (optional)"),
            Field("csat", "Customer satisfaction (1-5)", "none", choices=CSAT),
        ]
        self.app.push_screen(FormDialog("Resolve ticket", fields), self._resolve)

    def _resolve(self, values: dict[str, str] | None) -> None:
        from tinycrm.services.tickets import resolve_ticket

        if values is None:
            return
        st, ref = self.state, number(values["ticket"])
        csat = None if values["csat"] == "none" else int(values["csat"])

        def job(session: Session) -> TicketRow:
            article = values.get("article", "").lstrip("#") or None
            return resolve_ticket(session, ref=ref, now=st.now(), article=article, csat=csat)

        self.db(job, lambda t: self._done(f"ticket #{t.id} resolved"), write=True)

    def action_comment(self) -> None:
        if self.view is None or not self.view.tickets:
            return
        tickets = self.open_tickets() + [t for t in self.view.tickets if t.status != "open"]
        fields = [
            Field("ticket", "Ticket", choices=tuple(ticket_choice(t) for t in tickets)),
            Field("body", "Comment", placeholder="what was said or done", required=True),
        ]
        self.app.push_screen(FormDialog("Comment on ticket", fields), self._comment)

    def _comment(self, values: dict[str, str] | None) -> None:
        from tinycrm.services.tickets import comment_ticket

        if values is None:
            return
        st, ref = self.state, number(values["ticket"])

        def job(session: Session) -> CommentRow:
            actor = st.actor(session)
            return comment_ticket(session, ref=ref, body=values["body"], now=st.now(), actor=actor)

        self.db(job, lambda c: self._done(f"comment added to ticket #{ref}"), write=True)

    def action_open_deal(self) -> None:
        from tinycrm.screens.deal import deal_line

        if self.view is None or not self.view.deals:
            return
        choices = [f"#{d.id} {deal_line(d)}" for d in self.view.deals]
        self.app.push_screen(ChoiceDialog("Open which deal?", choices), self._open_deal)

    def _open_deal(self, choice: str | None) -> None:
        from tinycrm.screens.deal import DealScreen

        if choice is not None:
            self.app.push_screen(DealScreen(number(choice)))

    def action_duplicates(self) -> None:
        from tinycrm.services.dupes import find_dupes

        me = self.contact_id

        def job(session: Session) -> list[DupePair]:
            return [p for p in find_dupes(session) if me in (p.keep.id, p.other.id)]

        self.db(job, self._pick_duplicate)

    def _pick_duplicate(self, pairs: list[DupePair]) -> None:
        if not pairs:
            self.notify("no likely duplicates of this contact")
            return
        choices = [dupe_line(p, self.contact_id) for p in pairs]
        self.app.push_screen(ChoiceDialog("Likely duplicates", choices), self._confirm_merge)

    def _confirm_merge(self, choice: str | None) -> None:
        if choice is None:
            return
        other = number(choice)
        yes = f"merge #{other} INTO this contact (#{other} is deleted)"
        self.app.push_screen(
            ChoiceDialog(f"Merge {choice.split('  (')[0]}?", [yes, "cancel"]),
            lambda answer: self._merge(other) if answer == yes else None,
        )

    def _merge(self, other: int) -> None:
        from tinycrm.services.dupes import merge_contacts

        st, keep = self.state, str(self.contact_id)

        def job(session: Session) -> MergeResult:
            return merge_contacts(session, keep=keep, other=str(other), now=st.now())

        def merged(m: MergeResult) -> None:
            moved = sum(m.moved.values())
            self._done(f"merged #{m.other_id} {m.other_name} into this contact ({moved} moved)")

        self.db(job, merged, write=True)
