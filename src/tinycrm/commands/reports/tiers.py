"""`crm report tiers`: customers per membership tier, or each customer's tier."""

from __future__ import annotations

from typing import Annotated

import typer

from tinycrm.commands.render import Format, FormatOption, as_row, emit
from tinycrm.context import state

COLUMNS = ("rank", "tier", "customers", "points")
MEMBER_COLUMNS = ("customer", "kind", "id", "tier", "since", "points")


def tiers(
    customers: Annotated[
        bool, typer.Option("--customers", help="One row per customer: tier, since, points.")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Customers and points per membership tier, highest tier first."""
    from tinycrm.services.reports.tiers import tier_counts, tier_members

    st = state()
    with st.session(write=False) as session:
        if customers:
            members = tier_members(session)
            rows = [as_row(m) for m in members]
            emit(rows, fmt, st.tz, columns=MEMBER_COLUMNS, empty="no customer has a tier yet")
            return
        counts = tier_counts(session)
    emit([as_row(c) for c in counts], fmt, st.tz, columns=COLUMNS, title="Tiers", empty="no tiers")
