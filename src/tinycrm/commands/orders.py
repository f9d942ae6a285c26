"""`crm order …`: what won deals turned into (payments against them: `payments`).

An order is in its deal's currency and only a won deal takes orders; a payment is in its
order's currency and never more than is outstanding unless `--allow-overpay` is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from tinycrm.commands.base import App
from tinycrm.commands.common import IfVersion, confirm, given
from tinycrm.commands.payments import PAYMENT_COLUMNS
from tinycrm.commands.render import (
    Format,
    FormatOption,
    as_row,
    done,
    emit,
    emit_record,
)
from tinycrm.context import state

if TYPE_CHECKING:
    from tinycrm.services.orders import OrderRow

app = App(no_args_is_help=True)

OrderId = Annotated[int, typer.Argument(help="Order id.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")]
ORDER_COLUMNS = ("id", "deal_id", "deal", "customer", "owner", "amount", "paid", "outstanding",
                 "currency", "ordered_on", "due_on", "overdue")  # fmt: skip


def _order(row: OrderRow) -> dict[str, Any]:
    return as_row(row, currency=row.amount.currency)


@app.command("add")
def add(
    deal: Annotated[int, typer.Option("--deal", help="The won deal it comes from.")],
    amount: Annotated[
        str | None,
        typer.Option(help="Amount in the deal's currency (default: what its orders leave)."),
    ] = None,
    due: Annotated[str | None, typer.Option("--due", help="When payment is due.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Order date (default: today).")] = None,
    notes: Annotated[str | None, typer.Option(help="Free text.")] = None,
) -> None:
    """Add an order to a won deal."""
    from tinycrm.services import orders

    st = state()
    with st.session(write=True) as session:
        row = orders.create_order(
            session,
            deal=deal,
            amount=amount,
            ordered_on=st.day(on, "--date") or st.today(),
            due_on=st.day(due, "--due"),
            notes=notes,
            now=st.now(),
            yen=st.yen,
        )
    due_text = f", due {row.due_on}" if row.due_on else ""
    done(f"order #{row.id} added: {row.amount} for deal #{row.deal_id} {row.deal}{due_text}")


NONE = ("", "none")
"""What `--due` says to clear the due date."""


@app.command("edit")
def edit(
    order_id: OrderId,
    amount: Annotated[
        str | None,
        typer.Option(help="New amount, in the order's currency (not below what is paid)."),
    ] = None,
    on: Annotated[
        str | None, typer.Option("--date", help="New order date (not after its first payment).")
    ] = None,
    due: Annotated[
        str | None, typer.Option("--due", help="When payment is due ('' or none: no due date).")
    ] = None,
    notes: Annotated[str | None, typer.Option(help="Free text ('' to clear).")] = None,
    if_version: IfVersion = None,
) -> None:
    """Change an order; only the options given change."""
    from tinycrm.models import OrderUpdate
    from tinycrm.services import orders

    st = state()
    cleared = due is not None and due.strip().lower() in NONE
    data = OrderUpdate(
        **given(amount=amount, ordered_on=st.day(on, "--date"), notes=notes),
        **({"due_on": None} if cleared else given(due_on=st.day(due, "--due"))),
    )
    with st.session(write=True) as session:
        row = orders.update_order(
            session, ref=order_id, data=data, today=st.today(), yen=st.yen, version=if_version
        )
    due_text = f", due {row.due_on}" if row.due_on else ", no due date"
    done(f"order #{row.id} updated: {row.amount} ordered {row.ordered_on}{due_text}")


@app.command("deliver")
def deliver(
    order_id: OrderId,
    on: Annotated[
        str | None, typer.Option("--on", help="The day it was delivered (default: today).")
    ] = None,
    follow_up: Annotated[
        int | None,
        typer.Option(
            "--follow-up",
            help="Schedule a follow-up call this many days after delivery (default: config "
            "followup_days.order; none without it).",
        ),
    ] = None,
    if_version: IfVersion = None,
) -> None:
    """Record an order delivered; a follow-up call is scheduled as `--follow-up` or the
    config's `followup_days.order` say."""
    from tinycrm.services import followups, orders

    st = state()
    days = follow_up
    if days is None:
        days = followups.followup_days(st.settings.extra.get("followup_days")).get("order")
    with st.session(write=True) as session:
        row, call = orders.deliver_order(
            session, ref=order_id, on=st.day(on, "--on") or st.today(), followup_in=days,
            now=st.now(), today=st.today(), version=if_version,
        )  # fmt: skip
    then = f"; follow-up #{call.id} due {call.due_on}" if call is not None else ""
    done(f"order #{row.id} delivered on {row.delivered_on}{then}")


@app.command("list")
def list_(
    state_: Annotated[
        str, typer.Option("--state", help="open (money outstanding), overdue, paid or all.")
    ] = "all",
    deal: Annotated[int | None, typer.Option(help="Only this deal's orders.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only this rep's orders.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List orders, newest first."""
    from tinycrm.services import orders

    st = state()
    with st.session(write=False) as session:
        rows = orders.list_orders(session, today=st.today(), state=state_, deal=deal, owner=owner)
    emit([_order(r) for r in rows], fmt, st.tz, columns=ORDER_COLUMNS, empty="no orders match")


@app.command("show")
def show(order_id: OrderId, fmt: FormatOption = Format.table) -> None:
    """Show an order with its payments."""
    from tinycrm.models import Order
    from tinycrm.services import orders
    from tinycrm.services.refs import by_id

    st = state()
    with st.session(write=False) as session:
        detail = orders.get_order(session, ref=order_id, today=st.today())
        version = by_id(session, Order, order_id, "order").version
    emit_record(
        {**_order(detail.row), "notes": detail.row.notes, "version": version},
        fmt,
        st.tz,
        sections={"payments": ([as_row(p) for p in detail.payments], PAYMENT_COLUMNS)},
    )


@app.command("rm")
def rm(order_id: OrderId, yes: Yes = False) -> None:
    """Delete an order and its payments."""
    from tinycrm.services import orders

    st = state()
    with st.session(write=False) as session:
        row = orders.get_order(session, ref=order_id, today=st.today()).row
    confirm(f"delete order #{row.id} ({row.amount}, paid {row.paid}) and its payments?", yes=yes)
    with st.session(write=True) as session:
        orders.delete_order(session, ref=row.id)
    done(f"order #{row.id} deleted")
