"""What contact and company detail do with the records that hang off them: open, resolve,
reopen, rate or comment on a ticket (the solution article found by words in the knowledge
base), read the knowledge base and open one of the deals; and contact detail's merge of a
likely duplicate into the contact."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from textual.binding import Binding

from tinycrm.screens.customer_actions import CustomerActions
from tinycrm.screens.dialogs import ChoiceDialog, Field, FormDialog

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.screens.kb import Picked
    from tinycrm.services.deal_rows import DealRow
    from tinycrm.services.dupes import DupePair, MergeResult
    from tinycrm.services.tickets import CommentRow, TicketRow

CSAT = ("none", "1", "2", "3", "4", "5")
SCORES = CSAT[1:]
PRIORITIES = ("normal", "high", "urgent", "low")


class RecordView(Protocol):
    """What a detail screen has loaded about its record's tickets and deals."""

    @property
    def tickets(self) -> list[TicketRow]: ...

    @property
    def deals(self) -> list[DealRow]: ...


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


class ServiceActions(CustomerActions):
    """Tickets, the knowledge base and deals from a contact's or a company's detail."""

    NOUNS: ClassVar[dict[str, str]] = {
        **CustomerActions.NOUNS,
        "ticket.resolve": "ticket",
        "ticket.reopen": "ticket",
        "ticket.rate": "ticket",
        "ticket.comment": "ticket",
        "deal.open": "deal",
        "kb.search": "kb",
    }
    BINDINGS = [
        Binding("t", "ticket", "Open ticket", id="record.ticket"),
        Binding("x", "resolve", "Resolve", show=False, id="ticket.resolve"),
        Binding("X", "reopen", "Reopen", show=False, id="ticket.reopen"),
        Binding(
            "v", "rate", "Rate", tooltip="Rate satisfaction (1-5)", show=False, id="ticket.rate"
        ),
        Binding("m", "comment", "Comment", show=False, id="ticket.comment"),
        Binding("o", "open_deal", "Open", show=False, id="deal.open"),
        Binding(
            "k", "kb", "Search", tooltip="Search and read articles", show=False, id="kb.search"
        ),
    ]

    view: RecordView | None

    def ticket_link(self) -> dict[str, Any]:
        """`open_ticket` arguments that tie a new ticket to this record."""
        raise NotImplementedError

    def _done(self, message: str) -> None:
        self.notify(message)
        self.reload()

    def tickets(self, *, resolved: bool) -> list[TicketRow]:
        if self.view is None:
            return []
        return [t for t in self.view.tickets if (t.status == "resolved") == resolved]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Resolve only with an open ticket, reopen and rate with a resolved one, comment
        with any, open a deal when there is one; see `customer_action` for the rest."""
        if (applies := self.customer_action(action)) is not None:
            return applies
        if action == "resolve":
            return bool(self.tickets(resolved=False))
        if action in ("reopen", "rate"):
            return bool(self.tickets(resolved=True))
        if action == "comment":
            return self.view is not None and bool(self.view.tickets)
        if action == "open_deal":
            return self.view is not None and bool(self.view.deals)
        return True

    def action_ticket(self) -> None:
        fields = [
            Field("subject", "Subject", placeholder="what the customer needs", required=True),
            Field("priority", "Priority", "normal", choices=PRIORITIES),
            Field("body", "Details"),
        ]
        self.ask(FormDialog("Open ticket", fields), self._open_ticket)

    def _open_ticket(self, values: dict[str, str] | None) -> None:
        from tinycrm.services.tickets import open_ticket, priority_of, sla_hours

        if values is None:
            return
        st, link = self.state, self.ticket_link()

        def job(session: Session) -> TicketRow:
            return open_ticket(
                session,
                subject=values["subject"],
                priority=priority_of(values["priority"]),
                sla=sla_hours(st.settings.extra.get("sla_hours")),
                body=values.get("body") or None,
                actor=st.actor(session),
                now=st.now(),
                **link,
            )

        self.db(job, lambda t: self._done(f"ticket #{t.id} opened: {t.subject}"), write=True)

    def action_resolve(self) -> None:
        if not (tickets := self.tickets(resolved=False)):
            return
        fields = [
            Field("ticket", "Ticket", choices=tuple(ticket_choice(t) for t in tickets)),
            Field(
                "article", "Solution article", placeholder="words to find it in the kb (optional)"
            ),
            Field("csat", "Customer satisfaction (1-5)", "none", choices=CSAT),
        ]
        self.ask(FormDialog("Resolve ticket", fields), self._find_article)

    def _find_article(self, values: dict[str, str] | None) -> None:
        """Resolve at once without article words (or with `#id`); else let the user pick
        among the articles the words find."""
        from tinycrm.screens.kb import KbDialog, Picked

        if values is None:
            return
        words = values.get("article", "")
        if not words or words.lstrip("#").isdigit():
            self._resolve(values, Picked(int(words.lstrip("#")) if words else None))
            return
        self.app.push_screen(
            KbDialog(words, pick=True), lambda picked: self._resolve(values, picked)
        )

    def _resolve(self, values: dict[str, str], picked: Picked | None) -> None:
        from tinycrm.services.followups import followup_days
        from tinycrm.services.tickets import resolve_ticket

        if picked is None:
            return
        st, ref = self.state, number(values["ticket"])
        csat = None if values["csat"] == "none" else int(values["csat"])

        def job(session: Session) -> TicketRow:
            days = followup_days(st.settings.extra.get("followup_days"))
            return resolve_ticket(
                session, ref=ref, now=st.now(), article=picked.article_id, csat=csat,
                followup_in=days, today=st.today(),
            )  # fmt: skip

        def done(t: TicketRow) -> None:
            self._done(f"ticket #{t.id} resolved" + (f" with: {t.article}" if t.article else ""))

        self.db(job, done, write=True)

    def action_reopen(self) -> None:
        if not (tickets := self.tickets(resolved=True)):
            return
        fields = [
            Field("ticket", "Ticket", choices=tuple(ticket_choice(t) for t in tickets)),
            Field("reason", "Why reopen it?", placeholder="e.g. the fix did not hold (optional)"),
        ]
        self.ask(FormDialog("Reopen ticket", fields), self._reopen)

    def _reopen(self, values: dict[str, str] | None) -> None:
        from tinycrm.services.tickets import reopen_ticket, sla_hours

        if values is None:
            return
        st, ref = self.state, number(values["ticket"])

        def job(session: Session) -> TicketRow:
            return reopen_ticket(
                session,
                ref=ref,
                now=st.now(),
                sla=sla_hours(st.settings.extra.get("sla_hours")),
                reason=values.get("reason", ""),
                actor=st.actor(session),
            )

        self.db(job, lambda t: self._done(f"ticket #{t.id} reopened"), write=True)

    def action_rate(self) -> None:
        if not (tickets := self.tickets(resolved=True)):
            return
        fields = [
            Field("ticket", "Ticket", choices=tuple(ticket_choice(t) for t in tickets)),
            Field("csat", "Customer satisfaction (1-5)", "5", choices=SCORES),
        ]
        self.ask(FormDialog("Rate ticket", fields), self._rate)

    def _rate(self, values: dict[str, str] | None) -> None:
        from tinycrm.services.tickets import rate_ticket

        if values is None:
            return
        st, ref, score = self.state, number(values["ticket"]), int(values["csat"])
        self.db(
            lambda s: rate_ticket(s, ref=ref, score=score, now=st.now()),
            lambda t: self._done(f"ticket #{t.id} rated {t.csat}/5"),
            write=True,
        )

    def action_comment(self) -> None:
        if self.view is None or not self.view.tickets:
            return
        tickets = self.tickets(resolved=False) + self.tickets(resolved=True)
        fields = [
            Field("ticket", "Ticket", choices=tuple(ticket_choice(t) for t in tickets)),
            Field("body", "Comment", placeholder="what was said or done", required=True),
        ]
        self.ask(FormDialog("Comment on ticket", fields), self._comment)

    def _comment(self, values: dict[str, str] | None) -> None:
        from tinycrm.services.tickets import comment_ticket

        if values is None:
            return
        st, ref = self.state, number(values["ticket"])

        def job(session: Session) -> CommentRow:
            actor = st.actor(session)
            return comment_ticket(session, ref=ref, body=values["body"], now=st.now(), actor=actor)

        self.db(job, lambda c: self._done(f"comment added to ticket #{ref}"), write=True)

    def action_kb(self) -> None:
        from tinycrm.screens.kb import KbDialog

        self.app.push_screen(KbDialog())

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


class ContactActions(ServiceActions):
    """Contact detail's actions on its tickets and deals, and on its likely duplicates."""

    BINDINGS = [
        Binding("u", "duplicates", "Find duplicates", show=False, id="contact.duplicates"),
    ]

    contact_id: int

    def ticket_link(self) -> dict[str, Any]:
        return {"contact": str(self.contact_id)}

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
