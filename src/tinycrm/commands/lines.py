"""`crm line …`: a deal's own lines; a deal with lines has the amount they come to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tinycrm.commands.base import App
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit

if TYPE_CHECKING:
    from tinycrm.services.quotes import DealLines

app = App(no_args_is_help=True)

Deal = Annotated[int, typer.Option("--deal", help="The deal.")]
COLUMNS = ("position", "sku", "description", "quantity", "unit", "unit_price", "discount",
           "tax_percent", "net", "tax", "total", "currency")  # fmt: skip


def _said(lines: DealLines) -> None:
    done(f"deal #{lines.deal_id}: {len(lines.lines)} line(s), amount {lines.amount}")


@app.command("add")
def add(
    deal: Deal,
    line: Annotated[str, typer.Argument(help="'SKU xQTY', 'Text PRICE', '… -10%', '… tax=19%'.")],
    tax: Annotated[
        str | None, typer.Option("--tax", help="Tax rate when the line names none, e.g. 19%.")
    ] = None,
) -> None:
    """Add a line to a deal; the deal's amount becomes its lines' total."""
    from decimal import Decimal

    from tinycrm.context import state
    from tinycrm.services import quotes
    from tinycrm.services.lines import percent

    st = state()
    rate = Decimal(0) if tax is None else percent(tax, "--tax")
    with st.session(write=True) as session:
        _said(quotes.add_deal_line(session, deal=deal, text=line, tax=rate, yen=st.yen))


@app.command("list")
def list_(deal: Deal, fmt: FormatOption = Format.table) -> None:
    """List a deal's own lines."""
    from tinycrm.context import state
    from tinycrm.services import quotes

    st = state()
    with st.session(write=False) as session:
        found = quotes.deal_lines(session, deal=deal)
    emit([as_row(r) for r in found.lines], fmt, st.tz, columns=COLUMNS, empty="no lines")


@app.command("rm")
def rm(
    deal: Deal, position: Annotated[int, typer.Argument(help="The line's position (1: first).")]
) -> None:
    """Remove a deal's line; the amount follows the lines left."""
    from tinycrm.context import state
    from tinycrm.services import quotes

    st = state()
    with st.session(write=True) as session:
        _said(quotes.remove_deal_line(session, deal=deal, position=position))
