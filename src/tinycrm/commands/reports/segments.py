"""Customer segmentation reports: `crm report segments --by abc|rfm` and `crm report retention`.

Revenue is money received (payments), in the configured currency; JSON and CSV carry raw
numbers (shares and rates as fractions), tables show percentages.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any

import typer

from tinycrm.commands.render import Format, FormatOption, as_row, emit
from tinycrm.commands.reports.options import From, PeriodOption, To, Year, money_of, period_of
from tinycrm.context import state
from tinycrm.words import plural

SHARES = frozenset({"customer_share", "revenue_share", "share", "cumulative_share",
                    "churn_rate", "retention_rate"})  # fmt: skip


class By(StrEnum):
    abc = "abc"
    rfm = "rfm"


def _show(
    rows: Sequence[dict[str, Any]],
    fmt: Format,
    columns: Sequence[str],
    title: str,
    drop: Sequence[str] = (),
) -> None:
    """Shares as percentages in tables; raw values elsewhere."""
    if fmt is Format.table:
        rows = [
            {k: ("—" if v is None else f"{v * 100:.1f}%") if k in SHARES else v
             for k, v in r.items()}
            for r in rows
        ]  # fmt: skip
    emit(rows, fmt, state().tz, columns=columns, title=title, drop=drop, one_currency=True)


ABC_COLUMNS = ("class", "customers", "customer_share", "revenue", "revenue_share", "currency")
ABC_LIST_COLUMNS = ("rank", "customer", "kind", "id", "revenue", "share", "cumulative_share",
                    "class", "currency")  # fmt: skip
ABC_LIST_DROP = ("kind", "cumulative_share", "rank")
RFM_COLUMNS = ("segment", "cells", "customers", "share", "revenue", "currency")
RFM_LIST_COLUMNS = ("customer", "kind", "id", "last_paid", "recency_days", "frequency",
                    "monetary", "r", "f", "m", "segment", "currency")  # fmt: skip
RFM_LIST_DROP = ("kind", "recency_days", "last_paid")


def segments(
    by: Annotated[By, typer.Option("--by", help="abc (revenue classes) or rfm (scores).")],
    start: From = None,
    end: To = None,
    period: PeriodOption = None,
    year: Year = None,
    a: Annotated[
        int, typer.Option("--a", help="ABC: A = the top customers making up this % of revenue.")
    ] = 80,
    b: Annotated[
        int, typer.Option("--b", help="ABC: B = the next customers making up this % of revenue.")
    ] = 15,
    listing: Annotated[
        bool, typer.Option("--list", help="One row per customer instead of the summary.")
    ] = False,
    limit: Annotated[
        int | None, typer.Option(min=1, help="With --list: at most this many customers.")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Customers by revenue received: ABC classes (A makes the first 80% of revenue, B the
    next 15%, C the rest) or RFM scores 1–5 and segments (all time unless a period is given)."""
    from tinycrm.services import reports
    from tinycrm.services.reports import segments as service

    st = state()
    span = period_of(st, start, end, period, year) or reports.ALL_TIME
    cur = st.settings.currency
    with st.session(write=False) as session:
        if by is By.abc:
            found = service.abc(session, period=span, currency=cur, a=a, b=b,
                                listing=listing, limit=limit)  # fmt: skip
        else:
            ranked = service.rfm(session, period=span, today=st.today(), currency=cur,
                                 listing=listing, limit=limit)  # fmt: skip
    if by is By.abc:
        _show_abc(found, cur, fmt, listing)
    else:
        _show_rfm(ranked, cur, fmt, listing)


def _show_abc(found: Any, cur: str, fmt: Format, listing: bool) -> None:
    title = f"ABC by revenue received, {found.period.label} (A {found.a}%, B {found.b}%)"
    if listing:
        rows = [
            as_row(
                c,
                customer=c.name,
                id=c.customer_id,
                revenue=money_of(c.revenue_minor, cur),
                currency=cur,
                **{"class": c.cls},
            )  # fmt: skip
            for c in found.listed
        ]
        _show(rows, fmt, ABC_LIST_COLUMNS, title, ABC_LIST_DROP)
        return
    rows = [
        as_row(c, revenue=money_of(c.revenue_minor, cur), currency=cur, **{"class": c.cls})
        for c in found.classes
    ]
    _show(rows, fmt, ABC_COLUMNS, f"{title}: {plural(found.customers, 'customer')}")


def _show_rfm(found: Any, cur: str, fmt: Format, listing: bool) -> None:
    title = f"RFM on {found.as_of.isoformat()}, payments {found.period.label}"
    if listing:
        rows = [
            as_row(
                c,
                customer=c.name,
                id=c.customer_id,
                monetary=money_of(c.monetary_minor, cur),
                currency=cur,
            )  # fmt: skip
            for c in found.listed
        ]
        _show(rows, fmt, RFM_LIST_COLUMNS, title, RFM_LIST_DROP)
        return
    rows = [as_row(s, revenue=money_of(s.revenue_minor, cur), currency=cur) for s in found.segments]
    _show(rows, fmt, RFM_COLUMNS, f"{title}: {plural(found.customers, 'customer')}")


RETENTION_COLUMNS = ("period", "from", "to", "active", "retained", "new", "churned",
                     "churn_rate", "retention_rate", "revenue", "avg_revenue",
                     "currency")  # fmt: skip
RETENTION_DROP = ("from", "to", "avg_revenue", "new")


def retention(
    period: Annotated[
        str, typer.Option("--period", help="Calendar month, quarter or year.")
    ] = "quarter",
    start: From = None,
    end: To = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Per period: active customers (paid in it), retained, new and churned ones, churn and
    retention rates, and revenue per active customer (default: the last 12 months, 8
    quarters or 5 years)."""
    from tinycrm.services.reports import segments as service

    st = state()
    last = st.day(end, "--to") or st.today()
    first = st.day(start, "--from") or service.default_span(period, last)[0]
    cur = st.settings.currency
    with st.session(write=False) as session:
        found = service.retention(
            session, kind=period, first=first, last=last, currency=cur, tz=st.tz
        )
    rows = [
        as_row(
            r,
            revenue=money_of(r.revenue_minor, cur),
            avg_revenue=money_of(r.avg_revenue_minor, cur),
            currency=cur,
            **{"from": r.first, "to": r.last},
        )  # fmt: skip
        for r in found
    ]
    _show(rows, fmt, RETENTION_COLUMNS, f"Retention by {period}", RETENTION_DROP)
