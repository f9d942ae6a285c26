"""What every `crm report …` shares: the period options, and how figures show in a table.

Amounts are in the configured currency (deals in other currencies are counted apart, in
`other_currency`); JSON and CSV carry raw numbers (rates as fractions, days as decimals), and
tables show percentages, with "—" where a rate has nothing to divide by.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tinycrm.commands.render import Format, emit
from tinycrm.context import AppState, state

if TYPE_CHECKING:
    from tinycrm.services.reports import Period

From = Annotated[
    str | None, typer.Option("--from", help="First day of the period, e.g. 2026-01-01.")
]
To = Annotated[str | None, typer.Option("--to", help="Last day of the period (included).")]
PeriodOption = Annotated[
    str | None,
    typer.Option("--period", help="The current month, quarter or year (see --year)."),
]
Year = Annotated[
    int | None, typer.Option("--year", help="That year: alone, the whole year; with --period, "
                             "the same month or quarter in that year.")
]  # fmt: skip
Owner = Annotated[str | None, typer.Option("--owner", help="Only this user's deals.")]

RATES = frozenset({"drop_off_rate", "rate", "win_rate", "attainment"})
DAYS = frozenset({"median_days", "median_cycle_days"})


def period_of(
    st: AppState, start: str | None, end: str | None, kind: str | None, year: int | None
) -> Period | None:
    """The period the options name, or None when they name none."""
    from tinycrm.errors import InvalidInput
    from tinycrm.services.periods import calendar_period, date_range

    if (start or end) and (kind or year):
        raise InvalidInput("--period", kind or year, "give either --from/--to or --period/--year")
    if start or end:
        return date_range(st.day(start, "--from"), st.day(end, "--to"), st.tz)
    if kind or year:
        return calendar_period(kind or "year", today=st.today(), tz=st.tz, year=year)
    return None


def report_cell(key: str, value: Any, fmt: Format) -> Any:
    """Rates as percentages and days to one decimal in tables; raw values elsewhere."""
    if fmt is not Format.table:
        return value
    if key in RATES:
        return "—" if value is None else f"{value * 100:.1f}%"
    if key in DAYS:
        return "—" if value is None else f"{value:.1f}"
    return value


def show_rows(
    rows: Sequence[dict[str, Any]],
    fmt: Format,
    columns: Sequence[str],
    title: str | None,
    drop: Sequence[str] = (),
) -> None:
    """A report's rows; a table narrower than them hides the `drop` columns first."""
    st = state()
    shown = [{k: report_cell(k, r.get(k), fmt) for k in columns} for r in rows]
    emit(shown, fmt, st.tz, columns=columns, title=title, drop=drop, one_currency=True)


def money_of(minor: int | None, currency: str) -> Any:
    from tinycrm.money import Money

    return None if minor is None else Money(minor, currency)
