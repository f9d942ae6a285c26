"""`crm campaign …`: marketing campaigns, their cost and what they brought in."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tinycrm.commands.base import App
from tinycrm.commands.common import IfVersion, confirm, given
from tinycrm.commands.render import Format, FormatOption, as_row, done, emit, emit_record
from tinycrm.commands.reports.options import money_of, report_cell
from tinycrm.context import state

app = App(no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Campaign id or name.")]
Channel = Annotated[
    str | None,
    typer.Option(
        help="event, email, ads, web, referral, partner … (free text, at most 60 characters)."
    ),
]
Cost = Annotated[
    str | None,
    typer.Option(help="What it cost, e.g. 3000, €900 or '2.5k EUR' (in the currency written)."),
]
Starts = Annotated[str | None, typer.Option("--from", help="First day it ran.")]
Ends = Annotated[str | None, typer.Option("--to", help="Last day it ran.")]
Notes = Annotated[str | None, typer.Option(help="Free text.")]
LIST_COLUMNS = ("id", "name", "channel", "cost", "currency", "starts_on", "ends_on")


def _cost(text: str | None, currency: str | None = None) -> tuple[int | None, str | None]:
    """--cost in minor units and its currency: as written in it (`€900`), else `currency`
    (the campaign's own), else the configured one."""
    money = state().money(text, "--cost", currency)
    return (money.minor, money.currency) if money else (None, None)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Name, e.g. 'Spring fair' (at most 200 characters).")],
    channel: Channel = None,
    cost: Cost = None,
    start: Starts = None,
    end: Ends = None,
    notes: Notes = None,
) -> None:
    """Add a campaign."""
    from tinycrm.services import campaigns

    st = state()
    minor, currency = _cost(cost)
    with st.session(write=True) as session:
        row = campaigns.create_campaign(
            session,
            name=name,
            channel=channel,
            cost_minor=minor or 0,
            currency=currency or st.settings.currency,
            starts_on=st.day(start, "--from"),
            ends_on=st.day(end, "--to"),
            notes=notes,
            now=st.now(),
        )
    done(f"campaign #{row.id} added: {row.name} ({row.cost})")


@app.command("list")
def list_(channel: Channel = None, fmt: FormatOption = Format.table) -> None:
    """List campaigns, latest first."""
    from tinycrm.services import campaigns

    st = state()
    with st.session(write=False) as session:
        rows = campaigns.list_campaigns(session, channel=channel)
    emit([as_row(r) for r in rows], fmt, st.tz, columns=LIST_COLUMNS, empty="no campaigns")


@app.command("show")
def show(ref: Ref, fmt: FormatOption = Format.table) -> None:
    """Show a campaign with its figures (leads, deals, won, revenue, ROI)."""
    from tinycrm.services import campaigns
    from tinycrm.services.refs import resolve_campaign

    st = state()
    with st.session(write=False) as session:
        row = campaigns.get_campaign(session, ref=ref)
        figures = campaigns.campaign_figures(session, campaign_id=row.id)
        version = resolve_campaign(session, str(row.id)).version
    emit_record({**as_row(row), **figures_row(figures, fmt), "version": version}, fmt, st.tz)


@app.command("edit")
def edit(
    ref: Ref,
    name: Annotated[str | None, typer.Option(help="New name (at most 200 characters).")] = None,
    channel: Channel = None,
    cost: Cost = None,
    start: Starts = None,
    end: Ends = None,
    notes: Notes = None,
    if_version: IfVersion = None,
) -> None:
    """Change a campaign; only the options given change ('' clears a date or text)."""
    from tinycrm.services import campaigns

    st = state()
    with st.session(write=True) as session:
        own = campaigns.get_campaign(session, ref=ref).cost.currency if cost else None
        minor, currency = _cost(cost, own)
        changes = given(
            name=name, channel=channel, cost_minor=minor, currency=currency, notes=notes
        )
        for key, text, option in (("starts_on", start, "--from"), ("ends_on", end, "--to")):
            if text is not None:
                changes[key] = st.day(text, option)
        row = campaigns.update_campaign(session, ref=ref, changes=changes, version=if_version)
    done(f"campaign #{row.id} updated: {row.name}")


@app.command("rm")
def rm(
    ref: Ref, yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False
) -> None:
    """Delete a campaign; its contacts and deals stay, with no campaign."""
    from tinycrm.services import campaigns

    st = state()
    with st.session(write=False) as session:
        row = campaigns.get_campaign(session, ref=ref)
    confirm(f"delete campaign #{row.id} {row.name}?", yes=yes)
    with st.session(write=True) as session:
        campaigns.delete_campaign(session, ref=str(row.id))
    done(f"campaign #{row.id} deleted: {row.name}")


FIGURE_COLUMNS = ("name", "channel", "starts_on", "ends_on", "leads", "deals", "won",
                  "won_amount", "revenue", "cost", "roi", "cost_per_lead", "cost_per_won",
                  "other_currency", "currency")  # fmt: skip


def figures_row(f: Any, fmt: Format) -> dict[str, Any]:
    cur = f.currency
    row = as_row(
        f,
        won_amount=money_of(f.won_amount_minor, cur),
        revenue=money_of(f.revenue_minor, cur),
        cost=money_of(f.cost_minor, cur),
        cost_per_lead=money_of(f.cost_per_lead_minor, cur),
        cost_per_won=money_of(f.cost_per_won_minor, cur),
    )
    row["roi"] = report_cell("rate", f.roi, fmt)
    return {k: row[k] for k in FIGURE_COLUMNS}
