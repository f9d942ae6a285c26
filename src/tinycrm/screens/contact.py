"""One contact: fields, company, their deals and their activity timeline."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from tinycrm.screens.deal import deal_line, fields_table
from tinycrm.screens.dialogs import Field, FormDialog
from tinycrm.screens.record import RecordScreen
from tinycrm.widgets.timeline import Timeline

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.activities import ActivityRow
    from tinycrm.services.contacts import ContactDetail
    from tinycrm.services.deals import DealRow

STATUSES = ("lead", "prospect", "customer", "inactive")


@dataclass(frozen=True)
class ContactView:
    detail: ContactDetail
    deals: list[DealRow]
    timeline: list[ActivityRow]


class ContactScreen(RecordScreen):
    NOUN = "contact"

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
            yield Static("Timeline", classes="section-title")
            yield Timeline(id="contact-timeline")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"Contact #{self.contact_id}"
        self.reload()

    def link(self) -> dict[str, Any]:
        return {"contact": str(self.contact_id)}

    def reload(self) -> None:
        self.db(self._fetch, self._show, group="contact", exclusive=True)

    def _fetch(self, session: Session) -> ContactView:
        from tinycrm.services.activities import list_activities
        from tinycrm.services.contacts import get_contact
        from tinycrm.services.deals import list_deals

        detail = get_contact(session, ref=str(self.contact_id))
        deals = list_deals(session, contact=str(self.contact_id), status=None, limit=50)
        timeline = list_activities(session, contact_id=self.contact_id, limit=200)
        return ContactView(detail, deals, timeline)

    def _show(self, view: ContactView) -> None:
        self.view = view
        st, c = self.state, view.detail.row
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
        ]
        if view.detail.notes:
            rows.append(("Notes", view.detail.notes))
        self.query_one("#contact-fields", Static).update(fields_table(rows))
        deals = [(f"#{d.id}", deal_line(d)) for d in view.deals]
        self.query_one("#contact-deals", Static).update(fields_table(deals) if deals else "—")
        timeline = self.query_one("#contact-timeline", Timeline)
        timeline.show(view.timeline, tz=st.tz, now=st.now())

    def action_edit(self) -> None:
        if self.view is None:
            return
        c = self.view.detail.row
        initial = {
            "name": c.name,
            "email": c.email or "",
            "phone": c.phone or "",
            "title": c.title or "",
            "company": c.company or "",
            "status": c.status,
        }
        fields = [
            Field(k, k.capitalize(), v, choices=STATUSES if k == "status" else ())
            for k, v in initial.items()
        ]
        self.app.push_screen(
            FormDialog(f"Edit {c.name}", fields), partial(self._save_edit, initial)
        )

    def _save_edit(self, initial: dict[str, str], values: dict[str, str] | None) -> None:
        from tinycrm.models import ContactUpdate
        from tinycrm.services.contacts import update_contact

        if values is None:
            return
        changed: dict[str, Any] = {k: v or None for k, v in values.items() if v != initial[k]}
        if not changed:
            return
        st = self.state

        def job(session: Session) -> str:
            detail = update_contact(
                session,
                ref=str(self.contact_id),
                data=ContactUpdate(**changed),
                region=st.settings.region,
                now=st.now(),
            )
            return detail.row.name

        def saved(name: str) -> None:
            self.notify(f"saved {name}")
            self.reload()

        self.db(job, saved, write=True)
