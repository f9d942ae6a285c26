"""Reports for a chosen period: the funnel as a chart, conversion per stage, rep performance,
the forecast by month, receivables, campaigns, ABC classes of customers, the service desk,
RFM segments and retention per quarter; the same services, so the same numbers, as
`crm report`."""

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

    from tinycrm.services.campaigns import CampaignFigures
    from tinycrm.services.reports import (
        ConversionRow,
        ForecastRow,
        FunnelRow,
        Performance,
        Period,
    )
    from tinycrm.services.reports.receivables import Receivables
    from tinycrm.services.reports.segments import AbcReport, RetentionRow, RfmReport
    from tinycrm.services.reports.service_report import ServiceReport

KINDS = ("month", "quarter", "year", "all")
FORECAST_MONTHS = 6


@dataclass(frozen=True)
class ReportsView:
    period: Period
    funnel: list[FunnelRow]
    conversion: list[ConversionRow]
    performance: Performance
    forecast: list[ForecastRow]
    receivables: Receivables
    campaigns: tuple[list[CampaignFigures], CampaignFigures]
    abc: AbcReport
    service: ServiceReport
    rfm: RfmReport
    retention: list[RetentionRow]


def table(*names: str, no_wrap: bool = False) -> Table:
    """A report table: the first column (a name) to the left, figures to the right."""
    grid = Table(expand=True, box=None, header_style="bold")
    for i, name in enumerate(names):
        grid.add_column(name, justify="right" if i else "left", no_wrap=no_wrap)
    return grid


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
            yield Static("", id="reports-receivables-title", classes="section-title")
            yield Static("", id="reports-receivables", classes="detail-fields")
            yield Static("Campaigns that ran in the period", classes="section-title")
            yield Static("", id="reports-campaigns", classes="detail-fields")
            yield Static("ABC classes by revenue received", classes="section-title")
            yield Static("", id="reports-abc", classes="detail-fields")
            yield Static("Service tickets by owner", classes="section-title")
            yield Static("", id="reports-service", classes="detail-fields")
            yield Static("RFM segments of customers paid in the period", classes="section-title")
            yield Static("", id="reports-rfm", classes="detail-fields")
            yield Static("Customer retention per quarter", classes="section-title")
            yield Static("", id="reports-retention", classes="detail-fields")
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

    def as_of(self, period: Period) -> date:
        """The day receivables are counted at: the period's last, or today if sooner."""
        today = self.state.today()
        return today if period.last is None else min(period.last, today)

    def _fetch(self, session: Session) -> ReportsView:
        from tinycrm.services import reports
        from tinycrm.services.campaigns import campaign_report
        from tinycrm.services.reports.receivables import receivables
        from tinycrm.services.reports.segments import abc, retention, rfm
        from tinycrm.services.reports.service_report import service_report

        st, period = self.state, self.period()
        currency = st.settings.currency
        return ReportsView(
            period,
            reports.funnel(session, period=period, currency=currency),
            reports.conversion(session, period=period),
            reports.performance(session, period=period, currency=currency),
            reports.forecast(session, today=st.today(), months=FORECAST_MONTHS, currency=currency),
            receivables(session, as_of=self.as_of(period), currency=currency, by="customer"),
            campaign_report(session, currency=currency, first=period.first, last=period.last),
            abc(session, period=period, currency=currency),
            service_report(session, period=period, now=st.now(), tz=st.tz),
            rfm(session, period=period, today=st.today(), currency=currency),
            retention(
                session, kind="quarter", **self.quarters(period), currency=currency, tz=st.tz
            ),
        )

    def quarters(self, period: Period) -> dict[str, date]:
        """The span of the retention table: the period's, or the last 8 quarters for all time."""
        from tinycrm.services.reports.segments import default_span

        if period.first is None or period.last is None:
            first, last = default_span("quarter", self.state.today())
            return {"first": first, "last": last}
        return {"first": period.first, "last": period.last}

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
        self.query_one("#reports-receivables-title", Static).update(
            f"Receivables as of {view.receivables.as_of}"
        )
        self.query_one("#reports-receivables", Static).update(self._receivables(view, cur))
        self.query_one("#reports-campaigns", Static).update(self._campaigns(view))
        self.query_one("#reports-abc", Static).update(self._abc(view, cur))
        self.query_one("#reports-service", Static).update(self._service(view))
        self.query_one("#reports-rfm", Static).update(self._rfm(view, cur))
        self.query_one("#reports-retention", Static).update(self._retention(view, cur))

    @staticmethod
    def _conversion(view: ReportsView) -> Table:
        grid = table("stage", "entered", "moved on", "lost", "rate", "median days")
        for r in view.conversion:
            grid.add_row(
                r.stage, str(r.entered), str(r.moved_on), str(r.lost), percent(r.rate),
                days(r.median_days),
            )  # fmt: skip
        return grid

    @staticmethod
    def _performance(view: ReportsView, cur: str) -> Table:
        grid = table(
            "rep", "won", "lost", "won amount", "win rate", "activities", "quota %", no_wrap=True
        )
        for r in [*view.performance.reps, view.performance.team]:
            grid.add_row(
                r.name, str(r.won), str(r.lost), str(Money(r.won_minor, cur)),
                percent(r.win_rate), str(r.activities), percent(r.attainment),
                style="bold" if r is view.performance.team else "",
            )  # fmt: skip
        return grid

    @staticmethod
    def _forecast(view: ReportsView, cur: str) -> Table:
        grid = table("month", "deals", "amount", "weighted", no_wrap=True)
        for r in view.forecast:
            grid.add_row(
                r.bucket, str(r.deals), str(Money(r.amount_minor, cur)),
                str(Money(r.weighted_minor, cur)),
            )  # fmt: skip
        return grid

    @staticmethod
    def _receivables(view: ReportsView, cur: str) -> Table | str:
        found = view.receivables
        if not found.rows:
            return "nothing outstanding"
        grid = table("customer", "orders", "outstanding", "overdue", "oldest due", no_wrap=True)
        for r in [*found.rows, found.total]:
            grid.add_row(
                r.name, str(r.orders), str(Money(r.outstanding_minor, cur)),
                str(Money(r.overdue_minor, cur)), str(r.oldest_due or "—"),
                style="bold" if r is found.total else "",
            )  # fmt: skip
        return grid

    @staticmethod
    def _campaigns(view: ReportsView) -> Table | str:
        rows, total = view.campaigns
        if not rows:
            return "no campaigns"
        grid = table("campaign", "leads", "deals", "won", "revenue", "cost", "ROI", no_wrap=True)
        for f in [*rows, total]:
            grid.add_row(
                f.name, str(f.leads), str(f.deals), str(f.won),
                str(Money(f.revenue_minor, f.currency)), str(Money(f.cost_minor, f.currency)),
                percent(f.roi), style="bold" if f is total else "",
            )  # fmt: skip
        return grid

    @staticmethod
    def _abc(view: ReportsView, cur: str) -> Table | str:
        found = view.abc
        if not found.customers:
            return "no payments received"
        grid = table("class", "customers", "% customers", "revenue", "% revenue", no_wrap=True)
        for c in found.classes:
            grid.add_row(
                c.cls, str(c.customers), percent(c.customer_share),
                str(Money(c.revenue_minor, cur)), percent(c.revenue_share),
            )  # fmt: skip
        return grid

    @staticmethod
    def _service(view: ReportsView) -> Table:
        found = view.service
        grid = table(
            "owner", "open", "overdue", "opened", "resolved", "late", "median h", "CSAT",
            no_wrap=True,
        )  # fmt: skip
        for r in [*found.rows, found.total]:
            grid.add_row(
                r.key, str(r.open), str(r.overdue), str(r.opened), str(r.resolved),
                str(r.resolved_late), days(r.median_hours),
                "—" if r.csat is None else f"{r.csat:.2f}",
                style="bold" if r is found.total else "",
            )  # fmt: skip
        return grid

    @staticmethod
    def _rfm(view: ReportsView, cur: str) -> Table | str:
        found = view.rfm
        if not found.customers:
            return "no payments received"
        grid = table("segment", "customers", "share", "revenue", no_wrap=True)
        for s in found.segments:
            grid.add_row(
                s.segment, str(s.customers), percent(s.share), str(Money(s.revenue_minor, cur))
            )
        revenue = sum(s.revenue_minor for s in found.segments)
        grid.add_row(
            "total", str(found.customers), percent(1.0), str(Money(revenue, cur)), style="bold"
        )
        return grid

    @staticmethod
    def _retention(view: ReportsView, cur: str) -> Table:
        """Active, retained, new and churned customers per quarter, the rates against the
        quarter before, and the revenue received."""
        grid = table(
            "quarter", "active", "retained", "new", "churned", "churn", "retention", "revenue",
            no_wrap=True,
        )  # fmt: skip
        for r in view.retention:
            grid.add_row(
                r.period, str(r.active), str(r.retained), str(r.new), str(r.churned),
                percent(r.churn_rate), percent(r.retention_rate), str(Money(r.revenue_minor, cur)),
            )  # fmt: skip
        return grid
