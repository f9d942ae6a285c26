"""`crm report …`: every report, registered here in the order `crm report --help` lists them.

Each report's command lives in the module named beside it; the figures come from
`tinycrm.services.reports`.
"""

from __future__ import annotations

import importlib

from tinycrm.commands.base import App

REPORTS: dict[str, tuple[str, str | None]] = {
    "funnel": ("sales", None),
    "conversion": ("sales", None),
    "performance": ("sales", "Per rep and for the team: won, lost, win rate, quota attainment."),
    "forecast": ("sales", None),
    "pipeline": ("sales", None),
    "receivables": ("receivables", "Money outstanding and overdue per customer or per rep."),
    "renewals": ("renewals", "Contracts coming up for renewal, and their value, per month."),
    "campaigns": ("campaigns", "Per campaign: leads, deals, won revenue, cost and ROI."),
    "segments": ("segments", "Customers by revenue received: ABC classes or RFM."),
    "retention": ("segments", "Active, retained, new and churned customers per period."),
    "service": ("service", "Service tickets per owner or period: backlog, resolution, CSAT."),
    "tiers": ("tiers", None),
}
"""`crm report NAME`: the module in this package whose function NAME runs it, and the
summary `crm report --help` lists when the docstring's first sentence is too long
for one line."""


def _group() -> App:
    group = App(no_args_is_help=True)
    for name, (module, short) in REPORTS.items():
        command = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        group.command(name, short_help=short, tabular=True)(command)
    return group


def __getattr__(name: str) -> App:
    """`app`, the `crm report` group, made when the command line asks for it, so a command
    that only shares the period options (`from .options import …`) loads no report."""
    if name == "app":
        return _group()
    raise AttributeError(name)
