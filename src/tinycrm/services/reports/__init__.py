"""Reports: funnel, stage conversion, rep performance, forecast and pipeline, with the
periods they cover; the one module the CLI and the TUI ask for them.

Every figure is counted and summed in SQL (medians too, with window functions), so a report
costs about what the same hand-written query costs, whatever the number of deals. Amounts are
integer minor units of the report currency: deals in another currency are counted, never
summed, and show up in `other_currency` instead.

Periods are half-open ranges of UTC instants `[start, end)` made from calendar days in the
user's time zone; a missing edge means "since the beginning" or "until now and later".

Each report lives in its own module (funnel, performance, forecast; periods and aggregates
hold what they share); this one names them together.
"""

from __future__ import annotations

from tinycrm.services.periods import (
    ALL_TIME,
    QUOTA_MONTHS,
    Period,
    add_months,
    calendar_period,
    date_range,
    within,
)
from tinycrm.services.report_rows import FunnelRow, ratio_of
from tinycrm.services.reports.aggregates import (
    DAY_SECONDS,
    median_per,
    round_half_up,
    seconds_between,
    sum_if,
)
from tinycrm.services.reports.open_deals import ForecastRow, PipelineRow, forecast, pipeline
from tinycrm.services.reports.reps import (
    PERFORMANCE_SORT,
    Performance,
    RepRow,
    performance,
    period_quota,
)
from tinycrm.services.reports.stage_flow import ConversionRow, conversion, funnel

__all__ = [
    "ALL_TIME",
    "DAY_SECONDS",
    "PERFORMANCE_SORT",
    "QUOTA_MONTHS",
    "ConversionRow",
    "ForecastRow",
    "FunnelRow",
    "Performance",
    "Period",
    "PipelineRow",
    "RepRow",
    "add_months",
    "calendar_period",
    "conversion",
    "date_range",
    "forecast",
    "funnel",
    "median_per",
    "performance",
    "period_quota",
    "pipeline",
    "ratio_of",
    "round_half_up",
    "seconds_between",
    "sum_if",
    "within",
]
