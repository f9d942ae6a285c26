"""One contact: fields (with lifecycle and campaign), company, their deals, orders and
tickets, their activity timeline and History (the audit log); leads claimed, assigned,
qualified or dropped from here, and the contact's company opened (tickets, the knowledge
base, deals opened and duplicates merged: contact_actions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from tinycrm.screens.contact_actions import ContactActions, number
from tinycrm.screens.contact_form import contact_update, custom_keys, edit_fields
from tinycrm.screens.customer_actions import Standing, standing
from tinycrm.screens.deal import deal_line, fields_table, orders_table
from tinycrm.screens.dialogs import ChoiceDialog, Field, FormDialog
from tinycrm.screens.record import Stale
from tinycrm.widgets.format import local
from tinycrm.widgets.history import AuditHistory
from tinycrm.widgets.timeline import Timeline

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.activities import ActivityRow
    from tinycrm.services.audit import EntryRow
    from tinycrm.services.contacts import ContactDetail
    from tinycrm.services.deal_rows import DealRow
    from tinycrm.services.orders import OrderRow
    from tinycrm.services.tickets import TicketRow
    from tinycrm.services.users import UserRow

LEAD_ACTIONS = ("claim", "assign", "qualify", "drop")


@dataclass(frozen=True)
class ContactView:
    detail: ContactDetail
    deals: list[DealRow]
    timeline: list[ActivityRow]
    lifecycle: str | None
    orders: list[OrderRow]
    tickets: list[TicketRow]
    audit: list[EntryRow]
    standing: str | None = None
    """Membership tier and points (services.loyalty), None when they have neither."""
    customer: Standing | None = None
    """Their contracts and follow-ups not done yet."""


def standing_line(session: Session, *, kind: str, id: int) -> str | None:
    """ "Gold · 1,200 points" for a company or contact in a tier or holding points."""
    from tinycrm.services.loyalty.actions import standing_of

    tier, points = standing_of(session, kind=kind, id=id)
    if tier is None and not points:
        return None
    return f"{tier or 'no tier'} · {points:,} points"


def tickets_table(rows: list[TicketRow], tz: tzinfo) -> Table | str:
    """Tickets with their state and when they are due (resolved ones: when resolved);
    overdue ones in bold."""
    if not rows:
        return "—"
    table = Table(expand=True, box=None, header_style="bold")
    for name in ("ticket", "subject", "priority", "state", "due or resolved"):
        table.add_column(name, no_wrap=name != "subject", overflow="fold")
    for t in rows:
        table.add_row(
            f"#{t.id}", t.subject, t.priority, t.state,
            local(t.resolved_at if t.state == "resolved" else t.due_at, tz),
            style="bold" if t.state == "overdue" else "",
        )  # fmt: skip
    return table


class ContactScreen(ContactActions):
    NOUN = "contact"
    CUSTOMER = "contact"
    AUDIT = "contacts"
    NOUNS: ClassVar[dict[str, str]] = {
        **ContactActions.NOUNS,
        **{f"lead.{a}": "lead" for a in LEAD_ACTIONS},
    }
    BINDINGS = [
        Binding("c", "claim", "Claim", id="lead.claim"),
        Binding("q", "qualify", "Qualify", id="lead.qualify"),
        Binding("d", "drop", "Drop", id="lead.drop"),
        Binding("A", "assign", "Assign", tooltip="Assign to a user", show=False, id="lead.assign"),
        Binding("g", "company", "Open company", show=False, id="contact.company"),
    ]

    def __init__(self, contact_id: int) -> None:
        super().__init__()
        self.contact_id = contact_id
        self.view: ContactView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(classes="detail-body"):
            yield Static("loading…", id="contact-fields", classes="detail-fields")
            yield Static("Deals", classes="section-title")
            yield Static("", id="contact-deals", classes="detail-fields")
            yield Static("Orders", classes="section-title")
            yield Static("", id="contact-orders", classes="detail-fields")
            yield Static("Contracts", id="contact-contracts-title", classes="section-title")
            yield Static("", id="contact-contracts", classes="detail-fields")
            yield Static("Tickets", classes="section-title")
            yield Static("", id="contact-tickets", classes="detail-fields")
            yield Static("Timeline", classes="section-title")
            yield Timeline(id="contact-timeline")
            yield Static("History", classes="section-title")
            yield AuditHistory(id="contact-audit")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"Contact #{self.contact_id}"
        self.reload()

    def link(self) -> dict[str, Any]:
        return {"contact": str(self.contact_id)}

    def record_id(self) -> int:
        return self.contact_id

    def reload(self) -> None:
        self.db(self._fetch, self._show, group="contact", exclusive=True)

    def _fetch(self, session: Session) -> ContactView:
        from tinycrm.services.activities import list_activities
        from tinycrm.services.contacts import get_contact
        from tinycrm.services.deals import list_deals
        from tinycrm.services.orders import list_orders
        from tinycrm.services.reports.segments import lifecycles
        from tinycrm.services.tickets import list_tickets

        st, ref = self.state, str(self.contact_id)
        today = st.today()
        detail = get_contact(session, ref=ref)
        deals = list_deals(session, contact=ref, status=None, limit=50)
        timeline = list_activities(session, contact_id=self.contact_id, limit=200)
        tag = lifecycles(session, today=today, contact_ids=[self.contact_id])
        orders = list_orders(session, today=today, contact=ref)
        tickets = list_tickets(session, now=st.now(), status="all", contact=ref, limit=20)
        lifecycle = tag.contacts.get(self.contact_id)
        audit = self.history(session)
        standing_now = standing_line(session, kind="contact", id=self.contact_id)
        if standing_now is None and detail.company_id is not None:
            company = standing_line(session, kind="company", id=detail.company_id)
            standing_now = f"{company} (company)" if company else None
        theirs = standing(session, today=today, kind="contact", id=self.contact_id)
        return ContactView(
            detail, deals, timeline, lifecycle, orders, tickets, audit, standing_now, theirs
        )

    def _show(self, view: ContactView) -> None:
        from tinycrm.services.contacts import DATE_FIELDS

        self.view = view
        st, c, custom = self.state, view.detail.row, view.detail.custom
        rows = [
            ("Name", f"{c.name}  (#{c.id})"),
            ("Title", c.title or "—"),
            ("Company", c.company or "—"),
            ("Email", c.email or "—"),
            ("Phone", c.phone or "—"),
            ("Status", c.status),
            ("Owner", c.owner or "—"),
            ("Tags", ", ".join(c.tags) or "—"),
            ("Source", view.detail.source or "—"),
            ("Campaign", view.detail.campaign or "—"),
            ("Lifecycle", view.lifecycle or "—"),
        ]
        if view.standing:
            rows.append(("Tier", view.standing))
        rows += [(k.capitalize() if k in DATE_FIELDS else k, str(v)) for k, v in custom.items()]
        if view.detail.drop_reason:
            rows.append(("Dropped", view.detail.drop_reason))
        if view.detail.notes:
            rows.append(("Notes", view.detail.notes))
        self.query_one("#contact-fields", Static).update(fields_table(rows))
        deals = [(f"#{d.id}", deal_line(d)) for d in view.deals]
        self.query_one("#contact-deals", Static).update(fields_table(deals) if deals else "—")
        self.query_one("#contact-orders", Static).update(orders_table(view.orders))
        self.query_one("#contact-tickets", Static).update(tickets_table(view.tickets, st.tz))
        self.standing = view.customer
        self.show_contracts()
        self.refresh_bindings()
        timeline = self.query_one("#contact-timeline", Timeline)
        timeline.show(view.timeline, tz=st.tz, now=st.now())
        self.show_history(view.audit)

    def action_edit(self) -> None:
        if self.view is None:
            return
        detail = self.view.detail
        initial, fields = edit_fields(detail)
        form = FormDialog(f"Edit {detail.row.name}", fields)
        keys = custom_keys(detail)
        self.ask(form, partial(self._save_edit, form, initial, keys, detail.version))

    def _save_edit(
        self,
        form: FormDialog,
        initial: dict[str, str],
        keys: list[str],
        version: int | None,
        values: dict[str, str] | None,
    ) -> None:
        """Save what the form changed, refused when the contact is no longer at the
        `version` the form was filled from (see `overtaken`)."""
        from tinycrm.models import ContactUpdate
        from tinycrm.normalize import phone_region
        from tinycrm.services.contacts import update_contact

        if values is None or values == initial:
            return
        st = self.state

        def job(session: Session) -> tuple[str, bool]:
            update = contact_update(initial, values, keys)
            detail = update_contact(
                session,
                ref=str(self.contact_id),
                data=update or ContactUpdate(),
                region=phone_region(st.settings.region, field="phone_region"),
                now=st.now(),
                version=version,
            )
            as_typed = bool(update and update.phone) and not detail.phone_normalized
            return detail.row.name, as_typed

        def saved(result: tuple[str, bool] | Stale) -> None:
            if isinstance(result, Stale):
                again = form.again(values)
                self.overtaken(
                    result,
                    lambda v: self.ask(again, partial(self._save_edit, again, initial, keys, v)),
                )
                return
            name, as_typed = result
            kept = "; its phone is kept as typed, without +country" if as_typed else ""
            self.notify(f"saved {name}{kept}")
            self.reload()

        self.db(self.guarded(job), saved, write=True)

    def is_lead(self) -> bool:
        return self.view is not None and self.view.detail.row.status == "lead"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Lead actions only on a lead, and claim only while nobody owns it; the company
        only when the contact has one."""
        if action == "claim":
            return self.is_lead() and self.view is not None and self.view.detail.row.owner is None
        if action in LEAD_ACTIONS:
            return self.is_lead()
        if action == "company":
            return self.view is not None and self.view.detail.company_id is not None
        return super().check_action(action, parameters)

    def action_company(self) -> None:
        from tinycrm.screens.company import CompanyScreen

        if self.view is not None and self.view.detail.company_id is not None:
            self.app.push_screen(CompanyScreen(self.view.detail.company_id))

    def action_claim(self) -> None:
        from tinycrm.services.leads import claim_lead

        if not self.check_action("claim", ()):
            return
        st = self.state
        self.db(
            lambda s: claim_lead(s, ref=str(self.contact_id), actor=st.actor(s), now=st.now()),
            lambda h: self._done(f"claimed {h.name}"),
            write=True,
        )

    def action_assign(self) -> None:
        from tinycrm.services.users import list_users

        if not self.is_lead():
            return
        currency = self.state.settings.currency
        self.db(lambda s: list_users(s, currency=currency), self._pick_user)

    def _pick_user(self, users: list[UserRow]) -> None:
        owner = self.view.detail.row.owner if self.view is not None else None
        choices = [f"#{u.id} {u.name}" for u in users if u.name != owner]
        if not choices:
            self.notify("no other user to assign the lead to", severity="warning")
            return
        self.app.push_screen(ChoiceDialog("Assign the lead to", choices), self._assign)

    def _assign(self, choice: str | None) -> None:
        from tinycrm.services.leads import assign_lead

        if choice is None:
            return
        st, to = self.state, str(number(choice))
        self.db(
            lambda s: assign_lead(
                s, ref=str(self.contact_id), to=to, actor=st.actor(s), now=st.now()
            ),
            lambda h: self._done(f"assigned {h.name} to {h.to_user}"),
            write=True,
        )

    def action_qualify(self) -> None:
        if not self.is_lead():
            return
        fields = [
            Field("deal", "Open a deal too?", "no", choices=("no", "yes")),
            Field("title", "Deal title", placeholder="the contact's name"),
            Field("amount", "Deal amount", placeholder="e.g. 12500"),
        ]
        self.ask(FormDialog("Qualify lead", fields), self._qualify)

    def _qualify(self, values: dict[str, str] | None) -> None:
        from tinycrm.services.leads import Qualified, qualify_lead

        if values is None:
            return
        st = self.state

        def job(session: Session) -> Qualified:
            money = st.money(values.get("amount") or None, "amount")
            title = values.get("title") or None
            return qualify_lead(
                session,
                ref=str(self.contact_id),
                actor=st.actor(session),
                now=st.now(),
                currency=money.currency if money else st.settings.currency,
                deal=values["deal"] == "yes" or money is not None or title is not None,
                title=title,
                amount_minor=money.minor if money else 0,
            )

        def done(q: Qualified) -> None:
            opened = f"; deal #{q.deal.id} opened" if q.deal is not None else ""
            self._done(f"qualified {q.name}{opened}")

        self.db(job, done, write=True)

    def action_drop(self) -> None:
        if not self.is_lead():
            return
        fields = [
            Field("reason", "Why drop it?", placeholder="e.g. junk, not a fit", required=True)
        ]
        self.ask(FormDialog("Drop lead", fields), self._drop)

    def _drop(self, values: dict[str, str] | None) -> None:
        from tinycrm.services.leads import drop_lead

        if values is None:
            return
        st, reason = self.state, values["reason"]
        self.db(
            lambda s: drop_lead(
                s, ref=str(self.contact_id), reason=reason, actor=st.actor(s), now=st.now()
            ),
            lambda h: self._done(f"dropped {h.name}"),
            write=True,
        )
