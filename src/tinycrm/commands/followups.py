"""`crm followup …`: follow-up calls after resolved tickets and delivered orders, and their
outcomes."""

from __future__ import annotations

from typing import Annotated

import typer

from tinycrm.commands.base import App
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit
from tinycrm.context import state

app = App(no_args_is_help=True)
COLUMNS = ("id", "ticket_id", "order_id", "subject", "customer", "owner", "due_on", "state",
           "done_at", "outcome", "satisfaction")  # fmt: skip


@app.command("list")
def list_(
    show: Annotated[str, typer.Option("--state", help="scheduled, overdue, done or all.")] = "all",
    fmt: FormatOption = Format.table,
) -> None:
    """List follow-ups by due day."""
    from tinycrm.services import followups

    st = state()
    with st.session(write=False) as session:
        rows = followups.list_followups(session, today=st.today(), state=show)
    emit([as_row(r) for r in rows], fmt, st.tz, columns=COLUMNS, empty="no follow-ups")


@app.command("done")
def done_(
    followup_id: Annotated[int, typer.Argument(help="Follow-up id.")],
    outcome: Annotated[str | None, typer.Option(help="What the call found.")] = None,
    satisfaction: Annotated[
        int | None, typer.Option(help="The customer's satisfaction, 1-5.")
    ] = None,
) -> None:
    """Record a follow-up call: its outcome and the customer's satisfaction."""
    from tinycrm.services import followups

    st = state()
    with st.session(write=True) as session:
        row = followups.complete_followup(
            session, ref=followup_id, outcome=outcome, satisfaction=satisfaction,
            now=st.now(), today=st.today(),
        )  # fmt: skip
    of = f"ticket #{row.ticket_id}" if row.ticket_id is not None else f"order #{row.order_id}"
    done(f"follow-up #{row.id} of {of} done")
