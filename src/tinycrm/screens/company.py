"""One company: its fields, people, deals, orders with what is owed, the tickets of the
company and its people, the activities about it and its History (the audit log); its
contacts and deals open from here, and its tickets are handled as in contact detail
(contact_actions)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from tinycrm.errors import InvalidInput
from tinycrm.screens.contact import standing_line, tickets_table
from tinycrm.screens.contact_actions import ServiceActions, number
from tinycrm.screens.customer_actions import Standing, standing
from tinycrm.screens.deal import deal_line, fields_table, orders_table
from tinycrm.screens.dialogs import ChoiceDialog, Field, FormDialog
from tinycrm.screens.record import Stale
from tinycrm.widgets.format import figure
from tinycrm.widgets.history import AuditHistory
from tinycrm.widgets.timeline import Timeline

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.activities import ActivityRow
    from tinycrm.services.audit import EntryRow
    from tinycrm.services.companies import CompanyDetail, Owed
    from tinycrm.services.contact_rows import ContactRow
    from tinycrm.services.deal_rows import DealRow
    from tinycrm.services.orders import OrderRow
    from tinycrm.services.tickets import TicketRow

EDITED = ("name", "domain", "industry", "city", "country", "phone", "website", "owner", "notes")
SHOWN = 50
"""Contacts and deals listed at most (the newest tickets: 20)."""


@dataclass(frozen=True)
class CompanyView:
    detail: CompanyDetail
    contacts: list[ContactRow]
    deals: list[DealRow]
    orders: list[OrderRow]
    owed: list[Owed]
    tickets: list[TicketRow]
    timeline: list[ActivityRow]
    audit: list[EntryRow]
    standing: str | None = None
    """Membership tier and points (services.loyalty), None when it has neither."""
    customer: Standing | None = None
    """Its contracts and follow-ups not done yet."""


def owed_table(totals: list[Owed]) -> Table | str:
    """What the orders come to, one line per currency (in the headers when only one)."""
    if not totals:
        return "—"
    cur = f" {totals[0].ordered.currency}" if len(totals) == 1 else ""
    table = Table(expand=True, box=None, header_style="bold")
    table.add_column("orders", justify="right", no_wrap=True)
    for name in ("ordered", "paid", "outstanding", "overdue"):
        table.add_column(name + cur, justify="right", no_wrap=True)
    for t in totals:
        cells = [figure(m, code=not cur) for m in (t.ordered, t.paid, t.outstanding, t.overdue)]
        table.add_row(str(t.orders), *cells, style="bold" if t.overdue else "")
    return table


def contact_line(c: ContactRow) -> str:
    return " · ".join(x for x in (c.name, c.title, c.status) if x)


def custom_change(text: str) -> dict[str, str]:
    """`key=value` sets a custom field, `key=` removes it."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InvalidInput("custom field", text, "write it as key=value (key= removes it)")
    return {key.strip(): value.strip()}


