"""`crm report funnel|conversion|performance|forecast|pipeline`: the sales pipeline.

Amounts are in the configured currency (deals in other currencies are counted apart, in
`other_currency`); JSON and CSV carry raw numbers (rates as fractions, days as decimals), and
tables show percentages, with "—" where a rate has nothing to divide by.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from tinycrm.commands.render import Format, FormatOption, as_row, console
from tinycrm.context import state
from tinycrm.words import plural

if TYPE_CHECKING:
    pass

from tinycrm.commands.reports.options import (
    From,
    Owner,
    PeriodOption,
    To,
    Year,
    money_of,
    period_of,
    show_rows,
)

FUNNEL_COLUMNS = ("stage", "reached", "reached_amount", "now_in_stage", "now_amount",
                  "drop_off", "drop_off_rate", "other_currency", "currency")  # fmt: skip
FUNNEL_DROP = ("now_amount", "reached_amount", "drop_off")
"""The columns a narrow table hides first (each report's `*_DROP`), then from the right."""


def funnel(
    start: From = None,
    end: To = None,
    period: PeriodOption = None,
    year: Year = None,
    owner: Owner = None,
    chart: Annotated[
        bool | None,
        typer.Option(
            "--chart/--no-chart", help="Bar chart under the table (default: on a terminal)."
        ),
    ] = None,  # fmt: skip
    fmt: FormatOption = Format.table,
) -> None:
    """Deals that reached each stage in the period, those still there, and the drop-off."""
    from tinycrm.services.periods import ALL_TIME
    from tinycrm.services.report_rows import plain_funnel

    st = state()
    span = period_of(st, start, end, period, year) or ALL_TIME
    cur = st.settings.currency
    found = None
    if owner is None:
        with st.plain_reader(("reports", "read")) as open_sql:  # the queries compiled ahead
            found = plain_funnel(open_sql, period=span, currency=cur)
    if found is None:
        from tinycrm.services import reports

        with st.session(write=False) as session:
            found = reports.funnel(session, period=span, currency=cur, owner=owner)
    rows = [
        as_row(
            r,
            reached_amount=money_of(r.reached_minor, cur),
            now_in_stage=r.now,
            now_amount=money_of(r.now_minor, cur),
            currency=cur,
        )
        for r in found
    ]
    show_rows(rows, fmt, FUNNEL_COLUMNS, f"Funnel, {span.label}", FUNNEL_DROP)
    if fmt is Format.table and (sys.stdout.isatty() if chart is None else chart):
        _bars([(r.stage, r.reached) for r in found if r.kind != "lost"])


def _bars(items: list[tuple[str, int]], width: int = 50) -> None:
    """A horizontal bar per stage, scaled to the widest."""
    from rich.table import Table
    from rich.text import Text

    top = max((n for _, n in items), default=0)
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", style="bold")
    grid.add_column()
    grid.add_column(justify="right")
    for name, n in items:
        size = round(width * n / top) if top else 0
        grid.add_row(name, Text("█" * size or "▏", style="cyan"), f"{n:,}")
    console().print(grid)


CONVERSION_COLUMNS = ("stage", "entered", "moved_on", "lost", "rate", "median_days")
CONVERSION_DROP = ("median_days", "lost")


def conversion(
    start: From = None,
    end: To = None,
    period: PeriodOption = None,
    year: Year = None,
    owner: Owner = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Per stage: deals that entered it, moved on, were lost there; rate and median days."""
    from tinycrm.services import reports

    st = state()
    span = period_of(st, start, end, period, year) or reports.ALL_TIME
    with st.session(write=False) as session:
        found = reports.conversion(session, period=span, owner=owner)
    show_rows(
        [as_row(r) for r in found],
        fmt,
        CONVERSION_COLUMNS,
        f"Stage conversion, {span.label}",
        CONVERSION_DROP,
    )


PERFORMANCE_COLUMNS = ("name", "won", "lost", "won_amount", "win_rate", "avg_won",
                       "median_cycle_days", "activities", "quota", "attainment",
                       "other_currency", "currency")  # fmt: skip
PERFORMANCE_DROP = ("median_cycle_days", "avg_won", "activities", "lost", "quota")


def performance(
    start: From = None,
    end: To = None,
    period: PeriodOption = None,
    year: Year = None,
    owner: Owner = None,
    sort: Annotated[
        str,
        typer.Option(
            help="Sort by name, won, lost, won_amount, win_rate, avg_won, "
            "median_cycle_days, activities, quota or attainment; '-' for descending."
        ),
    ] = "name",  # fmt: skip
    fmt: FormatOption = Format.table,
) -> None:
    """Per rep and for the team: won, lost, win rate, cycle, activities, quota attainment
    (the current quarter unless a period is given)."""
    from tinycrm.services import reports

    st = state()
    span = period_of(st, start, end, period, year) or reports.calendar_period(
        "quarter", today=st.today(), tz=st.tz
    )
    cur = st.settings.currency
    with st.session(write=False) as session:
        found = reports.performance(session, period=span, currency=cur, owner=owner, sort=sort)
    rows = [
        as_row(
            r,
            won_amount=money_of(r.won_minor, cur),
            avg_won=money_of(r.avg_won_minor, cur),
            quota=money_of(r.quota_minor, cur),
            currency=cur,
        )
        for r in [*found.reps, found.team]
    ]
    show_rows(rows, fmt, PERFORMANCE_COLUMNS, f"Performance, {span.label}", PERFORMANCE_DROP)


FORECAST_COLUMNS = ("bucket", "from", "to", "deals", "amount", "weighted",
                    "other_currency", "currency")  # fmt: skip
FORECAST_DROP = ("from", "to")


def forecast(
    months: Annotated[int, typer.Option(help="Months ahead, this one included.")] = 6,
    owner: Owner = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Open deals by expected close month, raw and weighted by stage probability."""
    from tinycrm.services import reports

    st = state()
    cur = st.settings.currency
    with st.session(write=False) as session:
        found = reports.forecast(
            session, today=st.today(), months=months, currency=cur, owner=owner
        )
    rows = [
        {
            "bucket": r.bucket,
            "from": r.first,
            "to": r.last,
            "deals": r.deals,
            "amount": money_of(r.amount_minor, cur),
            "weighted": money_of(r.weighted_minor, cur),
            "other_currency": r.other_currency,
            "currency": cur,
        }
        for r in found
    ]
    show_rows(
        rows, fmt, FORECAST_COLUMNS, "Forecast of open deals by expected close", FORECAST_DROP
    )


PIPELINE_COLUMNS = ("stage", "probability", "deals", "amount", "weighted", "stalled",
                    "stalled_amount", "other_currency", "currency")  # fmt: skip
PIPELINE_DROP = ("probability", "stalled_amount")


def pipeline(
    owner: Owner = None,
    stale_days: Annotated[
        int | None,
        typer.Option(
            help="Stalled: no move and no activity done for this many days (default from config)."
        ),
    ] = None,  # fmt: skip
    fmt: FormatOption = Format.table,
) -> None:
    """Open deals per stage: count, value, weighted value, and the stalled ones."""
    from tinycrm.errors import InvalidInput
    from tinycrm.services import reports

    st = state()
    days = st.settings.stale_days if stale_days is None else stale_days
    if days < 1:
        raise InvalidInput("--stale-days", days, "must be at least 1")
    cur = st.settings.currency
    with st.session(write=False) as session:
        found = reports.pipeline(session, now=st.now(), stale_days=days, currency=cur, owner=owner)
    rows = [
        as_row(
            r,
            amount=money_of(r.amount_minor, cur),
            weighted=money_of(r.weighted_minor, cur),
            stalled_amount=money_of(r.stalled_minor, cur),
            currency=cur,
        )
        for r in found
    ]
    title = f"Open pipeline (stalled: {plural(days, 'day')} untouched)"
    show_rows(rows, fmt, PIPELINE_COLUMNS, title, PIPELINE_DROP)
