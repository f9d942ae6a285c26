"""One deal: its fields, company, stage history, the company's other deals and the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from tinycrm.screens.dialogs import Field, FormDialog
from tinycrm.screens.record import RecordScreen
from tinycrm.widgets.format import local
from tinycrm.widgets.timeline import Timeline

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.activities import ActivityRow
    from tinycrm.services.deals import DealDetail, DealRow


@dataclass(frozen=True)
class DealView:
    detail: DealDetail
    related: list[DealRow]
    timeline: list[ActivityRow]


def fields_table(rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(label, value)
    return table


def deal_line(row: DealRow) -> str:
    """`Title · stage · amount`, with the status when the stage does not say it."""
    status = "" if row.status in (row.stage, "open") else f" · {row.status}"
    return f"{row.title} · {row.stage} · {row.amount}{status}"


class DealScreen(RecordScreen):
    NOUN = "deal"
    BINDINGS = [
        Binding(
            "greater_than_sign,shift+right",
            "step(1)",
            "Next stage",
            key_display=">",
            tooltip="Move to next stage",
            id="deal.move-right",
        ),
        Binding(
            "less_than_sign,shift+left",
            "step(-1)",
            "Prev stage",
            key_display="<",
            tooltip="Move to previous stage",
            id="deal.move-left",
        ),
        Binding("w", "won", "Won", tooltip="Mark won", id="deal.won"),
        Binding("l", "lost", "Lost", tooltip="Mark lost", id="deal.lost"),
        Binding("c", "contact", "Open contact", id="deal.contact"),
    ]

    def __init__(self, deal_id: int) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.view: DealView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(classes="detail-body"):
            yield Static("loading…", id="deal-fields", classes="detail-fields")
            yield Static("Stage history", classes="section-title")
            yield Static("", id="deal-history", classes="detail-fields")
            yield Static("Other deals with this company", classes="section-title")
            yield Static("", id="deal-related", classes="detail-fields")
            yield Static("Timeline", classes="section-title")
            yield Timeline(id="deal-timeline")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"Deal #{self.deal_id}"
        self.reload()

    def link(self) -> dict[str, Any]:
        return {"deal": self.deal_id}

    def reload(self) -> None:
        self.db(self._fetch, self._show, group="deal", exclusive=True)

    def _fetch(self, session: Session) -> DealView:
        from tinycrm.services.activities import list_activities
        from tinycrm.services.deals import get_deal, list_deals

        detail = get_deal(session, ref=self.deal_id)
        related = []
        if detail.company_id is not None:
            related = [
                d
                for d in list_deals(session, company=str(detail.company_id), status=None, limit=21)
                if d.id != self.deal_id
            ][:20]
        timeline = list_activities(session, deal_id=self.deal_id, limit=200)
        return DealView(detail, related, timeline)

    def _show(self, view: DealView) -> None:
        self.view = view
        st, d = self.state, view.detail.row
        now = st.now()
        days = f" ({(now - d.stage_since).days} days)" if d.stage_since else ""
        status = d.status if d.status == "open" else f"{d.status} {local(d.closed_at, st.tz)}"
        rows = [
            ("Deal", f"#{d.id} {d.title}"),
            ("Stage", f"{d.stage}{days}"),
            ("Status", status + (f" — {d.lost_reason}" if d.lost_reason else "")),
            ("Amount", str(d.amount)),
            ("Owner", d.owner or "—"),
            ("Company", d.company or "—"),
            ("Contact", d.contact or "—"),
            ("Expected close", str(d.expected_close or "—")),
            ("Created", local(d.created_at, st.tz)),
        ]
        self.query_one("#deal-fields", Static).update(fields_table(rows))
        history = [
            (local(h.at, st.tz), f"{h.from_stage or '(new)'} → {h.to_stage}  {h.by or ''}")
            for h in reversed(view.detail.history)
        ]
        self.query_one("#deal-history", Static).update(fields_table(history))
        related = [(f"#{r.id}", deal_line(r)) for r in view.related]
        self.query_one("#deal-related", Static).update(fields_table(related) if related else "—")
        self.query_one("#deal-timeline", Timeline).show(view.timeline, tz=st.tz, now=now)

    def action_step(self, step: int) -> None:
        from tinycrm.services.deals import step_deal

        st = self.state
        self.db(
            lambda s: step_deal(s, ref=self.deal_id, step=step, actor=st.actor(s), now=st.now()),
            lambda row: self._changed(f"moved to {row.stage}"),
            write=True,
        )

    def action_won(self) -> None:
        from tinycrm.services.deals import win_deal

        st = self.state
        self.db(
            lambda s: win_deal(s, ref=self.deal_id, actor=st.actor(s), now=st.now()),
            lambda row: self._changed("marked won"),
            write=True,
        )

    def action_lost(self) -> None:
        fields = [
            Field("reason", "Why was it lost?", placeholder="e.g. price, timing", required=True)
        ]
        self.app.push_screen(FormDialog(f"Mark deal #{self.deal_id} lost", fields), self._lose)

    def _lose(self, values: dict[str, str] | None) -> None:
        from tinycrm.services.deals import lose_deal

        if values is None:
            return
        st, reason = self.state, values.get("reason") or None
        self.db(
            lambda s: lose_deal(
                s, ref=self.deal_id, reason=reason, actor=st.actor(s), now=st.now()
            ),
            lambda row: self._changed("marked lost"),
            write=True,
        )

    def _changed(self, message: str) -> None:
        self.notify(message)
        self.reload()

    def action_contact(self) -> None:
        from tinycrm.screens.contact import ContactScreen

        if self.view is None or self.view.detail.contact_id is None:
            self.notify("this deal has no contact", severity="warning")
            return
        self.app.push_screen(ContactScreen(self.view.detail.contact_id))

    def action_edit(self) -> None:
        if self.view is None:
            return
        d = self.view.detail.row
        initial = {
            "title": d.title,
            "amount": d.amount.plain() + " " + d.amount.currency,
            "close": str(d.expected_close or ""),
            "owner": d.owner or "",
            "company": d.company or "",
            "contact": d.contact or "",
        }
        labels = {"title": "Title", "amount": "Amount", "close": "Expected close"}
        fields = [Field(k, labels.get(k, k.capitalize()), v) for k, v in initial.items()]
        self.app.push_screen(
            FormDialog(f"Edit deal #{d.id}", fields), partial(self._save_edit, initial)
        )

    def _save_edit(self, initial: dict[str, str], values: dict[str, str] | None) -> None:
        from tinycrm.models import DealUpdate
        from tinycrm.services.deals import update_deal

        if values is None:
            return
        changed = {k: v for k, v in values.items() if v != initial[k]}
        if not changed:
            return
        st = self.state

        def job(session: Session) -> DealRow:
            update: dict[str, Any] = {}
            if "amount" in changed:
                money = st.money(changed.pop("amount"), "amount")
                if money is not None:
                    update["amount_minor"], update["currency"] = money.minor, money.currency
            if "close" in changed:
                update["expected_close"] = st.day(changed.pop("close"), "expected close")
            update.update({k: v or None for k, v in changed.items()})
            return update_deal(session, ref=self.deal_id, data=DealUpdate(**update), now=st.now())

        self.db(job, lambda row: self._changed("saved"), write=True)
