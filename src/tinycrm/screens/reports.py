"""Reports for a chosen period: the funnel as a chart, conversion per stage, rep performance
and the forecast by month; the same services, so the same numbers, as `crm report`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from tinycrm.money import Money
from tinycrm.screens.base import CrmScreen
from tinycrm.widgets.charts import BarChart

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.services.reports import (
        ConversionRow,
        ForecastRow,
        FunnelRow,
        Performance,
        Period,
    )

KINDS = ("month", "quarter", "year", "all")
FORECAST_MONTHS = 6


@dataclass(frozen=True)
class ReportsView:
    period: Period
    funnel: list[FunnelRow]
    conversion: list[ConversionRow]
    performance: Performance
    forecast: list[ForecastRow]


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


class ReportsScreen(CrmScreen):
    NOUN = "report"
    BINDINGS = [
        Binding(
            "p", "kind", "Period", tooltip="Month, quarter, year or all time", id="reports.period"
        ),
        Binding(
            "left_square_bracket",
            "shift(-1)",
            "Earlier",
            key_display="[",
            tooltip="Previous period",
            id="reports.earlier",
        ),
        Binding(
            "right_square_bracket",
            "shift(1)",
            "Later",
            key_display="]",
            tooltip="Next period",
            id="reports.later",
        ),
        Binding("r", "reload", "Reload", show=False, id="reports.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.kind = "quarter"
        self.day_in_period = date.today()  # replaced by the app's clock on mount

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static("", id="reports-period", classes="section-title")
            yield Static("Funnel: deals that reached each stage", classes="section-title")
            yield BarChart(id="reports-funnel")
            yield Static("Conversion per stage", classes="section-title")
            yield Static("", id="reports-conversion", classes="detail-fields")
            yield Static("Rep performance", classes="section-title")
            yield Static("", id="reports-performance", classes="detail-fields")
            yield Static(f"Forecast, next {FORECAST_MONTHS} months", classes="section-title")
            yield Static("", id="reports-forecast", classes="detail-fields")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Reports"
        self.day_in_period = self.state.today()
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def action_reload(self) -> None:
        self.reload()

    def action_kind(self) -> None:
        self.kind = KINDS[(KINDS.index(self.kind) + 1) % len(KINDS)]
        self.reload()

    def action_shift(self, step: int) -> None:
        if self.kind == "all":
            return
        period = self.period()
        assert period.first is not None and period.last is not None
        before, after = period.first - timedelta(days=1), period.last + timedelta(days=1)
        self.day_in_period = before if step < 0 else after
        self.reload()

    def period(self) -> Period:
        from tinycrm.services import reports

        if self.kind == "all":
            return reports.ALL_TIME
        return reports.calendar_period(self.kind, today=self.day_in_period, tz=self.state.tz)

    def reload(self) -> None:
        self.db(self._fetch, self._show, group="reports", exclusive=True)

    def _fetch(self, session: Session) -> ReportsView:
        from tinycrm.services import reports

        st, period = self.state, self.period()
        currency = st.settings.currency
        return ReportsView(
            period,
            reports.funnel(session, period=period, currency=currency),
            reports.conversion(session, period=period),
            reports.performance(session, period=period, currency=currency),
            reports.forecast(session, today=st.today(), months=FORECAST_MONTHS, currency=currency),
        )

    def _show(self, view: ReportsView) -> None:
        cur = self.state.settings.currency
        self.query_one("#reports-period", Static).update(
            f"Period: {view.period.label}   (p: month/quarter/year/all · [ ]: earlier/later)"
        )
        self.query_one("#reports-funnel", BarChart).show(
            [
                (r.stage, r.reached, f"{r.reached} · {Money(r.reached_minor, cur)}")
                for r in view.funnel
                if r.kind != "lost"
            ]
        )
        self.query_one("#reports-conversion", Static).update(self._conversion(view))
        self.query_one("#reports-performance", Static).update(self._performance(view, cur))
        self.query_one("#reports-forecast", Static).update(self._forecast(view, cur))

    @staticmethod
    def _conversion(view: ReportsView) -> Table:
        table = Table(expand=True, box=None, header_style="bold")
        for name in ("stage", "entered", "moved on", "lost", "rate", "median days"):
            table.add_column(name, justify="left" if name == "stage" else "right")
        for r in view.conversion:
            table.add_row(
                r.stage, str(r.entered), str(r.moved_on), str(r.lost), percent(r.rate),
                days(r.median_days),
            )  # fmt: skip
        return table

    @staticmethod
    def _performance(view: ReportsView, cur: str) -> Table:
        table = Table(expand=True, box=None, header_style="bold")
        for name in ("rep", "won", "lost", "won amount", "win rate", "activities", "quota %"):
            table.add_column(name, justify="left" if name == "rep" else "right", no_wrap=True)
        for r in [*view.performance.reps, view.performance.team]:
            table.add_row(
                r.name, str(r.won), str(r.lost), str(Money(r.won_minor, cur)),
                percent(r.win_rate), str(r.activities), percent(r.attainment),
                style="bold" if r is view.performance.team else "",
            )  # fmt: skip
        return table

    @staticmethod
    def _forecast(view: ReportsView, cur: str) -> Table:
        table = Table(expand=True, box=None, header_style="bold")
        for name in ("month", "deals", "amount", "weighted"):
            table.add_column(name, justify="left" if name == "month" else "right", no_wrap=True)
        for r in view.forecast:
            table.add_row(
                r.bucket, str(r.deals), str(Money(r.amount_minor, cur)),
                str(Money(r.weighted_minor, cur)),
            )  # fmt: skip
        return table
