"""The deal screen's orders and payments: add an order to a won deal, edit one (what
`crm order edit` changes: amount, order date, due date, notes), record a payment with
its method and reference (as `crm payment add`) and an order delivered, with its follow-up
call (as `crm order deliver`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from tinycrm.screens.dialogs import Field, FormDialog
from tinycrm.screens.record import RecordScreen, Stale

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.orders import OrderRow, PaymentRow

NO_DUE = "none"


class OrderForms(RecordScreen):
    """A deal's screen, whose `orders` are those of the deal `deal_id` as last read."""

    BINDINGS = [
        Binding("O", "edit_order", "Edit order", show=False, id="order.edit"),
        Binding("d", "deliver_order", "Deliver order", show=False, id="order.deliver"),
    ]
    deal_id: int

    @property
    def orders(self) -> list[OrderRow]:
        view = getattr(self, "view", None)
        return list(view.orders) if view is not None else []

    def _saved(self, message: str) -> None:
        self.notify(message)
        self.reload()

    def action_order(self) -> None:
        fields = [
            Field("amount", "Amount", placeholder="what the deal's orders do not cover yet"),
            Field("due", "Payment due", placeholder="e.g. +30d, 2026-12-31 (or none)"),
            Field("notes", "Notes", placeholder="optional"),
        ]
        self.ask(FormDialog(f"Add order to deal #{self.deal_id}", fields), self._order)

    def _order(self, values: dict[str, str] | None) -> None:
        from tinycrm.services.orders import create_order

        if values is None:
            return
        st = self.state

        def job(session: Session) -> OrderRow:
            return create_order(
                session,
                deal=self.deal_id,
                amount=values.get("amount") or None,
                ordered_on=st.today(),
                due_on=_due(st.day, values.get("due", "")),
                notes=values.get("notes") or None,
                now=st.now(),
                yen=st.yen,
            )

        self.db(job, lambda o: self._saved(f"order #{o.id} added: {o.amount}"), write=True)

    def action_pay(self) -> None:
        if not (orders := self.orders):
            return
        owing = [o for o in orders if o.outstanding.minor > 0] or orders
        fields = [
            Field("order", "Order", choices=tuple(f"#{o.id}" for o in owing)),
            Field(
                "amount",
                "Amount received",
                owing[0].outstanding.plain() if len(owing) == 1 else "",
                placeholder="at most what the order still owes",
                required=True,
            ),
            Field("date", "Received on", "today"),
            Field("method", "Method", placeholder="transfer, card, cash, cheque … (optional)"),
            Field("reference", "Reference", placeholder="bank or receipt reference (optional)"),
        ]
        self.ask(FormDialog("Add payment", fields), self._pay)

    def _pay(self, values: dict[str, str] | None) -> None:
        from tinycrm.services.orders import add_payment

        if values is None:
            return
        st = self.state

        def job(session: Session) -> PaymentRow:
            return add_payment(
                session,
                order=int(values["order"].lstrip("#")),
                amount=values["amount"],
                received_on=st.day(values.get("date") or None, "date") or st.today(),
                method=values.get("method") or None,
                reference=values.get("reference") or None,
                now=st.now(),
                yen=st.yen,
            )

        def done(p: PaymentRow) -> None:
            by = f" by {p.method}" if p.method else ""
            self._saved(f"payment of {p.amount}{by} added to order #{p.order_id}")

        self.db(job, done, write=True)

    def action_deliver_order(self) -> None:
        """Record an order delivered; with several not delivered yet, ask which first."""
        waiting = [o for o in self.orders if o.delivered_on is None]
        if not waiting:
            self.notify("every order of this deal is delivered", severity="warning")
        else:
            self.choose("Deliver which order?", waiting, _order_line, self._deliver_form)

    def _deliver_form(self, order: OrderRow) -> None:
        """The delivery day (today in the user's zone) and the follow-up call's days (the
        config's `followup_days.order`; empty: no call)."""
        from tinycrm.errors import CrmError
        from tinycrm.services.followups import ORDER_KEY, followup_days

        st = self.state
        try:
            days = followup_days(st.settings.extra.get("followup_days")).get(ORDER_KEY)
        except CrmError as exc:
            self.notify(exc.message, severity="error")
            return
        fields = [
            Field("on", "Delivery date", str(st.today()), placeholder="e.g. today, yesterday"),
            Field("followup", "Follow-up days", "" if days is None else str(days),
                  placeholder="days after delivery to call the customer (empty: no call)"),
        ]  # fmt: skip
        form = FormDialog(f"Deliver order #{order.id} of deal #{self.deal_id}", fields)
        self.ask(form, partial(self._deliver, order.id))

    def _deliver(self, order_id: int, values: dict[str, str] | None) -> None:
        from tinycrm.services.orders import deliver_order

        if values is None:
            return
        st = self.state

        def job(session: Session) -> str:
            on = st.day(values.get("on") or None, "delivery date") or st.today()
            days = _days(values.get("followup", ""))
            row, call = deliver_order(
                session, ref=order_id, on=on, followup_in=days, now=st.now(), today=st.today()
            )
            then = f"; follow-up #{call.id} due {call.due_on}" if call is not None else ""
            return f"order #{row.id} delivered on {row.delivered_on}{then}"

        self.db(job, self._saved, write=True)

    def action_edit_order(self) -> None:
        """Edit the deal's order; with several, ask which first."""
        orders = self.orders
        if not orders:
            self.notify("this deal has no orders yet (o adds one)", severity="warning")
        else:
            self.choose("Edit which order?", orders, _order_line, self._edit_order)

    def _edit_order(self, order: OrderRow) -> None:
        from tinycrm.services.refs import by_id

        def version(session: Session) -> int:
            from tinycrm.models import Order

            return by_id(session, Order, order.id, "order").version

        self.db(version, partial(self._order_form, order))

    def _order_form(self, order: OrderRow, version: int) -> None:
        initial = {
            "amount": order.amount.plain(),
            "date": str(order.ordered_on),
            "due": str(order.due_on or ""),
            "notes": order.notes or "",
        }
        labels = {"amount": f"Amount ({order.amount.currency}; {order.paid} paid)"}
        labels |= {"date": "Ordered on", "due": "Payment due (empty: none)", "notes": "Notes"}
        fields = [Field(k, labels[k], v) for k, v in initial.items()]
        form = FormDialog(f"Edit order #{order.id} of deal #{self.deal_id}", fields)
        self.ask(form, partial(self._save_order, form, order.id, initial, version))

    def _save_order(
        self,
        form: FormDialog,
        order_id: int,
        initial: dict[str, str],
        version: int | None,
        values: dict[str, str] | None,
    ) -> None:
        """Save what the form changed, refused when the order is no longer at `version`."""
        from tinycrm.models import OrderUpdate
        from tinycrm.services.orders import update_order

        if values is None:
            return
        changed = {k: v for k, v in values.items() if v != initial[k]}
        if not changed:
            return
        st = self.state

        def job(session: Session) -> OrderRow:
            update: dict[str, Any] = {}
            if "amount" in changed:
                update["amount"] = changed["amount"]
            if "date" in changed:
                update["ordered_on"] = st.day(changed["date"], "order date") or st.today()
            if "due" in changed:
                update["due_on"] = _due(st.day, changed["due"])
            if "notes" in changed:
                update["notes"] = changed["notes"]
            return update_order(
                session, ref=order_id, data=OrderUpdate(**update), today=st.today(),
                yen=st.yen, version=version,
            )  # fmt: skip

        def done(result: OrderRow | Stale) -> None:
            if isinstance(result, Stale):
                again = form.again(values)
                self.overtaken(
                    result,
                    lambda v: self.ask(
                        again, partial(self._save_order, again, order_id, initial, v)
                    ),
                )
            else:
                due = f", due {result.due_on}" if result.due_on else ", no due date"
                self._saved(f"order #{result.id} saved: {result.amount}{due}")

        self.db(self.guarded(job, of=("orders", order_id)), done, write=True)


def _order_line(o: OrderRow) -> str:
    return f"#{o.id} {o.amount} ordered {o.ordered_on}, {o.paid} paid"


def _days(text: str) -> int | None:
    """The follow-up days typed; empty is no follow-up call."""
    from tinycrm.errors import InvalidInput

    if not text.strip():
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput("follow-up days", text, "must be a whole number of days") from None


def _due(day: Callable[[str | None, str], date | None], text: str) -> date | None:
    """The due date typed; empty or `none` is no due date."""
    return None if text.strip().lower() in ("", NO_DUE) else day(text, "due")
