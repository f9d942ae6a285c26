"""`crm payment …`: payments received against orders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tinycrm.commands.base import App
from tinycrm.commands.common import confirm
from tinycrm.commands.render import (
    Format,
    FormatOption,
    as_row,
    done,
    emit,
)
from tinycrm.context import state

if TYPE_CHECKING:
    pass


app = App(no_args_is_help=True)

OrderId = Annotated[int, typer.Argument(help="Order id.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")]
PAYMENT_COLUMNS = ("id", "order_id", "customer", "amount", "currency", "received_on", "method",
                   "reference")  # fmt: skip


@app.command("add")
def pay(
    order: Annotated[int, typer.Option("--order", help="The order paid.")],
    amount: Annotated[str, typer.Option(help="Amount received, in the order's currency.")],
    on: Annotated[str | None, typer.Option("--date", help="Day received (default: today).")] = None,
    method: Annotated[
        str | None,
        typer.Option(help="transfer, card, cash, cheque … (free text, at most 40 characters)."),
    ] = None,
    reference: Annotated[
        str | None, typer.Option(help="Bank or receipt reference (at most 200 characters).")
    ] = None,
    allow_overpay: Annotated[
        bool, typer.Option("--allow-overpay", help="Accept more than is outstanding.")
    ] = False,
) -> None:
    """Record a payment received against an order."""
    from tinycrm.services import orders

    st = state()
    with st.session(write=True) as session:
        row = orders.add_payment(
            session,
            order=order,
            amount=amount,
            received_on=st.day(on, "--date") or st.today(),
            method=method,
            reference=reference,
            allow_overpay=allow_overpay,
            now=st.now(),
            yen=st.yen,
            today=st.today(),
        )
        left = orders.get_order(session, ref=order, today=st.today()).row.outstanding
    done(f"payment #{row.id} added: {row.amount} on order #{row.order_id} ({left} outstanding)")


@app.command("list")
def payment_list(
    order: Annotated[int | None, typer.Option(help="Only this order's payments.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="Received on or after.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Received on or before.")] = None,
    method: Annotated[str | None, typer.Option(help="Only this method.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List payments, newest first."""
    from tinycrm.services import orders

    st = state()
    with st.session(write=False) as session:
        rows = orders.list_payments(
            session,
            order=order,
            since=st.day(start, "--from"),
            until=st.day(end, "--to"),
            method=method,
        )
    emit([as_row(r) for r in rows], fmt, st.tz, columns=PAYMENT_COLUMNS, empty="no payments")


@app.command("rm")
def payment_rm(
    payment_id: Annotated[int, typer.Argument(help="Payment id.")], yes: Yes = False
) -> None:
    """Delete a payment; its order owes that money again."""
    from tinycrm.services import orders

    st = state()
    with st.session(write=False) as session:
        found = orders.get_payment(session, ref=payment_id)
    confirm(f"delete payment #{found.id} ({found.amount} on order #{found.order_id})?", yes=yes)
    with st.session(write=True) as session:
        row = orders.delete_payment(session, ref=found.id, today=st.today(), now=st.now())
    done(f"payment #{row.id} deleted: {row.amount} on order #{row.order_id}")
