"""`crm report receivables`: money owed, per customer or per rep."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tinycrm.commands.render import (
    Format,
    FormatOption,
    as_row,
    emit,
    many_rows,
)
from tinycrm.context import state

if TYPE_CHECKING:
    pass


RECEIVABLE_COLUMNS = ("name", "orders", "outstanding", "overdue_orders", "overdue",
                      "oldest_due", "other_currency", "currency")  # fmt: skip
RECEIVABLE_DROP = ("overdue_orders", "orders")


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
        emit(rows, fmt, st.tz, columns=RECEIVABLE_COLUMNS, title=title, drop=RECEIVABLE_DROP,
             one_currency=True)  # fmt: skip
