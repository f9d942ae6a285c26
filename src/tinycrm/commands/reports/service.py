"""`crm report service`: service tickets per owner or per period."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from tinycrm.commands.render import Format, FormatOption, emit
from tinycrm.commands.reports.options import From, PeriodOption, To, Year, period_of
from tinycrm.context import state

if TYPE_CHECKING:
    pass


SERVICE_COLUMNS = ("open", "overdue", "opened", "resolved", "resolved_late", "median_hours",
                   "csat", "csat_count")  # fmt: skip
SERVICE_DROP = ("csat_count", "resolved_late", "opened")


def _figure(key: str, value: Any, fmt: Format) -> Any:
    """Hours to one decimal and CSAT to two in tables; raw numbers elsewhere."""
    if fmt is not Format.table or key not in ("median_hours", "csat"):
        return value
    if value is None:
        return "—"
    return f"{value:.1f}" if key == "median_hours" else f"{value:.2f}"


def service(
    start: From = None,
    end: To = None,
    period: PeriodOption = None,
    year: Year = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this user's tickets.")] = None,
    by: Annotated[
        str,
        typer.Option(
            help="Rows per owner, or per month, quarter or year of the period (default "
            "period: this month per owner, this year per month or quarter, all time per year)."
        ),
    ] = "owner",
    followups: Annotated[
        bool,
        typer.Option(
            "--followups",
            help="Follow-up calls due in the period per owner instead: scheduled, done, "
            "overdue, satisfaction.",
        ),
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Service tickets per owner or per period, and in total: open and overdue now, opened
    and resolved in the period, resolved late, median hours to resolve, CSAT average."""
    from tinycrm.services import periods
    from tinycrm.services.reports import service_report

    st = state()
    span = period_of(st, start, end, period, year)
    if span is None:
        default = {"owner": "month", "month": "year", "quarter": "year"}.get(by)
        today, tz = st.today(), st.tz
        span = periods.calendar_period(default, today=today, tz=tz) if default else periods.ALL_TIME
    if followups:
        _followups(span, fmt)
        return
    with st.session(write=False) as session:
        found = service_report.service_report(
            session, period=span, now=st.now(), tz=st.tz, by=by, owner=owner
        )
    head = "owner" if found.by == "owner" else "period"
    columns = (head, *SERVICE_COLUMNS)
    rows = [
        {head: r.key, **{k: _figure(k, getattr(r, k), fmt) for k in SERVICE_COLUMNS}}
        for r in [*found.rows, found.total]
    ]
    title = f"Service by {found.by}, {span.label}"
    emit(rows, fmt, st.tz, columns=columns, title=title, drop=SERVICE_DROP)


FOLLOWUP_COLUMNS = ("owner", "scheduled", "done", "overdue", "done_rate", "satisfaction", "rated")


def _followups(span: Any, fmt: Format) -> None:
    from tinycrm.commands.render import as_row
    from tinycrm.services.followups import followup_figures

    st = state()
    with st.session(write=False) as session:
        found = followup_figures(session, first=span.first, last=span.last, today=st.today())
    rows = [as_row(r) for r in found]
    if fmt is Format.table:
        for r in rows:
            rate, score = r["done_rate"], r["satisfaction"]
            r["done_rate"] = "—" if rate is None else f"{rate * 100:.1f}%"
            r["satisfaction"] = "—" if score is None else f"{score:.2f}"
    title = f"Follow-ups due {span.label}"
    emit(rows, fmt, st.tz, columns=FOLLOWUP_COLUMNS, title=title)