class CompanyScreen(ServiceActions):
    NOUN = "company"
    CUSTOMER = "company"
    AUDIT = "companies"
    NOUNS: ClassVar[dict[str, str]] = {**ServiceActions.NOUNS, "contact.open": "contact"}
    BINDINGS = [
        Binding("c", "open_contact", "Open", show=False, id="contact.open"),
    ]

    def __init__(self, company_id: int) -> None:
        super().__init__()
        self.company_id = company_id
        self.view: CompanyView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(classes="detail-body"):
            yield Static("loading…", id="company-fields", classes="detail-fields")
            for part, title in (
                ("contacts", "Contacts"),
                ("deals", "Deals"),
                ("owed", "Orders"),
                ("orders", ""),
                ("contracts", "Contracts"),
                ("tickets", "Tickets"),
            ):
                if title:
                    yield Static(title, id=f"company-{part}-title", classes="section-title")
                yield Static("", id=f"company-{part}", classes="detail-fields")
            yield Static("Timeline", classes="section-title")
            yield Timeline(id="company-timeline")
            yield Static("History", classes="section-title")
            yield AuditHistory(id="company-audit")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"Company #{self.company_id}"
        self.reload()

    def link(self) -> dict[str, Any]:
        return {"company": str(self.company_id)}

    def record_id(self) -> int:
        return self.company_id

    def ticket_link(self) -> dict[str, Any]:
        return {"company": str(self.company_id)}

    def reload(self) -> None:
        self.db(self._fetch, self._show, group="company", exclusive=True)

    def _fetch(self, session: Session) -> CompanyView:
        from tinycrm.services.activities import list_activities
        from tinycrm.services.companies import get_company, order_totals
        from tinycrm.services.contacts import list_contacts
        from tinycrm.services.deals import list_deals
        from tinycrm.services.orders import list_orders
        from tinycrm.services.tickets import list_tickets

        st, ref = self.state, str(self.company_id)
        detail = get_company(session, ref=ref)
        orders = list_orders(session, today=st.today(), company=ref)
        return CompanyView(
            detail,
            list_contacts(session, company=ref, limit=SHOWN),
            list_deals(session, company=ref, status=None, limit=SHOWN),
            orders,
            order_totals(orders),
            list_tickets(session, now=st.now(), status="all", company=ref, limit=20),
            list_activities(session, company_id=self.company_id, limit=200),
            self.history(session),
            standing_line(session, kind="company", id=self.company_id),
            standing(session, today=st.today(), kind="company", id=self.company_id),
        )

    def _show(self, view: CompanyView) -> None:
        self.view = view
        st, d = self.state, view.detail
        self.sub_title = f"Company #{d.row.id} {d.row.name}"
        shown = self._fields(d)
        if view.standing:
            shown.insert(6, ("Tier", view.standing))
        self.query_one("#company-fields", Static).update(fields_table(shown))
        people = [(f"#{c.id}", contact_line(c)) for c in view.contacts]
        self._listed("contacts", people, d.row.contacts)
        self._listed("deals", [(f"#{r.id}", deal_line(r)) for r in view.deals], d.deals)
        self.query_one("#company-owed", Static).update(owed_table(view.owed))
        orders = self.query_one("#company-orders", Static)
        orders.update(orders_table(view.orders))
        orders.display = bool(view.orders)
        self.query_one("#company-tickets", Static).update(tickets_table(view.tickets, st.tz))
        self.standing = view.customer
        self.show_contracts()
        self.refresh_bindings()
        timeline = self.query_one("#company-timeline", Timeline)
        timeline.show(view.timeline, tz=st.tz, now=st.now())
        self.show_history(view.audit)

    def _listed(self, part: str, rows: list[tuple[str, str]], total: int) -> None:
        """Rows of a section, saying how many more there are than it shows."""
        if total > len(rows):
            rows = [*rows, ("…", f"{total - len(rows)} more")]
        self.query_one(f"#company-{part}", Static).update(fields_table(rows) if rows else "—")

    @staticmethod
    def _fields(d: CompanyDetail) -> list[tuple[str, str]]:
        r = d.row
        rows = [
            ("Company", f"{r.name}  (#{r.id})"),
            ("Domain", r.domain or "—"),
            ("Industry", r.industry or "—"),
            ("City", r.city or "—"),
            ("Country", r.country or "—"),
            ("Owner", r.owner or "—"),
        ]
        rows += [
            (label, value) for label, value in (("Phone", d.phone), ("Website", d.website)) if value
        ]
        rows += [(str(k), str(v)) for k, v in sorted(d.custom.items())]
        if d.notes:
            rows.append(("Notes", d.notes))
        return rows

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_contact":
            return self.view is not None and bool(self.view.contacts)
        return super().check_action(action, parameters)

    def action_open_contact(self) -> None:
        if self.view is None or not self.view.contacts:
            return
        choices = [f"#{c.id} {contact_line(c)}" for c in self.view.contacts]
        self.app.push_screen(ChoiceDialog("Open which contact?", choices), self._open_contact)

    def _open_contact(self, choice: str | None) -> None:
        from tinycrm.screens.contact import ContactScreen

        if choice is not None:
            self.app.push_screen(ContactScreen(number(choice)))

    def action_edit(self) -> None:
        if self.view is None:
            return
        d = self.view.detail
        current = {"phone": d.phone, "website": d.website, "notes": d.notes}
        initial = {k: str(current.get(k, getattr(d.row, k, None)) or "") for k in EDITED}
        fields = [Field(k, k.capitalize(), v) for k, v in initial.items()]
        fields.append(Field("custom", "Custom field", placeholder="key=value (key= removes it)"))
        form = FormDialog(f"Edit {d.row.name}", fields)
        self.ask(form, partial(self._save_edit, form, initial, d.version))

    def _save_edit(
        self,
        form: FormDialog,
        initial: dict[str, str],
        version: int | None,
        values: dict[str, str] | None,
    ) -> None:
        """Save what the form changed, refused when the company is no longer at the
        `version` the form was filled from (see `overtaken`)."""
        from tinycrm.models import CompanyUpdate
        from tinycrm.services.companies import update_company

        if values is None:
            return
        typed = dict(values)
        custom = values.pop("custom", "")
        changed: dict[str, Any] = {k: v or None for k, v in values.items() if v != initial[k]}
        if not changed and not custom:
            return
        st = self.state

        def job(session: Session) -> CompanyDetail:
            if custom:
                changed["custom"] = custom_change(custom)
            data = CompanyUpdate(**changed)
            ref = str(self.company_id)
            return update_company(session, ref=ref, data=data, now=st.now(), version=version)

        def done(result: CompanyDetail | Stale) -> None:
            if isinstance(result, Stale):
                again = form.again(typed)
                self.overtaken(
                    result, lambda v: self.ask(again, partial(self._save_edit, again, initial, v))
                )
            else:
                self._done(f"saved {result.row.name}")

        self.db(self.guarded(job), done, write=True)
