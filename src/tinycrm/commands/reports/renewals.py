"""`crm report renewals`: contracts coming up for renewal, and their value, per month."""

from __future__ import annotations

from typing import Annotated

import typer

from tinycrm.commands.render import Format, FormatOption, as_row, emit
from tinycrm.context import state

COLUMNS = ("month", "contracts", "auto", "value", "currency", "first_notice")


def renewals(
    start: Annotated[
        str | None, typer.Option("--from", help="From this day's month (default: today's).")
    ] = None,
    months: Annotated[int, typer.Option("--months", help="How many months ahead.")] = 12,
    fmt: FormatOption = Format.table,
) -> None:
    """Per month: contracts whose term ends then (active or draft), how many renew by
    themselves, their value and the first notice date (those that renew by themselves and
    have ended are renewed first)."""
    from tinycrm.commands.contracts import roll_over
    from tinycrm.errors import InvalidInput
    from tinycrm.services.reports import renewals as due

    st = state()
    if not 1 <= months <= 120:
        raise InvalidInput("--months", months, "must be 1 to 120")
    day = st.day(start, "--from") or st.today()
    roll_over(st)
    with st.session(write=False) as session:
        rows = due.renewals(session, start=day, months=months)
    emit([as_row(r) for r in rows], fmt, st.tz, columns=COLUMNS,
         title=f"Renewals from {day:%Y-%m}, {months} months", empty="no renewals due")  # fmt: skip
