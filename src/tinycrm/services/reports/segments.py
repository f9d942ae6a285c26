"""Customer segmentation from payments received: ABC classes, RFM scores, retention per
period, and lifecycle tags; the one module the CLI and the TUI ask for them.

A customer is the company of an order, or its contact when the order has no company; its
revenue is the money received against its orders (`payments.received_on`, a calendar day),
never deal amounts. Amounts are integer minor units of the report currency: ABC and RFM
look only at payments in that currency, retention counts every payment as activity but sums
only those. Everything is counted, ranked and summed in SQL (window functions: SQLite 3.25+
and PostgreSQL); Python only divides the few totals that come back.

Each part lives in its own module (abc_rfm, retention, lifecycle; customer_payments holds
what they share); this one names them together.
"""

from __future__ import annotations

from tinycrm.services.reports.abc_rfm import (
    SEGMENTS,
    AbcClass,
    AbcCustomer,
    AbcReport,
    RfmCustomer,
    RfmReport,
    RfmSegment,
    abc,
    rfm,
)
from tinycrm.services.reports.lifecycle import (
    DECLINING_DAYS,
    LIFECYCLES,
    LOST_DAYS,
    LOYAL_ORDERS,
    NEW_DAYS,
    Lifecycles,
    lifecycle_condition,
    lifecycles,
)
from tinycrm.services.reports.retention import RetentionRow, default_span, retention

__all__ = [
    "DECLINING_DAYS",
    "LIFECYCLES",
    "LOST_DAYS",
    "LOYAL_ORDERS",
    "NEW_DAYS",
    "SEGMENTS",
    "AbcClass",
    "AbcCustomer",
    "AbcReport",
    "Lifecycles",
    "RetentionRow",
    "RfmCustomer",
    "RfmReport",
    "RfmSegment",
    "abc",
    "default_span",
    "lifecycle_condition",
    "lifecycles",
    "retention",
    "rfm",
]
