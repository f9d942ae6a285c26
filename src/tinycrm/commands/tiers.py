"""`crm tier …`: membership tiers reached by what customers pay, and the moves between them."""

from __future__ import annotations

from typing import Annotated

import typer

from tinycrm.commands.base import App
from tinycrm.commands.common import confirm
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit
from tinycrm.context import state

app = App(no_args_is_help=True)

COLUMNS = ("rank", "name", "min_spend", "currency", "min_orders", "within_months", "can_drop",
           "points_per", "points_expire_months")  # fmt: skip
MOVE_COLUMNS = ("id", "at", "customer", "from_tier", "to_tier", "reason")


@app.command("set")
def set_(
    name: Annotated[str, typer.Argument(help="Tier name (at most 100 characters).")],
    min_spend: Annotated[
        str | None,
        typer.Option(help="Money received in the window to reach it (e.g. 10000, €5000; none)."),
    ] = None,
    min_orders: Annotated[
        int | None, typer.Option(help="Orders paid on in the window to reach it (0: none).")
    ] = None,
    within: Annotated[
        str | None,
        typer.Option(help="The window: months up to the day (12mo, 6mo, 1y; new: 12mo)."),
    ] = None,
    can_drop: Annotated[
        bool | None,
        typer.Option("--can-drop/--keep", help="Whether a customer below it later moves down."),
    ] = None,
    points_per: Annotated[
        int | None, typer.Option(help="Whole points per currency unit paid (rounded down).")
    ] = None,
    points_expire: Annotated[
        str | None, typer.Option(help="Points earned in it expire after (12mo; never).")
    ] = None,
) -> None:
    """Create a tier or change what is given of it."""
    from tinycrm.services.loyalty import tiers

    st = state()
    with st.session(write=True) as session:
        row = tiers.set_tier(
            session, name=name, min_spend=min_spend, min_orders=min_orders, within=within,
            can_drop=can_drop, points_per=points_per, points_expire=points_expire,
            currency=st.settings.currency, yen=st.yen,
        )  # fmt: skip
    done(f"tier {row.name!r} set (rank {row.rank})")


@app.command("list")
def list_(fmt: FormatOption = Format.table) -> None:
    """List the tiers, lowest first."""
    from tinycrm.services.loyalty import tiers

    st = state()
    with st.session(write=False) as session:
        rows = tiers.list_tiers(session)
    emit([as_row(r) for r in rows], fmt, st.tz, columns=COLUMNS, empty="no tiers")


@app.command("rm")
def rm(
    name: Annotated[str, typer.Argument(help="Tier name.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Remove a tier (its customers have none until a payment moves them)."""
    from tinycrm.services.loyalty import tiers

    st = state()
    with st.session(write=False) as session:
        found = tiers.find_tier(session, name).name
    confirm(f"remove tier {found!r}?", yes=yes)
    with st.session(write=True) as session:
        row = tiers.remove_tier(session, name=found)
    done(f"tier {row.name!r} removed")


@app.command("moves")
def moves(
    customer: Annotated[
        str | None,
        typer.Argument(help="Only this customer's (a company or contact; company:X, contact:X)."),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List tier moves, newest first, with their reasons."""
    from tinycrm.services.loyalty import customers, tiers

    st = state()
    with st.session(write=False) as session:
        who = customers.resolve_customer(session, customer) if customer else None
        rows = tiers.list_moves(session, customer=who)
    emit([as_row(r) for r in rows], fmt, st.tz, columns=MOVE_COLUMNS, empty="no tier moves")


@app.command("refresh")
def refresh() -> None:
    """Work out every paying customer's tier again as of today (for downgrades with time)."""
    from tinycrm.services.loyalty import tiers

    st = state()
    with st.session(write=True) as session:
        moved = tiers.refresh_all(session, today=st.today(), now=st.now())
    done(f"{len(moved)} customer{'s' * (len(moved) != 1)} moved")
