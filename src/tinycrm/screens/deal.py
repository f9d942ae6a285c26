"""One deal: its fields, company, stage history, its orders with what is paid and owed,
the company's other deals, the timeline and its History (the audit log); orders and
payments are added from here, an order recorded delivered, and the deal's contact or company
opened."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from tinycrm.errors import NeedsForce
from tinycrm.screens.deal_moves import DealMoves, Outcome, Target
from tinycrm.screens.deal_orders import OrderForms
from tinycrm.screens.deal_quotes import QuoteForms
from tinycrm.screens.dialogs import ChoiceDialog, Field, FormDialog
from tinycrm.screens.record import Stale
from tinycrm.widgets.format import figure, local
from tinycrm.widgets.history import AuditHistory
from tinycrm.widgets.timeline import Timeline
from tinycrm.words import plural

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.activities import ActivityRow
    from tinycrm.services.audit import EntryRow
    from tinycrm.services.deal_rows import DealRow
    from tinycrm.services.deals import DealDetail
    from tinycrm.services.lines import LineRow
    from tinycrm.services.orders import OrderRow
    from tinycrm.services.quotes import DealLines, QuoteRow


@dataclass(frozen=True)
class DealView:
    detail: DealDetail
    related: list[DealRow]
    timeline: list[ActivityRow]
    orders: list[OrderRow]
    audit: list[EntryRow]
    priced: Table | None = None
    """Its lines and quotes, when it has any."""
    lines: tuple[LineRow, ...] = ()
    """Its own lines."""
    quotes: tuple[QuoteRow, ...] = ()
    """Its draft and sent quotes, newest first."""


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


def orders_table(rows: list[OrderRow], *, deal: bool = True) -> Table | str:
    """Orders (with their deal's number, if `deal`), their amount, paid and owed, and the day
    each was delivered once one was; overdue ones in bold. One currency goes in the headers,
    several beside each amount."""
    if not rows:
        return "—"
    currencies = {o.amount.currency for o in rows}
    cur = f" {next(iter(currencies))}" if len(currencies) == 1 else ""
    delivered = any(o.delivered_on for o in rows)
    # one space between columns with the delivery day, so that it fits 80 columns too
    table = Table(expand=True, box=None, header_style="bold", collapse_padding=delivered)
    names = ("order", *(["deal"] if deal else []), "ordered", "due", *(["delivered"] * delivered))
    for name in names:
        table.add_column(name, no_wrap=True)
    for name in ("amount", "paid", "owed"):
        table.add_column(name + cur, justify="right", no_wrap=True)
    for o in rows:
        number = [f"#{o.deal_id}" if o.deal_id else "—"] if deal else []
        cells = [
            f"#{o.id}", *number, str(o.ordered_on),
            str(o.due_on or "—") + (" late" if o.overdue else ""),
            *([str(o.delivered_on or "—")] * delivered),
            *(figure(m, code=not cur) for m in (o.amount, o.paid, o.outstanding)),
        ]  # fmt: skip
        table.add_row(*cells, style="bold" if o.overdue else "")
    return table


def priced_table(lines: DealLines, offers: list[QuoteRow]) -> Table | None:
    """The deal's own lines (with the total they come to), then its quotes, newest first;
    None when it has neither (the section is then hidden)."""
    if not lines.lines and not offers:
        return None
    table = Table(expand=True, box=None, header_style="bold")
    for name in ("", "item", "qty", "unit price", "tax", "total"):
        table.add_column(
            name, no_wrap=name != "item", justify="left" if name in ("", "item") else "right"
        )
    for r in lines.lines:
        table.add_row(f"{r.position}.", r.description, r.quantity, figure(r.unit_price),
                      r.tax_percent, figure(r.total))  # fmt: skip
    if lines.lines:
        note = "" if lines.total == lines.amount else " (amount set by hand)"
        table.add_row("", f"lines total{note}", "", "", "", figure(lines.total), style="bold")
    for q in offers:
        what = f"quote #{q.id} rev {q.revision} · {q.status}"
        until = f"until {q.valid_until}" if q.valid_until else ""
        table.add_row("", what, "", until, "", figure(q.total))
    return table


class DealScreen(DealMoves, OrderForms, QuoteForms):
    NOUN = "deal"
    AUDIT = "deals"
    NOUNS: ClassVar[dict[str, str]] = {"order.pay": "order"}
    BINDINGS = [
        # Short footer words so every shown key fits 80 columns; the rest are in the help.
        Binding("a", "log", "Log", tooltip="Log activity", id="record.log"),
        Binding("s", "schedule", "Follow-up", tooltip="Schedule follow-up", id="record.schedule"),
        Binding(
            "greater_than_sign,shift+right",
            "step(1)",
            "Next",
            key_display=">",
            show=False,
            tooltip="Move to next stage",
            id="deal.move-right",
        ),
        Binding(
            "less_than_sign,shift+left",
            "step(-1)",
            "Prev",
            key_display="<",
            show=False,
            tooltip="Move to previous stage",
            id="deal.move-left",
        ),
        Binding("m", "move", "Move", tooltip="Move to any stage (reopen)", id="deal.move"),
        Binding("w", "won", "Won", tooltip="Mark won", id="deal.won"),
        Binding("l", "lost", "Lost", tooltip="Mark lost", id="deal.lost"),
        Binding("c", "contact", "Contact", show=False, tooltip="Open contact", id="deal.contact"),
        Binding("g", "company", "Company", show=False, tooltip="Open company", id="deal.company"),
        Binding("o", "order", "Order", show=False, tooltip="Add order", id="deal.order"),
        Binding("p", "pay", "Pay", show=False, tooltip="Add payment", id="order.pay"),
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
            yield Static("Orders", classes="section-title")
            yield Static("", id="deal-orders", classes="detail-fields")
            yield Static("Lines and quotes", id="deal-priced-title", classes="section-title")
            yield Static("", id="deal-priced", classes="detail-fields")
            yield Static("Other deals with this company", classes="section-title")
            yield Static("", id="deal-related", classes="detail-fields")
            yield Static("Timeline", classes="section-title")
            yield Timeline(id="deal-timeline")
            yield Static("History", classes="section-title")
            yield AuditHistory(id="deal-audit")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"Deal #{self.deal_id}"
        self.reload()

    def link(self) -> dict[str, Any]:
        return {"deal": self.deal_id}

    def record_id(self) -> int:
        return self.deal_id

    def reload(self) -> None:
        self.db(self._fetch, self._show, group="deal", exclusive=True)

    def _fetch(self, session: Session) -> DealView:
        from tinycrm.services.activities import list_activities
        from tinycrm.services.deals import get_deal, list_deals
        from tinycrm.services.orders import list_orders
        from tinycrm.services.quotes import deal_lines, list_quotes

        detail = get_deal(session, ref=self.deal_id)
        related = []
        if detail.company_id is not None:
            related = [
                d
                for d in list_deals(session, company=str(detail.company_id), status=None, limit=21)
                if d.id != self.deal_id
            ][:20]
        timeline = list_activities(session, deal_id=self.deal_id, limit=200)
        orders = list_orders(session, today=self.state.today(), deal=self.deal_id)
        lines = deal_lines(session, deal=self.deal_id)
        offers = list_quotes(session, today=self.state.today(), deal=self.deal_id)
        priced = priced_table(lines, offers)
        open_ones = tuple(q for q in offers if q.status in ("draft", "sent"))
        audit = self.history(session)
        return DealView(detail, related, timeline, orders, audit, priced, tuple(lines.lines),
                        open_ones)  # fmt: skip

    def _show(self, view: DealView) -> None:
        self.view = view
        st, d = self.state, view.detail.row
        now = st.now()
        days = f" ({plural((now - d.stage_since).days, 'day')})" if d.stage_since else ""
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
        self.query_one("#deal-orders", Static).update(orders_table(view.orders, deal=False))
        for part in ("#deal-priced-title", "#deal-priced"):
            self.query_one(part).display = view.priced is not None
        if view.priced is not None:
            self.query_one("#deal-priced", Static).update(view.priced)
        self.refresh_bindings()
        related = [(f"#{r.id}", deal_line(r)) for r in view.related]
        self.query_one("#deal-related", Static).update(fields_table(related) if related else "—")
        self.query_one("#deal-timeline", Timeline).show(view.timeline, tz=st.tz, now=now)
        self.show_history(view.audit)

    def extra_commands(self) -> list[tuple[str, Callable[[], object]]]:
        """Beyond the record's: accepting each of the deal's open quotes."""
        accept = [
            (f"Accept quote #{q.id} rev {q.revision}, {q.total}", partial(self.accept_quote, q.id))
            for q in self.quotes
        ]
        return [*super().extra_commands(), *accept]

    def accept_quote(self, quote_id: int) -> None:
        """The customer said yes: the deal takes the quote's total, is won and gets its
        order with the quote's lines (`services.quotes.accept_quote`), once confirmed."""
        from tinycrm.screens.deal_moves import CANCEL
        from tinycrm.services.quotes import Accepted, accept_quote

        st, yes = self.state, "accept it"

        def write(s: Session) -> Accepted:
            return accept_quote(s, ref=quote_id, actor=st.actor(s), now=st.now(), today=st.today())

        def done(got: Accepted) -> None:
            self.notify(f"quote #{quote_id} accepted: deal won at {got.amount}, "
                        f"order #{got.order_id}")  # fmt: skip
            self.reload()

        question = f"Accept quote #{quote_id}? The deal is won at its total, with its order."
        self.ask(
            ChoiceDialog(question, [yes, CANCEL]),
            lambda answer: self.db(write, done, write=True) if answer == yes else None,
        )

    def target(self) -> Target | None:
        if self.view is None:
            return None
        d = self.view.detail
        return Target(self.deal_id, d.version, d.row.title, d.row.stage, str(d.row.status))

    def apply(
        self, job: Callable[[Session], Outcome], t: Target, done: Callable[[Outcome], None]
    ) -> None:
        def show(outcome: Outcome) -> None:
            done(outcome)
            if not isinstance(outcome, NeedsForce):
                self.reload()

        self.db(job, show, write=True)

    def _changed(self, message: str) -> None:
        self.notify(message)
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if (applies := self.quote_action(action)) is not None:
            return applies
        if action in ("pay", "edit_order"):
            return self.view is not None and bool(self.view.orders)
        if action == "deliver_order":
            return self.view is not None and any(o.delivered_on is None for o in self.view.orders)
        if action == "company":
            return self.view is not None and self.view.detail.company_id is not None
        if action in ("won", "lost"):  # not on a deal that already is
            return self.view is None or self.view.detail.row.status != action
        if action == "step":  # a closed deal moves with m, to a stage it names
            return self.view is None or self.view.detail.row.status == "open"
        return True

    def action_contact(self) -> None:
        from tinycrm.screens.contact import ContactScreen

        if self.view is None or self.view.detail.contact_id is None:
            self.notify("this deal has no contact", severity="warning")
            return
        self.app.push_screen(ContactScreen(self.view.detail.contact_id))

    def action_company(self) -> None:
        from tinycrm.screens.company import CompanyScreen

        if self.view is not None and self.view.detail.company_id is not None:
            self.app.push_screen(CompanyScreen(self.view.detail.company_id))

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
        form = FormDialog(f"Edit deal #{d.id}", fields)
        self.ask(form, partial(self._save_edit, form, initial, self.view.detail.version))

    def _save_edit(
        self,
        form: FormDialog,
        initial: dict[str, str],
        version: int | None,
        values: dict[str, str] | None,
    ) -> None:
        """Save what the form changed, refused when the deal is no longer at the `version`
        the form was filled from (see `overtaken`)."""
        from tinycrm.models import DealUpdate
        from tinycrm.services.deals import update_deal

        if values is None:
            return
        changed = {k: v for k, v in values.items() if v != initial[k]}
        if not changed:
            return
        st = self.state
        own = self.view.detail.row.amount.currency if self.view else None  # "900" keeps it

        def job(session: Session) -> DealRow:
            update: dict[str, Any] = {}
            if "amount" in changed:
                money = st.money(changed.pop("amount"), "amount", own)
                if money is not None:
                    update["amount_minor"], update["currency"] = money.minor, money.currency
            if "close" in changed:
                update["expected_close"] = st.day(changed.pop("close"), "expected close")
            update.update({k: v or None for k, v in changed.items()})
            data = DealUpdate(**update)
            return update_deal(session, ref=self.deal_id, data=data, now=st.now(), version=version)

        def done(result: DealRow | Stale) -> None:
            if isinstance(result, Stale):
                again = form.again(values)
                self.overtaken(
                    result, lambda v: self.ask(again, partial(self._save_edit, again, initial, v))
                )
            else:
                self._changed("saved")

        self.db(self.guarded(job), done, write=True)
