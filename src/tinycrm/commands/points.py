"""`crm points …`: a customer's points ledger, and redeeming points."""

from __future__ import annotations

from typing import Annotated

import typer

from tinycrm.commands.base import App
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit_record
from tinycrm.context import state

app = App(no_args_is_help=True)

Customer = Annotated[
    str, typer.Argument(help="A company or contact (name, email, company:X or contact:X).")
]
LEDGER = ("on_day", "kind", "points", "balance", "expires_on", "payment_id", "note")


@app.command("show")
def show(customer: Customer, fmt: FormatOption = Format.table) -> None:
    """A customer's tier, balance and ledger (expired points show as expire lines)."""
    from tinycrm.services.loyalty.actions import ledger_of

    st = state()
    with st.session(write=True) as session:
        found = ledger_of(session, ref=customer, today=st.today(), now=st.now())
    fields = {"customer": found.customer, "tier": found.tier, "balance": found.balance}
    entries = [as_row(e) for e in found.entries]
    emit_record(fields, fmt, st.tz, sections={"ledger": (entries, LEDGER)})


@app.command("redeem")
def redeem(
    customer: Customer,
    amount: Annotated[int, typer.Argument(help="Points to redeem (at most the balance).")],
    note: Annotated[str | None, typer.Option(help="What they were redeemed for.")] = None,
) -> None:
    """Redeem points from a customer's balance; never below zero."""
    from tinycrm.services.loyalty.actions import redeem_points

    st = state()
    with st.session(write=True) as session:
        left = redeem_points(
            session, ref=customer, points=amount, note=note, today=st.today(), now=st.now()
        )
    done(f"{amount} points redeemed: {left} left")
