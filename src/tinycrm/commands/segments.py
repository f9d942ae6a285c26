"""Customer segmentation reports: ABC, RFM and retention."""

from __future__ import annotations

import typer


def add_reports(report: typer.Typer) -> None:
    """`crm report segments` and `crm report retention`."""
