"""`crm report campaigns`: what each campaign cost and brought in."""

from __future__ import annotations

from tinycrm.commands.campaigns import FIGURE_COLUMNS, Channel, figures_row
from tinycrm.commands.render import Format, FormatOption, emit
from tinycrm.commands.reports.options import (
    From,
    PeriodOption,
    To,
    Year,
    period_of,
)
from tinycrm.context import state

CAMPAIGN_DROP = ("ends_on", "starts_on", "channel", "cost_per_lead", "cost_per_won",
                 "won_amount", "deals")  # fmt: skip
"""The columns a narrow table hides first: the dates, then the figures that follow from others."""


def campaigns(
    start: From = None,
    end: To = None,
    period: PeriodOption = None,
    year: Year = None,
    channel: Channel = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Per campaign: leads, deals opened and won, won revenue (payments received on the won
    deals' orders), cost, ROI = (revenue − cost) ÷ cost, cost per lead and per won deal.
    A period picks the campaigns that ran during it (by their own dates); their figures
    count everything they brought in. The total covers campaigns in the configured currency."""
    from tinycrm.services import campaigns

    st = state()
    span = period_of(st, start, end, period, year)
    first, last = (span.first, span.last) if span else (None, None)
    with st.session(write=False) as session:
        rows, total = campaigns.campaign_report(
            session, currency=st.settings.currency, first=first, last=last, channel=channel
        )
    title = f"Campaigns, {span.label if span else 'all time'}"
    shown = [figures_row(f, fmt) for f in [*rows, total]] if rows else []
    emit(shown, fmt, st.tz, columns=FIGURE_COLUMNS, title=title, empty="no campaigns",
         drop=CAMPAIGN_DROP, one_currency=True)  # fmt: skip
