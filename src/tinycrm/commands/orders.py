"""`crm order …` and `crm payment …`: what won deals turned into, and money received.

An order is in its deal's currency and only a won deal takes orders; a payment is in its
order's currency and never more than is outstanding unless `--allow-overpay` is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from tinycrm.commands.common import confirm
from tinycrm.commands.render import (
    Format,
    FormatOption,
    as_row,
    done,
    emit,
    emit_record,
    many_rows,
)
from tinycrm.context import state

if TYPE_CHECKING:
    from tinycrm.services.orders import OrderRow

app = typer.Typer(help="Orders: what a won deal turned into.", no_args_is_help=True)
payments = typer.Typer(help="Payments received against orders.", no_args_is_help=True)

OrderId = Annotated[int, typer.Argument(help="Order id.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")]
ORDER_COLUMNS = ("id", "deal_id", "deal", "customer", "owner", "amount", "paid", "outstanding",
                 "currency", "ordered_on", "due_on", "overdue")  # fmt: skip
PAYMENT_COLUMNS = ("id", "order_id", "customer", "amount", "currency", "received_on", "method",
                   "reference")  # fmt: skip


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
    from tinycrm.services import orders

    st = state()
    with st.session(write=False) as session:
        detail = orders.get_order(session, ref=order_id, today=st.today())
    emit_record(
        {**_order(detail.row), "notes": detail.row.notes},
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


@payments.command("add")
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
        )
        left = orders.get_order(session, ref=order, today=st.today()).row.outstanding
    done(f"payment #{row.id} added: {row.amount} on order #{row.order_id} ({left} outstanding)")


@payments.command("list")
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


@payments.command("rm")
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
        row = orders.delete_payment(session, ref=found.id)
    done(f"payment #{row.id} deleted: {row.amount} on order #{row.order_id}")


RECEIVABLE_COLUMNS = ("name", "orders", "outstanding", "overdue_orders", "overdue",
                      "oldest_due", "other_currency", "currency")  # fmt: skip


TABLE_LIMIT = 50
"""Rows a receivables table shows unless --limit says otherwise."""


def receivables(
    by: Annotated[str, typer.Option(help="Group by customer or rep.")] = "customer",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Owed at the end of this day (default: today).")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            help="Only the N largest; the total still covers all. A table shows the "
            f"{TABLE_LIMIT} largest unless told (0: all); CSV and JSON give all."
        ),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Money outstanding and overdue per customer (company, else contact) or per rep, with a
    total; orders in another currency are counted in other_currency, not summed."""
    from tinycrm.errors import InvalidInput
    from tinycrm.money import Money
    from tinycrm.services.reports import receivables as owed

    st = state()
    day = st.day(as_of, "--as-of") or st.today()
    if limit is not None and limit < 0:
        raise InvalidInput("--limit", limit, "must be 0 (all) or more")
    if limit is None and fmt is Format.table:
        limit = TABLE_LIMIT  # a page for people; the full list is for files
    limit = limit or None
    cur = st.settings.currency
    with many_rows():
        with st.session(write=False) as session:
            found = owed.receivables(session, as_of=day, currency=cur, by=by)
        rows = [
            as_row(
                r,
                outstanding=Money(r.outstanding_minor, cur),
                overdue=Money(r.overdue_minor, cur),
                currency=cur,
            )
            for r in [*found.rows[:limit], found.total]
        ]
        title = f"Receivables by {by}, as of {day}"
        if limit is not None and len(found.rows) > limit:
            title += f" (the {limit} largest of {len(found.rows):,}; --limit 0 shows all)"
        emit(rows, fmt, st.tz, columns=RECEIVABLE_COLUMNS, title=title)


def add_reports(report: typer.Typer) -> None:
    """`crm report receivables`."""
    report.command("receivables")(receivables)
